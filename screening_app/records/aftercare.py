"""After treatment: what was given, follow-up contacts, adverse events, lot recall and lookback.

A mixin of the Store (records/store.py): every call re-reads the acting account from the
database (Store._acting), and every row written here is written once and never changed
(triggers, migration 0005). A correction is a new row that `amends` the one it corrects.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, func, insert, select

from ..screening.history import OpenAdverseEvent
from ..screening.model import Route
from ..screening.problems import Problem
from ..screening.product import normalise_lot  # as the core compares a lot with recalled ones
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


def _recalled_match(lot: str, recalled) -> bool:
    return normalise_lot(lot) in {normalise_lot(x) for x in recalled}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp() -> str:
    return _now().isoformat(timespec="seconds")


def _text(value, field: str, problems: list[Problem], *, required: bool, limit: int = 200) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        problems.append(Problem(field, "must be text"))
    elif required and not text:
        problems.append(Problem(field, "empty"))
    elif len(text) > limit:
        problems.append(Problem(field, f"longer than {limit} characters"))
    return text or None


def _date(value, field: str, problems: list[Problem], *, not_after: dt.date | None = None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(field, "empty (YYYY-MM-DD)"))
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem(field, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None
    if not_after is not None and day > not_after:
        problems.append(Problem(field, f"{day.isoformat()} is in the future"))
    return day.isoformat()


def _moment(value) -> dt.datetime | None:
    """An ISO date-time; one without a zone is taken as this workstation's local time."""
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    return when if when.tzinfo else when.astimezone()


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise StoreError.refusing(problems)


class AftercareMixin:
    """The after-treatment records of the Store (see the module's docstring)."""

    # --- recalled lots --------------------------------------------------------------------------

    def recalled_lots(self) -> list[str]:
        """The lots the clinic has recalled: they never verify again (not patient data)."""
        with self._read() as c:
            return self._recalled(c)

    @staticmethod
    def _recalled(c) -> list[str]:
        return list(c.execute(select(t.recalls.c.lot).order_by(t.recalls.c.lot)).scalars())

    def recalls(self, actor) -> list[dict]:
        with self._read() as c:
            self._acting(c, actor, "lookback", "see recalled lots")
            return [dict(r) for r in c.execute(
                select(t.recalls.c.lot, t.recalls.c.reason, t.recalls.c.recalled_at, t.staff.c.display_name)
                .join(t.staff, t.staff.c.id == t.recalls.c.recalled_by).order_by(t.recalls.c.recalled_at.desc()))
                .mappings()]

    def recall_lot(self, actor, lot: str, reason: str) -> None:
        """The admin marks a lot recalled, with a reason; audited; never undone."""
        problems: list[Problem] = []
        lot = _text(lot, "lot", problems, required=True)
        reason = _text(reason, "reason", problems, required=True, limit=MAX_TEXT)
        _refuse(problems)
        with self._write() as c:
            actor = self._acting(c, actor, "recall", "recall a lot")
            if _recalled_match(lot, self._recalled(c)):
                raise StoreError("refused", f"lot: {lot} is recalled already")
            c.execute(insert(t.recalls).values(lot=lot, reason=reason, recalled_by=actor.id, recalled_at=_stamp()))
            given = c.execute(select(func.count()).select_from(self._current_admins()
                                                               .where(func.upper(t.administrations.c.lot) ==
                                                                      lot_key(lot)).subquery())).scalar()
            self._audit(c, actor.username, "lot_recalled", None, {"lot": lot, "reason": reason, "patients": given})

    # --- administration -------------------------------------------------------------------------

    @staticmethod
    def _current_admins():
        """Administrations no later row corrects."""
        a, later = t.administrations, t.administrations.alias("later")
        return select(a).where(~exists().where(later.c.amends == a.c.id))

    def record_administration(self, actor, sid: str, *, given: bool = True, lot: str | None = None,
                              amount: str | None = None, unit: str | None = None, site: str | None = None,
                              route: str | None = None, procedure: str | None = None, given_by: str | None = None,
                              given_at: str | None = None, not_given_reason: str | None = None,
                              amends: str | None = None, amend_reason: str | None = None) -> Administration:
        """What the clinician gave after a signed consent, or that nothing was given and why.

        The lot must be the consent's verified lot and not recalled since; `given_by` is the
        username of the clinician who gave it (the one recording, when not given); a second
        record for the same consent is refused: correct the first with `amends` and a reason."""
        if not isinstance(given, bool):
            raise StoreError("refused", "given: must be yes or no")
        with self._write() as c:
            actor = self._acting(c, actor, "administer", "record a treatment")
            consent = c.execute(select(t.finished.c.sheet_kind, t.finished.c.lot, t.finished.c.lot_verified,
                                       t.finished.c.finished_at, t.finished.c.screening_json)
                                .where(t.finished.c.screening_id == sid)).first()
            if consent is None or consent.sheet_kind != "consent" or not consent.lot_verified:
                raise StoreError("refused", "A treatment can be recorded only after a signed consent with a "
                                            "verified lot.")
            current = c.execute(self._current_admins().where(t.administrations.c.screening_id == sid)).mappings() \
                .first()
            problems: list[Problem] = []
            if amends is None and current is not None:
                raise StoreError("refused", "A treatment is recorded for this consent already; correct it with an "
                                            "amendment (and say why).")
            if amends is not None:
                if current is None or current["id"] != amends:
                    raise StoreError("conflict", "Only the latest record of this treatment can be corrected; "
                                                 "reopen it to see the latest.")
                amend_reason = _text(amend_reason, "amend reason", problems, required=True, limit=MAX_TEXT)
            else:
                amend_reason = None
            values = {"given": given, "lot": None, "amount": None, "unit": None, "site": None, "route": None,
                      "procedure": None, "given_by": None, "given_at": None, "not_given_reason": None}
            if given:
                values.update(self._given_values(c, actor, consent, lot=lot, amount=amount, unit=unit, site=site,
                                                 route=route, procedure=procedure, given_by=given_by,
                                                 given_at=given_at, problems=problems,
                                                 already_given=current["lot"] if amends and current["given"] else None))
            else:
                values["not_given_reason"] = _text(not_given_reason, "reason not given", problems, required=True,
                                                   limit=MAX_TEXT)
            _refuse(problems)
            aid = str(uuid.uuid4())
            c.execute(insert(t.administrations).values(id=aid, screening_id=sid, amends=amends,
                                                       amend_reason=amend_reason, recorded_by=actor.id,
                                                       recorded_at=_stamp(), **values))
            if given:
                day = _moment(values["given_at"]).date()
                rows = [{"id": str(uuid.uuid4()), "administration_id": aid, "seq": i,
                         "due_from": (day + dt.timedelta(days=start)).isoformat(),
                         "due_by": (day + dt.timedelta(days=end)).isoformat()}
                        for i, (start, end) in enumerate(self._settings(c).follow_up_plan(), 1)]
                c.execute(insert(t.follow_ups), rows)
            detail = {"administration": aid, "given": given, "lot": values["lot"]}
            if amends:
                detail.update(amends=amends, reason=amend_reason)
            self._audit(c, actor.username, "administration_amended" if amends else "administration_recorded", sid,
                        detail)
            return self._administrations(c, sid)[-1]

    def _given_values(self, c, actor, consent, *, lot, amount, unit, site, route, procedure, given_by, given_at,
                      problems, already_given=None) -> dict:
        lot = _text(lot, "lot", problems, required=True)
        if lot and lot_key(lot) != lot_key(consent.lot or ""):
            problems.append(Problem("lot", f"{lot} is not the lot verified for this consent ({consent.lot})"))
        elif lot and _recalled_match(lot, self._recalled(c)) and \
                not (already_given and lot_key(already_given) == lot_key(lot)):
            # (Correcting the record of a dose given before the recall stays possible.)
            problems.append(Problem("lot", f"{lot} was recalled; it must not be given"))
        elif lot:
            lot = consent.lot  # as it was verified and signed
        amount_text = _text(amount, "amount", problems, required=True, limit=40)
        if amount_text:
            try:
                number = Decimal(amount_text)
                if not number.is_finite() or number <= 0:
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(Problem("amount", f"{amount_text!r} is not a number above zero"))
        unit = _text(unit, "unit", problems, required=True, limit=40)
        site = _text(site, "site", problems, required=True)
        signed_route = json.loads(consent.screening_json).get("treatment", {}).get("route")
        route = (route or signed_route or "").strip()
        if route not in {r.value for r in Route}:
            problems.append(Problem("route", f"must be one of {', '.join(r.value for r in Route)}"))
        elif signed_route and route != signed_route:
            problems.append(Problem("route", f"the consent was for {signed_route}, not {route}"))
        procedure = _text(procedure, "procedure", problems, required=True)
        giver = actor
        if given_by and given_by != actor.username:
            row = c.execute(select(t.staff.c.id, t.staff.c.display_name, t.staff.c.role, t.staff.c.active)
                            .where(t.staff.c.username == given_by)).first()
            if row is None or not row.active or row.role != "clinician":
                problems.append(Problem("given by", f"{given_by!r} is not an active clinician's account"))
            giver = row
        when = _moment(given_at) if given_at else _now()
        if when is None:
            problems.append(Problem("given at", f"{given_at!r} is not a date and time (YYYY-MM-DDTHH:MM)"))
        else:
            signed = dt.datetime.fromisoformat(consent.finished_at)
            if when > _now() + FUTURE_SLACK:
                problems.append(Problem("given at", "is in the future"))
            elif when < signed.replace(second=0, microsecond=0):  # times are typed to the minute
                problems.append(Problem("given at", f"before the consent was signed ({consent.finished_at})"))
        return {"lot": lot, "amount": amount_text, "unit": unit, "site": site, "route": route,
                "procedure": procedure, "given_by": getattr(giver, "id", None),
                "given_at": when.isoformat(timespec="minutes") if when else None}

    def administration(self, actor, sid: str) -> Administration | None:
        """The current record of what was given after this consent (None: nothing recorded)."""
        chain = self.administrations(actor, sid)
        return chain[-1] if chain else None

    def administrations(self, actor, sid: str) -> list[Administration]:
        """Every record of this consent's treatment, the original first, corrections after."""
        with self._read() as c:
            self._acting(c, actor, None, "")
            return self._administrations(c, sid)

    @staticmethod
    def _administrations(c, sid: str) -> list[Administration]:
        a = t.administrations
        giver, recorder = t.staff.alias("giver"), t.staff.alias("recorder")
        rows = c.execute(select(a, giver.c.display_name.label("giver_name"),
                                recorder.c.display_name.label("recorder_name"))
                         .outerjoin(giver, giver.c.id == a.c.given_by)
                         .join(recorder, recorder.c.id == a.c.recorded_by)
                         .where(a.c.screening_id == sid).order_by(a.c.recorded_at)).mappings().all()
        by_amends = {r["amends"]: r for r in rows}
        out, cursor = [], None
        while cursor in by_amends:
            r = by_amends[cursor]
            out.append(Administration(r["id"], r["screening_id"], bool(r["given"]), r["lot"], r["amount"], r["unit"],
                                      r["site"], r["route"], r["procedure"], r["giver_name"], r["given_at"],
                                      r["not_given_reason"], r["recorder_name"], r["recorded_at"], r["amends"],
                                      r["amend_reason"]))
            cursor = r["id"]
        return out

    def consents_to_record(self, actor, limit: int = 200) -> list[dict]:
        """Signed consents with a verified lot and no treatment recorded yet, newest first."""
        s, f = t.screenings, t.finished
        with self._read() as c:
            self._acting(c, actor, "administer", "record a treatment")
            query = (select(s.c.id, s.c.patient_name, s.c.date_of_birth, s.c.treatment_date, f.c.lot)
                     .join(f, f.c.screening_id == s.c.id)
                     .where(f.c.sheet_kind == "consent", f.c.lot_verified.is_(True),
                            ~exists().where(t.administrations.c.screening_id == s.c.id))
                     .order_by(s.c.treatment_date.desc()).limit(limit))
            return [dict(r) for r in c.execute(query).mappings()]

    def recent_administrations(self, actor, limit: int = 200) -> list[dict]:
        """The current record of the latest treatments, newest first, with the patient's name."""
        cur = self._current_admins().subquery()
        s = t.screenings
        with self._read() as c:
            self._acting(c, actor, "administer", "see the treatments given")
            rows = c.execute(select(cur.c.screening_id, cur.c.given, cur.c.lot, cur.c.amount, cur.c.unit, cur.c.site,
                                    cur.c.given_at, cur.c.recorded_at, cur.c.not_given_reason, cur.c.amends,
                                    s.c.patient_name, s.c.date_of_birth)
                             .join(s, s.c.id == cur.c.screening_id)
                             .order_by(cur.c.recorded_at.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    # --- follow-up --------------------------------------------------------------------------------

    def follow_up_queue(self, actor, *, today: dt.date | None = None, upcoming_days: int = 0) -> list[FollowUp]:
        """Follow-up contacts due or overdue (and those due within `upcoming_days`) after the
        current record of each treatment given, most overdue first. A contact is done once the
        patient was reached for it; attempts that did not reach the patient are counted."""
        today = today or dt.date.today()
        with self._read() as c:
            self._acting(c, actor, "follow_up", "see the follow-up list")
            horizon = (today + dt.timedelta(days=upcoming_days)).isoformat()
            items = self._follow_ups(c, today, horizon=horizon)
        return [i for i in items if i.state != "done"]

    def _follow_ups(self, c, today: dt.date, *, horizon: str | None = None, sid: str | None = None,
                    lot: str | None = None) -> list[FollowUp]:
        current = self._current_admins().where(t.administrations.c.given.is_(True))
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
        done, attempts, notes = set(), {}, {}
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

    def follow_ups(self, actor, sid: str, *, today: dt.date | None = None) -> list[FollowUp]:
        """The whole schedule of one treatment, done ones included, in order."""
        with self._read() as c:
            self._acting(c, actor, "follow_up", "see the follow-up list")
            return sorted(self._follow_ups(c, today or dt.date.today(), sid=sid), key=lambda i: i.seq)

    def record_contact(self, actor, sid: str, *, reached: bool, problem: bool | None = None, note: str = "",
                       follow_up_id: str | None = None, recall_lot: str | None = None,
                       contacted_at: str | None = None) -> Contact:
        """One call or visit: for a follow-up, for a recalled lot's call list, or on its own.
        When the patient was reached, whether they reported a problem must be said."""
        problems: list[Problem] = []
        if not isinstance(reached, bool):
            problems.append(Problem("reached", "must be yes or no"))
        if reached is True and problem is None:
            problems.append(Problem("problem", "say whether the patient reported any problem"))
        if problem is not None and not isinstance(problem, bool):
            problems.append(Problem("problem", "must be yes or no"))
        note = _text(note or "", "note", problems, required=bool(problem), limit=MAX_TEXT) or ""
        when = _moment(contacted_at) if contacted_at else _now()
        if when is None:
            problems.append(Problem("contacted at", f"{contacted_at!r} is not a date and time"))
        elif when > _now() + FUTURE_SLACK:
            problems.append(Problem("contacted at", "is in the future"))
        _refuse(problems)
        with self._write() as c:
            actor = self._acting(c, actor, "follow_up", "record a follow-up contact")
            if c.execute(select(t.finished.c.screening_id).where(t.finished.c.screening_id == sid)).first() is None:
                raise StoreError("refused", f"No finished screening {sid}.")
            if follow_up_id is not None:
                owner = c.execute(select(t.administrations.c.screening_id).join(
                    t.follow_ups, t.follow_ups.c.administration_id == t.administrations.c.id)
                    .where(t.follow_ups.c.id == follow_up_id)).scalar()
                if owner != sid:
                    raise StoreError("refused", "follow-up: not a follow-up of this treatment")
            if recall_lot is not None:
                given = c.execute(self._current_admins().where(
                    t.administrations.c.screening_id == sid,
                    func.upper(t.administrations.c.lot) == lot_key(recall_lot))).first()
                if given is None:
                    raise StoreError("refused", f"recall lot: this patient was not given lot {recall_lot}")
            cid = str(uuid.uuid4())
            stamp = when.isoformat(timespec="minutes")
            c.execute(insert(t.contacts).values(id=cid, screening_id=sid, follow_up_id=follow_up_id,
                                                recall_lot=recall_lot, contacted_at=stamp, contacted_by=actor.id,
                                                reached=reached, problem=problem, note=note))
            self._audit(c, actor.username, "contact_recorded", sid,
                        {"contact": cid, "follow_up": follow_up_id, "recall_lot": recall_lot, "reached": reached,
                         "problem": problem})
        return Contact(cid, sid, follow_up_id, recall_lot, stamp, actor.display_name, reached, problem, note)

    def contacts(self, actor, sid: str) -> list[Contact]:
        with self._read() as c:
            self._acting(c, actor, "follow_up", "see follow-up contacts")
            rows = c.execute(select(t.contacts, t.staff.c.display_name)
                             .join(t.staff, t.staff.c.id == t.contacts.c.contacted_by)
                             .where(t.contacts.c.screening_id == sid).order_by(t.contacts.c.contacted_at))\
                .mappings().all()
        return [Contact(r["id"], r["screening_id"], r["follow_up_id"], r["recall_lot"], r["contacted_at"],
                        r["display_name"], bool(r["reached"]), r["problem"], r["note"]) for r in rows]

    # --- adverse events ---------------------------------------------------------------------------

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
        description = _text(description, "what happened", problems, required=True, limit=MAX_TEXT)
        onset = _date(onset, "onset", problems, not_after=today)
        criteria = tuple(seriousness or ())
        unknown = [x for x in criteria if x not in SERIOUSNESS]
        if unknown:
            problems.append(Problem("seriousness",
                                    f"{', '.join(map(str, unknown))} not among {', '.join(SERIOUSNESS)}"))
        criteria = tuple(x for x in SERIOUSNESS if x in criteria)
        if outcome not in AE_OUTCOMES:
            problems.append(Problem("outcome", f"must be one of {', '.join(AE_OUTCOMES)}"))
        elif outcome == "fatal" and "death" not in criteria:
            problems.append(Problem("seriousness", "a fatal outcome is serious (death); tick it"))
        treatment = _text(treatment or "", "treatment", problems, required=False, limit=MAX_TEXT) or ""
        suspected_lot = _text(suspected_lot, "suspected lot", problems, required=False)
        if not isinstance(reported_to_fda, bool):
            problems.append(Problem("reported to FDA", "must be yes or no"))
        if reported_to_fda:
            reported_on = _date(reported_on, "reported on", problems, not_after=today)
            if reported_on and onset and reported_on < onset:
                problems.append(Problem("reported on", "before the onset"))
        elif reported_on:
            problems.append(Problem("reported on", "give it only when the event was reported to FDA"))
        fda_report_id = _text(fda_report_id, "FDA report number", problems, required=False, limit=100)
        if status not in t.AE_STATUSES:
            problems.append(Problem("status", f"must be one of {', '.join(t.AE_STATUSES)}"))
        _refuse(problems)
        with self._write() as c:
            actor = self._acting(c, actor, "adverse_events", "record an adverse event")
            consent = c.execute(select(t.finished.c.sheet_kind).where(t.finished.c.screening_id == sid)).first()
            if consent is None or consent.sheet_kind != "consent":
                raise StoreError("refused", "An adverse event is recorded against a signed consent's treatment; "
                                            "this screening has none.")
            admin = c.execute(self._current_admins().where(t.administrations.c.screening_id == sid)).mappings() \
                .first()
            if suspected_lot is None and admin is not None and admin["given"]:
                suspected_lot = admin["lot"]
            if contact_id is not None and c.execute(select(t.contacts.c.id).where(
                    t.contacts.c.id == contact_id, t.contacts.c.screening_id == sid)).first() is None:
                raise StoreError("refused", "contact: not a contact with this patient about this treatment")
            if amends is not None:
                ae, later = t.adverse_events, t.adverse_events.alias("later")
                latest = c.execute(select(ae.c.id, ae.c.contact_id).where(
                    ae.c.id == amends, ae.c.screening_id == sid, ~exists().where(later.c.amends == ae.c.id))).first()
                if latest is None:
                    raise StoreError("conflict", "Only the latest record of this adverse event can be changed; "
                                                 "reopen it to see the latest.")
                contact_id = contact_id or latest.contact_id
            eid = str(uuid.uuid4())
            c.execute(insert(t.adverse_events).values(
                id=eid, screening_id=sid, administration_id=admin["id"] if admin else None, contact_id=contact_id,
                amends=amends, description=description, onset=onset, seriousness=json.dumps(list(criteria)),
                outcome=outcome, treatment=treatment, suspected_lot=suspected_lot,
                reported_to_fda=reported_to_fda, reported_on=reported_on if reported_to_fda else None,
                fda_report_id=fda_report_id, status=status, recorded_by=actor.id, recorded_at=_stamp()))
            self._audit(c, actor.username, "adverse_event_changed" if amends else "adverse_event_recorded", sid,
                        {"event": eid, "amends": amends, "serious": bool(criteria), "outcome": outcome,
                         "status": status, "reported_to_fda": reported_to_fda})
        return self._adverse_event(eid)

    def _ae_query(self):
        ae, later = t.adverse_events, t.adverse_events.alias("later")
        return (select(ae, t.staff.c.display_name).join(t.staff, t.staff.c.id == ae.c.recorded_by)
                .where(~exists().where(later.c.amends == ae.c.id)))

    @staticmethod
    def _ae(r) -> AdverseEvent:
        return AdverseEvent(r["id"], r["screening_id"], r["administration_id"], r["contact_id"], r["description"],
                            r["onset"], tuple(json.loads(r["seriousness"])), r["outcome"], r["treatment"],
                            r["suspected_lot"], bool(r["reported_to_fda"]), r["reported_on"], r["fda_report_id"],
                            r["status"], r["display_name"], r["recorded_at"], r["amends"])

    def _adverse_event(self, eid: str) -> AdverseEvent:
        ae = t.adverse_events
        with self._read() as c:
            r = c.execute(select(ae, t.staff.c.display_name).join(t.staff, t.staff.c.id == ae.c.recorded_by)
                          .where(ae.c.id == eid)).mappings().first()
        if r is None:
            raise StoreError("refused", f"No adverse event {eid}.")
        return self._ae(r)

    def adverse_event(self, actor, eid: str) -> AdverseEvent:
        with self._read() as c:
            self._acting(c, actor, "follow_up", "see adverse events")
        return self._adverse_event(eid)

    def adverse_events(self, actor, *, sid: str | None = None, open_only: bool = False,
                       purpose: str = "follow_up") -> list[AdverseEvent]:
        """The latest record of each adverse event (of one consent, or all), newest onset first.
        `purpose`: "follow_up" (staff following patients up) or "export" (whoever may export the
        record exports its adverse events with it: FDA asks for them)."""
        if purpose not in ("follow_up", "export"):
            raise ValueError(purpose)
        query = self._ae_query()
        if sid is not None:
            query = query.where(t.adverse_events.c.screening_id == sid)
        if open_only:
            query = query.where(t.adverse_events.c.status == "open")
        with self._read() as c:
            self._acting(c, actor, purpose, "see adverse events")
            rows = c.execute(query.order_by(t.adverse_events.c.onset.desc())).mappings().all()
        return [self._ae(r) for r in rows]

    def _open_adverse_events(self, c, sids: list[str]) -> dict[str, tuple[OpenAdverseEvent, ...]]:
        """For Store._history: the open adverse events after each of these screenings."""
        if not sids:
            return {}
        ae = t.adverse_events
        rows = c.execute(self._ae_query().where(ae.c.screening_id.in_(sids), ae.c.status == "open")
                         .order_by(ae.c.onset.desc())).mappings().all()
        out: dict[str, list[OpenAdverseEvent]] = {}
        for r in rows:
            out.setdefault(r["screening_id"], []).append(OpenAdverseEvent(
                r["id"], r["onset"], r["description"], bool(json.loads(r["seriousness"])), r["suspected_lot"]))
        return {k: tuple(v) for k, v in out.items()}

    def medwatch_facts(self, actor, eid: str) -> dict:
        """Everything the records hold that FDA's MedWatch form asks for, about one adverse
        event (see records/medwatch.py). Opening it is audited."""
        event = self.adverse_event(actor, eid)
        record = self.record(event.screening_id)
        administration = self.administration(actor, event.screening_id)
        with self._write() as c:
            actor = self._acting(c, actor, "follow_up", "see adverse events")
            settings = self._settings(c)
            self._audit(c, actor.username, "medwatch_summary", event.screening_id, {"event": eid})
        product = dict(record.screening_file.get("product") or {})
        return {"event": event, "record": record, "administration": administration, "settings": settings,
                "product": product, "reporter": actor.display_name}

    # --- lookback ----------------------------------------------------------------------------------

    def lookback(self, actor, lot: str, *, today: dt.date | None = None) -> tuple[bool, list[LookbackRow]]:
        """Every patient given `lot` (by the current record of each treatment): when, how to
        reach them, their follow-up, and the latest call about this lot. Audited. Returns
        whether the lot is recalled, and the rows (the call list when it is)."""
        problems: list[Problem] = []
        lot = _text(lot, "lot", problems, required=True)
        _refuse(problems)
        today = today or dt.date.today()
        with self._write() as c:
            actor = self._acting(c, actor, "lookback", "look back at who received a lot")
            recalled = _recalled_match(lot, self._recalled(c))
            cur = self._current_admins().where(t.administrations.c.given.is_(True),
                                               func.upper(t.administrations.c.lot) == lot_key(lot)).subquery()
            s = t.screenings
            rows = c.execute(select(cur.c.screening_id, cur.c.given_at, cur.c.amount, cur.c.unit, cur.c.site,
                                    s.c.patient_name, s.c.date_of_birth, s.c.patient_id, s.c.draft_json)
                             .join(s, s.c.id == cur.c.screening_id).order_by(cur.c.given_at)).mappings().all()
            sids = [r["screening_id"] for r in rows]
            follow = {}
            for item in self._follow_ups(c, today, lot=lot):
                follow.setdefault(item.screening_id, []).append(item)
            calls = {}
            if sids:
                for r in c.execute(select(t.contacts.c.screening_id, t.contacts.c.reached, t.contacts.c.problem,
                                          t.contacts.c.contacted_at)
                                   .where(t.contacts.c.screening_id.in_(sids),
                                          func.upper(t.contacts.c.recall_lot) == lot_key(lot))
                                   .order_by(t.contacts.c.contacted_at)).mappings():
                    calls[r["screening_id"]] = r
            open_events = self._open_adverse_events(c, sids)
            out = []
            for r in rows:
                sid = r["screening_id"]
                out.append(LookbackRow(
                    sid, r["patient_name"], r["date_of_birth"], r["patient_id"] or "",
                    str(json.loads(r["draft_json"]).get("contact", "") or ""), r["given_at"] or "",
                    f"{r['amount']} {r['unit']}", r["site"] or "", _follow_up_state(follow.get(sid, [])),
                    _call_state(calls.get(sid)), len(open_events.get(sid, ()))))
            self._audit(c, actor.username, "lookback", None, {"lot": lot, "patients": len(out),
                                                             "recalled": recalled})
        return recalled, out


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
        return "not called yet"
    if not row["reached"]:
        return f"not reached ({row['contacted_at'][:16]})"
    return f"reached {row['contacted_at'][:16]}" + ("; reported a problem" if row["problem"] else "; no problem")


__all__ = ["AdverseEvent", "Administration", "AftercareMixin", "Contact", "FollowUp", "LookbackRow", "SERIOUSNESS"]
