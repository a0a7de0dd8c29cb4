"""What each value of a lot record may be at all: its type, the check that refuses an impossible
value (-300 C, "pending" as an IND number) naming why, and what staff should type instead.

Whether a possible value is good enough for the lot to be verified is product_checks.py.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from ..wording import say
from .fields import json_type

ABSOLUTE_ZERO_C = -273.15
MAX_TEXT = 200

_IND = re.compile(r"(?:IND)?([0-9]{4,7})", re.ASCII | re.IGNORECASE)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_SCIENTIFIC = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
_WHOLE = re.compile(r"\+?[0-9]+", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def as_float(value) -> float | None:
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
        return say("product.value.not_text", type=json_type(value))
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return say("product.value.control_characters")
    if len(value) > MAX_TEXT:
        return say("product.value.too_long", length=len(value), most=MAX_TEXT)
    return None


def _check_yes_no(value) -> str | None:
    return None if isinstance(value, bool) else say("product.value.not_yes_no", type=json_type(value))


def _check_names(value) -> str | None:
    if not isinstance(value, list):
        return say("product.value.not_list", type=json_type(value))
    if not all(isinstance(m, str) and m.strip() and len(m) <= MAX_TEXT for m in value):
        return say("product.value.not_marker_names")
    return None


def _check_number(value, *, lowest: float, too_low_key: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return say("product.value.not_number", type=json_type(value))
    number = as_float(value)
    if number is None:
        if isinstance(value, int):
            return say("product.value.number_too_large")
        return say("product.value.not_finite", value=json.dumps(value))
    if number < lowest:
        return say(too_low_key, number=f"{number:g}")
    return None


def _check_temperature(value) -> str | None:
    return _check_number(value, lowest=ABSOLUTE_ZERO_C, too_low_key="product.value.below_absolute_zero")


def _check_amount(value) -> str | None:
    return _check_number(value, lowest=0, too_low_key="product.value.below_zero")


def _check_count(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return say("product.value.not_whole", type=json_type(value))
    if not isinstance(value, int):
        return say("product.value.not_whole_value", value=repr(value))
    if value < 0:
        return say("product.value.negative_count", value=value)
    return None


def _check_date(value) -> str | None:
    if not isinstance(value, str):
        return say("product.value.date_not_text", type=json_type(value))
    if not _ISO_DATE.fullmatch(value.strip()):
        return say("product.value.not_date_form", value=repr(value[:40]))
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        return say("product.value.not_real_date", value=repr(value))
    return None


def _check_ind(value) -> str | None:
    if not isinstance(value, str):
        return say("product.value.ind_not_text", type=json_type(value))
    if ind_digits(value) is None:
        return say("product.value.not_ind", value=repr(value[:40]))
    return None


@dataclass(frozen=True)
class ValueType:
    name: str
    check: Callable[[object], str | None]  # the contract's message when the value cannot be

    @property
    def hint(self) -> str:
        """What staff should type, with {example} (resources/locale: product.hint.<name>)."""
        return say(f"product.hint.{self.name}")


VALUE_TYPES = {t.name: t for t in (
    ValueType("text", _check_text),
    ValueType("yes_no", _check_yes_no),
    ValueType("names", _check_names),
    ValueType("temperature", _check_temperature),
    ValueType("amount", _check_amount),
    ValueType("count", _check_count),
    ValueType("date", _check_date),
    ValueType("ind", _check_ind),
)}


def value_from_text(type_name: str, text: str):
    """What staff typed into a field of type `type_name`, as the value of a screening file; kept as
    text when it is not one, so intake names the field. Strict: "-8_0", "1e3" and "inf" are not
    numbers here."""
    text = text.strip().replace("\u2212", "-")
    if not text:
        return None
    if type_name == "temperature":
        return (float(text) if "." in text else int(text)) if _DECIMAL.fullmatch(text) else text
    if type_name == "amount":  # particle counts are written as 2.5e10
        if _SCIENTIFIC.fullmatch(text):
            number = float(text) if any(c in text for c in ".eE") else int(text)
            return number if math.isfinite(number) else text
        return text
    if type_name == "count":
        return int(text) if _WHOLE.fullmatch(text) else text
    if type_name == "names":
        return [m.strip() for m in text.split(",") if m.strip()] or None
    return text
