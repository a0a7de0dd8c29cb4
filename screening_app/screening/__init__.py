"""The clinical core: questionnaire, rules, outcome engine and product check.

Pure Python: no Qt, no I/O beyond reading its resources. Everything with a screen or a
printer builds on this, and this builds on nothing of theirs.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from .content import Content, ContentError, default_content, load_content
from .engine import DEFAULT_MINIMUM_AGE, evaluate
from .intake import parse_screening, read_screening
from .model import (
    Advice,
    Answer,
    Finding,
    Outcome,
    Patient,
    Procedure,
    ProductCheck,
    Route,
    Screening,
    ScreeningResult,
    Treatment,
)
from .problems import InputRefused, Problem


def screen(screening: Screening, *, content: Content | None = None,
           waiting_period: str | None = None, history=(),
           minimum_age: int = DEFAULT_MINIMUM_AGE, recalled_lots: Collection[str] = (),
           today: dt.date | None = None) -> ScreeningResult:
    """Screens a validated screening file; `history`: the patient's earlier screenings;
    `minimum_age`: the clinic's setting; `recalled_lots`: the lot numbers the clinic recorded
    as recalled (the store keeps them), such a lot is never verified."""
    return evaluate(screening.answers, screening.treatment.route, content=content,
                    product=screening.product, treatment_date=screening.treatment.date,
                    waiting_period=waiting_period, history=history,
                    date_of_birth=screening.patient.date_of_birth, minimum_age=minimum_age,
                    procedure=screening.treatment.procedure, recalled_lots=recalled_lots, today=today)


def screen_for_clinic(screening: Screening, *, settings=None, content: Content | None = None,
                      history=(), recalled_lots: Collection[str] = (),
                      today: dt.date | None = None) -> ScreeningResult:
    """Screens with the clinic's settings (any object with their attributes, or None) and the
    patient's earlier screenings: the one path the wizard, the store and `screen` share."""
    waiting = getattr(settings, "blood_donation_waiting_period", None) if settings is not None else None
    minimum_age = getattr(settings, "minimum_age", DEFAULT_MINIMUM_AGE) if settings is not None else DEFAULT_MINIMUM_AGE
    return screen(screening, content=content, waiting_period=waiting, history=history, minimum_age=minimum_age,
                  recalled_lots=recalled_lots, today=today)


__all__ = [
    "Advice", "Answer", "Content", "ContentError", "Finding", "InputRefused", "Outcome",
    "Patient", "Problem", "Procedure", "ProductCheck", "Route", "Screening", "ScreeningResult", "Treatment",
    "default_content", "evaluate", "load_content", "parse_screening", "read_screening", "screen",
    "screen_for_clinic",
]
