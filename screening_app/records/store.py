"""Where screenings live: drafts, the review queue, finished records, staff, settings, audit.

`Store` is the one door: a thin facade over its parts, each doing one job over one Database
(database.py: SQLite or PostgreSQL, transactions, faults in staff words):

- staff.py: accounts, sign-in, passwords and signing keys; acting.py: who is acting, re-read
  from the database on every call (the store trusts no caller's object);
- lifecycle.py: a screening's moves (new draft, save, hand over, claim, release, withdraw,
  discard, amend), by the table in statuses.py; patients.py: a patient's earlier screenings;
- finishing.py: the sheet made for signing, the record as signed and its signature;
- paper.py, clinic.py (settings), audit.py (the trail and its anchor), copying.py;
- after treatment: treatments.py, follow_up.py, adverse_events.py, lookback.py;
- search.py: the list of screenings, reading only the rows it shows.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..screening.history import EarlierScreening
from . import StoreError, integrity, signing
from .accounts import Staff
from .adverse_events import AdverseEvents
from .aftercare import Administration, AdverseEvent, Contact, FollowUp, LookbackRow
from .audit import GENESIS, AuditTrail, canonical, chain_hash, now
from .clinic import Clinic
from .copying import COPY_ORDER, copy_store
from .database import DATABASE_URL_ENV, DB_NAME, Database, configured_url
from .finishing import STAMP_HOURS, FinishedRecord, Finishing, SheetStamp
from .follow_up import FollowUps
from .identity import fold, name_words
from .lifecycle import DraftRow, Lifecycle
from .lookback import Lookback
from .paper import Paper
from .patients import Patients, draft_outcome
from .search import search as search_list
from .settings import ClinicSettings
from .signin import SignInGuard
from .staff import StaffAccounts
from .treatments import Treatments

__all__ = ["COPY_ORDER", "DATABASE_URL_ENV", "DB_NAME", "GENESIS", "STAMP_HOURS", "DraftRow", "FinishedRecord",
           "SheetStamp", "Store", "StoreError", "chain_hash", "configured_url", "copy_store", "draft_outcome", "fold",
           "name_words", "now"]
_canonical = canonical  # the name migrations and tests import


class Store:
    def __init__(self, engine, location: Path | str):
        self.db = Database(engine, location)
        self._trail = AuditTrail(self.db)  # hears every committed head (its anchor)
        self._staff = StaffAccounts(self.db)
        self._life = Lifecycle(self.db)
        self._finishing = Finishing(self.db, self._staff)
        self._patients = Patients(self.db)
        self._paper = Paper(self.db)
        self._clinic = Clinic(self.db)
        self._treatments = Treatments(self.db)
        self._follow_up = FollowUps(self.db)
        self._adverse = AdverseEvents(self.db, self._treatments, self._finishing.record)
        self._lookback = Lookback(self.db)

    # --- opening, and the database under it ---------------------------------------------------

    @classmethod
    def open(cls, folder: Path | None = None, *, url: str | None = None,
             busy_timeout_s: float = 10.0, migration: bool = False, read_only: bool = False) -> Store:
        """The store at `url` (a database server or an SQLite file), else in `folder`, else
        the one this workstation is configured for (configured_url), else the local default.

        `migration`: on PostgreSQL, the login may own the tables only for `store migrate`; a
        workstation that logs in as the owner could disable the triggers (least privilege).
        `read_only`: for readers such as `screen`: nothing is created or migrated; a store at
        another schema version is refused ("outdated")."""
        db = Database.open(folder, url=url, busy_timeout_s=busy_timeout_s, migration=migration,
                           read_only=read_only)
        store = cls(db.engine, db.location)
        try:
            store._trail.check_anchor()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def engine(self):
        return self.db.engine

    @property
    def location(self) -> Path | str:
        return self.db.location

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def schema_revision(self) -> str | None:
        return self.db.schema_revision()

    def close(self) -> None:
        self.db.close()

    def _read(self):
        return self.db.read()

    def _write(self):
        return self.db.write()

    # --- staff -----------------------------------------------------------------------------------

    @property
    def _keys(self) -> dict[int, signing.OpenKey]:
        return self._staff.keys

    @property
    def signin_guard(self) -> SignInGuard:
        return self._staff.signin_guard

    def whoami(self, actor: Staff) -> Staff:
        return self._staff.whoami(actor)

    def has_staff(self) -> bool:
        return self._staff.has_staff()

    def create_first_admin(self, username: str, display_name: str, password: str) -> Staff:
        return self._staff.create_first_admin(username, display_name, password)

    def add_staff(self, actor: Staff, username: str, display_name: str, role: str, password: str) -> Staff:
        return self._staff.add_staff(actor, username, display_name, role, password)

    def set_staff_active(self, actor: Staff, username: str, active: bool) -> None:
        self._staff.set_staff_active(actor, username, active)

    def set_staff_role(self, actor: Staff, username: str, role: str) -> None:
        self._staff.set_staff_role(actor, username, role)

    def set_password(self, actor: Staff, username: str, password: str) -> None:
        self._staff.set_password(actor, username, password)

    def list_staff(self, actor: Staff) -> list[Staff]:
        return self._staff.list_staff(actor)

    def authenticate(self, username: str, password: str) -> Staff | None:
        return self._staff.authenticate(username, password)

    def unlock_signin(self, actor: Staff, username: str) -> None:
        self._staff.unlock_signin(actor, username)

    def locked_signins(self, actor: Staff) -> list[str]:
        return self._staff.locked_signins(actor)

    def check_password(self, staff: Staff, password: str) -> bool:
        return self._staff.check_password(staff, password)

    def forget_signing_key(self, staff: Staff) -> None:
        self._staff.forget_signing_key(staff)

    def signing_key_open(self, staff: Staff) -> bool:
        """Whether `staff` can sign now: their key was opened by their password in this session
        (it is closed by the idle lock, and an unlock while the records were out of reach
        cannot reopen it)."""
        return staff.id in self._keys

    # --- a screening's life (statuses.py) ---------------------------------------------------------

    def new_draft(self, actor: Staff, draft: dict, *, amends: str | None = None) -> DraftRow:
        return self._life.new_draft(actor, draft, amends=amends)

    def save_draft(self, actor: Staff, sid: str, draft: dict, *, step: int, version: int,
                   outcome: str | None = None, audit_step: bool = False) -> int:
        return self._life.save_draft(actor, sid, draft, step=step, version=version, outcome=outcome,
                                     audit_step=audit_step)

    def hand_over(self, actor: Staff, sid: str, version: int) -> int:
        return self._life.hand_over(actor, sid, version)

    def claim(self, actor: Staff, sid: str) -> DraftRow:
        return self._life.claim(actor, sid)

    def release(self, actor: Staff, sid: str, *, reason: str = "") -> None:
        self._life.release(actor, sid, reason=reason)

    def withdraw(self, actor: Staff, sid: str, reason: str) -> None:
        self._life.withdraw(actor, sid, reason)

    def discard(self, actor: Staff, sid: str, reason: str | None = None) -> None:
        self._life.discard(actor, sid, reason)

    def draft(self, sid: str) -> DraftRow:
        return self._life.draft(sid)

    def open_drafts(self, actor: Staff) -> list[DraftRow]:
        return self._life.open_drafts(actor)

    def queue(self) -> list[DraftRow]:
        return self._life.queue()

    def amend(self, actor: Staff, original: str) -> DraftRow:
        return self._life.amend(actor, original)

    # --- one patient, many screenings ---------------------------------------------------------------

    def patient_history(self, actor: Staff, *, name: str, date_of_birth: str, patient_id: str = "",
                        exclude: str | None = None) -> list[EarlierScreening]:
        return self._patients.patient_history(actor, name=name, date_of_birth=date_of_birth,
                                              patient_id=patient_id, exclude=exclude)

    def completion(self, sid: str) -> tuple[str, dt.date | None]:
        return self._patients.completion(sid)

    def earlier_screenings(self, *, name: str, date_of_birth: str, patient_id: str = "") -> list[EarlierScreening]:
        return self._patients.earlier_screenings(name=name, date_of_birth=date_of_birth, patient_id=patient_id)

    # --- finishing, and never rewriting ----------------------------------------------------------

    def finish(self, actor: Staff, sid: str, *, version: int, screening_file: dict, pdf: bytes | None = None,
               sheet_version: str | None = None) -> FinishedRecord:
        return self._finishing.finish(actor, sid, version=version, screening_file=screening_file, pdf=pdf,
                                      sheet_version=sheet_version)

    def sheet_stamp(self, actor: Staff, sid: str, screening_file: dict) -> SheetStamp:
        return self._finishing.sheet_stamp(actor, sid, screening_file)

    def signature(self, sid: str) -> signing.SignatureManifest | None:
        return self._finishing.signature(sid)

    def record(self, sid: str) -> FinishedRecord:
        return self._finishing.record(sid)

    # --- the paper side -----------------------------------------------------------------------------

    def record_paper(self, actor: Staff, sid: str, event: str, detail: str = "", *, scan: bytes | None = None,
                     sheet_sha256: str | None = None) -> None:
        self._paper.record_paper(actor, sid, event, detail, scan=scan, sheet_sha256=sheet_sha256)

    def paper_events(self, sid: str) -> list[dict]:
        return self._paper.paper_events(sid)

    def paper_summaries(self, sids: list[str]) -> dict[str, list[str]]:
        return self._paper.paper_summaries(sids)

    def signed_copy(self, sid: str) -> bytes | None:
        return self._paper.signed_copy(sid)

    # --- search -----------------------------------------------------------------------------

    def search(self, *, name: str = "", date_of_birth: str = "", date_from: str = "", date_to: str = "",
               outcome: str = "", include_unfinished: bool = True, limit: int = 200) -> list[dict]:
        with self._read() as c:
            return search_list(c, self.dialect, name=name, date_of_birth=date_of_birth, date_from=date_from,
                               date_to=date_to, outcome=outcome, include_unfinished=include_unfinished, limit=limit)

    # --- settings ---------------------------------------------------------------------------------

    def settings(self) -> ClinicSettings:
        return self._clinic.settings()

    def save_settings(self, actor: Staff, settings: ClinicSettings) -> None:
        self._clinic.save_settings(actor, settings)

    # --- audit trail --------------------------------------------------------------------------

    @property
    def anchor_problem(self) -> str | None:
        return self._trail.anchor_problem

    @anchor_problem.setter
    def anchor_problem(self, problem: str | None) -> None:
        self._trail.anchor_problem = problem

    @property
    def anchor_key(self) -> str:
        return self._trail.anchor_key

    def log(self, actor: Staff, action: str, sid: str | None, detail: dict | None = None) -> None:
        self._trail.log(actor, action, sid, detail)

    def audit_entries(self, actor: Staff, *, screening_id: str | None = None, limit: int = 500) -> list[dict]:
        return self._trail.audit_entries(actor, screening_id=screening_id, limit=limit)

    def verify_audit(self, *, fingerprints: tuple[str, ...] = ()) -> tuple[bool, str]:
        return self._trail.verify_audit(fingerprints=fingerprints)

    def verify_report(self, *, fingerprints: tuple[str, ...] = ()) -> integrity.Report:
        return self._trail.verify_report(fingerprints=fingerprints)

    def accept_restore(self, actor: Staff, reason: str) -> str:
        return self._trail.accept_restore(actor, reason)

    def head(self) -> tuple[int, str]:
        return self._trail.head()

    def head_fingerprint(self) -> str:
        return self._trail.head_fingerprint()

    # --- after treatment ------------------------------------------------------------------------

    def recalled_lots(self) -> list[str]:
        return self._treatments.recalled_lots()

    def recalls(self, actor) -> list[dict]:
        return self._treatments.recalls(actor)

    def recall_lot(self, actor, lot: str, reason: str) -> None:
        self._treatments.recall_lot(actor, lot, reason)

    def record_administration(self, actor, sid: str, *, given: bool = True, lot: str | None = None,
                              amount: str | None = None, unit: str | None = None, site: str | None = None,
                              route: str | None = None, procedure: str | None = None, given_by: str | None = None,
                              given_at: str | None = None, not_given_reason: str | None = None,
                              amends: str | None = None, amend_reason: str | None = None) -> Administration:
        return self._treatments.record_administration(
            actor, sid, given=given, lot=lot, amount=amount, unit=unit, site=site, route=route, procedure=procedure,
            given_by=given_by, given_at=given_at, not_given_reason=not_given_reason, amends=amends,
            amend_reason=amend_reason)

    def administration(self, actor, sid: str) -> Administration | None:
        return self._treatments.administration(actor, sid)

    def administrations(self, actor, sid: str) -> list[Administration]:
        return self._treatments.administrations(actor, sid)

    def consents_to_record(self, actor, limit: int = 200) -> list[dict]:
        return self._treatments.consents_to_record(actor, limit)

    def recent_administrations(self, actor, limit: int = 200) -> list[dict]:
        return self._treatments.recent_administrations(actor, limit)

    def follow_up_queue(self, actor, *, today: dt.date | None = None, upcoming_days: int = 0) -> list[FollowUp]:
        return self._follow_up.follow_up_queue(actor, today=today, upcoming_days=upcoming_days)

    def follow_ups(self, actor, sid: str, *, today: dt.date | None = None) -> list[FollowUp]:
        return self._follow_up.follow_ups(actor, sid, today=today)

    def record_contact(self, actor, sid: str, *, reached: bool, problem: bool | None = None, note: str = "",
                       follow_up_id: str | None = None, recall_lot: str | None = None,
                       contacted_at: str | None = None) -> Contact:
        return self._follow_up.record_contact(actor, sid, reached=reached, problem=problem, note=note,
                                              follow_up_id=follow_up_id, recall_lot=recall_lot,
                                              contacted_at=contacted_at)

    def contacts(self, actor, sid: str) -> list[Contact]:
        return self._follow_up.contacts(actor, sid)

    def record_adverse_event(self, actor, sid: str, *, description: str, onset: str, seriousness=(),
                             outcome: str = "unknown", treatment: str = "", suspected_lot: str | None = None,
                             reported_to_fda: bool = False, reported_on: str | None = None,
                             fda_report_id: str | None = None, status: str = "open",
                             contact_id: str | None = None, amends: str | None = None) -> AdverseEvent:
        return self._adverse.record_adverse_event(
            actor, sid, description=description, onset=onset, seriousness=seriousness, outcome=outcome,
            treatment=treatment, suspected_lot=suspected_lot, reported_to_fda=reported_to_fda,
            reported_on=reported_on, fda_report_id=fda_report_id, status=status, contact_id=contact_id,
            amends=amends)

    def adverse_event(self, actor, eid: str) -> AdverseEvent:
        return self._adverse.adverse_event(actor, eid)

    def adverse_events(self, actor, *, sid: str | None = None, open_only: bool = False,
                       purpose: str = "follow_up") -> list[AdverseEvent]:
        return self._adverse.adverse_events(actor, sid=sid, open_only=open_only, purpose=purpose)

    def medwatch_facts(self, actor, eid: str) -> dict:
        return self._adverse.medwatch_facts(actor, eid)

    def lookback(self, actor, lot: str, *, today: dt.date | None = None) -> tuple[bool, list[LookbackRow]]:
        return self._lookback.lookback(actor, lot, today=today)
