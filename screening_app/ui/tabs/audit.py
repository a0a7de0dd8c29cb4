"""The Audit trail tab (admin): the latest entries, a check of the whole record, the trail's
head to compare with a printed sheet, and sign-ins locked after wrong passwords."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ...records import StoreError
from ...records.accounts import PermissionDenied
from ...wording import say
from ..tables import _fill, _table
from . import Tab

SHOWN = 300  # the newest entries; `screening-app audit` reads them all


class AuditTab(Tab):
    exposes = ("audit", "audit_state", "audit_head", "locked_names", "verify_audit", "unlock_signin")

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.audit = _table([say("workstation.column.seq"), say("workstation.column.when_utc"),
                             say("workstation.column.who"), say("workstation.column.what"),
                             say("workstation.column.screening"), say("workstation.column.detail")],
                            say("workstation.audit.list_name"))
        verify = QPushButton(say("workstation.audit.verify"), self)
        verify.setToolTip(say("workstation.audit.verify_tip"))
        verify.clicked.connect(self.verify_audit)
        self.audit_state = QLabel(self)
        self.audit_state.setWordWrap(True)
        if store.anchor_problem:
            self.audit_state.setText(say("workstation.audit.broken", result=store.anchor_problem))
        self.audit_head = QLabel(self)
        self.audit_head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.locked_names = QComboBox(self)
        self.locked_names.setAccessibleName(say("workstation.audit.locked_name"))
        unlock = QPushButton(say("workstation.audit.unlock"), self)
        unlock.clicked.connect(self.unlock_signin)
        row = QHBoxLayout()
        row.addWidget(verify)
        row.addWidget(self.audit_state, 1)
        locks = QHBoxLayout()
        locks.addWidget(self.audit_head, 1)
        locks.addWidget(QLabel(say("workstation.audit.locked_caption"), self))
        locks.addWidget(self.locked_names)
        locks.addWidget(unlock)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(locks)
        layout.addWidget(self.audit)

    def refresh(self) -> None:
        entries = self.store.audit_entries(self.staff, limit=SHOWN)
        _fill(self.audit, [[str(e["seq"]), e["at"].replace("T", " ")[:19], e["actor"], e["action"],
                            (e["screening_id"] or "")[:8], e["detail"]] for e in entries],
              [e["screening_id"] or "" for e in entries])
        self._refresh_state()

    def _refresh_state(self) -> None:
        self.audit_head.setText(say("workstation.audit.head", fingerprint=self.store.head_fingerprint()))
        self.locked_names.clear()
        self.locked_names.addItems(self.store.locked_signins(self.staff))

    def verify_audit(self) -> None:
        try:
            ok, message = self.store.verify_audit()
            self.store.log(self.staff, "audit_verified", None, {"ok": ok, "result": message[:300], "via": "app"})
            self._refresh_state()
        except StoreError as exc:
            ok, message = False, str(exc)
        self.audit_state.setText(say("workstation.audit.intact", result=message) if ok
                                 else say("workstation.audit.broken", result=message))

    def unlock_signin(self) -> None:
        name = self.locked_names.currentText()
        if not name:
            return
        try:
            self.store.unlock_signin(self.staff, name)
        except (StoreError, PermissionDenied) as exc:
            self.status.emit(str(exc))
            return
        self.status.emit(say("workstation.audit.unlocked", name=name))
        self.changed.emit()
