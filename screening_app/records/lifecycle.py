"""A screening's life in the store: a new draft, saves, hand-over, claim, release, withdraw,
discard, amend. Who may touch a screening, and how it moves, is the table in statuses.py:
its creator while it is a draft; nobody while it waits in the queue; the clinician who
claimed it while it is in review. Finished ones are never changed (a trigger refuses it too);
a correction is an amendment. Each move is one atomic UPDATE whose condition is the table's.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, or_, select, update

from ..wording import say
from . import StoreError, statuses
from . import schema as t
from .accounts import Staff
from .acting import acting
from .audit import append, canonical, now
from .clinic import read_settings
from .database import Database
from .identity import fold, name_words, patient_key
from .patients import draft_outcome, history
from .statuses import Status, Who


@dataclass(frozen=True)
class DraftRow:
    id: str
    status: str
    step: int
    draft: dict
    patient_name: str
    date_of_birth: str
    treatment_date: str
    outcome: str | None
    created_by: str
    updated_at: str
    claimed_by: str | None
    row_version: int
    amends: str | None
    closed_reason: str | None = None
    claimed_at: str | None = None


def allowed(action: str, actor_id: int):
    """The condition under which `actor_id` may make `action` (statuses.MOVES), for the UPDATE."""
    s = t.screenings
    conditions = []
    for m in statuses.moves(action):
        condition = s.c.status == m.source.value
        if m.who is Who.CREATOR:
            condition = condition & (s.c.created_by == actor_id)
        elif m.who is Who.HOLDER:
            condition = condition & (s.c.claimed_by == actor_id)
        conditions.append(condition)
    return or_(*conditions)


def unclaim(c, sid: str) -> None:
    """Hands a claimed screening back to the queue (released by its holder, freed by another,
    or its holder's account switched off)."""
    s = t.screenings
    c.execute(update(s).where(s.c.id == sid, s.c.status.in_([m.source.value for m in statuses.moves("free")]))
              .values(status=statuses.target("free"), claimed_by=None, claimed_at=None,
                      row_version=s.c.row_version + 1))


def searchable(draft: dict, outcome: str | None) -> dict:
    name = str(draft.get("name", ""))[:400]
    dob = str(draft.get("date_of_birth", ""))[:10]
    values = {"patient_name": name, "name_key": fold(name)[:400], "date_of_birth": dob,
              "treatment_date": str(draft.get("treatment_date", ""))[:10],
              "patient_id": str(draft.get("patient_id", "")).strip()[:200] or None,
              "patient_key": patient_key(name, dob)}
    if outcome is not None:
        values["outcome"] = outcome
    return values


def index_name(c, sid: str, name: str) -> None:
    c.execute(t.name_tokens.delete().where(t.name_tokens.c.screening_id == sid))
    words = sorted(set(w[:200] for w in name_words(str(name))))
    if words:
        c.execute(insert(t.name_tokens), [{"screening_id": sid, "token": w} for w in words])


def draft_query():
    creator = t.staff.alias("creator")
    claimer = t.staff.alias("claimer")
    return (select(t.screenings, creator.c.display_name.label("creator_name"),
                   claimer.c.display_name.label("claimer_name"))
            .join(creator, creator.c.id == t.screenings.c.created_by)
            .outerjoin(claimer, claimer.c.id == t.screenings.c.claimed_by))


def draft_row(r) -> DraftRow:
    return DraftRow(r["id"], r["status"], r["step"], json.loads(r["draft_json"]), r["patient_name"],
                    r["date_of_birth"], r["treatment_date"], r["outcome"], r["creator_name"],
                    r["updated_at"], r["claimer_name"], r["row_version"], r["amends"], r["closed_reason"],
                    r["claimed_at"])


class Lifecycle:
    def __init__(self, db: Database):
        self.db = db

    def new_draft(self, actor: Staff, draft: dict, *, amends: str | None = None) -> DraftRow:
        sid = str(uuid.uuid4())
        stamp = now()
        with self.db.write() as c:
            actor = acting(c, actor, "screen", say("records.lifecycle.start_screening"))
            if amends is not None:
                actor.require("sign", say("records.lifecycle.amend_finished_screening"))
                original = c.execute(select(t.screenings.c.status).where(t.screenings.c.id == amends)).scalar()
                if original not in statuses.AMENDABLE:
                    raise StoreError("refused", say("records.lifecycle.only_finished_screening_can_amended"))
            c.execute(insert(t.screenings).values(
                id=sid, status=statuses.START, step=0, draft_json=canonical(draft), created_by=actor.id,
                created_at=stamp, updated_by=actor.id, updated_at=stamp, row_version=1, amends=amends,
                **searchable(draft, None)))
            index_name(c, sid, draft.get("name", ""))
            append(c, actor.username, "created", sid, {"amends": amends} if amends else {})
        return self.draft(sid)

    def save_draft(self, actor: Staff, sid: str, draft: dict, *, step: int, version: int,
                   outcome: str | None = None, audit_step: bool = False) -> int:
        """Saves what is typed; returns the new version. Refuses a save over someone else's.
        `outcome` is not used: the store works the draft's outcome out itself (draft_outcome)."""
        s = t.screenings
        with self.db.write() as c:
            actor = acting(c, actor, "screen", say("records.lifecycle.edit_screening"))
            result = c.execute(update(s).where(
                s.c.id == sid, s.c.row_version == version, allowed("save", actor.id)).values(
                draft_json=canonical(draft), step=step, updated_by=actor.id, updated_at=now(),
                row_version=version + 1, **searchable(draft, draft_outcome(draft, history(
                    c, name=str(draft.get("name", "")), date_of_birth=str(draft.get("date_of_birth", "")),
                    patient_id=str(draft.get("patient_id", "")), exclude=sid)))))
            if result.rowcount != 1:
                raise StoreError("conflict", self._why_not_yours(c, sid, actor))
            index_name(c, sid, draft.get("name", ""))
            if audit_step:
                append(c, actor.username, "changed", sid, {"step": step})
        return version + 1

    def _why_not_yours(self, c, sid: str, actor: Staff) -> str:
        row = c.execute(select(t.screenings.c.status, t.screenings.c.created_by, t.screenings.c.claimed_by)
                        .where(t.screenings.c.id == sid)).first()
        if row is None:
            return say("records.lifecycle.screening_does_not_exist")
        if row.status == Status.FINISHED:
            return say("records.lifecycle.screening_finished_can_no_longer")
        if row.status == Status.DISCARDED:
            return say("records.lifecycle.screening_was_withdrawn_discarded")
        if row.status == Status.HANDED_OVER:
            return say("records.lifecycle.screening_was_handed_over_waits")
        if row.status == Status.IN_REVIEW and row.claimed_by != actor.id:
            holder = c.execute(select(t.staff.c.display_name).where(t.staff.c.id == row.claimed_by)).scalar()
            return say("records.lifecycle.holder_reviewing_screening", holder=holder)
        if row.status == Status.DRAFT and row.created_by != actor.id:
            return say("records.lifecycle.someone_else_started_screening_only")
        return (say("records.lifecycle.screening_was_changed_another_window"))

    def hand_over(self, actor: Staff, sid: str, version: int) -> int:
        with self.db.write() as c:
            actor = acting(c, actor, "screen", say("records.lifecycle.hand_over_screening"))
            result = c.execute(update(t.screenings).where(
                t.screenings.c.id == sid, t.screenings.c.row_version == version, allowed("hand_over", actor.id))
                .values(status=statuses.target("hand_over"), updated_by=actor.id, updated_at=now(),
                        row_version=version + 1))
            if result.rowcount != 1:
                raise StoreError("conflict", self._why_not_yours(c, sid, actor))
            append(c, actor.username, "handed_over", sid, {})
        return version + 1

    def claim(self, actor: Staff, sid: str) -> DraftRow:
        """Takes a screening for review. Atomic: of two clinicians, exactly one gets it.
        A draft can be claimed only by the clinician who started it (an amendment)."""
        s = t.screenings
        with self.db.write() as c:
            actor = acting(c, actor, "review", "review screenings")
            result = c.execute(update(s).where(s.c.id == sid, allowed("claim", actor.id)).values(
                status=statuses.target("claim"), claimed_by=actor.id, claimed_at=now(),
                row_version=s.c.row_version + 1))
            if result.rowcount != 1:
                holder = c.execute(select(t.staff.c.display_name).join(
                    s, s.c.claimed_by == t.staff.c.id).where(s.c.id == sid, s.c.status == Status.IN_REVIEW)).scalar()
                raise StoreError("conflict", say("records.lifecycle.holder_reviewing_screening",
                                                 holder=holder) if holder
                                 else say("records.lifecycle.screening_no_longer_waiting_for"))
            append(c, actor.username, "opened", sid, {"for": "review"})
        return self.draft(sid)

    def release(self, actor: Staff, sid: str, *, reason: str = "") -> None:
        """Hands a screening back to the queue. Its holder may always; another clinician or an
        admin only when the claim is older than the clinic's limit, and with a reason."""
        with self.db.write() as c:
            actor = acting(c, actor, None, "")
            s = t.screenings
            row = c.execute(select(s.c.status, s.c.created_by, s.c.claimed_by, s.c.claimed_at, s.c.updated_at,
                                   t.staff.c.username).outerjoin(t.staff, t.staff.c.id == s.c.claimed_by)
                            .where(s.c.id == sid)).first()
            if row is None or statuses.move("release", row.status) is None:
                return  # nothing held: nothing to release
            if statuses.may("release", row.status, is_creator=row.created_by == actor.id,
                            is_holder=row.claimed_by == actor.id):
                unclaim(c, sid)
                append(c, actor.username, "released", sid, {})
                return
            actor.require("release", say("records.lifecycle.free_another_person_s_screening"))
            if not reason.strip():
                raise StoreError("refused", say("records.lifecycle.reason_say_why_screening_freed"))
            limit = read_settings(c).claim_release_minutes
            # From the holder's last save, not from the claim: someone still typing is not "gone".
            held_since = max(dt.datetime.fromisoformat(row.claimed_at), dt.datetime.fromisoformat(row.updated_at))
            if dt.datetime.now(dt.UTC) - held_since < dt.timedelta(minutes=limit):
                raise StoreError("refused", say("records.lifecycle.username_worked_screening_less_than",
                                                username=row.username, limit=limit))
            unclaim(c, sid)
            append(c, actor.username, "claim_released", sid, {"holder": row.username, "reason": reason.strip()})

    def withdraw(self, actor: Staff, sid: str, reason: str) -> None:
        """Takes an unfinished screening out of every queue (patient left, duplicate, wrong
        patient). It is kept, marked withdrawn, with who, when and why."""
        with self.db.write() as c:
            actor = acting(c, actor, "withdraw", say("records.lifecycle.withdraw_screening"))
            if not reason.strip():
                raise StoreError("refused", say("records.lifecycle.reason_say_why_screening_withdrawn"))
            result = c.execute(update(t.screenings).where(t.screenings.c.id == sid, allowed("withdraw", actor.id))
                .values(status=statuses.target("withdraw"), closed_reason=reason.strip()[:2000], claimed_by=None,
                        claimed_at=None, updated_by=actor.id, updated_at=now(),
                        row_version=t.screenings.c.row_version + 1))
            if result.rowcount != 1:
                raise StoreError("conflict", self._why_not_yours(c, sid, actor))
            append(c, actor.username, "withdrawn", sid, {"reason": reason.strip()[:2000]})

    def discard(self, actor: Staff, sid: str, reason: str | None = None) -> None:
        """The person who started a draft may drop it; it stays in the records, marked."""
        if reason is None:
            reason = say("records.lifecycle.discarded_by_person_who_started")
        with self.db.write() as c:
            actor = acting(c, actor, "screen", say("records.lifecycle.discard_screening"))
            result = c.execute(update(t.screenings).where(t.screenings.c.id == sid, allowed("discard", actor.id))
                .values(status=statuses.target("discard"), closed_reason=reason, updated_by=actor.id, updated_at=now(),
                        row_version=t.screenings.c.row_version + 1))
            if result.rowcount != 1:
                raise StoreError("conflict", self._why_not_yours(c, sid, actor))
            append(c, actor.username, "discarded", sid, {})

    def draft(self, sid: str) -> DraftRow:
        with self.db.read() as c:
            row = c.execute(draft_query().where(t.screenings.c.id == sid)).mappings().first()
        if row is None:
            raise StoreError("refused", f"No screening {sid}.")
        return draft_row(row)

    def open_drafts(self, actor: Staff) -> list[DraftRow]:
        """Unfinished screenings this person started or is reviewing (those they may save):
        offered after a crash."""
        with self.db.read() as c:
            rows = c.execute(draft_query().where(allowed("save", actor.id))
                .order_by(t.screenings.c.updated_at.desc())).mappings().all()
        return [draft_row(r) for r in rows]

    def queue(self) -> list[DraftRow]:
        with self.db.read() as c:
            rows = c.execute(draft_query().where(t.screenings.c.status.in_(statuses.QUEUED))
                             .order_by(t.screenings.c.updated_at)).mappings().all()
        return [draft_row(r) for r in rows]

    def amend(self, actor: Staff, original: str) -> DraftRow:
        """A correction is a new screening that points to the original; the original stays.
        Only clinicians amend; the amendment starts as the clinician's own draft."""
        with self.db.read() as c:
            status = c.execute(select(t.screenings.c.status).where(t.screenings.c.id == original)).scalar()
        if status not in statuses.AMENDABLE:
            raise StoreError("refused", say("records.lifecycle.no_finished_screening_original", original=original))
        return self.new_draft(actor, self.draft(original).draft, amends=original)
