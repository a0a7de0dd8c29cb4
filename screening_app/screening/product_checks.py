"""What a possible value of a lot record must show for the lot to be verified (clinical brief,
"Product verification before use" and "tightened"): one function per item of the table in
product.py, each returning the problems in staff words. A missing value is not shown, never passed.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .product_values import as_float

if TYPE_CHECKING:
    from .content import ProductSettings
    from .product import ProductField

@dataclass(frozen=True)
class Context:
    """What a check may look at besides its own value."""

    product: Mapping
    settings: ProductSettings
    on_date: dt.date
    recalled_lots: frozenset[str]


def sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def normalise_lot(lot: str) -> str:
    """Lot numbers compared as staff would read them: case, spaces, dashes and other separators
    ignored. Loose on purpose: taking a good lot for a recalled one is the safe mistake."""
    text = unicodedata.normalize("NFKC", lot).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def lot_number(f: ProductField, value, ctx: Context) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return ["Lot number: not shown."]
    if normalise_lot(value) in ctx.recalled_lots:
        return [f"Lot {value.strip()} has been recalled (recorded by the clinic): it must not be used."]
    return []


def not_checked(f, value, ctx) -> list[str]:
    return []


def must_be_true(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return [f"{sentence(f.label)}: not shown."]
    if value is not True:
        return [f"{sentence(f.label)}: failed or not confirmed."]
    return []


def _reported(value) -> set[str]:
    return {m.strip().upper() for m in value} if isinstance(value, list) else set()


def markers(f: ProductField, value, ctx: Context) -> list[str]:
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


def absent_markers(f: ProductField, value, ctx: Context) -> list[str]:
    wanted = ctx.settings.negative_markers
    if not wanted:
        return []
    missing = [m for m in wanted if m.upper() not in _reported(value)]
    if missing:
        return ["Negative markers the clinic requires to be reported absent (MISEV): "
                + ", ".join(missing) + " not shown as absent."]
    return []


def particle_count(f: ProductField, value, ctx: Context) -> list[str]:
    if not ctx.settings.require_particle_count:
        return []
    if value is None:
        return [f"{sentence(f.label)}, which the clinic requires (MISEV): not shown."]
    if as_float(value) == 0:
        return [f"{sentence(f.label)}: 0, no vesicles counted."]
    return []


def endotoxin_level(f: ProductField, value, ctx: Context) -> list[str]:
    limit = ctx.settings.max_endotoxin_eu_per_ml
    if limit is None or value is None:
        return []  # checked when the clinic sets a limit and the Certificate gives a value
    number = as_float(value)
    if number is not None and number > limit:
        return [f"Endotoxin {number:g} EU/mL, above the clinic's limit of {limit:g} EU/mL."]
    return []


def ind_number(f: ProductField, value, ctx: Context) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return ["IND number (the FDA investigation this product is given under): not shown."]
    return []


def _freeze_dried(product: Mapping) -> bool:
    return product.get("lyophilised") is True


def storage(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return ["Storage temperature: not shown."]
    temperature = as_float(value)
    if temperature is None:  # not a possible value: verify_product names it and never gets here
        return []
    if _freeze_dried(ctx.product):
        limit = as_float(ctx.product.get("maker_max_storage_c"))
        if limit is not None and temperature > limit:
            return [f"Freeze-dried product stored at {temperature:g} C, warmer than the maker's limit of "
                    f"{limit:g} C."]
        return []  # a missing maker's limit is named by its own row
    if temperature > ctx.settings.max_storage_c:
        return [f"Stored at {temperature:g} C, warmer than the required {ctx.settings.max_storage_c:g} C or below."]
    return []


def maker_limit(f: ProductField, value, ctx: Context) -> list[str]:
    if _freeze_dried(ctx.product) and value is None:
        return [f"{sentence(f.label)}: not shown."]
    return []


def freeze_thaw(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return ["Number of freeze-thaw cycles: not shown."]
    allowed = ctx.settings.max_freeze_thaw_cycles
    if value > allowed:
        return [f"Thawed and refrozen: {value} freeze-thaw cycles, more than the {allowed} allowed."]
    return []


def expiry(f: ProductField, value, ctx: Context) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return ["Expiry date: not shown."]
    expires = dt.date.fromisoformat(value.strip())
    if expires < ctx.on_date:
        return [f"Expired on {expires.isoformat()}, before the treatment date {ctx.on_date.isoformat()}."]
    return []
