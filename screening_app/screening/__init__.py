"""The clinical core: questionnaire, rules, outcome engine and product check.

Pure Python: no Qt, no I/O beyond reading its resources. Everything with a screen or a
printer builds on this, and this builds on nothing of theirs.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from .content import Content, ContentError, default_content, load_content
from .engine import evaluate
from .intake import InputRefused, parse_screening, read_screening
from .model import (Advice, Answer, Finding, Outcome, Patient, Procedure, ProductCheck, Route,
                    Screening, ScreeningResult, Treatment)


def screen(screening: Screening, *, content: Content | None = None,
           waiting_period: str | None = None, recalled_lots: Collection[str] = (),
           today: dt.date | None = None) -> ScreeningResult:
    """Screens a validated screening file. `recalled_lots`: the lot numbers the clinic recorded
    as recalled (the store keeps them); such a lot is never verified."""
    return evaluate(screening.answers, screening.treatment.route, content=content,
                    product=screening.product, treatment_date=screening.treatment.date,
                    waiting_period=waiting_period, procedure=screening.treatment.procedure,
                    recalled_lots=recalled_lots, today=today)


__all__ = [
    "Advice", "Answer", "Content", "ContentError", "Finding", "InputRefused", "Outcome",
    "Patient", "Procedure", "ProductCheck", "Route", "Screening", "ScreeningResult", "Treatment",
    "default_content", "evaluate", "load_content", "parse_screening", "read_screening", "screen",
]
