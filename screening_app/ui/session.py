"""Keeps the open screening in the store while staff type: nothing typed is lost.

Every edit is saved shortly after it is made, and every step as it is completed. When the
store cannot take it (locked, full, unwritable) the draft stays on screen, the problem is
shown, and the save is tried again until it goes through.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QObject, QTimer, Signal

from ..records import StoreError
from ..records.accounts import PermissionDenied, Staff
from ..screening import InputRefused

SAVE_DELAY_MS = 400
RETRY_MS = 5000


class ScreeningSession(QObject):
    """One screening being worked on by one signed-in person."""

    status = Signal(str, bool)  # message, is_problem

    def __init__(self, store, staff: Staff, row=None, parent=None):
        super().__init__(parent)
        self.store, self.staff = store, staff
        self.sid = row.id if row else None
        self.version = row.row_version if row else None
        self.amends = row.amends if row else None
        self.wizard = None
        self.snapshot: tuple[dict, int, str | None] | None = None  # what to save once the window is gone
        self.unsaved = False
        self.last_problem: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save)

    def attach(self, wizard) -> None:
        self.wizard = wizard
        wizard.draft_changed.connect(self.schedule)
        wizard.currentIdChanged.connect(lambda _id: self.save(audit_step=True))

    def detach(self) -> None:
        """The window is closing: keep what it showed, so a failed save is retried from it."""
        if self.wizard is not None:
            self.snapshot = (self.wizard.draft.to_json(), max(self.wizard.currentId(), 0), self._outcome())
            self.wizard = None

    def schedule(self) -> None:
        # A throttle, not a debounce: steady typing is still saved every SAVE_DELAY_MS,
        # instead of waiting for a pause that may never come before a crash.
        self.unsaved = True
        if not self._timer.isActive():
            self._timer.start(SAVE_DELAY_MS)

    def _outcome(self) -> str | None:
        try:
            return self.wizard.flow.result(self.wizard.draft).outcome.value
        except InputRefused:
            return None

    def save(self, audit_step: bool = False) -> bool:
        """Saves now; True when the store has everything typed so far."""
        if self.wizard is not None:
            draft, step, outcome = self.wizard.draft.to_json(), max(self.wizard.currentId(), 0), self._outcome()
        elif self.snapshot is not None:
            draft, step, outcome = self.snapshot
        else:
            return False
        try:
            if self.sid is None:
                row = self.store.new_draft(self.staff, draft, amends=self.amends)
                self.sid, self.version = row.id, row.row_version
            self.version = self.store.save_draft(self.staff, self.sid, draft, step=step, version=self.version,
                                                 outcome=outcome, audit_step=audit_step)
        except (StoreError, PermissionDenied) as exc:
            self.unsaved = True
            self.last_problem = str(exc)
            self.status.emit(f"Not saved yet: {exc} Trying again…", True)
            if getattr(exc, "kind", "") != "conflict":
                self._timer.start(RETRY_MS)
            return False
        self.unsaved = False
        self.last_problem = None
        self.status.emit(f"Saved {dt.datetime.now().strftime('%H:%M:%S')}", False)
        return True

    # --- the steps that change who holds the screening ---------------------------------------

    def hand_over(self) -> str | None:
        if not self.save():
            return self.last_problem
        try:
            self.version = self.store.hand_over(self.staff, self.sid, self.version)
        except (StoreError, PermissionDenied) as exc:
            return str(exc)
        return None

    def claim_for_review(self) -> str | None:
        """Before the clinician sees the findings: only one clinician may hold a screening."""
        if not self.save():
            return self.last_problem
        try:
            row = self.store.claim(self.staff, self.sid)
        except (StoreError, PermissionDenied) as exc:
            return str(exc)
        self.version = row.row_version
        return None

    def finish(self, screening_file: dict, pdf: bytes) -> str | None:
        from ..sheets import sheet_texts
        if not self.save(audit_step=True):
            return self.last_problem
        try:
            self.store.finish(self.staff, self.sid, version=self.version, screening_file=screening_file, pdf=pdf,
                              sheet_version=sheet_texts()["sheet"]["version"])
        except (StoreError, PermissionDenied, InputRefused) as exc:
            return str(exc)
        return None

    def log(self, action: str, detail: dict | None = None) -> None:
        try:
            self.store.log(self.staff, action, self.sid, detail)
        except StoreError as exc:
            self.status.emit(f"Not recorded in the audit trail: {exc}", True)

    def release(self) -> None:
        if self.sid is not None:
            try:
                self.store.release(self.staff, self.sid)
            except StoreError:
                pass
