"""Lookback: every patient given a lot, how to reach them, their follow-up, and the latest call."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from ..screening.problems import Problem
from ..wording import say
from . import schema as t
from .acting import acting
from .adverse_events import open_adverse_events
from .aftercare import FollowUp, LookbackRow, lot_key, recalled_match, refuse, required_text
from .audit import append
from .database import Database
from .follow_up import follow_ups_of
from .treatments import current_admins, recalled


class Lookback:
    def __init__(self, db: Database):
        self.db = db

    def lookback(self, actor, lot: str, *, today: dt.date | None = None) -> tuple[bool, list[LookbackRow]]:
        """Every patient given `lot` (by the current record of each treatment): when, how to
        reach them, their follow-up, and the latest call about this lot. Audited. Returns
        whether the lot is recalled, and the rows (the call list when it is)."""
        problems: list[Problem] = []
        lot = required_text(lot, "lot", problems)
        refuse(problems)
        today = today or dt.date.today()
        with self.db.write() as c:
            actor = acting(c, actor, "lookback", say("records.lookback.look_back_at_who_received"))
            is_recalled = recalled_match(lot, recalled(c))
            cur = current_admins().where(t.administrations.c.given.is_(True),
                                         func.upper(t.administrations.c.lot) == lot_key(lot)).subquery()
            s = t.screenings
            rows = c.execute(select(cur.c.screening_id, cur.c.given_at, cur.c.amount, cur.c.unit, cur.c.site,
                                    s.c.patient_name, s.c.date_of_birth, s.c.patient_id, s.c.draft_json)
                             .join(s, s.c.id == cur.c.screening_id).order_by(cur.c.given_at)).mappings().all()
            sids = [r["screening_id"] for r in rows]
            follow: dict[str, list[FollowUp]] = {}
            for item in follow_ups_of(c, today, lot=lot):
                follow.setdefault(item.screening_id, []).append(item)
            calls = {}
            if sids:
                for r in c.execute(select(t.contacts.c.screening_id, t.contacts.c.reached, t.contacts.c.problem,
                                          t.contacts.c.contacted_at)
                                   .where(t.contacts.c.screening_id.in_(sids),
                                          func.upper(t.contacts.c.recall_lot) == lot_key(lot))
                                   .order_by(t.contacts.c.contacted_at)).mappings():
                    calls[r["screening_id"]] = r
            open_events = open_adverse_events(c, sids)
            out = []
            for r in rows:
                sid = r["screening_id"]
                out.append(LookbackRow(
                    sid, r["patient_name"], r["date_of_birth"], r["patient_id"] or "",
                    str(json.loads(r["draft_json"]).get("contact", "") or ""), r["given_at"] or "",
                    f"{r['amount']} {r['unit']}", r["site"] or "", _follow_up_state(follow.get(sid, [])),
                    _call_state(calls.get(sid)), len(open_events.get(sid, ()))))
            append(c, actor.username, "lookback", None, {"lot": lot, "patients": len(out),
                                                         "recalled": is_recalled})
        return is_recalled, out


def _follow_up_state(items: list[FollowUp]) -> str:
    if not items:
        return "no follow-up planned"
    done = sum(1 for i in items if i.state == "done")
    text = f"{done} of {len(items)} contacts done"
    overdue = [i for i in items if i.state == "overdue"]
    due = [i for i in items if i.state == "due"]
    if overdue:
        text += f"; overdue since {min(i.due_by for i in overdue)}"
    elif due:
        text += "; due now"
    else:
        upcoming = [i for i in items if i.state == "upcoming"]
        if upcoming:
            text += f"; next from {min(i.due_from for i in upcoming)}"
    return text


def _call_state(row) -> str:
    if row is None:
        return say("records.lookback.not_called_yet")
    if not row["reached"]:
        return f"not reached ({row['contacted_at'][:16]})"
    return f"reached {row['contacted_at'][:16]}" + (say("records.lookback.reported_problem") if row["problem"]
                                                    else "; no problem")
