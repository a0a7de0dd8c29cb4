"""Product lot verification (clinical brief, "Product verification before use" and "tightened").

Every item a lot record may carry is declared once, in `PRODUCT_FIELDS`: its key, its type,
its label in staff words, and how it is checked. The same table drives
- intake (`malformed`: a value that cannot be, such as -300 C or "pending" as an IND number,
  is refused naming the field),
- verification (`verify_product`: a lot is verified only when every check holds; a missing
  value counts as not shown, never as passed, and an impossible value never passes),
- the wizard's lot page (its fields, their order, and the messages staff read).

MISEV is research reporting guidance, not a release specification: its extras and the
endotoxin limit are clinic settings, off by default, and the product invents no numbers.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from .model import ProductCheck

ABSOLUTE_ZERO_C = -273.15
MAX_TEXT = 200

# --- value types: what a value must be to be possible at all ------------------------------

_IND = re.compile(r"(?:IND)?([0-9]{4,7})", re.ASCII | re.IGNORECASE)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_SCIENTIFIC = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
_WHOLE = re.compile(r"\+?[0-9]+", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _as_float(value) -> float | None:
    """The value as a float when it is a real, finite number (never true/false)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for any float
        return None
    return number if math.isfinite(number) else None


def ind_digits(value: str) -> str | None:
    """The digits of an IND number ("IND 12345", "ind12345", "0123 456"), or None when it is not one."""
    compact = "".join(value.split())
    match = _IND.fullmatch(compact)
    if match is None or set(match.group(1)) == {"0"}:
        return None
    return match.group(1)


def _check_text(value) -> str | None:
    if not isinstance(value, str):
        return f"must be text, not {_json_type(value)}"
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "contains control characters"
    if len(value) > MAX_TEXT:
        return f"too long ({len(value)} characters; at most {MAX_TEXT})"
    return None


def _check_yes_no(value) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, not {_json_type(value)}"


def _check_names(value) -> str | None:
    if not isinstance(value, list):
        return f"must be a list, not {_json_type(value)}"
    if not all(isinstance(m, str) and m.strip() and len(m) <= MAX_TEXT for m in value):
        return "must be a list of marker names, such as \"CD9\""
    return None


def _check_number(value, *, lowest: float, lowest_words: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, not {_json_type(value)}"
    number = _as_float(value)
    if number is None:
        return f"must be a finite number, not {'a number too large' if isinstance(value, int) else json.dumps(value)}"
    if number < lowest:
        return f"{number:g} is {lowest_words}"
    return None


def _check_temperature(value) -> str | None:
    return _check_number(value, lowest=ABSOLUTE_ZERO_C, lowest_words="below absolute zero (-273.15 C)")


def _check_amount(value) -> str | None:
    return _check_number(value, lowest=0, lowest_words="below zero")


def _check_count(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a whole number, not {_json_type(value)}"
    if not isinstance(value, int):
        return f"must be a whole number (0, 1, 2 ...), not {value!r}"
    if value < 0:
        return f"must be a whole number, 0 or more, not {value}"
    return None


def _check_date(value) -> str | None:
    if not isinstance(value, str):
        return f"must be a date as text (YYYY-MM-DD), not {_json_type(value)}"
    if not _ISO_DATE.fullmatch(value.strip()):
        return f"{value[:40]!r} is not a date in the form YYYY-MM-DD"
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        return f"{value!r} is not a real date"
    return None


def _check_ind(value) -> str | None:
    if not isinstance(value, str):
        return f"must be text, such as \"IND 12345\", not {_json_type(value)}"
    if ind_digits(value) is None:
        return f"{value[:40]!r} is not an IND number (4 to 7 digits, not all zeros, such as \"IND 12345\")"
    return None


@dataclass(frozen=True)
class ValueType:
    name: str
    check: Callable[[object], str | None]  # the contract's message when the value cannot be
    hint: str  # what staff should type, with {example}


VALUE_TYPES = {t.name: t for t in (
    ValueType("text", _check_text, "type at most 200 characters"),
    ValueType("yes_no", _check_yes_no, "tick it only when the Certificate of Analysis shows it"),
    ValueType("names", _check_names, "type the names separated by commas, such as {example}"),
    ValueType("temperature", _check_temperature, "type a number such as {example}"),
    ValueType("amount", _check_amount, "type a number, 0 or more, such as {example}"),
    ValueType("count", _check_count, "type a whole number, 0 or more, such as {example}"),
    ValueType("date", _check_date, "type the date as year-month-day, such as {example}"),
    ValueType("ind", _check_ind, "type the IND number from FDA's letter: 4 to 7 digits, such as {example}"),
)}


# --- the checks: what a possible value must show for the lot to be verified --------------

@dataclass(frozen=True)
class Context:
    """What a check may look at besides its own value."""

    product: Mapping
    settings: object  # content.ProductSettings
    on_date: dt.date
    recalled_lots: frozenset[str]


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def normalise_lot(lot: str) -> str:
    """Lot numbers compared as staff would read them: case, spaces, dashes and other separators
    ignored. Loose on purpose: taking a good lot for a recalled one is the safe mistake."""
    text = unicodedata.normalize("NFKC", lot).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _lot(f: ProductField, value, ctx: Context) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return ["Lot number: not shown."]
    if normalise_lot(value) in ctx.recalled_lots:
        return [f"Lot {value.strip()} has been recalled (recorded by the clinic): it must not be used."]
    return []


def _not_checked(f, value, ctx) -> list[str]:
    return []


def _must_be_true(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return [f"{_sentence(f.label)}: not shown."]
    if value is not True:
        return [f"{_sentence(f.label)}: failed or not confirmed."]
    return []


def _reported(value) -> set[str]:
    return {m.strip().upper() for m in value} if isinstance(value, list) else set()


def _markers(f: ProductField, value, ctx: Context) -> list[str]:
    s = ctx.settings
    if not isinstance(value, list) or not value:
        return ["Vesicle markers (" + ", ".join(s.required_markers) + "): not shown."]
    reported = _reported(value)
    problems = []
    missing = [m for m in s.required_markers if m.upper() not in reported]
    if missing:
        problems.append("Vesicle markers not reported on the Certificate of Analysis: " + ", ".join(missing) + ".")
    if s.cytosolic_markers and not any(m.upper() in reported for m in s.cytosolic_markers):
        problems.append("Cytosolic marker (one of " + ", ".join(s.cytosolic_markers)
                        + "), which the clinic requires (MISEV): not reported.")
    return problems


def _absent_markers(f: ProductField, value, ctx: Context) -> list[str]:
    wanted = ctx.settings.negative_markers
    if not wanted:
        return []
    missing = [m for m in wanted if m.upper() not in _reported(value)]
    if missing:
        return ["Negative markers the clinic requires to be reported absent (MISEV): "
                + ", ".join(missing) + " not shown as absent."]
    return []


def _particle_count(f: ProductField, value, ctx: Context) -> list[str]:
    if not ctx.settings.require_particle_count:
        return []
    if value is None:
        return [f"{_sentence(f.label)}, which the clinic requires (MISEV): not shown."]
    if _as_float(value) == 0:
        return [f"{_sentence(f.label)}: 0, no vesicles counted."]
    return []


def _endotoxin_level(f: ProductField, value, ctx: Context) -> list[str]:
    limit = ctx.settings.max_endotoxin_eu_per_ml
    if limit is None or value is None:
        return []  # checked when the clinic sets a limit and the Certificate gives a value
    number = _as_float(value)
    if number is not None and number > limit:
        return [f"Endotoxin {number:g} EU/mL, above the clinic's limit of {limit:g} EU/mL."]
    return []


def _ind(f: ProductField, value, ctx: Context) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return ["IND number (the FDA investigation this product is given under): not shown."]
    return []


def _freeze_dried(product: Mapping) -> bool:
    return product.get("lyophilised") is True


def _storage(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return ["Storage temperature: not shown."]
    temperature = _as_float(value)
    if _freeze_dried(ctx.product):
        limit = _as_float(ctx.product.get("maker_max_storage_c"))
        if limit is not None and temperature > limit:
            return [f"Freeze-dried product stored at {temperature:g} C, warmer than the maker's limit of "
                    f"{limit:g} C."]
        return []  # a missing maker's limit is named by its own row
    if temperature > ctx.settings.max_storage_c:
        return [f"Stored at {temperature:g} C, warmer than the required {ctx.settings.max_storage_c:g} C or below."]
    return []


def _maker_limit(f: ProductField, value, ctx: Context) -> list[str]:
    if _freeze_dried(ctx.product) and value is None:
        return [f"{_sentence(f.label)}: not shown."]
    return []


def _cycles(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return ["Number of freeze-thaw cycles: not shown."]
    allowed = ctx.settings.max_freeze_thaw_cycles
    if value > allowed:
        return [f"Thawed and refrozen: {value} freeze-thaw cycles, more than the {allowed} allowed."]
    return []


def _expiry(f: ProductField, value, ctx: Context) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return ["Expiry date: not shown."]
    expiry = dt.date.fromisoformat(value.strip())
    if expiry < ctx.on_date:
        return [f"Expired on {expiry.isoformat()}, before the treatment date {ctx.on_date.isoformat()}."]
    return []


@dataclass(frozen=True)
class ProductField:
    """One item of a lot record: declared once, read by intake, verification and the lot page."""

    key: str
    type: str  # a key of VALUE_TYPES
    label: str  # staff words
    how: str  # how it is checked, in staff words (help text on the lot page)
    verify: Callable[[ProductField, object, Context], list[str]]
    example: str = ""
    setting: str = ""  # the clinic setting that switches the check on; "" = always checked
    unit: str = ""

    @property
    def caption(self) -> str:
        """The short label a form shows beside the field: "Storage temperature (°C)"."""
        return f"{self.short_label} ({self.unit})" if self.unit else self.short_label

    @property
    def value_type(self) -> ValueType:
        return VALUE_TYPES[self.type]

    def malformed(self, value) -> str | None:
        """The contract's message when `value` cannot be (None is "not shown", never malformed)."""
        return None if value is None else self.value_type.check(value)

    def staff_message(self) -> str:
        """What the wizard says when the value cannot be: "Storage temperature: type a number such as -80"."""
        return f"{_sentence(self.short_label)}: {self.value_type.hint.format(example=self.example)}"

    @property
    def short_label(self) -> str:
        return self.label.split(" (")[0].split(", ")[0]

    def from_text(self, text: str):
        """What staff typed, as the value of a screening file; kept as text when it is not one,
        so intake names the field. Strict: "-8_0", "1e3" and "inf" are not numbers here."""
        text = text.strip().replace("\u2212", "-")
        if not text:
            return None
        if self.type == "temperature":
            return (float(text) if "." in text else int(text)) if _DECIMAL.fullmatch(text) else text
        if self.type == "amount":  # particle counts are written as 2.5e10
            if _SCIENTIFIC.fullmatch(text):
                number = float(text) if any(c in text for c in ".eE") else int(text)
                return number if math.isfinite(number) else text
            return text
        if self.type == "count":
            return int(text) if _WHOLE.fullmatch(text) else text
        if self.type == "names":
            return [m.strip() for m in text.split(",") if m.strip()] or None
        return text

    def to_text(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)


PRODUCT_FIELDS: tuple[ProductField, ...] = (
    ProductField("lot", "text", "Lot number", "on the vial; a lot the clinic recorded as recalled never passes",
                 _lot, "EV-2291"),
    ProductField("name", "text", "Product name", "printed on the sheet; not checked", _not_checked),
    ProductField("coa_lot_matches", "yes_no",
                 "Certificate of Analysis for this lot, with a lot number that matches the vial",
                 "must be on file and match the vial", _must_be_true),
    ProductField("markers", "names", "Vesicle markers on the Certificate of Analysis",
                 "every required marker must be reported; with the clinic's MISEV setting, also a cytosolic "
                 "marker such as TSG101", _markers, "CD9, CD63, CD81"),
    ProductField("absent_markers", "names", "Markers reported absent (negative markers)",
                 "with the clinic's MISEV setting, each negative marker (such as calnexin) must be reported absent",
                 _absent_markers, "calnexin", setting="negative_markers"),
    ProductField("particle_count_per_ml", "amount", "Particle count (particles per mL, e.g. by NTA)",
                 "with the clinic's MISEV setting, a particle count must be reported", _particle_count,
                 "2.5e10", setting="require_particle_count", unit="per mL"),
    ProductField("sterility_tested", "yes_no", "Sterility test result on the Certificate of Analysis",
                 "must be reported", _must_be_true),
    ProductField("endotoxin_tested", "yes_no", "Endotoxin test result on the Certificate of Analysis",
                 "must be reported", _must_be_true),
    ProductField("endotoxin_eu_per_ml", "amount", "Endotoxin level",
                 "checked against the clinic's endotoxin limit when the Certificate gives a value",
                 _endotoxin_level, "0.5", setting="max_endotoxin_eu_per_ml", unit="EU/mL"),
    ProductField("mycoplasma_tested", "yes_no", "Mycoplasma test result on the Certificate of Analysis",
                 "must be reported", _must_be_true),
    ProductField("donor_screened", "yes_no",
                 "Donor screening for HIV-1/2, hepatitis B and hepatitis C (21 CFR 1271)",
                 "must be shown", _must_be_true),
    ProductField("gmp_facility", "yes_no", "Made in a cGMP facility registered with FDA", "must be shown",
                 _must_be_true),
    ProductField("ind_number", "ind", "IND number (the FDA investigation this product is given under)",
                 "4 to 7 digits, not all zeros; \"N/A\" or \"pending\" is not an IND number", _ind, "IND 12345"),
    ProductField("lyophilised", "yes_no", "Supplied freeze-dried",
                 "then it is stored as its maker says, not at the clinic's cold-chain limit", _not_checked),
    ProductField("storage_c", "temperature", "Storage temperature",
                 "at the clinic's limit or colder; freeze-dried: at the maker's limit or colder", _storage, "-80",
                 unit="°C"),
    ProductField("maker_max_storage_c", "temperature", "Maker's storage limit (freeze-dried product)",
                 "the warmest the maker allows for the freeze-dried product; needed when it is freeze-dried",
                 _maker_limit, "25", unit="°C"),
    ProductField("freeze_thaw_cycles", "count", "Freeze-thaw cycles",
                 "no repeated freeze-thaw", _cycles, "0"),
    ProductField("expiry", "date", "Expiry date", "not before the later of today and the treatment date",
                 _expiry, "2027-03-01"),
)
FIELDS_BY_KEY = {f.key: f for f in PRODUCT_FIELDS}


def product_field(key: str) -> ProductField:
    return FIELDS_BY_KEY[key]


def malformed_product(product: Mapping) -> list[tuple[str, str]]:
    """(key, message) for every value in `product` that cannot be; unknown keys are not named here."""
    return [(key, problem) for key, value in product.items()
            if key in FIELDS_BY_KEY and (problem := FIELDS_BY_KEY[key].malformed(value)) is not None]


def verify_product(product: Mapping, settings, on_date: dt.date,
                   recalled_lots: Collection[str] = ()) -> ProductCheck:
    """Checks one lot against the clinic's settings, for use on `on_date`.

    `on_date` is the later of today and the treatment date; `recalled_lots` are the lot numbers
    the clinic recorded as recalled (compared without regard to case, spaces or separators).
    A value that cannot be (which intake refuses) is named here too and never passes.
    """
    if not isinstance(product, Mapping):
        return ProductCheck(None, ("Product record: not readable.",), on_date)
    ctx = Context(product, settings, on_date, frozenset(normalise_lot(lot) for lot in recalled_lots))
    problems: list[str] = []
    for f in PRODUCT_FIELDS:
        value = product.get(f.key)
        bad = f.malformed(value)
        if bad is not None:
            problems.append(f"{_sentence(f.label)}: not a possible value ({bad}).")
            continue
        problems.extend(f.verify(f, value, ctx))
    lot = product.get("lot")
    lot = lot.strip() if isinstance(lot, str) and lot.strip() else None
    return ProductCheck(lot, tuple(problems), on_date)
