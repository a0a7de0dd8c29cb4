"""What was given after a signed consent (or that nothing was, and why), corrected only by a
new row that amends the latest; and the lots the clinic has recalled, which never verify again."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, func, insert, select

from ..screening.model import Route
from ..screening.problems import Problem
from ..wording import say
from . import StoreError
from . import schema as t
from .acting import acting
from .aftercare import (
    FUTURE_SLACK,
    MAX_TEXT,
    Administration,
    checked_text,
    lot_key,
    moment,
    recalled_match,
    refuse,
    required_text,
    stamp,
    utc_now,
)
from .audit import append
from .clinic import read_settings
from .database import Database


def recalled(c) -> list[str]:
    return list(c.execute(select(t.recalls.c.lot).order_by(t.recalls.c.lot)).scalars())


def current_admins():
    """Administrations no later row corrects."""
    a, later = t.administrations, t.administrations.alias("later")
    return select(a).where(~exists().where(later.c.amends == a.c.id))


def administrations_of(c, sid: str) -> list[Administration]:
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


class Treatments:
    def __init__(self, db: Database):
        self.db = db

    def recalled_lots(self) -> list[str]:
        """The lots the clinic has recalled: they never verify again (not patient data)."""
        with self.db.read() as c:
            return recalled(c)

    def recalls(self, actor) -> list[dict]:
        with self.db.read() as c:
            acting(c, actor, "lookback", say("records.treatments.see_recalled_lots"))
            return [dict(r) for r in c.execute(
                select(t.recalls.c.lot, t.recalls.c.reason, t.recalls.c.recalled_at, t.staff.c.display_name)
                .join(t.staff, t.staff.c.id == t.recalls.c.recalled_by).order_by(t.recalls.c.recalled_at.desc()))
                .mappings()]

    def recall_lot(self, actor, lot: str, reason: str) -> None:
        """The admin marks a lot recalled, with a reason; audited; never undone."""
        problems: list[Problem] = []
        lot = required_text(lot, "lot", problems)
        reason = required_text(reason, "reason", problems, limit=MAX_TEXT)
        refuse(problems)
        with self.db.write() as c:
            actor = acting(c, actor, "recall", say("records.treatments.recall_lot"))
            if recalled_match(lot, recalled(c)):
                raise StoreError("refused", say("records.treatments.lot_lot_recalled_already", lot=lot))
            c.execute(insert(t.recalls).values(lot=lot, reason=reason, recalled_by=actor.id, recalled_at=stamp()))
            given = c.execute(select(func.count()).select_from(current_admins()
                                                               .where(func.upper(t.administrations.c.lot) ==
                                                                      lot_key(lot)).subquery())).scalar()
            append(c, actor.username, "lot_recalled", None, {"lot": lot, "reason": reason, "patients": given})

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
            raise StoreError("refused", say("records.treatments.given_must_yes_no"))
        with self.db.write() as c:
            actor = acting(c, actor, "administer", say("records.treatments.record_treatment"))
            consent = c.execute(select(t.finished.c.sheet_kind, t.finished.c.lot, t.finished.c.lot_verified,
                                       t.finished.c.finished_at, t.finished.c.screening_json)
                                .where(t.finished.c.screening_id == sid)).first()
            if consent is None or consent.sheet_kind != "consent" or not consent.lot_verified:
                raise StoreError("refused", say("records.treatments.treatment_can_recorded_only_after"))
            current = c.execute(current_admins().where(t.administrations.c.screening_id == sid)).mappings() \
                .first()
            problems: list[Problem] = []
            if amends is None and current is not None:
                raise StoreError("refused", say("records.treatments.treatment_recorded_for_consent_already"))
            if amends is not None:
                if current is None or current["id"] != amends:
                    raise StoreError("conflict", say("records.treatments.only_latest_record_treatment_can"))
                amend_reason = checked_text(amend_reason, "amend reason", problems, required=True, limit=MAX_TEXT)
            else:
                amend_reason = None
            values: dict[str, object] = {
                "given": given, "lot": None, "amount": None, "unit": None, "site": None, "route": None,
                "procedure": None, "given_by": None, "given_at": None, "not_given_reason": None}
            if given:
                earlier_lot = current["lot"] if current is not None and amends and current["given"] else None
                values.update(self._given_values(c, actor, consent, lot=lot, amount=amount, unit=unit, site=site,
                                                 route=route, procedure=procedure, given_by=given_by,
                                                 given_at=given_at, problems=problems,
                                                 already_given=earlier_lot))
            else:
                values["not_given_reason"] = checked_text(not_given_reason, "reason not given", problems,
                                                          required=True, limit=MAX_TEXT)
            refuse(problems)
            aid = str(uuid.uuid4())
            c.execute(insert(t.administrations).values(id=aid, screening_id=sid, amends=amends,
                                                       amend_reason=amend_reason, recorded_by=actor.id,
                                                       recorded_at=stamp(), **values))
            if given:
                day = dt.date.fromisoformat(str(values["given_at"])[:10])  # the day it was given, where given
                rows = [{"id": str(uuid.uuid4()), "administration_id": aid, "seq": i,
                         "due_from": (day + dt.timedelta(days=start)).isoformat(),
                         "due_by": (day + dt.timedelta(days=end)).isoformat()}
                        for i, (start, end) in enumerate(read_settings(c).follow_up_plan(), 1)]
                c.execute(insert(t.follow_ups), rows)
            detail = {"administration": aid, "given": given, "lot": values["lot"]}
            if amends:
                detail.update(amends=amends, reason=amend_reason)
            append(c, actor.username, "administration_amended" if amends else "administration_recorded", sid,
                   detail)
            return administrations_of(c, sid)[-1]

    def _given_values(self, c, actor, consent, *, lot, amount, unit, site, route, procedure, given_by, given_at,
                      problems, already_given=None) -> dict:
        lot = checked_text(lot, "lot", problems, required=True)
        if lot and lot_key(lot) != lot_key(consent.lot or ""):
            problems.append(Problem("lot", say("records.treatments.lot_not_lot_verified_for",
                                               lot=lot, lot2=consent.lot)))
        elif lot and recalled_match(lot, recalled(c)) and \
                not (already_given and lot_key(already_given) == lot_key(lot)):
            # (Correcting the record of a dose given before the recall stays possible.)
            problems.append(Problem("lot", say("records.treatments.lot_was_recalled_must_not", lot=lot)))
        elif lot:
            lot = consent.lot  # as it was verified and signed
        amount_text = checked_text(amount, "amount", problems, required=True, limit=40)
        if amount_text:
            try:
                number = Decimal(amount_text)
                if not number.is_finite() or number <= 0:
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(Problem("amount", say("records.treatments.amount_text_r_not_number",
                                                      amount_text=amount_text)))
        unit = checked_text(unit, "unit", problems, required=True, limit=40)
        site = checked_text(site, "site", problems, required=True)
        signed_route = json.loads(consent.screening_json).get("treatment", {}).get("route")
        route = (route or signed_route or "").strip()
        if route not in {r.value for r in Route}:
            problems.append(Problem("route", say("records.treatments.must_one_value",
                                                 value=', '.join(r.value for r in Route))))
        elif signed_route and route != signed_route:
            problems.append(Problem("route", say("records.treatments.consent_was_for_signed_route",
                                                 signed_route=signed_route, route=route)))
        procedure = checked_text(procedure, "procedure", problems, required=True)
        giver = actor
        if given_by and given_by != actor.username:
            row = c.execute(select(t.staff.c.id, t.staff.c.display_name, t.staff.c.role, t.staff.c.active)
                            .where(t.staff.c.username == given_by)).first()
            if row is None or not row.active or row.role != "clinician":
                problems.append(Problem("given by", say("records.treatments.given_by_r_not_active", given_by=given_by)))
            giver = row
        when = moment(given_at) if given_at else utc_now()
        if when is None:
            problems.append(Problem("given at", say("records.treatments.given_at_r_not_date", given_at=given_at)))
        else:
            signed = dt.datetime.fromisoformat(consent.finished_at)
            if when > utc_now() + FUTURE_SLACK:
                problems.append(Problem("given at", say("records.treatments.future")))
            elif when < signed.replace(second=0, microsecond=0):  # times are typed to the minute
                problems.append(Problem("given at", say("records.treatments.before_consent_was_signed_finished",
                                                        finished_at=consent.finished_at)))
        return {"lot": lot, "amount": amount_text, "unit": unit, "site": site, "route": route,
                "procedure": procedure, "given_by": getattr(giver, "id", None),
                "given_at": when.isoformat(timespec="minutes") if when else None}

    def administration(self, actor, sid: str) -> Administration | None:
        """The current record of what was given after this consent (None: nothing recorded)."""
        chain = self.administrations(actor, sid)
        return chain[-1] if chain else None

    def administrations(self, actor, sid: str) -> list[Administration]:
        """Every record of this consent's treatment, the original first, corrections after."""
        with self.db.read() as c:
            acting(c, actor, None, "")
            return administrations_of(c, sid)

    def consents_to_record(self, actor, limit: int = 200) -> list[dict]:
        """Signed consents with a verified lot and no treatment recorded yet, newest first."""
        s, f = t.screenings, t.finished
        with self.db.read() as c:
            acting(c, actor, "administer", say("records.treatments.record_treatment"))
            query = (select(s.c.id, s.c.patient_name, s.c.date_of_birth, s.c.treatment_date, f.c.lot)
                     .join(f, f.c.screening_id == s.c.id)
                     .where(f.c.sheet_kind == "consent", f.c.lot_verified.is_(True),
                            ~exists().where(t.administrations.c.screening_id == s.c.id))
                     .order_by(s.c.treatment_date.desc()).limit(limit))
            return [dict(r) for r in c.execute(query).mappings()]

    def recent_administrations(self, actor, limit: int = 200) -> list[dict]:
        """The current record of the latest treatments, newest first, with the patient's name."""
        cur = current_admins().subquery()
        s = t.screenings
        with self.db.read() as c:
            acting(c, actor, "administer", say("records.treatments.see_treatments_given"))
            rows = c.execute(select(cur.c.screening_id, cur.c.given, cur.c.lot, cur.c.amount, cur.c.unit, cur.c.site,
                                    cur.c.given_at, cur.c.recorded_at, cur.c.not_given_reason, cur.c.amends,
                                    s.c.patient_name, s.c.date_of_birth)
                             .join(s, s.c.id == cur.c.screening_id)
                             .order_by(cur.c.recorded_at.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]
