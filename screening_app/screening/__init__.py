"""The clinical core: questionnaire, rules, outcome engine and product check.

Pure Python: no Qt, no I/O beyond reading its resources. Everything with a screen or a
printer builds on this, and this builds on nothing of theirs.
"""
from __future__ import annotations

from .content import Content, ContentError, default_content, load_content
from .engine import DEFAULT_MINIMUM_AGE, evaluate
from .intake import InputRefused, parse_screening, read_screening
from .model import (Advice, Answer, Finding, Outcome, Patient, ProductCheck, Route,
                    Screening, ScreeningResult, Treatment)


def screen(screening: Screening, *, content: Content | None = None,
           waiting_period: str | None = None, minimum_age: int = DEFAULT_MINIMUM_AGE) -> ScreeningResult:
    """Screens a validated screening file; `minimum_age` is the clinic's setting."""
    return evaluate(screening.answers, screening.treatment.route, content=content,
                    product=screening.product, treatment_date=screening.treatment.date,
                    waiting_period=waiting_period, date_of_birth=screening.patient.date_of_birth,
                    minimum_age=minimum_age)


__all__ = [
    "Advice", "Answer", "Content", "ContentError", "Finding", "InputRefused", "Outcome",
    "Patient", "ProductCheck", "Route", "Screening", "ScreeningResult", "Treatment",
    "default_content", "evaluate", "load_content", "parse_screening", "read_screening", "screen",
]
