"""The audit trail: one hash-chained entry per change, written in the same transaction as the
change, and what keeps it honest (this workstation's anchor, the verification of integrity.py,
the fingerprint printed on sheets)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import insert, select, update

from ..wording import say
from . import StoreError, integrity
from . import schema as t
from .accounts import Staff
from .acting import acting
from .database import Database

GENESIS = "0" * 64


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def canonical(entry: dict) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, entry: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def append(c, actor: str, action: str, sid: str | None, detail: dict) -> None:
    """The next entry of the chain, in the caller's write transaction (the head's row is locked)."""
    head = c.execute(select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1)
                     .with_for_update()).one()
    entry = {"seq": head.seq + 1, "at": now(), "actor": actor, "action": action, "screening_id": sid,
             "detail": canonical(detail)}
    digest = chain_hash(head.hash, entry)
    c.execute(insert(t.audit).values(prev_hash=head.hash, hash=digest, **entry))
    c.execute(update(t.audit_head).where(t.audit_head.c.id == 1).values(seq=entry["seq"], hash=digest))
    c.info["audit_head"] = (entry["seq"], digest)  # this workstation's anchor, once committed


class AuditTrail:
    """Reading and verifying the trail, and this workstation's anchor of its head."""

    def __init__(self, db: Database):
        self.db = db
        self.anchor_problem: str | None = None  # set at opening when the trail is behind this workstation's anchor
        db.on_commit = self.saw_head

    @property
    def anchor_key(self) -> str:
        return self.db.engine.url.render_as_string(hide_password=True)

    def check_anchor(self) -> None:
        """A store that is empty where this workstation saw history is refused, never taken for a
        new install; a trail behind the anchor (cut or rolled back) is noted for `audit verify`."""
        anchor = integrity.anchor_for(self.anchor_key)
        if anchor is None or anchor[0] == 0:
            return
        seq, digest = self.head()
        if seq == 0:
            raise StoreError("damaged", say("records.audit.records_store_location_empty_but",
                                            location=self.db.location, value=anchor[0],
                                            integrity=integrity.fingerprint(*anchor)))
        with self.db.read() as c:
            at = c.execute(select(t.audit.c.hash).where(t.audit.c.seq == anchor[0])).scalar()
        if at != anchor[1]:
            self.anchor_problem = (say("records.audit.audit_trail_no_longer_holds",
                                       integrity=integrity.fingerprint(*anchor)))

    def saw_head(self, seq: int, digest: str) -> None:
        if self.anchor_problem is None:  # a broken history is not anchored over; it stays for the admin
            integrity.remember(self.anchor_key, seq, digest)

    def log(self, actor: Staff, action: str, sid: str | None, detail: dict | None = None) -> None:
        """Records that someone opened, printed or exported a screening."""
        with self.db.write() as c:
            actor = acting(c, actor, None, "")
            append(c, actor.username, action, sid, detail or {})

    def audit_entries(self, actor: Staff, *, screening_id: str | None = None, limit: int = 500) -> list[dict]:
        query = select(t.audit).order_by(t.audit.c.seq.desc()).limit(limit)
        if screening_id:
            query = query.where(t.audit.c.screening_id == screening_id)
        with self.db.read() as c:
            acting(c, actor, "view_audit", say("records.audit.view_audit_trail"))
            return [dict(r) for r in c.execute(query).mappings()]

    def verify_audit(self, *, fingerprints: tuple[str, ...] = ()) -> tuple[bool, str]:
        """The chain, this workstation's anchor, the accounts and keys replayed from the trail,
        and every finished record and signature against it (integrity.py). Names the first
        problem. `fingerprints`: head marks from printed sheets, each must be in the chain."""
        report = self.verify_report(fingerprints=fingerprints)
        return report.ok, report.message()

    def verify_report(self, *, fingerprints: tuple[str, ...] = ()) -> integrity.Report:
        report = integrity.verify(self.db, chain_hash, anchor=integrity.anchor_for(self.anchor_key),
                                  marks=fingerprints)
        if report.ok:
            self.saw_head(*report.head)
        return report

    def accept_restore(self, actor: Staff, reason: str) -> str:
        """After a backup was restored on purpose: the admin records it in the trail (with the
        head this workstation had seen, and why), and the anchor moves to the restored head.
        Returns the new head's fingerprint."""
        if not reason.strip():
            raise StoreError("refused", say("records.audit.reason_say_why_records_were"))
        anchor = integrity.anchor_for(self.anchor_key)
        with self.db.write() as c:
            actor = acting(c, actor, "manage_staff", say("records.audit.accept_restored_backup"))
            append(c, actor.username, "restore_accepted", None, {
                "previous_anchor": integrity.fingerprint(*anchor) if anchor else None, "reason": reason.strip()[:500]})
        self.anchor_problem = None
        integrity.forget(self.anchor_key)
        seq, digest = self.head()
        integrity.remember(self.anchor_key, seq, digest)
        return integrity.fingerprint(seq, digest)

    def head(self) -> tuple[int, str]:
        with self.db.read() as c:
            row = c.execute(select(t.audit_head.c.seq, t.audit_head.c.hash)).one()
        return row.seq, row.hash

    def head_fingerprint(self) -> str:
        """A short mark of the trail's head (e.g. "57-3F9A2C1B") for the sheet footer and the
        audit view: paper that anchors the history. `audit verify --fingerprint` checks one."""
        return integrity.fingerprint(*self.head())
