"""Product lot verification (clinical brief, "Product verification before use" and "tightened").

Every item a lot record may carry is declared once, in `PRODUCT_FIELDS`: its key, its type,
its label in staff words, and how it is checked. The same table drives
- intake (`malformed`: a value that cannot be, such as -300 C or "pending" as an IND number,
  is refused naming the field),
- verification (`verify_product`: a lot is verified only when every check holds; a missing
  value counts as not shown, never as passed, and an impossible value never passes),
- the wizard's lot page (its fields, their order, and the messages staff read).

The value types are in product_values.py, the verification checks in product_checks.py; this
module holds the table that ties them together.

MISEV is research reporting guidance, not a release specification: its extras and the
endotoxin limit are clinic settings, off by default, and the product invents no numbers.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from ..wording import say
from . import product_checks as checks
from .model import ProductCheck
from .problems import Problem
from .product_checks import Context, normalise_lot, sentence
from .product_values import ABSOLUTE_ZERO_C, MAX_TEXT, VALUE_TYPES, ValueType, as_float, ind_digits, value_from_text


@dataclass(frozen=True)
class ProductField:
    """One item of a lot record: declared once, read by intake, verification and the lot page."""

    key: str
    type: str  # a key of VALUE_TYPES
    verify: Callable[[ProductField, object, Context], list[str]]
    example: str = ""
    setting: str = ""  # the clinic setting that switches the check on; "" = always checked
    unit: str = ""

    @property
    def label(self) -> str:
        """Its label in staff words (resources/locale: product.label.<key>), in the app's language."""
        return say(f"product.label.{self.key}")

    @property
    def how(self) -> str:
        """How it is checked, in staff words (help text on the lot page)."""
        return say(f"product.how.{self.key}")

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
        return say("product.staff_message", label=sentence(self.short_label),
                   hint=self.value_type.hint.format(example=self.example))

    @property
    def short_label(self) -> str:
        return self.label.split(" (")[0].split(", ")[0]

    def from_text(self, text: str):
        """What staff typed, as the value of a screening file; kept as text when it is not one,
        so intake names the field. Strict: "-8_0", "1e3" and "inf" are not numbers here."""
        return value_from_text(self.type, text)

    def to_text(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)


PRODUCT_FIELDS: tuple[ProductField, ...] = (
    ProductField("lot", "text", checks.lot_number, "EV-2291"),
    ProductField("name", "text", checks.not_checked),
    ProductField("coa_lot_matches", "yes_no", checks.must_be_true),
    ProductField("markers", "names", checks.markers, "CD9, CD63, CD81"),
    ProductField("absent_markers", "names", checks.absent_markers, "calnexin", setting="negative_markers"),
    ProductField("particle_count_per_ml", "amount", checks.particle_count, "2.5e10",
                 setting="require_particle_count", unit="per mL"),
    ProductField("sterility_tested", "yes_no", checks.must_be_true),
    ProductField("endotoxin_tested", "yes_no", checks.must_be_true),
    ProductField("endotoxin_eu_per_ml", "amount", checks.endotoxin_level, "0.5",
                 setting="max_endotoxin_eu_per_ml", unit="EU/mL"),
    ProductField("mycoplasma_tested", "yes_no", checks.must_be_true),
    ProductField("donor_screened", "yes_no", checks.must_be_true),
    ProductField("gmp_facility", "yes_no", checks.must_be_true),
    ProductField("ind_number", "ind", checks.ind_number, "IND 12345"),
    ProductField("lyophilised", "yes_no", checks.not_checked),
    ProductField("storage_c", "temperature", checks.storage, "-80", unit="°C"),
    ProductField("maker_max_storage_c", "temperature", checks.maker_limit, "25", unit="°C"),
    ProductField("freeze_thaw_cycles", "count", checks.freeze_thaw, "0"),
    ProductField("expiry", "date", checks.expiry, "2027-03-01"),
)
FIELDS_BY_KEY = {f.key: f for f in PRODUCT_FIELDS}


def product_field(key: str) -> ProductField:
    return FIELDS_BY_KEY[key]


def malformed_product(product: Mapping) -> list[Problem]:
    """A problem (`product.storage_c`, why) for every value in `product` that cannot be; unknown
    keys are not named here."""
    return [Problem(f"product.{key}", problem) for key, value in product.items()
            if key in FIELDS_BY_KEY and (problem := FIELDS_BY_KEY[key].malformed(value)) is not None]


def verify_product(product: Mapping, settings, on_date: dt.date,
                   recalled_lots: Collection[str] = ()) -> ProductCheck:
    """Checks one lot against the clinic's settings, for use on `on_date`.

    `on_date` is the later of today and the treatment date; `recalled_lots` are the lot numbers
    the clinic recorded as recalled (compared without regard to case, spaces or separators).
    A value that cannot be (which intake refuses) is named here too and never passes.
    """
    if not isinstance(product, Mapping):
        return ProductCheck(None, (say("product.not_readable"),), on_date)
    ctx = Context(product, settings, on_date, frozenset(normalise_lot(lot) for lot in recalled_lots))
    problems: list[str] = []
    for f in PRODUCT_FIELDS:
        value = product.get(f.key)
        bad = f.malformed(value)
        if bad is not None:
            problems.append(say("product.impossible_value", label=sentence(f.label), problem=bad))
            continue
        problems.extend(f.verify(f, value, ctx))
    lot = product.get("lot")
    lot = lot.strip() if isinstance(lot, str) and lot.strip() else None
    return ProductCheck(lot, tuple(problems), on_date)


__all__ = [
    "ABSOLUTE_ZERO_C", "FIELDS_BY_KEY", "MAX_TEXT", "PRODUCT_FIELDS", "VALUE_TYPES", "Context", "ProductField",
    "ValueType", "as_float", "ind_digits", "malformed_product", "normalise_lot", "product_field", "verify_product",
]
