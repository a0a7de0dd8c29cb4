"""Finishing a screening, and never rewriting it: the sheet made by the store itself from what it
reads (the signer, the patient's earlier screenings, the clinic's settings, the recalled lots),
the record exactly as signed, and the signer's electronic signature over it (signing.py).

A sheet made for signing (`sheet_stamp`) prints the signature and the trail's mark; `finish`
signs at that very time, so the printed sheet and the recorded one are the same bytes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from ..screening import InputRefused, default_content, parse_screening
from ..screening.signature import SignedBy, meaning_for
from ..wording import say
from . import StoreError, integrity, patients, signing, statuses, treatments
from . import schema as t
from .accounts import Staff
from .acting import acting
from .audit import append, canonical, now
from .clinic import read_settings
from .database import Database
from .lifecycle import index_name, searchable
from .staff import StaffAccounts


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


# How long a sheet made for signing stays signable: a clinician who prints it and finishes in one
# sitting signs at the time it printed; a sheet left overnight is made again.
STAMP_HOURS = 12


@dataclass(frozen=True)
class SheetStamp:
    """What a sheet made for signing prints: the electronic signature and the trail's mark."""
    signed: SignedBy
    anchor: str


def file_digest(screening_file: dict) -> str:
    return hashlib.sha256(canonical(screening_file).encode("utf-8")).hexdigest()


class Finishing:
    def __init__(self, db: Database, staff: StaffAccounts):
        self.db = db
        self.staff = staff

    def finish(self, actor: Staff, sid: str, *, version: int, screening_file: dict, pdf: bytes | None = None,
               sheet_version: str | None = None) -> FinishedRecord:
        """Records the screening exactly as signed, by the signed-in clinician.

        The store trusts nothing the caller decides: it reads the signer from the database,
        finds the patient's earlier screenings itself, takes the clinic's settings from its
        own table, decides the sheet kind and makes the sheet itself (the same path the wizard
        and `screen` use). A `pdf` given by the caller must be that very sheet, byte for byte."""
        from ..sheets import render, sheet_texts  # reportlab only when a screening is finished
        screening_file = json.loads(canonical(screening_file))  # a copy: the caller's dict is theirs
        given = json.loads(canonical(screening_file))  # what the sheet was made from, before the store's names
        as_given = file_digest(given)

        def inputs(c):
            signer = acting(c, actor, "sign", "sign screenings")
            key = self.staff.open_key(signer)  # the signer's own key, opened by their password (signing.py)
            row = c.execute(select(t.screenings.c.claimed_by, t.screenings.c.status, t.screenings.c.row_version)
                            .where(t.screenings.c.id == sid)).first()
            if row is None or row.row_version != version or not statuses.may(
                    "finish", row.status, is_creator=False, is_holder=row.claimed_by == signer.id):
                raise StoreError("conflict", say("records.finishing.only_clinician_who_opened_screening"))
            if isinstance(screening_file.get("review"), dict):
                # The reviewer is whoever signs in and signs, by the name on their account.
                screening_file["review"]["clinician"] = signer.display_name
            if isinstance(screening_file.get("declined"), dict):
                screening_file["declined"]["recorded_by"] = signer.display_name
            try:
                screening = parse_screening(screening_file)
            except InputRefused as exc:
                raise StoreError("refused", say("records.finishing.screening_not_complete")
                                 + "; ".join(exc.problems)) from None
            history = patients.history(c, name=screening.patient.name,
                                       date_of_birth=screening.patient.date_of_birth.isoformat(),
                                       patient_id=screening.patient.patient_id or "", exclude=sid)
            # A lot the clinic has recalled never verifies, so it never gets a consent.
            return (signer, key, screening, history, read_settings(c), patients.completion(c, sid),
                    tuple(treatments.recalled(c)), self._stamp(c, signer, sid, as_given))

        # The sheet is made outside the write transaction (reportlab takes tens of milliseconds,
        # and SQLite's write lock would stop every other workstation meanwhile); what it was made
        # from is read again under the lock, and anything changed in between is a conflict.
        with self.db.read() as c:
            signer, key, screening, history, settings, (completed_by, completed_on), recalled, made_for = inputs(c)
        if made_for is None:  # no sheet was made for signing from this file: the store makes one now
            made_for = self.sheet_stamp(actor, sid, given)
        made = render(screening, settings=settings, history=history, completed_by=completed_by,
                      completed_on=completed_on, recalled=recalled, signed=made_for.signed, anchor=made_for.anchor)
        with self.db.write() as c:
            # First the audit head's row lock: on PostgreSQL this serialises finishes (and every
            # other write), so two finishes for one patient cannot each miss the other.
            c.execute(select(t.audit_head.c.seq).where(t.audit_head.c.id == 1).with_for_update())
            signer, key, _, history_now, settings_now, _, recalled_now, made_for_now = inputs(c)
            if history_now != history or settings_now != settings or recalled_now != recalled \
                    or made_for_now != made_for:
                raise StoreError("conflict", say("records.finishing.patient_s_records_clinic_s"))
            result, kind = made.result, made.kind.value
            product = result.product
            # The core's rule never makes a consent without a verified lot; a screening that may be
            # treated but whose lot is missing or failed is not finished either: check a good lot first.
            if kind in ("lot_not_checked", "lot_not_verified") or (
                    kind == "consent" and (product is None or not product.verified)):
                raise StoreError("refused", say("records.finishing.consent_needs_product_lot_passed"))
            if pdf is not None and pdf != made.pdf:
                raise StoreError("refused", say("records.finishing.sheet_given_not_sheet_for"))
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
            self._sign_finished(c, signer, sid, key, made_for.signed.at)
            append(c, signer.username, "finished", sid, {"sheet_kind": kind, "outcome": result.outcome.value,
                                                         "pdf_sha256": sha, "signer": signer.display_name})
        return self.record(sid)

    def _sign_finished(self, c, actor: Staff, sid: str, key: signing.OpenKey,
                       signed_at: str) -> signing.SignatureManifest:
        """Signs the finished row just written, as stored (so what is verified is what was signed),
        at the time the sheet printed (when it was made for signing: `sheet_stamp`)."""
        row = c.execute(select(t.finished).where(t.finished.c.screening_id == sid)).mappings().one()
        signer = c.execute(select(t.staff.c.username, t.staff.c.display_name)
                           .where(t.staff.c.id == actor.id)).one()
        outcome = json.loads(row["result_json"])["outcome"]
        manifest = signing.SignatureManifest(signer.username, signer.display_name, signed_at,
                                             meaning_for(row["sheet_kind"]), key.fingerprint)
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

    def sheet_stamp(self, actor: Staff, sid: str, screening_file: dict) -> SheetStamp:
        """The signature and trail mark a sheet made now for signing prints: the signed-in
        clinician who holds the screening, the store's time, and the fingerprint of an audit entry
        ("sheet made") written for it. Made once per content: asking again for the same screening
        file (within STAMP_HOURS) gives the same stamp, so a sheet printed, shown again and finished
        is the same sheet byte for byte; `finish` signs at this very time."""
        digest = file_digest(json.loads(canonical(screening_file)))
        with self.db.write() as c:
            signer = acting(c, actor, "sign", "sign screenings")
            row = c.execute(select(t.screenings.c.status, t.screenings.c.claimed_by)
                            .where(t.screenings.c.id == sid)).first()
            if row is None or not statuses.may("finish", row.status, is_creator=False,
                                               is_holder=row.claimed_by == signer.id):
                raise StoreError("conflict", say("records.finishing.only_clinician_who_opened_screening_2"))
            found = self._stamp(c, signer, sid, digest)
            if found is not None:
                return found
            append(c, signer.username, "sheet_made", sid, {"screening_sha256": digest})
            seq, digest_now = c.info["audit_head"]
            at = c.execute(select(t.audit.c.at).where(t.audit.c.seq == seq)).scalar_one()
            return SheetStamp(SignedBy(signer.display_name, at), integrity.fingerprint(seq, digest_now))

    def _stamp(self, c, signer: Staff, sid: str, digest: str) -> SheetStamp | None:
        """The latest "sheet made" stamp of `signer` for `sid`, if it was made from this very file
        and recently (a sheet made yesterday is made again, so the signing time is today's)."""
        row = c.execute(select(t.audit.c.seq, t.audit.c.at, t.audit.c.detail, t.audit.c.hash)
                        .where(t.audit.c.screening_id == sid, t.audit.c.action == "sheet_made",
                               t.audit.c.actor == signer.username)
                        .order_by(t.audit.c.seq.desc()).limit(1)).first()
        if row is None or json.loads(row.detail).get("screening_sha256") != digest:
            return None
        if dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(row.at) > dt.timedelta(hours=STAMP_HOURS):
            return None
        return SheetStamp(SignedBy(signer.display_name, row.at), integrity.fingerprint(row.seq, row.hash))

    def record(self, sid: str) -> FinishedRecord:
        with self.db.read() as c:
            row = c.execute(select(t.finished, t.staff.c.display_name, t.screenings.c.amends)
                            .join(t.staff, t.staff.c.id == t.finished.c.finished_by)
                            .join(t.screenings, t.screenings.c.id == t.finished.c.screening_id)
                            .where(t.finished.c.screening_id == sid)).mappings().first()
        if row is None:
            raise StoreError("refused", say("records.finishing.no_finished_screening_sid", sid=sid))
        return FinishedRecord(row["screening_id"], row["finished_at"], row["signer_name"] or row["display_name"],
                              json.loads(row["screening_json"]), json.loads(row["result_json"]), row["sheet_kind"],
                              row["questionnaire_version"], row["rules_version"], row["sheet_version"],
                              row["lot"], row["lot_verified"], bytes(row["pdf"]), row["pdf_sha256"], row["amends"],
                              row["signer_name"], row["content_digest"])
