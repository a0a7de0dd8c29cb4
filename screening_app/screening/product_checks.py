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

from ..wording import say
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
        return [say("product.check.lot_not_shown")]
    if normalise_lot(value) in ctx.recalled_lots:
        return [say("product.check.lot_recalled", lot=value.strip())]
    return []


def not_checked(f, value, ctx) -> list[str]:
    return []


def must_be_true(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return [say("product.check.not_shown", label=sentence(f.label))]
    if value is not True:
        return [say("product.check.not_confirmed", label=sentence(f.label))]
    return []


def _reported(value) -> set[str]:
    return {m.strip().upper() for m in value} if isinstance(value, list) else set()


def markers(f: ProductField, value, ctx: Context) -> list[str]:
    s = ctx.settings
    if not isinstance(value, list) or not value:
        return [say("product.check.markers_not_shown", markers=", ".join(s.required_markers))]
    reported = _reported(value)
    problems = []
    missing = [m for m in s.required_markers if m.upper() not in reported]
    if missing:
        problems.append(say("product.check.markers_missing", markers=", ".join(missing)))
    if s.cytosolic_markers and not any(m.upper() in reported for m in s.cytosolic_markers):
        problems.append(say("product.check.cytosolic_missing", markers=", ".join(s.cytosolic_markers)))
    return problems


def absent_markers(f: ProductField, value, ctx: Context) -> list[str]:
    wanted = ctx.settings.negative_markers
    if not wanted:
        return []
    missing = [m for m in wanted if m.upper() not in _reported(value)]
    if missing:
        return [say("product.check.negative_missing", markers=", ".join(missing))]
    return []


def particle_count(f: ProductField, value, ctx: Context) -> list[str]:
    if not ctx.settings.require_particle_count:
        return []
    if value is None:
        return [say("product.check.required_not_shown", label=sentence(f.label))]
    if as_float(value) == 0:
        return [say("product.check.no_vesicles", label=sentence(f.label))]
    return []


def endotoxin_level(f: ProductField, value, ctx: Context) -> list[str]:
    limit = ctx.settings.max_endotoxin_eu_per_ml
    if limit is None or value is None:
        return []  # checked when the clinic sets a limit and the Certificate gives a value
    number = as_float(value)
    if number is not None and number > limit:
        return [say("product.check.endotoxin_high", level=f"{number:g}", limit=f"{limit:g}")]
    return []


def ind_number(f: ProductField, value, ctx: Context) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [say("product.check.ind_not_shown")]
    return []


def _freeze_dried(product: Mapping) -> bool:
    return product.get("lyophilised") is True


def storage(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return [say("product.check.storage_not_shown")]
    temperature = as_float(value)
    if temperature is None:  # not a possible value: verify_product names it and never gets here
        return []
    if _freeze_dried(ctx.product):
        limit = as_float(ctx.product.get("maker_max_storage_c"))
        if limit is not None and temperature > limit:
            return [say("product.check.freeze_dried_warm", temperature=f"{temperature:g}", limit=f"{limit:g}")]
        return []  # a missing maker's limit is named by its own row
    if temperature > ctx.settings.max_storage_c:
        return [say("product.check.stored_warm", temperature=f"{temperature:g}",
                    limit=f"{ctx.settings.max_storage_c:g}")]
    return []


def maker_limit(f: ProductField, value, ctx: Context) -> list[str]:
    if _freeze_dried(ctx.product) and value is None:
        return [say("product.check.not_shown", label=sentence(f.label))]
    return []


def freeze_thaw(f: ProductField, value, ctx: Context) -> list[str]:
    if value is None:
        return [say("product.check.freeze_thaw_not_shown")]
    allowed = ctx.settings.max_freeze_thaw_cycles
    if value > allowed:
        return [say("product.check.freeze_thaw_many", cycles=value, allowed=allowed)]
    return []


def expiry(f: ProductField, value, ctx: Context) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [say("product.check.expiry_not_shown")]
    expires = dt.date.fromisoformat(value.strip())
    if expires < ctx.on_date:
        return [say("product.check.expired", expiry=expires.isoformat(), on_date=ctx.on_date.isoformat())]
    return []
