"""After treatment: the records' shapes and the checks their parts share.

The parts: treatments.py (what was given; recalled lots), follow_up.py (the contacts due and
made), adverse_events.py, lookback.py (who received a lot). Every call re-reads the acting
account from the database (acting.py), and every row written is written once and never
changed (triggers, migration 0005). A correction is a new row that `amends` the one it corrects.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..screening.problems import Problem
from ..screening.product import normalise_lot  # as the core compares a lot with recalled ones
from ..wording import say
from . import StoreError
from . import schema as t

# MedWatch (FDA 3500/3500B, section B.2) "outcomes attributed to the adverse event": any of
# these makes the event serious. The labels live in resources/medwatch.toml.
SERIOUSNESS = ("death", "life_threatening", "hospitalization", "disability", "congenital_anomaly",
               "required_intervention", "other_serious")
AE_OUTCOMES = t.AE_OUTCOMES
MAX_TEXT = 4000
FUTURE_SLACK = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Administration:
    id: str
    screening_id: str
    given: bool
    lot: str | None
    amount: str | None
    unit: str | None
    site: str | None
    route: str | None
    procedure: str | None
    given_by: str | None        # the name of the clinician who gave it
    given_at: str | None
    not_given_reason: str | None
    recorded_by: str
    recorded_at: str
    amends: str | None = None
    amend_reason: str | None = None


@dataclass(frozen=True)
class FollowUp:
    id: str
    screening_id: str
    seq: int
    due_from: str
    due_by: str
    state: str                  # "upcoming", "due", "overdue" or "done"
    patient_name: str
    date_of_birth: str
    contact: str
    given_at: str
    lot: str | None
    attempts: int = 0           # contacts tried, not reached
    last_note: str = ""

    @property
    def label(self) -> str:
        return self.due_from if self.due_from == self.due_by else f"{self.due_from} to {self.due_by}"


@dataclass(frozen=True)
class Contact:
    id: str
    screening_id: str
    follow_up_id: str | None
    recall_lot: str | None
    contacted_at: str
    contacted_by: str
    reached: bool
    problem: bool | None
    note: str


@dataclass(frozen=True)
class AdverseEvent:
    id: str
    screening_id: str
    administration_id: str | None
    contact_id: str | None
    description: str
    onset: str
    seriousness: tuple[str, ...]
    outcome: str
    treatment: str
    suspected_lot: str | None
    reported_to_fda: bool
    reported_on: str | None
    fda_report_id: str | None
    status: str
    recorded_by: str
    recorded_at: str
    amends: str | None = None

    @property
    def serious(self) -> bool:
        return bool(self.seriousness)


@dataclass(frozen=True)
class LookbackRow:
    screening_id: str
    patient_name: str
    date_of_birth: str
    patient_id: str
    contact: str
    given_at: str
    amount: str
    site: str
    follow_up: str              # e.g. "2 of 4 contacts done; overdue since 2026-05-01"
    recall_contact: str         # the latest call about this lot, or "not called yet"
    open_adverse_events: int


def lot_key(lot: str) -> str:
    """Lots as stored and queried: without case or surrounding spaces ("ev-2291 " is EV-2291)."""
    return lot.strip().upper()


def recalled_match(lot: str, recalled) -> bool:
    return normalise_lot(lot) in {normalise_lot(x) for x in recalled}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp() -> str:
    return utc_now().isoformat(timespec="seconds")


def checked_text(value, field: str, problems: list[Problem], *, required: bool, limit: int = 200) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        problems.append(Problem(field, say("records.aftercare.must_text")))
    elif required and not text:
        problems.append(Problem(field, say("records.aftercare.empty")))
    elif len(text) > limit:
        problems.append(Problem(field, say("records.aftercare.too_long", limit=limit)))
    return text or None


def required_text(value, field: str, problems: list[Problem], *, limit: int = 200) -> str:
    """As checked_text, for a field that must be given: "" (and a problem noted) when it is not."""
    return checked_text(value, field, problems, required=True, limit=limit) or ""


def checked_date(value, field: str, problems: list[Problem], *, not_after: dt.date | None = None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(field, say("records.aftercare.empty_date")))
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem(field, say("records.aftercare.value_r_not_date_yyyy", value=value)))
        return None
    if not_after is not None and day > not_after:
        problems.append(Problem(field, say("records.aftercare.day_future", day=day.isoformat())))
    return day.isoformat()


def moment(value) -> dt.datetime | None:
    """An ISO date-time; one without a zone is taken as this workstation's local time."""
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    return when if when.tzinfo else when.astimezone()


def refuse(problems: list[Problem]) -> None:
    if problems:
        raise StoreError.refusing(problems)
