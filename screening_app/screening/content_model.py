"""The questionnaire and rules as data: what the loader (content_reader.py) builds and the
engine, the sheet and the records read. Immutable, so a loaded content can be shared."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from .model import Answer, Outcome, Procedure, Route
from .references import Reference, citation_text, source_text


def text_digest(data: dict) -> str:
    """SHA-256 of a TOML file's meaning (its parsed data), so comments and line endings do not count."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ContentError(Exception):
    """The questionnaire or rules files are unusable; `problems` says where and why."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class FollowUp:
    id: str
    prompt: str
    when: frozenset[Answer]


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    rationale: str
    references: tuple[Reference, ...]
    required: bool
    follow_ups: tuple[FollowUp, ...] = ()

    @property
    def source(self) -> str:
        """The full citations, readable as one line."""
        return citation_text(self.references)


@dataclass(frozen=True)
class Rule:
    question: str
    answers: frozenset[Answer]
    routes: frozenset[Route]
    outcome: Outcome
    reason: str
    references: tuple[Reference, ...]
    policy: str = ""  # "Clinic policy: ..." where the rule is the clinic's precaution, not evidence
    procedures: frozenset[Procedure] = frozenset(Procedure)
    label: str = field(default="", compare=False)  # where it is in rules.toml, e.g. "rule[3]"

    @property
    def source(self) -> str:
        """What a clinician reads as the rule's source: the policy it is, then the full citations."""
        return source_text(self.policy, self.references)

    def matches(self, answer: Answer, route: Route, procedure: Procedure = Procedure.NONE) -> bool:
        return answer in self.answers and route in self.routes and procedure in self.procedures


@dataclass(frozen=True)
class Check:
    """A finding that comes from the screening's facts, not from an answer (e.g. the patient's age).
    It is reviewed like a question's finding, under its own id."""

    id: str
    text: str
    outcome: Outcome
    reason: str
    references: tuple[Reference, ...]
    policy: str = ""

    @property
    def source(self) -> str:
        return source_text(self.policy, self.references)

    def as_question(self) -> Question:
        return Question(self.id, self.text, self.reason, self.references, required=False)


@dataclass(frozen=True)
class ProductSettings:
    required_markers: tuple[str, ...]
    max_storage_c: float
    max_freeze_thaw_cycles: int
    # Optional clinic settings, off by default; the product invents no numbers (clinical brief).
    cytosolic_markers: tuple[str, ...] = ()  # MISEV: at least one of these must be reported
    negative_markers: tuple[str, ...] = ()  # MISEV: each must be reported absent
    require_particle_count: bool = False  # MISEV: a particle count (e.g. NTA) must be reported
    max_endotoxin_eu_per_ml: float | None = None  # checked when the Certificate gives a value


@dataclass(frozen=True)
class BloodDonationAdvice:
    text: str
    donor_text: str
    references: tuple[Reference, ...]
    policy: str = ""

    @property
    def source(self) -> str:
        return source_text(self.policy, self.references)


@dataclass(frozen=True)
class Content:
    """Everything the screening needs to know, as one reviewed, versioned whole."""

    questionnaire_version: str
    questionnaire_effective: dt.date
    title: str
    questions: tuple[Question, ...]
    rules_version: str
    rules_effective: dt.date
    rules: tuple[Rule, ...]
    blood_donation: BloodDonationAdvice
    product: ProductSettings
    references: dict[str, Reference] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)
    questionnaire_digest: str = ""
    rules_digest: str = ""

    @property
    def digest(self) -> str:
        """One SHA-256 for the questionnaire and rules this content was read from: every stored
        screening keeps it, so what a patient was screened with can be proven later."""
        both = f"questionnaire:{self.questionnaire_digest}\nrules:{self.rules_digest}\n"
        return hashlib.sha256(both.encode("utf-8")).hexdigest()

    def question(self, qid: str) -> Question:
        """A question of the questionnaire, or a check (such as the patient's age) seen as one, so that
        every finding has wording to show."""
        for q in self.questions:
            if q.id == qid:
                return q
        if qid in self.checks:
            return self.checks[qid].as_question()
        raise KeyError(qid)

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def rules_for(self, qid: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.question == qid)


@dataclass(frozen=True)
class QuestionnaireVersion:
    """One released questionnaire: its version, date, title and questions in their order."""

    version: str
    effective: dt.date
    title: str
    questions: tuple[Question, ...]

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

