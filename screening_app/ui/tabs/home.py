"""The Screenings tab: start a screening, or resume or discard one of your own unfinished ones."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout

from ...wording import say
from ..forms import button_row
from ..tables import _fill, _table, selected_key
from . import Tab


def status_label(status: str) -> str:
    """A screening's status in staff's words."""
    return say(f"workstation.status.{status}")


class HomeTab(Tab):
    new_requested = Signal()
    resume_requested = Signal(str)  # a screening id
    exposes = ("drafts", "discard_selected")

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.drafts = _table([say("workstation.column.patient"), say("workstation.column.date_of_birth"),
                              say("workstation.column.status"), say("workstation.column.last_saved")],
                             say("workstation.home.list_name"))
        self.drafts.doubleClicked.connect(lambda _i: self.resume_selected())
        layout = QVBoxLayout(self)
        layout.addLayout(button_row(self, [(say("workstation.home.new"), self.new_requested.emit),
                                           (say("workstation.home.resume"), self.resume_selected),
                                           (say("workstation.home.discard"), self.discard_selected)]))
        layout.addWidget(QLabel(say("workstation.home.caption"), self))
        layout.addWidget(self.drafts)

    def refresh(self) -> None:
        rows = self.store.open_drafts(self.staff)
        _fill(self.drafts, [[r.patient_name or say("workstation.home.no_name"), r.date_of_birth,
                             status_label(r.status), r.updated_at.replace("T", " ")[:16]] for r in rows],
              [r.id for r in rows])

    def resume_selected(self) -> None:
        sid = selected_key(self.drafts)
        if sid:
            self.resume_requested.emit(sid)

    def discard_selected(self) -> None:
        sid = selected_key(self.drafts)
        if sid and self.dialogs.ask_yes_no(self, say("workstation.home.discard_title"),
                                           say("workstation.home.discard_text")):
            self.store.discard(self.staff, sid)
            self.changed.emit()
