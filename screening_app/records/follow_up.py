"""Follow-up after a treatment: the contacts due from the clinic's plan, and each call or visit."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import func, insert, select

from ..screening.problems import Problem
from ..wording import say
from . import StoreError
from . import schema as t
from .acting import acting
from .aftercare import FUTURE_SLACK, MAX_TEXT, Contact, FollowUp, checked_text, lot_key, moment, refuse, utc_now
from .audit import append
from .database import Database
from .treatments import current_admins


def follow_ups_of(c, today: dt.date, *, horizon: str | None = None, sid: str | None = None,
                  lot: str | None = None) -> list[FollowUp]:
    current = current_admins().where(t.administrations.c.given.is_(True))
    if sid is not None:
        current = current.where(t.administrations.c.screening_id == sid)
    if lot is not None:
        current = current.where(func.upper(t.administrations.c.lot) == lot_key(lot))
    cur = current.subquery()
    f, s = t.follow_ups, t.screenings
    query = (select(f.c.id, f.c.seq, f.c.due_from, f.c.due_by, cur.c.screening_id, cur.c.given_at, cur.c.lot,
                    s.c.patient_name, s.c.date_of_birth, s.c.draft_json)
             .join(cur, cur.c.id == f.c.administration_id).join(s, s.c.id == cur.c.screening_id))
    if horizon is not None:
        query = query.where(f.c.due_from <= horizon)
    rows = c.execute(query.order_by(f.c.due_by, f.c.seq)).mappings().all()
    if not rows:
        return []
    # Contacts count for the same follow-up (same consent, same place in the schedule),
    # also when they were made before the treatment record was corrected.
    sids = sorted({r["screening_id"] for r in rows})
    contact_rows = c.execute(select(t.contacts.c.screening_id, f.c.seq, t.contacts.c.reached,
                                    t.contacts.c.note, t.contacts.c.contacted_at)
                             .join(f, f.c.id == t.contacts.c.follow_up_id)
                             .where(t.contacts.c.screening_id.in_(sids))
                             .order_by(t.contacts.c.contacted_at)).mappings().all()
    done: set[tuple[str, int]] = set()
    attempts: dict[tuple[str, int], int] = {}
    notes: dict[tuple[str, int], str] = {}
    for r in contact_rows:
        key = (r["screening_id"], r["seq"])
        if r["reached"]:
            done.add(key)
        else:
            attempts[key] = attempts.get(key, 0) + 1
        notes[key] = r["note"]
    out = []
    for r in rows:
        key = (r["screening_id"], r["seq"])
        if key in done:
            state = "done"
        elif r["due_by"] < today.isoformat():
            state = "overdue"
        elif r["due_from"] <= today.isoformat():
            state = "due"
        else:
            state = "upcoming"
        contact = str(json.loads(r["draft_json"]).get("contact", "") or "")
        out.append(FollowUp(r["id"], r["screening_id"], r["seq"], r["due_from"], r["due_by"], state,
                            r["patient_name"], r["date_of_birth"], contact, r["given_at"], r["lot"],
                            attempts.get(key, 0), notes.get(key, "")))
    order = {"overdue": 0, "due": 1, "upcoming": 2, "done": 3}
    return sorted(out, key=lambda i: (order[i.state], i.due_by, i.patient_name))


class FollowUps:
    def __init__(self, db: Database):
        self.db = db

    def follow_up_queue(self, actor, *, today: dt.date | None = None, upcoming_days: int = 0) -> list[FollowUp]:
        """Follow-up contacts due or overdue (and those due within `upcoming_days`) after the
        current record of each treatment given, most overdue first. A contact is done once the
        patient was reached for it; attempts that did not reach the patient are counted."""
        today = today or dt.date.today()
        with self.db.read() as c:
            acting(c, actor, "follow_up", say("records.follow_up.see_follow_up_list"))
            horizon = (today + dt.timedelta(days=upcoming_days)).isoformat()
            items = follow_ups_of(c, today, horizon=horizon)
        return [i for i in items if i.state != "done"]

    def follow_ups(self, actor, sid: str, *, today: dt.date | None = None) -> list[FollowUp]:
        """The whole schedule of one treatment, done ones included, in order."""
        with self.db.read() as c:
            acting(c, actor, "follow_up", say("records.follow_up.see_follow_up_list"))
            return sorted(follow_ups_of(c, today or dt.date.today(), sid=sid), key=lambda i: i.seq)

    def record_contact(self, actor, sid: str, *, reached: bool, problem: bool | None = None, note: str = "",
                       follow_up_id: str | None = None, recall_lot: str | None = None,
                       contacted_at: str | None = None) -> Contact:
        """One call or visit: for a follow-up, for a recalled lot's call list, or on its own.
        When the patient was reached, whether they reported a problem must be said."""
        problems: list[Problem] = []
        if not isinstance(reached, bool):
            problems.append(Problem("reached", say("records.follow_up.must_yes_no")))
        if reached is True and problem is None:
            problems.append(Problem("problem", say("records.follow_up.say_whether_patient_reported_any")))
        if problem is not None and not isinstance(problem, bool):
            problems.append(Problem("problem", say("records.follow_up.must_yes_no")))
        note = checked_text(note or "", "note", problems, required=bool(problem), limit=MAX_TEXT) or ""
        when = moment(contacted_at) if contacted_at else utc_now()
        if when is None:
            problems.append(Problem("contacted at", say("records.follow_up.contacted_at_r_not_date",
                                                        contacted_at=contacted_at)))
        elif when > utc_now() + FUTURE_SLACK:
            problems.append(Problem("contacted at", say("records.follow_up.future")))
        refuse(problems)
        with self.db.write() as c:
            actor = acting(c, actor, "follow_up", say("records.follow_up.record_follow_up_contact"))
            if c.execute(select(t.finished.c.screening_id).where(t.finished.c.screening_id == sid)).first() is None:
                raise StoreError("refused", say("records.follow_up.no_finished_screening_sid", sid=sid))
            if follow_up_id is not None:
                owner = c.execute(select(t.administrations.c.screening_id).join(
                    t.follow_ups, t.follow_ups.c.administration_id == t.administrations.c.id)
                    .where(t.follow_ups.c.id == follow_up_id)).scalar()
                if owner != sid:
                    raise StoreError("refused", say("records.follow_up.follow_up_not_follow_up"))
            if recall_lot is not None:
                given = c.execute(current_admins().where(
                    t.administrations.c.screening_id == sid,
                    func.upper(t.administrations.c.lot) == lot_key(recall_lot))).first()
                if given is None:
                    raise StoreError("refused", say("records.follow_up.recall_lot_patient_was_not",
                                                    recall_lot=recall_lot))
            cid = str(uuid.uuid4())
            stamp = when.isoformat(timespec="minutes") if when else ""  # (refused above when None)
            c.execute(insert(t.contacts).values(id=cid, screening_id=sid, follow_up_id=follow_up_id,
                                                recall_lot=recall_lot, contacted_at=stamp, contacted_by=actor.id,
                                                reached=reached, problem=problem, note=note))
            append(c, actor.username, "contact_recorded", sid,
                   {"contact": cid, "follow_up": follow_up_id, "recall_lot": recall_lot, "reached": reached,
                    "problem": problem})
        return Contact(cid, sid, follow_up_id, recall_lot, stamp, actor.display_name, reached, problem, note)

    def contacts(self, actor, sid: str) -> list[Contact]:
        with self.db.read() as c:
            acting(c, actor, "follow_up", "see follow-up contacts")
            rows = c.execute(select(t.contacts, t.staff.c.display_name)
                             .join(t.staff, t.staff.c.id == t.contacts.c.contacted_by)
                             .where(t.contacts.c.screening_id == sid).order_by(t.contacts.c.contacted_at))\
                .mappings().all()
        return [Contact(r["id"], r["screening_id"], r["follow_up_id"], r["recall_lot"], r["contacted_at"],
                        r["display_name"], bool(r["reached"]), r["problem"], r["note"]) for r in rows]
