"""A patient's earlier screenings, and the finding they raise in a later one.

Clinical brief, "One patient, many screenings": an earlier do-not-treat or deferred
screening is never invisible. A new screening or an amendment of that patient gets a
finding of at least clinician review naming the earlier date, outcome and reason and the
answers that changed since; the clinician records a reason to go on.

The records find the earlier screenings; this module only reads them, so the rule is the
same for the wizard, `screen` and the store.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from ..resources import resource_path
from ..wording import say
from .model import Answer, Finding, Outcome

SEEN_BEFORE = "seen_before"
RECORDS_UNAVAILABLE = "records_unavailable"
OPEN_ADVERSE_EVENT = "open_adverse_event"
# Findings that come from the records, not from a question; a review may decide on them.
CASE_FINDING_IDS = (SEEN_BEFORE, RECORDS_UNAVAILABLE, OPEN_ADVERSE_EVENT)


class _Unavailable(tuple):
    """The history when the records exist but cannot be read: unknown is never "none"."""


# Pass as `history` when the workstation's records could not be read.
HISTORY_UNAVAILABLE = _Unavailable()


@dataclass(frozen=True)
class OpenAdverseEvent:
    """An adverse event after an earlier treatment that the clinic has not closed yet."""

    event_id: str
    onset: str                 # YYYY-MM-DD
    description: str
    serious: bool
    lot: str | None = None


@dataclass(frozen=True)
class EarlierScreening:
    """What a later screening needs to know of an earlier one of the same patient."""

    screening_id: str
    date: str                      # the treatment date it was for (YYYY-MM-DD)
    status: str                    # finished, withdrawn, in progress
    outcome: str | None            # Outcome value
    sheet_kind: str | None         # for finished ones
    reasons: tuple[str, ...] = ()  # the findings' reasons, or the clinician's reasons to defer
    answers: dict[str, str] = field(default_factory=dict)
    closed_reason: str | None = None
    # Adverse events after the treatment this screening consented to, still open.
    adverse_events: tuple[OpenAdverseEvent, ...] = ()

    @property
    def stops_treatment(self) -> bool:
        """Ended (or is heading) without treatment: a later screening must not ignore it."""
        return self.outcome == Outcome.DO_NOT_TREAT.value or self.sheet_kind == "deferred"

    @property
    def ending(self) -> str:
        return "deferred" if self.sheet_kind == "deferred" and self.outcome != "do_not_treat" else "do_not_treat"


@lru_cache(maxsize=1)
def _texts() -> dict:
    with open(resource_path("case_findings.toml"), "rb") as f:
        return tomllib.load(f)


def finding_title(content, qid: str) -> str:
    """What a finding is about, in words: its question, or the case finding's title."""
    if qid in CASE_FINDING_IDS:
        return _texts()[qid]["title"]
    checks = getattr(content, "checks", {})
    if qid in checks:  # a check the engine makes, such as "patient is a minor"
        return checks[qid].text
    return content.question(qid).text


def _label(value: str | None) -> str:
    if value in {a.value for a in Answer}:
        return Answer(value).label.lower()
    return _texts()[SEEN_BEFORE]["not_answered"]


def _changes(earlier: EarlierScreening, answers: dict[str, Answer], content) -> list[str]:
    out = []
    for qid in content.question_ids:
        before, now = earlier.answers.get(qid), answers.get(qid)
        now_value = now.value if isinstance(now, Answer) else now
        if before and before != now_value:
            out.append(f"{qid.replace('_', ' ')}: {_label(before)} → {_label(now_value)}")
    return out


def seen_before_finding(history, answers: dict[str, Answer], content) -> Finding | None:
    """The finding for the most recent earlier screening that stopped treatment, if any; or,
    when the records could not be read, the finding that says so (never a clean history)."""
    if isinstance(history, _Unavailable):
        t = _texts()[RECORDS_UNAVAILABLE]
        refs = tuple(content.references[r] for r in t.get("references", ()) if r in content.references)
        return Finding(RECORDS_UNAVAILABLE, None, Outcome.CLINICIAN_REVIEW, t["reason"], t["source"], refs)
    stopping = sorted((e for e in history if e.stops_treatment), key=lambda e: e.date, reverse=True)
    if not stopping:
        return None
    t = _texts()
    latest = stopping[0]
    why = ""
    if latest.reasons:
        why = f" ({'; '.join(r.rstrip('.') for r in latest.reasons[:3])})"
    if latest.status == "withdrawn":
        why += t[SEEN_BEFORE]["withdrawn"].format(reason=latest.closed_reason or say("screening.no_reason_given"))
    elif latest.status != "finished":
        why += t[SEEN_BEFORE]["in_progress"]
    changed = _changes(latest, answers, content)
    changes = (t[SEEN_BEFORE]["changes_some"].format(list="; ".join(changed)) if changed
               else t[SEEN_BEFORE]["changes_none"])
    more = len(stopping) - 1
    reason = t[SEEN_BEFORE]["reason"].format(date=latest.date, outcome=t["outcomes"][latest.ending], why=why,
                                             changes=changes)
    if more:
        reason += t[SEEN_BEFORE]["more"].format(n=more)
    references = tuple(content.references[r] for r in t[SEEN_BEFORE].get("references", ()) if r in content.references)
    return Finding(SEEN_BEFORE, None, Outcome.CLINICIAN_REVIEW, reason, t[SEEN_BEFORE]["source"], references)


def adverse_event_finding(history, content) -> Finding | None:
    """Clinician review when any earlier treatment of this patient has an open adverse event."""
    events = sorted((ae for e in history for ae in getattr(e, "adverse_events", ())),
                    key=lambda ae: ae.onset, reverse=True)
    if not events:
        return None
    t = _texts()[OPEN_ADVERSE_EVENT]
    latest = events[0]
    reason = t["reason"].format(
        onset=latest.onset, what=latest.description.strip().rstrip(".")[:300],
        serious=t["serious"] if latest.serious else t["not_serious"],
        lot=t["lot"].format(lot=latest.lot) if latest.lot else "")
    if len(events) > 1:
        reason += t["more"].format(n=len(events) - 1)
    references = tuple(content.references[r] for r in t.get("references", ()) if r in content.references)
    return Finding(OPEN_ADVERSE_EVENT, None, Outcome.CLINICIAN_REVIEW, reason, t["source"], references)
