"""Adverse events after a treatment (MedWatch's seriousness criteria and outcomes). A change is
a new row that amends the latest; the first stays as it was."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable

from sqlalchemy import exists, insert, select

from ..screening.history import OpenAdverseEvent
from ..screening.problems import Problem
from ..wording import say
from . import StoreError
from . import schema as t
from .acting import acting
from .aftercare import (
    AE_OUTCOMES,
    MAX_TEXT,
    SERIOUSNESS,
    AdverseEvent,
    checked_date,
    checked_text,
    refuse,
    required_text,
    stamp,
)
from .audit import append
from .clinic import read_settings
from .database import Database
from .treatments import Treatments, current_admins


def ae_query():
    ae, later = t.adverse_events, t.adverse_events.alias("later")
    return (select(ae, t.staff.c.display_name).join(t.staff, t.staff.c.id == ae.c.recorded_by)
            .where(~exists().where(later.c.amends == ae.c.id)))


def ae_row(r) -> AdverseEvent:
    return AdverseEvent(r["id"], r["screening_id"], r["administration_id"], r["contact_id"], r["description"],
                        r["onset"], tuple(json.loads(r["seriousness"])), r["outcome"], r["treatment"],
                        r["suspected_lot"], bool(r["reported_to_fda"]), r["reported_on"], r["fda_report_id"],
                        r["status"], r["display_name"], r["recorded_at"], r["amends"])


def open_adverse_events(c, sids: list[str]) -> dict[str, tuple[OpenAdverseEvent, ...]]:
    """For Store._history: the open adverse events after each of these screenings."""
    if not sids:
        return {}
    ae = t.adverse_events
    rows = c.execute(ae_query().where(ae.c.screening_id.in_(sids), ae.c.status == "open")
                     .order_by(ae.c.onset.desc())).mappings().all()
    out: dict[str, list[OpenAdverseEvent]] = {}
    for r in rows:
        out.setdefault(r["screening_id"], []).append(OpenAdverseEvent(
            r["id"], r["onset"], r["description"], bool(json.loads(r["seriousness"])), r["suspected_lot"]))
    return {k: tuple(v) for k, v in out.items()}


class AdverseEvents:
    def __init__(self, db: Database, treatments: Treatments, record: Callable):
        self.db = db
        self.treatments = treatments
        self.record = record  # the finished record of a screening (Store.record)

    def record_adverse_event(self, actor, sid: str, *, description: str, onset: str, seriousness=(),
                             outcome: str = "unknown", treatment: str = "", suspected_lot: str | None = None,
                             reported_to_fda: bool = False, reported_on: str | None = None,
                             fda_report_id: str | None = None, status: str = "open",
                             contact_id: str | None = None, amends: str | None = None) -> AdverseEvent:
        """An adverse event after the treatment a consent was signed for, from a follow-up
        contact or at any time. A change (new outcome, reported to FDA, closed) is a new row
        that `amends` the latest one; the first stays as it was."""
        problems: list[Problem] = []
        today = dt.date.today()
        description = required_text(description, "what happened", problems, limit=MAX_TEXT)
        onset = checked_date(onset, "onset", problems, not_after=today) or ""
        criteria = tuple(seriousness or ())
        unknown = [x for x in criteria if x not in SERIOUSNESS]
        if unknown:
            problems.append(Problem("seriousness",
                                    f"{', '.join(map(str, unknown))} not among {', '.join(SERIOUSNESS)}"))
        criteria = tuple(x for x in SERIOUSNESS if x in criteria)
        if outcome not in AE_OUTCOMES:
            problems.append(Problem("outcome", say("records.adverse_events.must_one_value",
                                                   value=', '.join(AE_OUTCOMES))))
        elif outcome == "fatal" and "death" not in criteria:
            problems.append(Problem("seriousness", say("records.adverse_events.fatal_outcome_serious_death_tick")))
        treatment = checked_text(treatment or "", "treatment", problems, required=False, limit=MAX_TEXT) or ""
        suspected_lot = checked_text(suspected_lot, "suspected lot", problems, required=False)
        if not isinstance(reported_to_fda, bool):
            problems.append(Problem("reported to FDA", say("records.adverse_events.must_yes_no")))
        if reported_to_fda:
            reported_on = checked_date(reported_on, "reported on", problems, not_after=today)
            if reported_on and onset and reported_on < onset:
                problems.append(Problem("reported on", say("records.adverse_events.before_onset")))
        elif reported_on:
            problems.append(Problem("reported on", say("records.adverse_events.give_only_when_event_was")))
        fda_report_id = checked_text(fda_report_id, "FDA report number", problems, required=False, limit=100)
        if status not in t.AE_STATUSES:
            problems.append(Problem("status", say("records.adverse_events.must_one_value",
                                                  value=', '.join(t.AE_STATUSES))))
        refuse(problems)
        with self.db.write() as c:
            actor = acting(c, actor, "adverse_events", say("records.adverse_events.record_adverse_event"))
            consent = c.execute(select(t.finished.c.sheet_kind).where(t.finished.c.screening_id == sid)).first()
            if consent is None or consent.sheet_kind != "consent":
                raise StoreError("refused", say("records.adverse_events.adverse_event_recorded_against_signed"))
            admin = c.execute(current_admins().where(t.administrations.c.screening_id == sid)).mappings() \
                .first()
            if suspected_lot is None and admin is not None and admin["given"]:
                suspected_lot = admin["lot"]
            if contact_id is not None and c.execute(select(t.contacts.c.id).where(
                    t.contacts.c.id == contact_id, t.contacts.c.screening_id == sid)).first() is None:
                raise StoreError("refused", say("records.adverse_events.contact_not_contact_with_patient"))
            if amends is not None:
                ae, later = t.adverse_events, t.adverse_events.alias("later")
                latest = c.execute(select(ae.c.id, ae.c.contact_id).where(
                    ae.c.id == amends, ae.c.screening_id == sid, ~exists().where(later.c.amends == ae.c.id))).first()
                if latest is None:
                    raise StoreError("conflict", say("records.adverse_events.only_latest_record_adverse_event"))
                contact_id = contact_id or latest.contact_id
            eid = str(uuid.uuid4())
            c.execute(insert(t.adverse_events).values(
                id=eid, screening_id=sid, administration_id=admin["id"] if admin else None, contact_id=contact_id,
                amends=amends, description=description, onset=onset, seriousness=json.dumps(list(criteria)),
                outcome=outcome, treatment=treatment, suspected_lot=suspected_lot,
                reported_to_fda=reported_to_fda, reported_on=reported_on if reported_to_fda else None,
                fda_report_id=fda_report_id, status=status, recorded_by=actor.id, recorded_at=stamp()))
            append(c, actor.username, "adverse_event_changed" if amends else "adverse_event_recorded", sid,
                   {"event": eid, "amends": amends, "serious": bool(criteria), "outcome": outcome,
                    "status": status, "reported_to_fda": reported_to_fda})
        return self._adverse_event(eid)

    def _adverse_event(self, eid: str) -> AdverseEvent:
        ae = t.adverse_events
        with self.db.read() as c:
            r = c.execute(select(ae, t.staff.c.display_name).join(t.staff, t.staff.c.id == ae.c.recorded_by)
                          .where(ae.c.id == eid)).mappings().first()
        if r is None:
            raise StoreError("refused", say("records.adverse_events.no_adverse_event_eid", eid=eid))
        return ae_row(r)

    def adverse_event(self, actor, eid: str) -> AdverseEvent:
        with self.db.read() as c:
            acting(c, actor, "follow_up", say("records.adverse_events.see_adverse_events"))
        return self._adverse_event(eid)

    def adverse_events(self, actor, *, sid: str | None = None, open_only: bool = False,
                       purpose: str = "follow_up") -> list[AdverseEvent]:
        """The latest record of each adverse event (of one consent, or all), newest onset first.
        `purpose`: "follow_up" (staff following patients up) or "export" (whoever may export the
        record exports its adverse events with it: FDA asks for them)."""
        if purpose not in ("follow_up", "export"):
            raise ValueError(purpose)
        query = ae_query()
        if sid is not None:
            query = query.where(t.adverse_events.c.screening_id == sid)
        if open_only:
            query = query.where(t.adverse_events.c.status == "open")
        with self.db.read() as c:
            acting(c, actor, purpose, say("records.adverse_events.see_adverse_events"))
            rows = c.execute(query.order_by(t.adverse_events.c.onset.desc())).mappings().all()
        return [ae_row(r) for r in rows]

    def medwatch_facts(self, actor, eid: str) -> dict:
        """Everything the records hold that FDA's MedWatch form asks for, about one adverse
        event (see records/medwatch.py). Opening it is audited."""
        event = self.adverse_event(actor, eid)
        record = self.record(event.screening_id)
        administration = self.treatments.administration(actor, event.screening_id)
        with self.db.write() as c:
            actor = acting(c, actor, "follow_up", say("records.adverse_events.see_adverse_events"))
            settings = read_settings(c)
            append(c, actor.username, "medwatch_summary", event.screening_id, {"event": eid})
        product = dict(record.screening_file.get("product") or {})
        return {"event": event, "record": record, "administration": administration, "settings": settings,
                "product": product, "reporter": actor.display_name}
