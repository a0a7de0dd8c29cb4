"""The paper side of a screening: the sheet printed, saved or not printed (and why), and the
signed copy coming back (optionally with its scan). Append-only; each event is audited."""
from __future__ import annotations

import hashlib

from sqlalchemy import insert, select

from ..wording import say
from . import StoreError
from . import schema as t
from .accounts import Staff
from .acting import acting
from .audit import append, now
from .database import Database


class Paper:
    def __init__(self, db: Database):
        self.db = db

    def record_paper(self, actor: Staff, sid: str, event: str, detail: str = "", *, scan: bytes | None = None,
                     sheet_sha256: str | None = None) -> None:
        """Records that the sheet was printed or saved, not printed (with why), or that the signed
        copy came back (optionally with its scan as PDF). Append-only; each is audited."""
        if event not in t.PAPER_EVENTS:
            raise StoreError("refused", say("records.paper.unknown_paper_event_event_r", event=event))
        if event == "not_printed" and not detail.strip():
            raise StoreError("refused", say("records.paper.say_why_sheet_was_not"))
        if scan is not None and not (scan.startswith(b"%PDF-") and b"%%EOF" in scan[-1024:]):
            raise StoreError("refused", say("records.paper.scan_must_pdf_file"))
        with self.db.write() as c:
            actor = acting(c, actor, "screen" if event != "signed_copy_received" else None,
                           say("records.paper.record_sheet"))
            if c.execute(select(t.screenings.c.id).where(t.screenings.c.id == sid)).first() is None:
                raise StoreError("refused", say("records.paper.screening_does_not_exist"))
            sha = hashlib.sha256(scan).hexdigest() if scan is not None else None
            c.execute(insert(t.paper).values(screening_id=sid, event=event, at=now(), by=actor.id,
                                             detail=detail.strip()[:2000], scan=scan, scan_sha256=sha,
                                             sheet_sha256=sheet_sha256))
            append(c, actor.username, event, sid, {"detail": detail.strip()[:200], "scan_sha256": sha,
                                                   "sheet_sha256": sheet_sha256})

    def paper_events(self, sid: str) -> list[dict]:
        """What happened to this screening's sheet on paper, oldest first (scans not included)."""
        p = t.paper
        with self.db.read() as c:
            rows = c.execute(select(p.c.event, p.c.at, p.c.detail, p.c.scan_sha256, p.c.sheet_sha256,
                                    t.staff.c.display_name)
                             .join(t.staff, t.staff.c.id == p.c.by).where(p.c.screening_id == sid)
                             .order_by(p.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def paper_summaries(self, sids: list[str]) -> dict[str, list[str]]:
        """For a list of screenings: the paper events of each, oldest first (one query)."""
        if not sids:
            return {}
        out: dict[str, list[str]] = {}
        with self.db.read() as c:
            for sid, event in c.execute(select(t.paper.c.screening_id, t.paper.c.event)
                                        .where(t.paper.c.screening_id.in_(sids)).order_by(t.paper.c.id)):
                out.setdefault(sid, []).append(event)
        return out

    def signed_copy(self, sid: str) -> bytes | None:
        with self.db.read() as c:
            return c.execute(select(t.paper.c.scan).where(t.paper.c.screening_id == sid,
                                                          t.paper.c.event == "signed_copy_received",
                                                          t.paper.c.scan.is_not(None))
                             .order_by(t.paper.c.id.desc()).limit(1)).scalar()
