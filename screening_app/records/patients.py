"""One patient, many screenings: the patient's earlier screenings as the core reads them (a later
screening must see a refusal, a withdrawal or an open adverse event), and who completed one."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import or_, select

from ..screening.history import EarlierScreening
from ..screening.model import Outcome
from ..wording import say
from . import schema as t
from .accounts import Staff
from .acting import acting
from .adverse_events import open_adverse_events
from .database import Database
from .identity import patient_key
from .statuses import HISTORY_LABELS


def draft_outcome(draft: dict, history=()) -> str:
    """The outcome of a draft as far as it is answered, decided here, never taken from the caller:
    a later screening of the same patient relies on it. Unanswered questions count as "don't know";
    an unchosen route counts as the most severe of all routes; the patient's earlier screenings
    count as they do at finishing."""
    from ..screening import default_content, evaluate
    from ..screening.model import Answer, Route
    content = default_content()
    answers = {q: a for q, a in (draft.get("answers") or {}).items()
               if q in content.question_ids and a in {x.value for x in Answer}}
    routes = [draft["route"]] if draft.get("route") in {r.value for r in Route} else [r.value for r in Route]
    return Outcome.most_severe(evaluate(answers, Route(route), content=content, history=history).outcome
                               for route in routes).value


def history(c, *, name: str, date_of_birth: str, patient_id: str = "",
            exclude: str | None = None) -> list[EarlierScreening]:
    """The patient's other screenings (same patient ID, or same folded name and birth date),
    newest first, with the open adverse events after each consent."""
    s, f = t.screenings, t.finished
    same = []
    key = patient_key(name, date_of_birth)
    if key:
        same.append(s.c.patient_key == key)
    if patient_id and patient_id.strip():
        same.append(s.c.patient_id == patient_id.strip()[:200])
    if not same:
        return []
    query = (select(s.c.id, s.c.status, s.c.treatment_date, s.c.outcome, s.c.draft_json, s.c.closed_reason,
                    f.c.sheet_kind, f.c.result_json, f.c.screening_json)
             .outerjoin(f, f.c.screening_id == s.c.id).where(or_(*same)))
    if exclude:
        query = query.where(s.c.id != exclude)
    out = []
    for r in c.execute(query.order_by(s.c.treatment_date.desc(), s.c.updated_at.desc()).limit(200)).mappings():
        status = HISTORY_LABELS.get(r["status"], "in progress")
        reasons: tuple[str, ...] = ()
        if r["result_json"]:
            result = json.loads(r["result_json"])
            answers = json.loads(r["screening_json"]).get("answers", {})
            reasons = tuple(x["reason"] for x in result.get("findings", []) if x.get("outcome") == "do_not_treat")
            if r["sheet_kind"] == "deferred":
                decisions = json.loads(r["screening_json"]).get("review", {}).get("decisions", {})
                reasons = tuple(d.get("reason", "") for d in decisions.values()
                                if d.get("decision") == "defer" and d.get("reason"))
        else:
            answers = json.loads(r["draft_json"]).get("answers", {})
        out.append(EarlierScreening(r["id"], r["treatment_date"], status, r["outcome"], r["sheet_kind"],
                                    reasons, dict(answers), r["closed_reason"]))
    # Open adverse events after an earlier treatment raise their own clinician-review finding.
    events = open_adverse_events(c, [e.screening_id for e in out if e.sheet_kind == "consent"])
    return [dataclasses.replace(e, adverse_events=events[e.screening_id]) if e.screening_id in events else e
            for e in out]


def completion(c, sid: str) -> tuple[str, dt.date | None]:
    """Who started screening `sid`, and on which day."""
    row = c.execute(select(t.staff.c.display_name, t.screenings.c.created_at)
                    .join(t.screenings, t.screenings.c.created_by == t.staff.c.id)
                    .where(t.screenings.c.id == sid)).first()
    if row is None:
        return "", None
    return row.display_name, dt.datetime.fromisoformat(row.created_at).date()


class Patients:
    def __init__(self, db: Database):
        self.db = db

    def patient_history(self, actor: Staff, *, name: str, date_of_birth: str, patient_id: str = "",
                        exclude: str | None = None) -> list[EarlierScreening]:
        """Every other screening of the same patient (same patient ID, or same folded name and
        birth date), newest first, withdrawn ones included: a later screening must see them."""
        with self.db.read() as c:
            acting(c, actor, "screen", say("records.patients.look_up_patient_s_screenings"))
            return history(c, name=name, date_of_birth=date_of_birth, patient_id=patient_id, exclude=exclude)

    def completion(self, sid: str) -> tuple[str, dt.date | None]:
        """Who at the front desk started this screening, and on which day: the sheet's
        "completed by" line, the same whoever makes the sheet."""
        with self.db.read() as c:
            return completion(c, sid)

    def earlier_screenings(self, *, name: str, date_of_birth: str, patient_id: str = "") -> list[EarlierScreening]:
        """For the headless `screen` (no sign-in): the same look-up the app makes, so a sheet made
        without the app is never a plain consent for a patient refused before. Nothing else of
        the records leaves the store this way."""
        with self.db.read() as c:
            return history(c, name=name, date_of_birth=date_of_birth, patient_id=patient_id)
