"""The screening wizard without Qt: its state, its steps and where each step may lead.

Like Electrum's wizard, navigation is plain data and functions, tested without a GUI; the
Qt pages only show and edit a `Draft`. Validation reuses the screening file's intake, so the
wizard and the `screen` command refuse exactly the same things with the same words.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum

from .screening import InputRefused, Screening, ScreeningResult, default_content, parse_screening, screen
from .screening.consent import (Decision, Review, ReviewDecision, SheetKind, needs_review, review_problems, sheet_kind,
                                treatment_kind)
from .screening.content import Content
from .screening.model import Answer, Outcome


class Step(IntEnum):
    PATIENT = 0
    TREATMENT = 1
    QUESTIONS = 2
    REVIEW = 3
    PRODUCT = 4
    SHEET = 5

    @property
    def title(self) -> str:
        return ("Patient details", "Planned treatment", "Health questions", "Clinician review",
                "Product lot", "Patient sheet")[self]



@dataclass
class Draft:
    """Everything typed so far, exactly as typed (text stays text until it is validated)."""

    name: str = ""
    date_of_birth: str = ""
    patient_id: str = ""
    contact: str = ""
    route: str = ""
    procedure: str = "none"  # topical only: none, microneedling or laser
    area: str = ""
    treatment_date: str = field(default_factory=lambda: dt.date.today().isoformat())
    answers: dict[str, str] = field(default_factory=dict)
    follow_ups: dict[str, dict[str, str]] = field(default_factory=dict)
    clinician: str = ""
    decisions: dict[str, dict[str, str]] = field(default_factory=dict)
    reviewed_at: str = ""
    product: dict = field(default_factory=dict)

    def to_screening_file(self, *, with_product: bool = True, with_review: bool = True) -> dict:
        """The draft as a screening file (contract.md): what `screen` would be given."""
        patient = {"name": self.name, "date_of_birth": self.date_of_birth}
        for key in ("patient_id", "contact"):
            if getattr(self, key).strip():
                patient[key] = getattr(self, key)
        treatment = {"route": self.route or None, "date": self.treatment_date}
        if self.procedure and self.procedure != "none":
            treatment["procedure"] = self.procedure
        if self.area.strip():
            treatment["area"] = self.area
        data = {"patient": patient, "treatment": treatment, "answers": dict(self.answers)}
        follow_ups = {q: {k: v for k, v in entries.items() if v.strip()} for q, entries in self.follow_ups.items()
                      if self.answers.get(q) and any(v.strip() for v in entries.values())}
        if follow_ups:
            data["follow_ups"] = follow_ups
        if with_product and self.product:
            data["product"] = dict(self.product)
        if with_review and self.clinician.strip() and self.reviewed_at:
            data["review"] = {"clinician": self.clinician, "reviewed_at": self.reviewed_at,
                              "decisions": {q: dict(d) for q, d in self.decisions.items()}}
        return data

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> "Draft":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# Which fields of the screening file each step owns: its inline messages come from these.
_STEP_FIELDS = {
    Step.PATIENT: ("patient.",),
    Step.TREATMENT: ("treatment.",),
    Step.QUESTIONS: ("answers.", "follow_ups."),
    Step.REVIEW: ("review.",),
    Step.PRODUCT: ("product.",),
}


class Flow:
    """Answers the wizard's questions about a draft: what is wrong, where next, what prints."""

    def __init__(self, content: Content | None = None, today: dt.date | None = None):
        self.content = content or default_content()
        self.today = today

    def problems(self, draft: Draft, step: Step) -> dict[str, str]:
        """Field -> message for the fields this step owns (empty: the step is complete)."""
        prefixes = _STEP_FIELDS.get(step, ())
        found: dict[str, str] = {}
        try:
            parse_screening(draft.to_screening_file(with_product=step >= Step.PRODUCT,
                                                    with_review=step >= Step.REVIEW),
                            content=self.content, today=self.today)
        except InputRefused as exc:
            for line in exc.problems:
                name, _, message = line.partition(": ")
                if name.startswith(prefixes):
                    found.setdefault(name, message)
        if step is Step.REVIEW and not found:
            found.update(self._review_problems(draft))
        if step is Step.PRODUCT and not found:
            result = self.result(draft, with_product=True)
            if result.product is None or not result.product.verified:
                found["product"] = "the lot is not verified: it cannot be recorded as given"
        return found

    def unanswered(self, draft: Draft) -> list[str]:
        return [q.id for q in self.content.questions if q.required and draft.answers.get(q.id) not in
                {a.value for a in Answer}]

    def screening(self, draft: Draft, *, with_product: bool = False) -> Screening:
        return parse_screening(draft.to_screening_file(with_product=with_product),
                               content=self.content, today=self.today)

    def result(self, draft: Draft, *, with_product: bool = False) -> ScreeningResult:
        return screen(self.screening(draft, with_product=with_product), content=self.content, today=self.today)

    def review(self, draft: Draft) -> Review | None:
        if not draft.clinician.strip() or not draft.reviewed_at:
            return None
        decisions = {}
        for qid, d in draft.decisions.items():
            if d.get("decision") in (Decision.PROCEED.value, Decision.DEFER.value):
                decisions[qid] = ReviewDecision(Decision(d["decision"]), d.get("reason", "").strip())
        return Review(draft.clinician.strip(), dt.datetime.fromisoformat(draft.reviewed_at), decisions)

    def _review_problems(self, draft: Draft) -> dict[str, str]:
        result = self.result(draft)
        if result.outcome is not Outcome.CLINICIAN_REVIEW:
            return {}
        found = {}
        if not draft.clinician.strip():
            found["review.clinician"] = "enter the reviewing clinician's name"
        for qid in needs_review(result):
            decision = draft.decisions.get(qid, {})
            if decision.get("decision") not in (Decision.PROCEED.value, Decision.DEFER.value):
                found[f"review.decisions.{qid}"] = "choose proceed or defer"
            elif decision["decision"] == Decision.PROCEED.value and not decision.get("reason", "").strip():
                found[f"review.decisions.{qid}.reason"] = "a reason is needed to proceed"
        if not found and draft.reviewed_at:
            for line in review_problems(result, self.review(draft)):
                name, _, message = line.partition(": ")
                found[name] = message
        return found

    def sheet_kind(self, draft: Draft) -> SheetKind:
        """The core's one rule (screening.consent.sheet_kind), with the draft's lot when it has one."""
        try:
            result = self.result(draft, with_product=True)
        except InputRefused:
            result = self.result(draft)  # a malformed lot is no lot: never a consent
        return sheet_kind(result, self.review(draft), today=self.today)

    def next_step(self, draft: Draft, step: Step) -> Step | None:
        """Where Next leads from `step`; None at the end. Has no side effects."""
        if step is Step.REVIEW:
            try:
                kind = treatment_kind(self.result(draft), self.review(draft))
            except InputRefused:
                return None  # the front-desk steps are not complete: there is no way on
            # Nothing is given on do-not-treat or deferral: no lot to check, straight to the sheet.
            return Step.PRODUCT if kind is SheetKind.CONSENT else Step.SHEET
        if step is Step.SHEET:
            return None
        return Step(step + 1)

    def path(self, draft: Draft) -> list[Step]:
        steps, step = [Step.PATIENT], Step.PATIENT
        while (step := self.next_step(draft, step)) is not None:
            steps.append(step)
        return steps
