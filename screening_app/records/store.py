"""Where screenings live: drafts, the review queue, finished records, staff, settings, audit.

`Store` is the one door: a thin facade over its parts, each doing one job over one Database
(database.py: SQLite or PostgreSQL, transactions, faults in staff words):

- staff.py: accounts, sign-in, passwords and signing keys; acting.py: who is acting, re-read
  from the database on every call (the store trusts no caller's object);
- lifecycle.py: a screening's moves (new draft, save, hand over, claim, release, withdraw,
  discard, amend), by the table in statuses.py; patients.py: a patient's earlier screenings;
- finishing a screening (below): the sheet, the record as signed and its signature;
- paper.py, clinic.py (settings), audit.py (the trail and its anchor), copying.py;
- after treatment: treatments.py, follow_up.py, adverse_events.py, lookback.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, intersect, select, update

from ..screening import InputRefused, default_content, parse_screening
from ..screening.history import EarlierScreening
from . import StoreError, integrity, patients, signing, statuses, treatments
from . import schema as t
from .accounts import Staff
from .acting import acting
from .adverse_events import AdverseEvents
from .aftercare import Administration, AdverseEvent, Contact, FollowUp, LookbackRow
from .audit import GENESIS, AuditTrail, append, canonical, chain_hash, now
from .clinic import Clinic, read_settings
from .copying import COPY_ORDER, copy_store
from .database import DATABASE_URL_ENV, DB_NAME, Database, configured_url
from .follow_up import FollowUps
from .identity import fold, name_words
from .lifecycle import DraftRow, Lifecycle, index_name, searchable
from .lookback import Lookback
from .paper import Paper
from .patients import Patients, completion, draft_outcome
from .settings import ClinicSettings
from .signin import SignInGuard
from .staff import StaffAccounts
from .treatments import Treatments

__all__ = ["COPY_ORDER", "DATABASE_URL_ENV", "DB_NAME", "GENESIS", "DraftRow", "FinishedRecord", "Store", "StoreError",
           "chain_hash", "configured_url", "copy_store", "draft_outcome", "fold", "name_words", "now"]
_canonical = canonical  # the name migrations and tests import


@dataclass(frozen=True)
class FinishedRecord:
    screening_id: str
    finished_at: str
    finished_by: str
    screening_file: dict
    result: dict
    sheet_kind: str
    questionnaire_version: str
    rules_version: str
    sheet_version: str
    lot: str | None
    lot_verified: bool | None
    pdf: bytes
    pdf_sha256: str
    amends: str | None
    signer_name: str | None = None
    content_digest: str | None = None


class Store:
    def __init__(self, engine, location: Path | str):
        self.db = Database(engine, location)
        self._trail = AuditTrail(self.db)  # hears every committed head (its anchor)
        self._staff = StaffAccounts(self.db)
        self._life = Lifecycle(self.db)
        self._patients = Patients(self.db)
        self._paper = Paper(self.db)
        self._clinic = Clinic(self.db)
        self._treatments = Treatments(self.db)
        self._follow_up = FollowUps(self.db)
        self._adverse = AdverseEvents(self.db, self._treatments, self.record)
        self._lookback = Lookback(self.db)

    # --- opening, and the database under it ---------------------------------------------------

    @classmethod
    def open(cls, folder: Path | None = None, *, url: str | None = None,
             busy_timeout_s: float = 10.0, migration: bool = False) -> Store:
        """The store at `url` (a database server or an SQLite file), else in `folder`, else
        the one this workstation is configured for (configured_url), else the local default.

        `migration`: on PostgreSQL, the login may own the tables only for `store migrate`; a
        workstation that logs in as the owner could disable the triggers (least privilege)."""
        db = Database.open(folder, url=url, busy_timeout_s=busy_timeout_s, migration=migration)
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

    def discard(self, actor: Staff, sid: str, reason: str = "discarded by the person who started it") -> None:
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
        """Records the screening exactly as signed, by the signed-in clinician.

        The store trusts nothing the caller decides: it reads the signer from the database,
        finds the patient's earlier screenings itself, takes the clinic's settings from its
        own table, decides the sheet kind and makes the sheet itself (the same path the wizard
        and `screen` use). A `pdf` given by the caller must be that very sheet, byte for byte."""
        from ..sheets import render, sheet_texts  # reportlab only when a screening is finished
        screening_file = json.loads(canonical(screening_file))  # a copy: the caller's dict is theirs

        def inputs(c):
            signer = acting(c, actor, "sign", "sign screenings")
            key = self._staff.open_key(signer)  # the signer's own key, opened by their password (signing.py)
            row = c.execute(select(t.screenings.c.claimed_by, t.screenings.c.status, t.screenings.c.row_version)
                            .where(t.screenings.c.id == sid)).first()
            if row is None or row.row_version != version or not statuses.may(
                    "finish", row.status, is_creator=False, is_holder=row.claimed_by == signer.id):
                raise StoreError("conflict", "Only the clinician who opened this screening for review can "
                                             "finish it, and only from its latest version.")
            if isinstance(screening_file.get("review"), dict):
                # The reviewer is whoever signs in and signs, by the name on their account.
                screening_file["review"]["clinician"] = signer.display_name
            if isinstance(screening_file.get("declined"), dict):
                screening_file["declined"]["recorded_by"] = signer.display_name
            try:
                screening = parse_screening(screening_file)
            except InputRefused as exc:
                raise StoreError("refused", "The screening is not complete: " + "; ".join(exc.problems)) from None
            history = patients.history(c, name=screening.patient.name,
                                       date_of_birth=screening.patient.date_of_birth.isoformat(),
                                       patient_id=screening.patient.patient_id or "", exclude=sid)
            # A lot the clinic has recalled never verifies, so it never gets a consent.
            return (signer, key, screening, history, read_settings(c), completion(c, sid),
                    tuple(treatments.recalled(c)))

        # The sheet is made outside the write transaction (reportlab takes tens of milliseconds,
        # and SQLite's write lock would stop every other workstation meanwhile); what it was made
        # from is read again under the lock, and anything changed in between is a conflict.
        with self.db.read() as c:
            signer, key, screening, history, settings, (completed_by, completed_on), recalled = inputs(c)
        made = render(screening, settings=settings, history=history, completed_by=completed_by,
                      completed_on=completed_on, recalled=recalled)
        with self.db.write() as c:
            # First the audit head's row lock: on PostgreSQL this serialises finishes (and every
            # other write), so two finishes for one patient cannot each miss the other.
            c.execute(select(t.audit_head.c.seq).where(t.audit_head.c.id == 1).with_for_update())
            signer, key, _, history_now, settings_now, _, recalled_now = inputs(c)
            if history_now != history or settings_now != settings or recalled_now != recalled:
                raise StoreError("conflict", "The patient's records, the clinic's settings or its recalled lots "
                                             "changed while the sheet was made. Finish again.")
            result, kind = made.result, made.kind.value
            product = result.product
            # The core's rule never makes a consent without a verified lot; a screening that may be
            # treated but whose lot is missing or failed is not finished either: check a good lot first.
            if kind in ("lot_not_checked", "lot_not_verified") or (
                    kind == "consent" and (product is None or not product.verified)):
                raise StoreError("refused", "A consent needs a product lot that passed every check on the "
                                            "treatment date; this one has not.")
            if pdf is not None and pdf != made.pdf:
                raise StoreError("refused", "The sheet given is not the sheet for this screening as recorded; "
                                            "make the sheet again and finish from it.")
            sha = hashlib.sha256(made.pdf).hexdigest()
            stamp = now()
            c.execute(insert(t.finished).values(
                screening_id=sid, finished_at=stamp, finished_by=signer.id, signer_name=signer.display_name,
                screening_json=canonical(screening_file), result_json=canonical(result.to_json()),
                sheet_kind=kind, questionnaire_version=result.questionnaire_version,
                rules_version=result.rules_version, sheet_version=sheet_version or sheet_texts()["sheet"]["version"],
                lot=product.lot if product else None, lot_verified=product.verified if product else None,
                pdf=made.pdf, pdf_sha256=sha, content_digest=default_content().digest))
            signed = {"name": screening.patient.name, "date_of_birth": screening.patient.date_of_birth.isoformat(),
                      "treatment_date": screening.treatment.date.isoformat(),
                      "patient_id": screening.patient.patient_id or ""}
            c.execute(update(t.screenings).where(t.screenings.c.id == sid).values(
                status=statuses.target("finish"), updated_by=signer.id, updated_at=stamp, claimed_by=None,
                row_version=version + 1,
                **searchable(signed, result.outcome.value)))  # indexed as signed, not as last typed
            index_name(c, sid, screening.patient.name)
            self._sign_finished(c, signer, sid, key)
            append(c, signer.username, "finished", sid, {"sheet_kind": kind, "outcome": result.outcome.value,
                                                         "pdf_sha256": sha, "signer": signer.display_name})
        return self.record(sid)

    def _sign_finished(self, c, actor: Staff, sid: str, key: signing.OpenKey) -> signing.SignatureManifest:
        """Signs the finished row just written, as stored (so what is verified is what was signed)."""
        row = c.execute(select(t.finished).where(t.finished.c.screening_id == sid)).mappings().one()
        signer = c.execute(select(t.staff.c.username, t.staff.c.display_name)
                           .where(t.staff.c.id == actor.id)).one()
        outcome = json.loads(row["result_json"])["outcome"]
        manifest = signing.SignatureManifest(signer.username, signer.display_name, row["finished_at"],
                                             signing.meaning_for(row["sheet_kind"]), key.fingerprint)
        message = signing.message_for_row(row, {"signer": manifest.signer, "signer_name": manifest.name,
                                                "signed_at": manifest.signed_at, "meaning": manifest.meaning,
                                                "key_fingerprint": manifest.key_fingerprint}, outcome)
        c.execute(insert(t.signatures).values(
            screening_id=sid, key_fingerprint=key.fingerprint, signer=manifest.signer, signer_name=manifest.name,
            signed_at=manifest.signed_at, meaning=manifest.meaning, signature=signing.sign(key.private, message)))
        return manifest

    def signature(self, sid: str) -> signing.SignatureManifest | None:
        """Who signed a finished screening, when, and what it means: for the sheet and the views."""
        with self.db.read() as c:
            row = c.execute(select(t.signatures).where(t.signatures.c.screening_id == sid)).mappings().first()
        return None if row is None else signing.SignatureManifest(
            row["signer"], row["signer_name"], row["signed_at"], row["meaning"], row["key_fingerprint"])

    def signature_manifest(self, actor: Staff, sheet_kind: str) -> signing.SignatureManifest:
        """What the signature will say if `actor` finishes now: for a sheet printed before finishing
        (name, date and time, and the meaning of the signature for that sheet kind)."""
        return signing.SignatureManifest(actor.username, actor.display_name, now(), signing.meaning_for(sheet_kind),
                                         self._staff.keys[actor.id].fingerprint if actor.id in self._staff.keys else "")

    def record(self, sid: str) -> FinishedRecord:
        with self.db.read() as c:
            row = c.execute(select(t.finished, t.staff.c.display_name, t.screenings.c.amends)
                            .join(t.staff, t.staff.c.id == t.finished.c.finished_by)
                            .join(t.screenings, t.screenings.c.id == t.finished.c.screening_id)
                            .where(t.finished.c.screening_id == sid)).mappings().first()
        if row is None:
            raise StoreError("refused", f"No finished screening {sid}.")
        return FinishedRecord(row["screening_id"], row["finished_at"], row["signer_name"] or row["display_name"],
                              json.loads(row["screening_json"]), json.loads(row["result_json"]), row["sheet_kind"],
                              row["questionnaire_version"], row["rules_version"], row["sheet_version"],
                              row["lot"], row["lot_verified"], bytes(row["pdf"]), row["pdf_sha256"], row["amends"],
                              row["signer_name"], row["content_digest"])

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
        s = t.screenings
        query = select(s.c.id, s.c.status, s.c.patient_name, s.c.date_of_birth, s.c.treatment_date, s.c.outcome,
                       s.c.updated_at, s.c.amends).where(s.c.status != "discarded")
        words = name_words(name)
        if words:
            # One id set per word, intersected inside the index before any row is read.
            token = t.name_tokens.c.token.collate("C") if self.dialect == "postgresql" else t.name_tokens.c.token
            per_word = [select(t.name_tokens.c.screening_id).where(
                token >= w, token < w + "\U0010ffff") for w in words]
            query = query.where(s.c.id.in_(intersect(*per_word) if len(per_word) > 1 else per_word[0]))
        if date_of_birth:
            query = query.where(s.c.date_of_birth == date_of_birth)
        if date_from:
            query = query.where(s.c.treatment_date >= date_from)
        if date_to:
            query = query.where(s.c.treatment_date <= date_to)
        if outcome:
            query = query.where(s.c.outcome == outcome)
        if not include_unfinished:
            query = query.where(s.c.status == "finished")
        # With a name, the few rows its words match are found by the token index and then
        # sorted; ordering by the bare column would make the planner walk the date index
        # and test every row against the words instead (17 ms rather than 1 ms at 100,000).
        order = (s.c.treatment_date + "") if words else s.c.treatment_date
        query = query.order_by(order.desc(), s.c.updated_at.desc()).limit(limit)
        with self._read() as c:
            return [dict(r) for r in c.execute(query).mappings()]

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

    def adverse_events(self, actor, *, sid: str | None = None, open_only: bool = False) -> list[AdverseEvent]:
        return self._adverse.adverse_events(actor, sid=sid, open_only=open_only)

    def medwatch_facts(self, actor, eid: str) -> dict:
        return self._adverse.medwatch_facts(actor, eid)

    def lookback(self, actor, lot: str, *, today: dt.date | None = None) -> tuple[bool, list[LookbackRow]]:
        return self._lookback.lookback(actor, lot, today=today)
