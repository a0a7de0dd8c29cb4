"""The vocabulary of a screening: answers, routes, outcomes and the result.

Plain, immutable data so that every other part (the CLI, the sheet, the records,
the Qt wizard) can pass results around without being able to change them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from ..wording import say

if TYPE_CHECKING:  # consent.py builds on this module; only the types are needed here
    from .consent import Declined, Review


class Answer(str, Enum):
    YES = "yes"
    NO = "no"
    DONT_KNOW = "dont_know"

    @property
    def label(self) -> str:
        return say(f"screening.answer.{self.value}")


class Route(str, Enum):
    TOPICAL = "topical"
    INJECTION = "injection"
    INTRAVENOUS = "intravenous"

    @property
    def label(self) -> str:
        return say(f"screening.route.{self.value}")


class Procedure(str, Enum):
    """What is done to the skin before a topical product goes on (topical route only)."""

    NONE = "none"
    MICRONEEDLING = "microneedling"
    LASER = "laser"

    @property
    def label(self) -> str:
        return say(f"screening.procedure.{self.value}")

    @classmethod
    def allowed_for(cls, route: Route) -> tuple[Procedure, ...]:
        """Microneedling and laser prepare the skin for a topical product; other routes have none."""
        return tuple(cls) if route is Route.TOPICAL else (cls.NONE,)


class Outcome(str, Enum):
    """Screening outcomes; compare them by `severity`, never by their text."""

    NO_CONTRAINDICATION_FOUND = "no_contraindication_found"
    CLINICIAN_REVIEW = "clinician_review"
    DO_NOT_TREAT = "do_not_treat"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def label(self) -> str:
        return say(f"screening.outcome.{self.value}")

    @classmethod
    def most_severe(cls, outcomes) -> Outcome:
        return max(outcomes, key=lambda o: o.severity, default=cls.NO_CONTRAINDICATION_FOUND)


_SEVERITY = {
    Outcome.NO_CONTRAINDICATION_FOUND: 0,
    Outcome.CLINICIAN_REVIEW: 1,
    Outcome.DO_NOT_TREAT: 2,
}


@dataclass(frozen=True)
class Finding:
    """One answer that raised the outcome, with the reason a clinician reads."""

    question: str
    answer: Answer | None  # None: the question was not answered (treated as don't know)
    outcome: Outcome
    reason: str
    source: str  # readable: the policy, if any, and the full citations
    references: tuple = ()  # references.Reference: what a clinic can look up

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer.value if self.answer else None,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "source": self.source,
            "references": [r.to_json() for r in self.references],
        }


@dataclass(frozen=True)
class Advice:
    topic: str
    text: str
    source: str = ""
    clinic_text: str = ""  # the clinic's own sentence in `text` (its waiting period), as the clinic wrote it

    def to_json(self) -> dict:
        return {"topic": self.topic, "text": self.text}


@dataclass(frozen=True)
class ProductCheck:
    """The result of verifying a product lot; `problems` are in words staff understand."""

    lot: str | None
    problems: tuple[str, ...]
    checked_for: dt.date | None = None  # the day the lot was checked for: later of today and treatment

    @property
    def verified(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        return "verified" if self.verified else "not_verified"

    def to_json(self) -> dict:
        return {"status": self.status, "problems": list(self.problems)}


@dataclass(frozen=True)
class Patient:
    name: str
    date_of_birth: dt.date
    patient_id: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class Treatment:
    route: Route
    date: dt.date
    area: str | None = None
    procedure: Procedure = Procedure.NONE


@dataclass(frozen=True)
class Representative:
    """The parent or legally authorized representative who gives permission for the patient."""

    name: str
    relationship: str


@dataclass(frozen=True)
class ClinicInfo:
    """The screening file's `clinic` section: used when the workstation has no clinic settings."""

    name: str = ""
    address: str = ""
    phone: str = ""
    rights_contact: str = ""
    injury_text: str = ""
    costs_text: str = ""


@dataclass(frozen=True)
class Signing:
    """Extra lines the staff ask for on the consent (the screening file's `signing` section)."""

    witness: bool = False
    interpreter: bool = False


@dataclass(frozen=True)
class Screening:
    """A complete, validated screening file (contract.md)."""

    patient: Patient
    treatment: Treatment
    answers: dict[str, Answer]
    product: dict | None = None
    follow_ups: dict[str, dict[str, str]] = field(default_factory=dict)
    review: Review | None = None  # consent.Review, when a clinician has reviewed it
    representative: Representative | None = None
    clinic: ClinicInfo | None = None
    signing: Signing = field(default_factory=Signing)
    declined: Declined | None = None  # consent.Declined, when the patient said no after reading the consent
    language: str = "en"  # the patient's language: the questions read to them and their sheet


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Whole years of age on `day` (a 29 February birthday counts from 1 March in other years)."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    findings: tuple[Finding, ...]
    advice: tuple[Advice, ...]
    product: ProductCheck | None
    questionnaire_version: str
    rules_version: str

    @property
    def may_be_treated(self) -> bool:
        return self.outcome is not Outcome.DO_NOT_TREAT

    def to_json(self) -> dict:
        out: dict[str, object] = {
            "outcome": self.outcome.value,
            "findings": [f.to_json() for f in self.findings],
            "advice": [a.to_json() for a in self.advice],
        }
        if self.product is not None:
            out["product"] = self.product.to_json()
        out["questionnaire_version"] = self.questionnaire_version
        out["rules_version"] = self.rules_version
        return out
