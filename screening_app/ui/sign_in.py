"""Who is at the keyboard: the sign-in dialog, and on a store with no accounts the first admin."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

from ..records import StoreError
from ..records.accounts import PermissionDenied, Staff, hash_password
from ..wording import say
from .forms import labelled_form, password_field


class SignInDialog(QDialog):
    """Signs a person in; or, on a store with no accounts, creates the first admin."""

    def __init__(self, store, *, first_admin: bool, parent=None):
        super().__init__(parent)
        self.store, self.first_admin = store, first_admin
        self.staff: Staff | None = None
        # A hash of this person's password kept in memory only, so the idle lock can still be
        # opened by them while the records server is unreachable.
        self.verifier: str | None = None
        self.setWindowTitle(say("workstation.sign_in.title_first") if first_admin
                            else say("workstation.sign_in.title"))
        self.username = QLineEdit(self)
        self.password = password_field(self)
        # Only the first start asks for a name and the password twice.
        self.display = QLineEdit(self) if first_admin else None
        self.repeat = password_field(self) if first_admin else None
        rows = [(say("workstation.sign_in.username"), self.username)]
        if self.display is not None:
            rows += [(say("workstation.sign_in.display_name"), self.display)]
        rows += [(say("workstation.sign_in.password"), self.password)]
        if self.repeat is not None:
            rows += [(say("workstation.sign_in.repeat"), self.repeat)]
        form = labelled_form(self, rows)
        intro = QLabel(say("workstation.sign_in.intro_first") if first_admin else say("workstation.sign_in.intro"),
                       self)
        intro.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName("signInError")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            say("workstation.sign_in.create") if first_admin else say("workstation.sign_in.ok"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def submit(self) -> None:
        try:
            if self.display is not None and self.repeat is not None:
                if self.password.text() != self.repeat.text():
                    self.error.setText(say("workstation.sign_in.passwords_differ"))
                    return
                self.staff = self.store.create_first_admin(self.username.text().strip(), self.display.text(),
                                                           self.password.text())
            else:
                self.staff = self.store.authenticate(self.username.text().strip(), self.password.text())
                if self.staff is None:
                    self.password.clear()
                    self.error.setText(say("workstation.sign_in.refused"))
                    return
        except (StoreError, PermissionDenied) as exc:
            self.error.setText(str(exc))
            return
        self.verifier = hash_password(self.password.text())
        self.accept()
