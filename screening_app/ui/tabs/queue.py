"""The Review queue: screenings the front desk handed over, refreshed by itself; a clinician
opens one for review, and a held one is freed or a screening withdrawn with a reason."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout

from ...records import StoreError
from ...records.accounts import PermissionDenied
from ...screening.model import Outcome
from ...wording import say
from ..forms import button_row
from ..tables import _fill, _table, selected_key
from . import Tab
from .home import status_label

REFRESH_MS = 5000


class QueueTab(Tab):
    review_requested = Signal(str)  # a screening id
    exposes = ("queue", "queue_timer", "refresh_queue", "release_selected", "withdraw_selected")

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.queue = _table([say("workstation.column.patient"), say("workstation.column.date_of_birth"),
                             say("workstation.column.outcome"), say("workstation.column.status"),
                             say("workstation.column.from"), say("workstation.column.waiting_since"),
                             say("workstation.column.note")], say("workstation.queue.list_name"))
        buttons: list[tuple[str, Callable[[], object]]] = []
        if staff.can("review"):
            self.queue.doubleClicked.connect(lambda _i: self.review_selected())
            buttons.append((say("workstation.queue.open"), self.review_selected))
        buttons += [(say("workstation.queue.free"), self.release_selected),
                    (say("workstation.queue.withdraw"), self.withdraw_selected)]
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(say("workstation.queue.caption"), self))
        layout.addWidget(self.queue)
        layout.addLayout(button_row(self, buttons))
        # Only the queue changes behind this window's back; polling it alone keeps the
        # 5-second refresh to one small query (a server store gets it from every workstation).
        self.queue_timer = QTimer(self)
        self.queue_timer.timeout.connect(self.refresh_queue)
        self.queue_timer.start(REFRESH_MS)

    def refresh(self) -> None:
        self.refresh_queue()

    def refresh_queue(self) -> None:
        try:
            rows = self.store.queue()
        except StoreError as exc:
            self.status.emit(say("workstation.queue.refresh_failed", problem=exc))
            return
        _fill(self.queue, [[r.patient_name, r.date_of_birth, Outcome(r.outcome).label if r.outcome else "",
                            status_label(r.status) + (f" ({r.claimed_by})" if r.claimed_by else ""),
                            r.created_by, r.updated_at.replace("T", " ")[:16],
                            say("workstation.queue.amendment") if r.amends else ""] for r in rows],
              [r.id for r in rows])

    def review_selected(self) -> None:
        sid = selected_key(self.queue)
        if sid:
            self.review_requested.emit(sid)

    def release_selected(self) -> bool:
        """Frees a screening another clinician holds (crashed, went home), with a reason."""
        sid = selected_key(self.queue)
        if not sid:
            return False
        reason = self.dialogs.ask_reason(self, say("workstation.queue.free_title"),
                                         say("workstation.queue.free_question"))
        if reason is None:
            return False
        return self._queue_action(lambda: self.store.release(self.staff, sid, reason=reason),
                                  say("workstation.queue.not_freed"))

    def withdraw_selected(self) -> bool:
        """Takes a screening out of every queue (patient left, duplicate, wrong patient)."""
        sid = selected_key(self.queue)
        if not sid:
            return False
        reason = self.dialogs.ask_reason(self, say("workstation.queue.withdraw_title"),
                                         say("workstation.queue.withdraw_question"))
        if reason is None:
            return False
        return self._queue_action(lambda: self.store.withdraw(self.staff, sid, reason),
                                  say("workstation.queue.not_withdrawn"))

    def _queue_action(self, action: Callable[[], object], title: str) -> bool:
        try:
            action()
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, title, str(exc), error=True)
            return False
        finally:
            self.changed.emit()
        return True
