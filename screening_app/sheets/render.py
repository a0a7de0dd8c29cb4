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
from ..screening.signature import SignedBy
from .document import Clinic, build_sheet, clinic_from_file, clinic_from_settings


@dataclass(frozen=True)
class Rendered:
    result: ScreeningResult
    kind: SheetKind
    pdf: bytes


def clinic_from(settings, screening: Screening | None = None) -> Clinic:
    """The sheet's clinic: the clinic settings (any object with their attributes) when they give a
    name and a phone, else the screening file's `clinic` section when it does. One source is used
    whole, never a mix of two clinics; check `can_print` before printing for a patient."""
    clinic = clinic_from_settings(settings) if settings is not None else Clinic()
    info = getattr(screening, "clinic", None)
    if not clinic.can_print and info is not None:
        from_file = clinic_from_file(info, clinic.page_size)
        if from_file.can_print:
            return from_file
    return clinic


def render(screening: Screening, *, settings=None, content: Content | None = None, history=(),
           review: Review | None = None, clinic: Clinic | None = None, completed_by: str = "",
           completed_on=None, recalled=(), signed: SignedBy | None = None, anchor: str = "") -> Rendered:
    """`clinic` overrides the one made from the settings; `completed_by`/`completed_on` fill the
    consent's "completed by (front desk)" line (blank lines to write on when not given);
    `recalled`: the lots the clinic has recalled (never verified); `signed` and `anchor`: the
    clinician's electronic signature and the audit trail's mark, from the store (`Store.sheet_stamp`)."""
    content = content or default_content()
    if review is None and isinstance(screening.review, Review):
        review = screening.review
    result = screen_for_clinic(screening, settings=settings, content=content, history=history,
                               recalled_lots=recalled)
    pdf = build_sheet(screening, result, clinic=clinic or clinic_from(settings, screening), review=review,
                      content=content, completed_by=completed_by, completed_on=completed_on, signed=signed,
                      anchor=anchor)
    return Rendered(result, sheet_kind(result, review, getattr(screening, "declined", None)), pdf)
