"""Keeps the open screening in the store while staff type: nothing typed is lost.

The screening's life (save, hand over, claim, finish) belongs to `casework.Case`; this Qt
object only adds the timer: every edit is saved shortly after it is made, and every step as
it is completed. When the store cannot take it (locked, full, unwritable) the draft stays on
screen, the problem is shown, and the save is tried again until it goes through. "Saved" is
shown only after a save that went through.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QObject, QTimer, Signal

from ..casework import Case, Step
from ..records import StoreError
from ..records.accounts import PermissionDenied, Staff
from ..screening import InputRefused
from ..wording import say

SAVE_DELAY_MS = 400
RETRY_MS = 5000
REFUSALS = (StoreError, PermissionDenied, InputRefused)


class ScreeningSession(QObject):
    """One screening being worked on by one signed-in person."""

    status = Signal(str, bool)  # message, is_problem
    history_changed = Signal()  # the patient's earlier screenings were found or changed

    def __init__(self, store, staff: Staff, row=None, parent=None, *, case: Case | None = None, content=None):
        super().__init__(parent)
        self.case = case or Case(store, staff, row=row, content=content)
        self.wizard = None
        self.step = Step.PATIENT
        self.unsaved = False
        self.last_problem: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save)

    # The case's identity, for the windows that list and find screenings.
    @property
    def sid(self) -> str | None:
        return self.case.sid

    @property
    def amends(self) -> str | None:
        return self.case.amends

    @property
    def staff(self) -> Staff:
        return self.case.staff

    def attach(self, wizard) -> None:
        self.wizard = wizard
        wizard.draft_changed.connect(self.schedule)
        wizard.currentIdChanged.connect(self._entered)

    def _entered(self, page_id: int) -> None:
        if page_id >= 0:
            self.step = Step(page_id)
            self.save(audit_step=True)

    def detach(self) -> None:
        """The window is closing; the case keeps the draft, so a failed save is retried from it."""
        self.wizard = None

    def schedule(self) -> None:
        # A throttle, not a debounce: steady typing is still saved every SAVE_DELAY_MS,
        # instead of waiting for a pause that may never come before a crash.
        self.unsaved = True
        if not self._timer.isActive():
            self._timer.start(SAVE_DELAY_MS)

    def save(self, audit_step: bool = False) -> bool:
        """Saves now; True when the store has everything typed so far."""
        if self.case.status in ("finished", "discarded", "handed_over"):
            return True  # nothing of it is this person's to save any more
        try:
            found_more = self.case.save(self.step, audit_step=audit_step)
        except REFUSALS as exc:
            from ..logs import log
            log.warning("save not taken: %s", getattr(exc, "kind", type(exc).__name__))  # the kind, no values
            self.unsaved = True
            self.last_problem = str(exc)
            self.status.emit(say("common.session.not_saved", problem=exc), True)
            if getattr(exc, "kind", "") != "conflict":
                self._timer.start(RETRY_MS)
            return False
        self.unsaved = False
        self.last_problem = None
        self.status.emit(say("common.session.saved", time=dt.datetime.now().strftime("%H:%M:%S")), False)
        if found_more:
            self.history_changed.emit()
        return True

    # --- the steps that change who holds the screening ---------------------------------------

    def _act(self, action, *args) -> str | None:
        try:
            action(*args)
        except REFUSALS as exc:
            return str(exc)
        return None

    def hand_over(self) -> str | None:
        return self._act(self.case.hand_over)

    def claim_for_review(self) -> str | None:
        """Before the clinician sees the findings: only one clinician may hold a screening."""
        return self._act(self.case.claim)

    def finish(self, pdf: bytes | None = None) -> str | None:
        return self._act(self.case.finish, pdf)

    def withdraw(self, reason: str) -> str | None:
        return self._act(self.case.withdraw, reason)

    def log(self, action: str, detail: dict | None = None) -> None:
        try:
            self.case.log(action, detail)
        except REFUSALS as exc:
            self.status.emit(say("common.session.not_logged", problem=exc), True)

    def release(self) -> None:
        try:
            self.case.release()
        except REFUSALS:
            pass  # the claim lapses for others after the clinic's time; nothing is lost
