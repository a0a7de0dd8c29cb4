"""The one path from a screening to its sheet, for the wizard, the store and `screen`.

Whoever asks, the same clinic settings (header, page size, the blood donation waiting
period) and the same patient history go in, so a sheet made in the app, recorded by the
store and printed by `screen --pdf` for the same screening are the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..screening import Screening, ScreeningResult, default_content, screen_for_clinic
from ..screening.consent import Review, SheetKind, sheet_kind
from ..screening.content import Content
from .document import Clinic, build_sheet


@dataclass(frozen=True)
class Rendered:
    result: ScreeningResult
    kind: SheetKind
    pdf: bytes


def clinic_from(settings) -> Clinic:
    """The sheet's header from the clinic settings (any object with their attributes)."""
    if settings is None:
        return Clinic()
    return Clinic(settings.clinic_name, settings.clinic_address, settings.clinic_phone, settings.page_size)


def render(screening: Screening, *, settings=None, content: Content | None = None, history=(),
           review: Review | None = None, recalled=()) -> Rendered:
    content = content or default_content()
    review = review if review is not None else screening.review
    result = screen_for_clinic(screening, settings=settings, content=content, history=history,
                               recalled=recalled)
    pdf = build_sheet(screening, result, clinic=clinic_from(settings), review=review, content=content)
    return Rendered(result, sheet_kind(result, review), pdf)
