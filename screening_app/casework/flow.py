"""The screening's steps without Qt: its state, where each step leads, what is wrong.

Like Electrum's wizard, navigation is plain data (`NAVMAP`) and functions, tested without a
GUI; the Qt pages only show and edit a `Draft` and read an `Evaluation`. Validation reuses
the screening file's intake, so the wizard and `screen` refuse the same things in the same
words. Each revision of a draft is evaluated once, however many pages ask.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import IntEnum

from ..screening import InputRefused, Problem, Screening, ScreeningResult, default_content, parse_screening, screen
from ..screening.consent import (
    Decision,
    Review,
    ReviewDecision,
    SheetKind,
    needs_review,
    review_problems,
    sheet_kind,
    treatment_kind,
)
from ..screening.content import Content
from ..screening.engine import DEFAULT_MINIMUM_AGE
from ..screening.history import finding_title
from ..screening.model import Answer, Outcome
from ..screening.problems import as_fields
from ..screening.product import PRODUCT_FIELDS, ProductField
from ..wording import say


class Step(IntEnum):
    PATIENT = 0
    TREATMENT = 1
    QUESTIONS = 2
    REVIEW = 3
    PRODUCT = 4
    SHEET = 5

    @property
    def title(self) -> str:
        """The step's name as staff read it (resources/locale/<language>/LC_MESSAGES/steps.po)."""
        return (say("steps.patient"), say("steps.treatment"), say("steps.questions"), say("steps.review"),
                say("steps.product"), say("steps.sheet"))[self]

    @property
    def for_clinician(self) -> bool:
        return NAVMAP[self]["clinician"]


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
    # Set by the case when the signed-in clinician records the review, never typed.
    clinician: str = ""
    decisions: dict[str, dict[str, str]] = field(default_factory=dict)
    reviewed_at: str = ""
    product: dict = field(default_factory=dict)
    # The parent or legally authorised representative, for a patient under the clinic's
    # minimum age (21 CFR 50.55): printed on the consent with an assent line.
    representative_name: str = ""
    representative_relationship: str = ""
    # Set when the patient, having read the consent, says no: recorded, not just left unsigned.
    declined: dict = field(default_factory=dict)
    # The patient's preferred language (chosen at intake): the questions read to them and their sheet.
    language: str = "en"

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
        if self.language and self.language != "en":  # English is the default: old files stay as they were
            data["language"] = self.language
        if self.representative_name.strip() or self.representative_relationship.strip():
            data["representative"] = {"name": self.representative_name,
                                      "relationship": self.representative_relationship}
        follow_ups = {q: {k: v for k, v in entries.items() if v.strip()} for q, entries in self.follow_ups.items()
                      if self.answers.get(q) and any(v.strip() for v in entries.values())}
        if follow_ups:
            data["follow_ups"] = follow_ups
        if with_product and self.product:
            data["product"] = dict(self.product)
        if self.declined:
            data["declined"] = dict(self.declined)
        if with_review and self.clinician.strip() and self.reviewed_at:
            data["review"] = {"clinician": self.clinician, "reviewed_at": self.reviewed_at,
                              "decisions": {q: dict(d) for q, d in self.decisions.items()}}
        return data

    def to_json(self) -> dict:
        return json.loads(json.dumps(self.__dict__))  # a deep copy: the caller may keep it

    @classmethod
    def from_json(cls, data: dict) -> Draft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# Where each step leads, as data (after Electrum's navmap). `next` is the next step, or a
# function of the evaluation and of whether this person hands over; None ends the wizard.
# `fields`: which fields of the screening file the step owns (its messages come from these).
NAVMAP: dict[Step, dict] = {
    Step.PATIENT: {"next": Step.TREATMENT, "fields": ("patient.", "representative.", "language"), "clinician": False},
    Step.TREATMENT: {"next": Step.QUESTIONS, "fields": ("treatment.",), "clinician": False},
    # The front desk hands over here; a clinician goes straight on to the review.
    Step.QUESTIONS: {"next": lambda ev, hands_over: None if hands_over else Step.REVIEW,
                     "fields": ("answers.", "follow_ups."), "clinician": False},
    # Nothing is given on do-not-treat or deferral: no lot to check, straight to the sheet
    # (the table of sheet kinds says which sheets need a verified lot).
    Step.REVIEW: {"next": lambda ev, _: None if ev.result is None
                  else Step.PRODUCT if ev.review_allows_treatment else Step.SHEET,
                  "fields": ("review.",), "clinician": True},
    Step.PRODUCT: {"next": Step.SHEET, "fields": ("product.",), "clinician": True},
    Step.SHEET: {"next": None, "fields": (), "clinician": True},
}


@dataclass(frozen=True)
class Evaluation:
    """Everything the pages ask about one revision of a draft, computed once."""

    parse_problems: tuple[Problem, ...]  # of the whole screening file
    screening: Screening | None                  # without product, for the findings
    result: ScreeningResult | None               # without product
    product_result: ScreeningResult | None       # with the lot checked; None while the lot is malformed
    review: Review | None
    review_problems: dict[str, str]
    kind: SheetKind | None  # the core's one rule, with the draft's lot (no lot or a malformed one: none)
    treatment: SheetKind | None = None  # what the answers and review allow, the lot aside

    @property
    def review_allows_treatment(self) -> bool:
        """The answers and the review lead to a sheet that needs a verified lot (sheets/kinds.py):
        the lot page comes next."""
        from ..sheets.kinds import KINDS  # here: the sheets package loads reportlab, pages need not
        return self.treatment is not None and KINDS[self.treatment].needs_verified_lot


class Flow:
    """Answers the wizard's questions about a draft: what is wrong, where next, what prints.

    `history`: the patient's earlier screenings as the records found them; `reviewer`: the
    signed-in clinician's name (empty for the front desk); `hands_over`: whether this person
    hands the screening to a clinician after the questions."""

    def __init__(self, content: Content | None = None, today: dt.date | None = None, *,
                 history=(), reviewer: str = "", hands_over: bool = False, waiting_period: str | None = None):
        self.content = content or default_content()
        self.today = today
        self.history = tuple(history)
        self.reviewer = reviewer
        self.hands_over = hands_over
        self.waiting_period = waiting_period
        self.minimum_age = DEFAULT_MINIMUM_AGE  # the clinic's setting; the case hands it in
        self.recalled: tuple[str, ...] = ()  # lots the clinic has recalled (never verify)
        self._cache: tuple[str, Evaluation] | None = None
        self.evaluations = 0  # how many times a draft was really evaluated (for the benchmark and tests)

    # --- one evaluation per revision ---------------------------------------------------------

    def evaluate(self, draft: Draft) -> Evaluation:
        key = json.dumps([draft.__dict__, [(e.screening_id, [a.event_id for a in e.adverse_events])
                                           for e in self.history], self.reviewer,
                          self.waiting_period, self.minimum_age, self.recalled], sort_keys=True, default=str)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        self.evaluations += 1
        evaluation = self._evaluate(draft)
        self._cache = (key, evaluation)
        return evaluation

    def _screen(self, screening: Screening) -> ScreeningResult:
        # The same as screen_for_clinic: the case hands the clinic's waiting period in once.
        return screen(screening, content=self.content, waiting_period=self.waiting_period, history=self.history,
                      minimum_age=self.minimum_age, today=self.today,
                      recalled_lots=self.recalled)

    def _evaluate(self, draft: Draft) -> Evaluation:
        parse_problems: tuple[Problem, ...] = ()
        screening = result = product_result = None
        try:
            whole = parse_screening(draft.to_screening_file(), content=self.content, today=self.today)
            product_result = self._screen(whole)
        except InputRefused as exc:
            parse_problems = exc.found
        try:
            screening = parse_screening(draft.to_screening_file(with_product=False, with_review=False),
                                        content=self.content, today=self.today)
            result = self._screen(screening)
        except InputRefused:
            pass
        review = self.review(draft)
        problems: dict[str, str] = {}
        kind = treatment = None
        if result is not None:
            problems = self._review_problems(draft, result, review)
            treatment = treatment_kind(result, review)
            # The one rule for a signable consent (screening.consent): the lot must be present
            # and verified on the day; without a lot (or with a malformed one) it is not checked.
            kind = sheet_kind(product_result or result, review, today=self.today)
        return Evaluation(parse_problems, screening, result, product_result, review, problems, kind,
                          treatment)

    # --- what the pages ask ------------------------------------------------------------------

    def problems(self, draft: Draft, step: Step) -> dict[str, str]:
        """Field -> message for the fields this step owns (empty: the step is complete)."""
        ev = self.evaluate(draft)
        prefixes = NAVMAP[step]["fields"]
        found = as_fields(p for p in ev.parse_problems if prefixes and p.within(prefixes))
        if step is Step.REVIEW and not found:
            found.update(ev.review_problems)
        if step is Step.PRODUCT and not found:
            if ev.product_result is None or ev.product_result.product is None or \
                    not ev.product_result.product.verified:
                found["product"] = say("steps.problem.lot_not_verified")
        return found

    def malformed_lot_fields(self, draft: Draft) -> list[ProductField]:
        """The lot page's fields whose typed value cannot be, in the table's order: each shows its
        `staff_message()` (the same values intake refuses as `product.<key>`)."""
        return [f for f in PRODUCT_FIELDS if f.malformed(draft.product.get(f.key)) is not None]

    def unanswered(self, draft: Draft) -> list[str]:
        return [q.id for q in self.content.questions if q.required and draft.answers.get(q.id) not in
                {a.value for a in Answer}]

    def screening(self, draft: Draft, *, with_product: bool = False) -> Screening:
        return parse_screening(draft.to_screening_file(with_product=with_product),
                               content=self.content, today=self.today)

    def result(self, draft: Draft, *, with_product: bool = False) -> ScreeningResult:
        ev = self.evaluate(draft)
        found = ev.product_result if with_product else ev.result
        if found is None:
            # Not evaluable: raise the same refusal the screening file would get.
            return self._screen(self.screening(draft, with_product=with_product))
        return found

    def review(self, draft: Draft) -> Review | None:
        if not draft.clinician.strip() or not draft.reviewed_at:
            return None
        decisions = {}
        for qid, d in draft.decisions.items():
            if d.get("decision") in (Decision.PROCEED.value, Decision.DEFER.value):
                decisions[qid] = ReviewDecision(Decision(d["decision"]), d.get("reason", "").strip())
        return Review(draft.clinician.strip(), dt.datetime.fromisoformat(draft.reviewed_at), decisions)

    def _review_problems(self, draft: Draft, result: ScreeningResult, review: Review | None) -> dict[str, str]:
        if result.outcome is not Outcome.CLINICIAN_REVIEW:
            return {}
        found = {}
        if not (draft.clinician.strip() or self.reviewer.strip()):
            found["review.clinician"] = say("steps.problem.reviewer_not_signed_in")
        for qid in needs_review(result):
            decision = draft.decisions.get(qid, {})
            if decision.get("decision") not in (Decision.PROCEED.value, Decision.DEFER.value):
                found[f"review.decisions.{qid}"] = say("steps.problem.choose_decision")
            elif decision["decision"] == Decision.PROCEED.value and not decision.get("reason", "").strip():
                found[f"review.decisions.{qid}.reason"] = say("steps.problem.reason_needed")
        if not found and review is not None:
            found.update((p.field, p.message) for p in review_problems(result, review))
        return found

    def sheet_kind(self, draft: Draft) -> SheetKind:
        ev = self.evaluate(draft)
        if ev.kind is None:
            self.screening(draft)  # raises the refusal that stops it
            raise AssertionError("a draft with no sheet kind always has a refusal")
        return ev.kind

    def title(self, qid: str) -> str:
        return finding_title(self.content, qid)

    # --- navigation --------------------------------------------------------------------------

    def next_step(self, draft: Draft, step: Step) -> Step | None:
        """Where Next leads from `step`; None at the end. Has no side effects."""
        target = NAVMAP[step]["next"]
        if callable(target):
            target = target(self.evaluate(draft), self.hands_over)
        return target

    def path(self, draft: Draft) -> list[Step]:
        steps: list[Step] = [Step.PATIENT]
        step: Step | None = Step.PATIENT
        while (step := self.next_step(draft, steps[-1])) is not None:
            steps.append(step)
        return steps
