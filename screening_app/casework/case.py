"""One screening's life for one signed-in person: save, hand over, claim, review, finish.

The store, the signed-in staff member and the clinic's settings are given once, here; the
pages and the Qt session only call these actions. Every promise is also kept by the store
(it re-reads the account, decides the sheet and refuses what breaks the rules), so this
class is the convenient door, not the only guard.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from ..records.accounts import Staff
from ..records.identity import patient_key
from ..screening.history import EarlierScreening
from .flow import Draft, Flow, Step


class Case:
    def __init__(self, store, staff: Staff, *, content=None, settings=None, row=None, draft: Draft | None = None,
                 today: dt.date | None = None, flow: Flow | None = None):
        """`store` None: nothing is kept (a preview); then `staff` is taken as given."""
        self.store = store
        # Who is acting is what the database says now, not what the caller's object says.
        self.staff = store.whoami(staff) if store is not None else staff
        self.settings = settings if settings is not None else (store.settings() if store is not None else None)
        self.flow = flow or Flow(content, today)
        self.flow.reviewer = self.staff.display_name if self.staff.can("sign") else ""
        self.flow.hands_over = not self.staff.can("review")
        self.flow.waiting_period = getattr(self.settings, "blood_donation_waiting_period", None)
        self.flow.minimum_age = getattr(self.settings, "minimum_age", self.flow.minimum_age)
        self.flow.recalled = tuple(store.recalled_lots()) if store is not None else ()
        self.draft = draft if draft is not None else (Draft.from_json(row.draft) if row is not None else Draft())
        self.sid: str | None = row.id if row is not None else None
        self.version: int | None = row.row_version if row is not None else None
        self.amends: str | None = row.amends if row is not None else None
        self.status: str = row.status if row is not None else "new"
        self.record = None
        self._original: dict | None = None
        self.paper_events: list[tuple[str, str | None]] = [
            (e["event"], e.get("sheet_sha256")) for e in store.paper_events(self.sid)] \
            if store is not None and self.sid is not None else []
        self._history_key: tuple | None = None
        self.refresh_history()

    # --- the patient's earlier screenings -------------------------------------------------------

    @property
    def history(self) -> tuple[EarlierScreening, ...]:
        return self.flow.history

    def refresh_history(self, *, force: bool = False) -> bool:
        """Looks the patient up again when who they are has changed (or always, with `force`);
        True when what it found differs."""
        if self.store is None:
            return False
        d = self.draft
        key = (patient_key(d.name, d.date_of_birth), d.patient_id.strip())
        if key == self._history_key and not force:
            return False
        self._history_key = key
        found = tuple(self.store.patient_history(self.staff, name=d.name, date_of_birth=d.date_of_birth,
                                                 patient_id=d.patient_id, exclude=self.sid)) if any(key) else ()
        changed = found != self.flow.history
        self.flow.history = found
        return changed

    def refresh(self) -> None:
        """Before a sheet is made: the patient's records and the clinic's settings as they are now,
        not as they were when the window opened (another workstation may have finished a
        screening of this patient, or the admin changed a setting)."""
        if self.store is None:
            return
        self.refresh_history(force=True)
        self._apply_settings(self.store.settings())

    def _apply_settings(self, settings) -> None:
        self.settings = settings
        self.flow.waiting_period = getattr(settings, "blood_donation_waiting_period", None)
        self.flow.minimum_age = getattr(settings, "minimum_age", self.flow.minimum_age)

    def date_has_passed(self, today: dt.date | None = None) -> bool:
        """A draft left open overnight: its planned treatment date is now in the past, and no
        sheet may be made for a past day (the lot's expiry is checked against it): ask anew."""
        try:
            planned = dt.date.fromisoformat(self.draft.treatment_date)
        except ValueError:
            return False
        return planned < (today or self.flow.today or dt.date.today())

    # --- an amendment, against its original ------------------------------------------------------

    def changes_from_original(self) -> list[tuple[str, str, str]]:
        """(what, before, now) for every field an amendment changed; the original is untouched."""
        if not self.amends or self.store is None:
            return []
        if self._original is None:
            self._original = self.store.record(self.amends).screening_file
        # What the patient said and who they are; the lot is checked anew and the review made anew.
        compared = ("patient", "treatment", "answers", "follow_ups", "representative")
        before = _flatten({k: v for k, v in self._original.items() if k in compared})
        now = _flatten({k: v for k, v in self.draft.to_screening_file().items() if k in compared})
        out = []
        for key in sorted(set(before) | set(now)):
            if before.get(key) != now.get(key):
                section, _, rest = key.partition(".")
                what = self.flow.title(rest) if section == "answers" and rest in self.flow.content.question_ids \
                    else key.replace("_", " ")
                out.append((what, before.get(key, "(none)"), now.get(key, "(none)")))
        return out

    # --- the actions ---------------------------------------------------------------------------

    def outcome(self) -> str | None:
        result = self.flow.evaluate(self.draft).result
        return result.outcome.value if result is not None else None

    def save(self, step: Step | int, *, audit_step: bool = False) -> bool:
        """Saves what is typed; raises StoreError or PermissionDenied when the store refuses.
        Returns True when the patient's earlier screenings changed (the pages show them)."""
        draft = self.draft.to_json()
        if self.sid is None:
            row = self.store.new_draft(self.staff, draft, amends=self.amends)
            self.sid, self.version, self.status = row.id, row.row_version, row.status
        found_more = self.refresh_history()
        self.version = self.store.save_draft(self.staff, self.sid, draft, step=int(step), version=self.version,
                                             outcome=self.outcome(), audit_step=audit_step)
        return found_more

    def hand_over(self) -> None:
        self.save(Step.QUESTIONS, audit_step=True)
        self.version = self.store.hand_over(self.staff, self.sid, self.version)
        self.status = "handed_over"

    def claim(self) -> None:
        """Before the clinician sees the findings: only one clinician may hold a screening."""
        if self.sid is None or self.status == "draft":
            self.save(Step.QUESTIONS)
        row = self.store.claim(self.staff, self.sid)
        self.version, self.status = row.row_version, row.status

    def release(self) -> None:
        if self.sid is not None and self.status == "in_review":
            self.store.release(self.staff, self.sid)
            self.status = "handed_over"

    def withdraw(self, reason: str) -> None:
        self.store.withdraw(self.staff, self.sid, reason)
        self.status = "discarded"

    def stamp_review(self, when: dt.datetime | None = None) -> None:
        """Records who reviewed and when: the signed-in clinician, by their account's name."""
        if not self.staff.can("sign"):
            return
        self.draft.clinician = self.staff.display_name
        self.draft.reviewed_at = (when or dt.datetime.now()).replace(second=0, microsecond=0).isoformat()

    def screening_file(self) -> dict:
        """What is signed: the lot whenever the answers and the review allow treatment (so a
        failed lot is recorded as failed, not as unchecked); no lot otherwise (nothing is given)."""
        allows = self.flow.evaluate(self.draft).review_allows_treatment
        return self.draft.to_screening_file(with_product=allows)

    def decline(self, note: str, when: dt.datetime | None = None) -> None:
        """The patient read the consent and said no: the refusal is recorded, by the signed-in
        person, with the sheet that was read."""
        self.draft.declined = {"recorded_by": self.staff.display_name,
                               "recorded_at": (when or dt.datetime.now()).replace(microsecond=0).isoformat(),
                               "note": note.strip()}

    def sheet(self):
        """The sheet through the one path the store and `screen` use (sheets.render)."""
        from ..screening import parse_screening
        from ..sheets import render
        screening_file = self.screening_file()
        screening = parse_screening(screening_file, content=self.flow.content, today=self.flow.today)
        completed_by, completed_on, stamp = "", None, None
        if self.store is not None and self.sid is not None:
            completed_by, completed_on = self.store.completion(self.sid)
            if self.staff.can("sign") and self.status == "in_review":
                # Made for signing: the clinician's electronic signature and the trail's mark print
                # on it, exactly as the store will sign and record it.
                stamp = self.store.sheet_stamp(self.staff, self.sid, screening_file)
        return render(screening, settings=self.settings, content=self.flow.content, history=self.history,
                      completed_by=completed_by, completed_on=completed_on, recalled=self.flow.recalled,
                      signed=stamp.signed if stamp else None, anchor=stamp.anchor if stamp else "")

    def can_sign(self) -> bool:
        """The signer's key is open (after an unlock made while the records were out of reach it
        is not, until the password is typed again: `open_signing`)."""
        return self.store is None or self.store.signing_key_open(self.staff)

    def open_signing(self, password: str) -> bool:
        """Reopens the signer's key with their password (audited as an unlock); False if wrong."""
        return self.store.check_password(self.staff, password)

    def finish(self, pdf: bytes | None = None):
        """Records the screening as signed; `pdf`, when given, is the sheet that was shown."""
        from ..sheets import sheet_texts
        self.save(Step.SHEET, audit_step=True)
        self.record = self.store.finish(self.staff, self.sid, version=self.version,
                                        screening_file=self.screening_file(), pdf=pdf,
                                        sheet_version=sheet_texts()["sheet"]["version"])
        self.status = "finished"
        return self.record

    # --- the paper side of the sheet ----------------------------------------------------------------

    PAPER_DONE = ("printed", "saved", "not_printed")

    def record_paper(self, event: str, detail: str = "", *, sheet: bytes | None = None) -> None:
        """The sheet was printed, saved, or not (with why): a consent is finished only after one,
        for that very sheet (its SHA-256 is recorded with the event)."""
        digest = hashlib.sha256(sheet).hexdigest() if sheet is not None else None
        if self.store is not None:
            if self.sid is None:
                self.save(Step.SHEET)
            self.store.record_paper(self.staff, self.sid, event, detail, sheet_sha256=digest)
        self.paper_events.append((event, digest))

    def paper_done_for(self, sheet: bytes) -> bool:
        """Printed or saved (or why not said) for this sheet: a sheet changed since (another lot,
        another answer) needs printing again, and the earlier paper is void."""
        digest = hashlib.sha256(sheet).hexdigest()
        return any(e in self.PAPER_DONE and d == digest for e, d in self.paper_events)

    def log(self, action: str, detail: dict | None = None) -> None:
        self.store.log(self.staff, action, self.sid, detail)


def _flatten(data: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            out[name] = ", ".join(str(v) for v in value)
        elif value is not None:
            out[name] = str(value)
    return out
