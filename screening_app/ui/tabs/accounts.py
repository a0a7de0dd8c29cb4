"""The Accounts tab (admin): add a person, switch an account on or off, set a new password."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QVBoxLayout

from ...records import StoreError
from ...records.accounts import ALL_ROLES, ROLE_LABELS, PermissionDenied
from ...wording import say
from ..forms import button_row, password_field, run_form
from ..tables import _fill, _table, selected_key
from . import Tab


class AccountsTab(Tab):
    exposes = ("accounts", "add_account", "toggle_account", "reset_password")

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.accounts = _table([say("workstation.column.username"), say("workstation.column.name"),
                                say("workstation.column.role"), say("workstation.column.active")],
                               say("workstation.accounts.list_name"))
        layout = QVBoxLayout(self)
        layout.addLayout(button_row(self, [(say("workstation.accounts.add"), self.add_account),
                                           (say("workstation.accounts.toggle"), self.toggle_account),
                                           (say("workstation.accounts.reset"), self.reset_password)]))
        layout.addWidget(self.accounts)

    def refresh(self) -> None:
        people = self.store.list_staff(self.staff)
        _fill(self.accounts, [[p.username, p.display_name, ROLE_LABELS[p.role],
                               say("workstation.yes") if p.active else say("workstation.no")] for p in people],
              [p.username for p in people])

    def add_account(self) -> None:
        username, name, password = QLineEdit(), QLineEdit(), password_field(None)
        role = QComboBox()
        for r in ALL_ROLES:
            role.addItem(ROLE_LABELS[r], r)
        run_form(self.window(), say("workstation.accounts.add_title"),
                 [(say("workstation.accounts.username"), username), (say("workstation.accounts.name"), name),
                  (say("workstation.accounts.role"), role), (say("workstation.accounts.password"), password)],
                 say("workstation.accounts.add_ok"),
                 lambda: self.store.add_staff(self.staff, username.text().strip(), name.text(), role.currentData(),
                                              password.text()))
        self.changed.emit()

    def toggle_account(self) -> None:
        username = selected_key(self.accounts)
        if not username:
            return
        active = next(p.active for p in self.store.list_staff(self.staff) if p.username == username)
        try:
            self.store.set_staff_active(self.staff, username, not active)
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, say("workstation.accounts.not_changed"), str(exc), error=True)
        self.changed.emit()

    def reset_password(self) -> None:
        username = selected_key(self.accounts)
        if not username:
            return
        password = password_field(None)
        run_form(self.window(), say("workstation.accounts.password_title", username=username),
                 [(say("workstation.accounts.password"), password)], say("workstation.accounts.password_ok"),
                 lambda: self.store.set_password(self.staff, username, password.text()))
