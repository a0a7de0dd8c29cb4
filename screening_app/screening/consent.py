"""Which sheet a screening may print: the one place that decides whether consent can be signed.

The rule (contract.md, second edition): a signable consent only when
1. the outcome allows it: do_not_treat prints the do-not-treat sheet, whatever any review says;
2. every needed review says proceed: clinician_review needs a clinician's "proceed", with a
   reason, on every finding that needs review; a "defer" prints the on-hold sheet; no
   review yet prints an information sheet with nothing to sign;
3. the product is present and verified on the day: no lot checked prints "the lot has not
   been checked yet", a lot that fails any check (expired by the treatment day, recalled, ...)
   prints "this lot has not passed its checks: it must not be used"; nothing to sign on either.
A patient who read a consent and said no gets the declined record instead: what they read,
marked as declined, with nothing to sign.

`sheet_kind` is that rule; the wizard, `screen --pdf` and the store all call it, never their own.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

from ..wording import say
from .model import Outcome, ProductCheck, ScreeningResult
from .problems import Problem


class SheetKind(str, Enum):
    CONSENT = "consent"
    DO_NOT_TREAT = "do_not_treat"
    DEFERRED = "deferred"
    AWAITING_REVIEW = "awaiting_review"
    DECLINED = "declined"
    LOT_NOT_CHECKED = "lot_not_checked"
    LOT_NOT_VERIFIED = "lot_not_verified"

    @property
    def signable(self) -> bool:
        """Only a consent has a consent statement and signature lines."""
        return self is SheetKind.CONSENT


_FROM_RESULT = object()


class Decision(str, Enum):
    PROCEED = "proceed"
    DEFER = "defer"


@dataclass(frozen=True)
class ReviewDecision:
    decision: Decision
    reason: str = ""


@dataclass(frozen=True)
class Review:
    """A clinician's review of the findings that need one."""

    clinician: str
    reviewed_at: dt.datetime
    decisions: dict[str, ReviewDecision] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "clinician": self.clinician,
            "reviewed_at": self.reviewed_at.isoformat(timespec="minutes"),
            "decisions": {q: {"decision": d.decision.value, "reason": d.reason} for q, d in self.decisions.items()},
        }


@dataclass(frozen=True)
class Declined:
    """The patient read the consent and chose not to be treated; who recorded it and when."""

    recorded_by: str
    recorded_at: dt.datetime
    note: str = ""

    def to_json(self) -> dict:
        return {"recorded_by": self.recorded_by, "recorded_at": self.recorded_at.isoformat(timespec="minutes"),
                "note": self.note}


def review_needed(result: ScreeningResult) -> bool:
    """The one review rule: a clinician decides (proceed or defer, each finding) exactly when
    the outcome is "clinician review"; a do-not-treat is never reviewed into a treatment."""
    return result.outcome is Outcome.CLINICIAN_REVIEW


def needs_review(result: ScreeningResult) -> list[str]:
    """The questions whose findings a clinician must decide on."""
    return [f.question for f in result.findings if f.outcome is Outcome.CLINICIAN_REVIEW]


def review_problems(result: ScreeningResult, review: Review | None) -> list[Problem]:
    """What stops `review` from counting; each names the field as the screening file does."""
    if review is None:
        return []
    problems = []
    if not review.clinician.strip():
        problems.append(Problem("review.clinician", say("intake.empty")))
    wanted = set(needs_review(result))
    for qid, decision in review.decisions.items():
        if qid not in wanted:
            problems.append(Problem(f"review.decisions.{qid}", say("screening.review_not_needed")))
        elif decision.decision is Decision.PROCEED and not decision.reason.strip():
            problems.append(Problem(f"review.decisions.{qid}.reason", say("screening.reason_needed")))
    return problems


def sheet_kind(result: ScreeningResult, review: Review | None = None, declined: Declined | None = None, *,
               product: ProductCheck | None = _FROM_RESULT,  # type: ignore[assignment]
               today: dt.date | None = None) -> SheetKind:
    """The sheet this screening may print: CONSENT only when the answers, the review and the lot
    all allow it. `product` is the lot check to judge by (default: the one in `result`, made by
    `screen` for the later of today and the treatment date); None means no lot was checked.
    A check made for an earlier day than `today` (a draft left open overnight) is no check."""
    kind = treatment_kind(result, review)
    if kind is SheetKind.CONSENT:
        check = result.product if product is _FROM_RESULT else product
        today = today or dt.date.today()
        if check is None or (isinstance(check, ProductCheck) and check.checked_for is not None
                             and check.checked_for < today):
            kind = SheetKind.LOT_NOT_CHECKED
        elif not isinstance(check, ProductCheck) or not check.verified or not check.lot:
            kind = SheetKind.LOT_NOT_VERIFIED
    # Only a consent that was offered can be declined; any other sheet stays what it is.
    if declined is not None and kind is SheetKind.CONSENT:
        return SheetKind.DECLINED
    return kind


def treatment_kind(result: ScreeningResult, review: Review | None = None) -> SheetKind:
    """What the answers and the review allow, the lot aside: CONSENT here means "may be treated
    once a verified lot is checked", never that a consent may be printed (use `sheet_kind`)."""
    if result.outcome is Outcome.DO_NOT_TREAT:
        return SheetKind.DO_NOT_TREAT
    if result.outcome is Outcome.NO_CONTRAINDICATION_FOUND:
        return SheetKind.CONSENT
    if review is None or review_problems(result, review):
        return SheetKind.AWAITING_REVIEW
    decisions = [review.decisions.get(q) for q in needs_review(result)]
    if any(d is not None and d.decision is Decision.DEFER for d in decisions):
        return SheetKind.DEFERRED
    if all(d is not None and d.decision is Decision.PROCEED and d.reason.strip() for d in decisions):
        return SheetKind.CONSENT
    return SheetKind.AWAITING_REVIEW
