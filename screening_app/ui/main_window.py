"""The application around the wizard: sign-in, home, review queue, records, admin, idle lock.

Every screening window has a ScreeningSession that keeps it in the store as it is typed;
the idle lock hides patient data without closing anything.
"""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QLockFile, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import paths
from ..casework import Flow, Step
from ..records import StoreError
from ..records.accounts import ALL_ROLES, ROLE_LABELS, PermissionDenied, Staff, hash_password, verify_password
from ..screening import ContentError
from ..screening.model import Outcome
from .application import make_application  # noqa: F401 (the launcher's entry)
from .dialogs import Dialogs
from .geometry import fit_to_screen
from .session import ScreeningSession
from .tables import _fill, _table
from .wizard import ScreeningWizard

QUEUE_REFRESH_MS = 5000
STATUS_LABELS = {"draft": "Draft", "handed_over": "Waiting for review", "in_review": "In review",
                 "finished": "Finished", "discarded": "Withdrawn"}


class AppDialogs(Dialogs):
    """The app's modal questions, answerable by tests."""

    def ask_yes_no(self, parent, title: str, text: str) -> bool:
        return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes

    def ask_file(self, parent, title: str, suggested: str, pattern: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, pattern)
        return path or None

    def ask_open_file(self, parent, title: str, pattern: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, title, str(Path.home()), pattern)
        return path or None


def _labelled_form(parent, rows: list[tuple[str, QWidget]], accessible_prefix: str = "") -> QFormLayout:
    """A form whose labels are buddies (so Alt+letter jumps to the field) and whose fields
    carry their label as accessible name, for screen readers."""
    form = QFormLayout()
    for label, widget in rows:
        caption = QLabel(label, parent)
        caption.setBuddy(widget)
        widget.setAccessibleName(accessible_prefix + label.replace("&", ""))
        form.addRow(caption, widget)
    # Tab follows the rows as they are read, whatever order the fields were made in: someone
    # typing in field order must never put their name into a hidden password box.
    for first, second in zip([w for _, w in rows], [w for _, w in rows][1:]):
        QWidget.setTabOrder(first, second)
    return form


def _form_dialog(parent, title: str, rows: list[tuple[str, QWidget]], ok_text: str) -> tuple[QDialog, QLabel]:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    form = _labelled_form(dialog, rows)
    error = QLabel(dialog)
    error.setWordWrap(True)
    error.setObjectName("dialogError")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(error)
    layout.addWidget(buttons)
    dialog.buttons = buttons
    return dialog, error


def _run_form(parent, title: str, rows: list[tuple[str, QWidget]], ok_text: str, action) -> bool:
    """Shows a small form; OK runs `action`, and a refusal is shown in the form, which stays open."""
    dialog, error = _form_dialog(parent, title, rows, ok_text)

    def submit():
        try:
            action()
        except (StoreError, PermissionDenied) as exc:
            error.setText(str(exc))
            return
        dialog.accept()

    dialog.buttons.accepted.connect(submit)
    return dialog.exec() == QDialog.DialogCode.Accepted


def _password_field(parent) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class SignInDialog(QDialog):
    """Signs a person in; or, on a store with no accounts, creates the first admin."""

    def __init__(self, store, *, first_admin: bool, parent=None):
        super().__init__(parent)
        self.store, self.first_admin, self.staff = store, first_admin, None
        # A hash of this person's password kept in memory only, so the idle lock can still be
        # opened by them while the records server is unreachable.
        self.verifier: str | None = None
        self.setWindowTitle("Create the admin account" if first_admin else "Sign in")
        self.username = QLineEdit(self)
        self.password = _password_field(self)
        # Only the first start asks for a name and the password twice.
        self.display = QLineEdit(self) if first_admin else None
        self.repeat = _password_field(self) if first_admin else None
        rows = [("&Username", self.username)]
        if first_admin:
            rows += [("Your &name", self.display)]
        rows += [("&Password", self.password)]
        if first_admin:
            rows += [("&Repeat password", self.repeat)]
        form = _labelled_form(self, rows)
        intro = QLabel("This is the first start: create the admin account. The admin adds the front desk and "
                       "clinician accounts and sets up the clinic." if first_admin else
                       "Sign in to screen patients.", self)
        intro.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName("signInError")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create" if first_admin else "Sign in")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def submit(self) -> None:
        try:
            if self.first_admin:
                if self.password.text() != self.repeat.text():
                    self.error.setText("The two passwords differ.")
                    return
                self.staff = self.store.create_first_admin(self.username.text().strip(), self.display.text(),
                                                           self.password.text())
            else:
                self.staff = self.store.authenticate(self.username.text().strip(), self.password.text())
                if self.staff is None:
                    self.password.clear()
                    self.error.setText("Wrong username or password, or the account is switched off.")
                    return
        except (StoreError, PermissionDenied) as exc:
            self.error.setText(str(exc))
            return
        self.verifier = hash_password(self.password.text())
        self.accept()


class LockDialog(QDialog):
    """Shown after the idle time: the same person's password opens everything as it was."""

    switch_user = Signal()

    def __init__(self, store, staff: Staff, parent=None, verifier: str | None = None):
        super().__init__(parent)
        self.store, self.staff, self.verifier = store, staff, verifier
        self.offline = False
        store.forget_signing_key(staff)  # closed while locked; the password below reopens it
        self.setWindowTitle("Locked")
        self.setModal(True)
        self.password = _password_field(self)
        self.password.setAccessibleName("Password")
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName("lockError")
        text = QLabel(f"Locked after a time without use. {staff.display_name}, enter your password to go on. "
                      "Open screenings are kept. Someone else? Switch user: the open screenings are saved "
                      "and stay in their drafts or the review queue.", self)
        text.setWordWrap(True)
        unlock = QPushButton("&Unlock", self)
        unlock.setDefault(True)
        unlock.clicked.connect(self.submit)
        other = QPushButton("&Switch user", self)
        other.clicked.connect(self.switch_user.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(unlock)
        buttons.addWidget(other)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    def submit(self) -> None:
        try:
            ok = self.store.check_password(self.staff, self.password.text())
        except StoreError as exc:
            # The records cannot be reached: the same person may still unlock with the password
            # they signed in with (checked against a hash kept in memory since sign-in).
            if self.verifier and verify_password(self.password.text(), self.verifier):
                self.offline = True
                self.accept()
                return
            self.password.clear()
            self.error.setText(f"The records cannot be reached, so the password cannot be checked now: {exc} "
                               "Try again in a moment, or Switch user.")
            return
        if ok:
            self.accept()
        else:
            self.password.clear()
            self.error.setText("Wrong password.")

    def reject(self) -> None:  # Escape must not unlock
        pass


class IdleLock(QObject):
    """Locks every window after the clinic's idle time; any key or mouse use resets it.
    Warns WARN_MS before (WCAG 2.2.1 asks for 20 seconds), and any use or "Keep working"
    puts the lock off again."""

    locked = Signal()
    warning = Signal(int)  # seconds left
    resumed = Signal()
    WARN_MS = 20_000

    def __init__(self, minutes: int, parent=None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.locked.emit)
        self.warn_timer = QTimer(self)
        self.warn_timer.setSingleShot(True)
        self.warn_timer.timeout.connect(lambda: self.warning.emit(self.WARN_MS // 1000))
        self.warned = False
        self.set_minutes(minutes)
        self.active = True
        QApplication.instance().installEventFilter(self)
        self.restart()

    def set_minutes(self, minutes: int) -> None:
        self.timer.setInterval(max(1, minutes) * 60_000)
        self.warn_timer.setInterval(max(0, self.timer.interval() - self.WARN_MS))

    def restart(self) -> None:
        self.timer.start()
        self.warn_timer.start()
        if self.warned:
            self.warned = False
            self.resumed.emit()

    def stop(self) -> None:
        self.timer.stop()
        self.warn_timer.stop()

    def eventFilter(self, obj, event):
        if self.active and event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                                            QEvent.Type.MouseMove, QEvent.Type.Wheel):
            self.restart()
        return False


class LockWarning(QDialog):
    """Says the screen will lock soon, with a countdown; "Keep working" puts it off."""

    def __init__(self, idle: IdleLock, parent=None):
        super().__init__(parent)
        self.idle = idle
        self.setWindowTitle("About to lock")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setObjectName("lockWarning")
        keep = QPushButton("&Keep working", self)
        keep.setDefault(True)
        keep.clicked.connect(self._keep)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(keep)
        self.left = 0
        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._count)
        idle.warning.connect(self.start)
        idle.resumed.connect(self.stop)
        idle.locked.connect(self.stop)

    def start(self, seconds: int) -> None:
        self.idle.warned = True
        self.left = seconds
        self._show_left()
        self.tick.start()
        self.show()

    def _count(self) -> None:
        self.left = max(0, self.left - 1)
        self._show_left()

    def _show_left(self) -> None:
        self.text.setText(f"The screen locks in {self.left} seconds to keep patient data private. "
                          "Open screenings are kept. Press Keep working, or use the mouse or keyboard, to go on.")

    def _keep(self) -> None:
        self.idle.restart()

    def stop(self) -> None:
        self.tick.stop()
        self.hide()


def _button_row(parent, buttons: list[tuple[str, object]]) -> QHBoxLayout:
    row = QHBoxLayout()
    for text, slot in buttons:
        button = QPushButton(text, parent)
        button.clicked.connect(slot)
        row.addWidget(button)
    row.addStretch(1)
    return row


def paper_label(events: list[str], status: str) -> str:
    """What happened to a finished screening's sheet on paper, in a few words."""
    if status != "finished" and not events:
        return ""
    parts = []
    if "printed" in events:
        parts.append("printed")
    elif "saved" in events:
        parts.append("saved as PDF")
    elif "not_printed" in events:
        parts.append("not printed")
    else:
        parts.append("not printed or saved")
    if "signed_copy_received" in events:
        parts.append("signed copy received")
    return ", ".join(parts)


def _selected_key(table: QTableWidget) -> str | None:
    items = table.selectedItems()
    return items[0].data(Qt.ItemDataRole.UserRole) if items else None


class MainWindow(QMainWindow):
    signed_out = Signal()

    def __init__(self, store, staff: Staff, flow: Flow, dialogs: AppDialogs | None = None, *,
                 verifier: str | None = None, owns_store: bool = True):
        super().__init__()
        self.store, self.staff, self.flow = store, staff, flow
        self.verifier, self.owns_store = verifier, owns_store
        self.dialogs = dialogs or AppDialogs()
        self.windows: list[ScreeningWizard] = []
        self.setWindowTitle(f"Exosome screening: {staff.display_name} ({ROLE_LABELS[staff.role]})")
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        if staff.can("screen"):
            self.tabs.addTab(self._home_tab(), "&Screenings")
        if staff.can("review") or staff.can("withdraw"):
            self.tabs.addTab(self._queue_tab(), "Review &queue")
        self.tabs.addTab(self._records_tab(), "&Records")
        if staff.can("follow_up") or staff.can("lookback"):
            from .aftercare_tab import AftercareTab  # after treatment: follow-up, adverse events, lookback
            self.aftercare = AftercareTab(store, staff, self.dialogs, self)
            self.tabs.addTab(self.aftercare, "Fo&llow-up")
        if staff.can("manage_staff"):
            self.tabs.addTab(self._accounts_tab(), "&Accounts")
        if staff.can("manage_settings"):
            self.tabs.addTab(self._settings_tab(), "Se&ttings")
        if staff.can("view_audit"):
            self.tabs.addTab(self._audit_tab(), "A&udit trail")
        self.statusBar().showMessage(f"Signed in as {staff.display_name}")
        sign_out = QPushButton(f"Sign &out {staff.display_name}", self)
        sign_out.setAccessibleName("Sign out or switch user")
        sign_out.clicked.connect(self.sign_out)
        self.statusBar().addPermanentWidget(sign_out)
        self.idle = IdleLock(store.settings().idle_lock_minutes, self)
        self.idle.locked.connect(self.lock)
        self.lock_warning = LockWarning(self.idle, self)
        # Only the queue changes behind this window's back; polling it alone keeps the
        # 5-second refresh to one small query (a server store gets it from every workstation).
        self.queue_timer = QTimer(self)
        self.queue_timer.timeout.connect(self.refresh_queue)
        self.queue_timer.start(QUEUE_REFRESH_MS)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        fit_to_screen(self, 980, 680)
        self.refresh()

    # --- tabs ------------------------------------------------------------------------------

    def _home_tab(self) -> QWidget:
        tab = QWidget()
        self.drafts = _table(["Patient", "Date of birth", "Status", "Last saved"])
        self.drafts.setAccessibleName("Your unfinished screenings")
        self.drafts.doubleClicked.connect(lambda _i: self.resume_selected())
        layout = QVBoxLayout(tab)
        layout.addLayout(_button_row(tab, [("&New screening", self.new_screening), ("&Resume", self.resume_selected),
                                           ("&Discard…", self.discard_selected)]))
        layout.addWidget(QLabel("Your unfinished screenings (saved as you typed):", tab))
        layout.addWidget(self.drafts)
        return tab

    def _queue_tab(self) -> QWidget:
        tab = QWidget()
        self.queue = _table(["Patient", "Date of birth", "Outcome", "Status", "From", "Waiting since", "Note"])
        self.queue.setAccessibleName("Screenings waiting for a clinician")
        buttons = []
        if self.staff.can("review"):
            self.queue.doubleClicked.connect(lambda _i: self.review_selected())
            buttons.append(("&Open for review", self.review_selected))
        buttons += [("&Free a held screening…", self.release_selected), ("&Withdraw…", self.withdraw_selected)]
        layout = QVBoxLayout(tab)
        layout.addWidget(QLabel("Handed over by the front desk. Refreshes by itself.", tab))
        layout.addWidget(self.queue)
        layout.addLayout(_button_row(tab, buttons))
        return tab

    def _records_tab(self) -> QWidget:
        tab = QWidget()
        self.search_name = QLineEdit(tab)
        self.search_dob = QLineEdit(tab)
        self.search_dob.setPlaceholderText("YYYY-MM-DD")
        self.search_from = QLineEdit(tab)
        self.search_from.setPlaceholderText("from YYYY-MM-DD")
        self.search_to = QLineEdit(tab)
        self.search_to.setPlaceholderText("to YYYY-MM-DD")
        self.search_outcome = QComboBox(tab)
        self.search_outcome.addItem("Any outcome", "")
        for o in Outcome:
            self.search_outcome.addItem(o.label, o.value)
        form = _labelled_form(tab, [("&Name", self.search_name), ("Date of &birth", self.search_dob),
                                    ("Treatment &from", self.search_from), ("Treatment &to", self.search_to),
                                    ("O&utcome", self.search_outcome)], "Search: ")
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(250)
        self.search_timer.timeout.connect(self.run_search)
        for edit in (self.search_name, self.search_dob, self.search_from, self.search_to):
            edit.textEdited.connect(lambda _t: self.search_timer.start())
        self.search_outcome.currentIndexChanged.connect(lambda _i: self.search_timer.start())
        self.results = _table(["Patient", "Date of birth", "Treatment date", "Outcome", "Status", "Sheet on paper",
                               "Amends"])
        self.results.setAccessibleName("Screenings found")
        layout = QVBoxLayout(tab)
        layout.addLayout(form)
        buttons = [("Open &sheet", self.open_sheet), ("Signed copy &received…", self.signed_copy_received),
                   ("Export &FHIR…", self.export_fhir), ("Export &CSV…", self.export_csv)]
        if self.staff.can("sign"):  # only clinicians amend a finished screening
            buttons.append(("&Amend…", self.amend_selected))
        layout.addLayout(_button_row(tab, buttons))
        layout.addWidget(self.results)
        self.run_search()
        return tab

    def _accounts_tab(self) -> QWidget:
        tab = QWidget()
        self.accounts = _table(["Username", "Name", "Role", "Active"])
        self.accounts.setAccessibleName("Staff accounts")
        layout = QVBoxLayout(tab)
        layout.addLayout(_button_row(tab, [("&Add…", self.add_account), ("Switch on/&off", self.toggle_account),
                                           ("Set &password…", self.reset_password)]))
        layout.addWidget(self.accounts)
        return tab

    def _settings_tab(self) -> QWidget:
        from .settings_tab import SettingsTab
        where = (f"Records are kept in: {self.store.location}. To share one record between workstations, see "
                 f"docs/postgresql.md (the URL goes in {paths.config_dir() / 'database.url'} or --database-url).")
        self.settings_tab = SettingsTab(self.store, self.staff, where)
        self.settings_tab.saved.connect(self._settings_saved)
        self.settings_tab.refused.connect(lambda text: self.dialogs.tell(self, "Settings not saved", text, error=True))
        return self.settings_tab

    def _audit_tab(self) -> QWidget:
        tab = QWidget()
        self.audit = _table(["#", "When (UTC)", "Who", "What", "Screening", "Detail"])
        self.audit.setAccessibleName("Audit trail")
        verify = QPushButton("&Verify the records", tab)
        verify.setToolTip("Checks the chain, every account and key change, every finished record and its "
                          "signature, and the trail against what this workstation saw before.")
        verify.clicked.connect(self.verify_audit)
        self.audit_state = QLabel(tab)
        self.audit_state.setWordWrap(True)
        if self.store.anchor_problem:
            self.audit_state.setText("BROKEN: " + self.store.anchor_problem)
        self.audit_head = QLabel(tab)
        self.audit_head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.locked_names = QComboBox(tab)
        self.locked_names.setAccessibleName("Names locked after wrong passwords")
        unlock = QPushButton("Unlock &sign-in", tab)
        unlock.clicked.connect(self.unlock_signin)
        row = QHBoxLayout()
        row.addWidget(verify)
        row.addWidget(self.audit_state, 1)
        locks = QHBoxLayout()
        locks.addWidget(self.audit_head, 1)
        locks.addWidget(QLabel("Locked sign-ins:", tab))
        locks.addWidget(self.locked_names)
        locks.addWidget(unlock)
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addLayout(locks)
        layout.addWidget(self.audit)
        return tab

    def _refresh_audit_state(self) -> None:
        self.audit_head.setText(f"Trail head {self.store.head_fingerprint()} (printed on every sheet; "
                                "check one with audit verify --fingerprint)")
        self.locked_names.clear()
        self.locked_names.addItems(self.store.locked_signins(self.staff))

    def unlock_signin(self) -> None:
        name = self.locked_names.currentText()
        if not name:
            return
        try:
            self.store.unlock_signin(self.staff, name)
        except (StoreError, PermissionDenied) as exc:
            self.statusBar().showMessage(str(exc))
            return
        self.statusBar().showMessage(f"{name} may sign in again.")
        self.refresh()

    # --- refreshing ------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            if hasattr(self, "drafts"):
                rows = self.store.open_drafts(self.staff)
                _fill(self.drafts, [[r.patient_name or "(no name yet)", r.date_of_birth, STATUS_LABELS[r.status],
                                     r.updated_at.replace("T", " ")[:16]] for r in rows], [r.id for r in rows])
            self.refresh_queue()
            if hasattr(self, "aftercare"):
                self.aftercare.refresh()
            if hasattr(self, "accounts"):
                people = self.store.list_staff(self.staff)
                _fill(self.accounts, [[p.username, p.display_name, ROLE_LABELS[p.role], "yes" if p.active else "no"]
                                      for p in people], [p.username for p in people])
            if hasattr(self, "audit"):
                entries = self.store.audit_entries(self.staff, limit=300)
                _fill(self.audit, [[str(e["seq"]), e["at"].replace("T", " ")[:19], e["actor"], e["action"],
                                    (e["screening_id"] or "")[:8], e["detail"]] for e in entries],
                      [e["screening_id"] or "" for e in entries])
                self._refresh_audit_state()
        except StoreError as exc:
            self.statusBar().showMessage(f"Could not refresh: {exc}")

    def _search_filters(self) -> dict:
        return {"name": self.search_name.text(), "date_of_birth": self.search_dob.text().strip(),
                "date_from": self.search_from.text().strip(), "date_to": self.search_to.text().strip(),
                "outcome": self.search_outcome.currentData()}

    def refresh_queue(self) -> None:
        if not hasattr(self, "queue"):
            return
        try:
            rows = self.store.queue()
        except StoreError as exc:
            self.statusBar().showMessage(f"Could not refresh the queue: {exc}")
            return
        _fill(self.queue, [[r.patient_name, r.date_of_birth, Outcome(r.outcome).label if r.outcome else "",
                            STATUS_LABELS[r.status] + (f" ({r.claimed_by})" if r.claimed_by else ""),
                            r.created_by, r.updated_at.replace("T", " ")[:16],
                            "Amendment of a finished screening" if r.amends else ""] for r in rows],
              [r.id for r in rows])

    def run_search(self) -> None:
        try:
            rows = self.store.search(**self._search_filters())
        except StoreError as exc:
            self.statusBar().showMessage(f"Search failed: {exc}")
            return
        paper = self.store.paper_summaries([r["id"] for r in rows])
        _fill(self.results, [[r["patient_name"], r["date_of_birth"], r["treatment_date"],
                              Outcome(r["outcome"]).label if r["outcome"] else "", STATUS_LABELS[r["status"]],
                              paper_label(paper.get(r["id"], []), r["status"]),
                              "yes" if r["amends"] else ""] for r in rows], [r["id"] for r in rows])
        self.statusBar().showMessage(f"{len(rows)} found" + (" (first 200)" if len(rows) == 200 else ""))

    # --- screenings --------------------------------------------------------------------------

    def window_for(self, sid: str) -> ScreeningWizard | None:
        return next((w for w in self.windows if w.session is not None and w.session.sid == sid), None)

    def _bring_forward(self, wizard: ScreeningWizard) -> ScreeningWizard:
        wizard.show()
        wizard.raise_()
        wizard.activateWindow()
        return wizard

    def _open_wizard(self, row=None, start: Step = Step.PATIENT) -> ScreeningWizard:
        session = ScreeningSession(self.store, self.staff, row, self, content=self.flow.content)
        if session.case.date_has_passed():
            # Left open overnight: the planned day has gone; the treatment page asks for the new one.
            start = Step.TREATMENT
            self.dialogs.tell(self, "New treatment date needed",
                              f"The planned treatment date ({session.case.draft.treatment_date}) has passed. "
                              "Enter the day the treatment will be given; the lot is checked for that day.")
        wizard = ScreeningWizard(dialogs=self.dialogs, session=session, start=start)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        wizard.finished.connect(lambda _code, w=wizard: self._closed(w))
        self.windows.append(wizard)
        wizard.show()
        return wizard

    def _closed(self, wizard: ScreeningWizard) -> None:
        if wizard not in self.windows:
            return  # handled already: a dialog closed twice (reject, then close) reports twice
        self.windows.remove(wizard)
        session = wizard.session
        session.detach()
        if wizard.result() == QDialog.DialogCode.Accepted:
            session.deleteLater()  # handed over or finished: both saved it as their first step
        else:
            saved = session.save()
            if saved:
                session.release()  # closed unfinished: back in the queue for any clinician
                session.deleteLater()
            # else the session stays (parented here) and retries until the store takes the draft
        self.refresh()

    def new_screening(self) -> ScreeningWizard:
        return self._open_wizard()

    def resume(self, sid: str) -> ScreeningWizard:
        if (open_already := self.window_for(sid)) is not None:
            return self._bring_forward(open_already)
        row = self.store.draft(sid)
        self.store.log(self.staff, "opened", sid, {"for": "resume"})
        start = Step.REVIEW if row.status == "in_review" else Step.PATIENT
        return self._open_wizard(row, start)

    def resume_selected(self) -> None:
        sid = _selected_key(self.drafts)
        if sid:
            self.resume(sid)

    def discard_selected(self) -> None:
        sid = _selected_key(self.drafts)
        if sid and self.dialogs.ask_yes_no(self, "Discard this screening?",
                                           "It will no longer be offered to resume. It stays in the audit trail."):
            self.store.discard(self.staff, sid)
            self.refresh()

    def review(self, sid: str) -> ScreeningWizard | None:
        if (open_already := self.window_for(sid)) is not None:
            return self._bring_forward(open_already)
        try:
            row = self.store.claim(self.staff, sid)
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, "Cannot open", str(exc), error=True)
            self.refresh()
            return None
        return self._open_wizard(row, Step.REVIEW)

    def review_selected(self) -> None:
        sid = _selected_key(self.queue)
        if sid:
            self.review(sid)

    def release_selected(self) -> bool:
        """Frees a screening another clinician holds (crashed, went home), with a reason."""
        sid = _selected_key(self.queue)
        if not sid:
            return False
        reason = self.dialogs.ask_reason(self, "Free a held screening",
                                         "Why is it freed? (for example: the clinician went home)")
        if reason is None:
            return False
        return self._queue_action(lambda: self.store.release(self.staff, sid, reason=reason), "Not freed")

    def withdraw_selected(self) -> bool:
        """Takes a screening out of every queue (patient left, duplicate, wrong patient)."""
        sid = _selected_key(self.queue)
        if not sid:
            return False
        reason = self.dialogs.ask_reason(self, "Withdraw this screening",
                                         "Why is it withdrawn? (patient left, duplicate, wrong patient…)")
        if reason is None:
            return False
        return self._queue_action(lambda: self.store.withdraw(self.staff, sid, reason), "Not withdrawn")

    def _queue_action(self, action, title: str) -> bool:
        try:
            action()
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, title, str(exc), error=True)
            return False
        finally:
            self.refresh()
        return True

    def offer_resume(self) -> ScreeningWizard | None:
        """After a crash or a closed window: offer what was left unfinished."""
        rows = self.store.open_drafts(self.staff)
        if not rows:
            return None
        latest = rows[0]
        name = latest.patient_name or "a patient with no name yet"
        if self.dialogs.ask_yes_no(self, "Resume?", f"You have {len(rows)} unfinished screening(s). "
                                                    f"Resume the latest, for {name}?"):
            return self.resume(latest.id)
        return None

    # --- records -----------------------------------------------------------------------------

    def _finished_selected(self):
        sid = _selected_key(self.results)
        if not sid:
            return None
        try:
            return self.store.record(sid)
        except StoreError:
            self.dialogs.tell(self, "Not finished", "Only finished screenings have a sheet and exports.")
            return None

    def open_sheet(self) -> QDialog | None:
        record = self._finished_selected()
        if record is None:
            return None
        from .sheet_view import SheetPreview
        self.store.log(self.staff, "opened", record.screening_id, {"for": "sheet"})
        dialog = QDialog(self)
        events = self.store.paper_events(record.screening_id)
        printed = [e for e in events if e["event"] == "printed" and e.get("sheet_sha256") == record.pdf_sha256]
        if printed:
            how = f"Sheet as printed on {printed[0]['at'][:10]} by {printed[0]['display_name']}"
        else:
            why = next((e["detail"] for e in events if e["event"] == "not_printed"), "")
            saved = any(e["event"] == "saved" for e in events)
            how = (f"Sheet as recorded on {record.finished_at[:10]} ("
                   + ("saved as PDF, not printed" if saved else f"not printed: {why}" if why else "not printed") + ")")
        dialog.setWindowTitle(f"{how} (SHA-256 {record.pdf_sha256[:12]}…)")
        preview = SheetPreview(self.dialogs, dialog)
        preview.set_pdf(record.pdf, f"sheet-{record.screening_id[:8]}")
        preview.printed.connect(lambda n: self.store.log(self.staff, "printed", record.screening_id, {"pages": n}))
        preview.saved.connect(lambda p: self.store.log(self.staff, "exported", record.screening_id, {"as": "pdf"}))
        QVBoxLayout(dialog).addWidget(preview)
        fit_to_screen(dialog, 800, 900)
        dialog.show()
        return dialog

    def signed_copy_received(self) -> bool:
        """The patient's signed paper came back: recorded, optionally with a scan (PDF)."""
        record = self._finished_selected()
        if record is None:
            return False
        path = self.dialogs.ask_open_file(self, "Scan of the signed copy (PDF, optional: Cancel for none)",
                                          "PDF (*.pdf)")
        try:
            scan = Path(path).read_bytes() if path else None
            self.store.record_paper(self.staff, record.screening_id, "signed_copy_received", scan=scan)
        except OSError as exc:
            self.dialogs.tell(self, "Not recorded", f"The scan could not be read: {exc.strerror or exc}.", error=True)
            return False
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, "Not recorded", str(exc), error=True)
            return False
        self.run_search()
        return True

    def export_fhir(self) -> None:
        from ..records.export import export_screening
        record = self._finished_selected()
        if record is None:
            return
        path = self.dialogs.ask_file(self, "Export as FHIR R4 JSON", str(Path.home() / f"{record.screening_id}.json"),
                                     "FHIR JSON (*.json)")
        if path:
            self._write(Path(path), json.dumps(export_screening(self.store, record.screening_id, self.flow.content,
                                                                     actor=self.staff),
                                               ensure_ascii=False,
                                               indent=2).encode("utf-8"), record.screening_id, "fhir")

    def export_csv(self) -> None:
        from ..records.export import csv_export
        path = self.dialogs.ask_file(self, "Export the list as CSV", str(Path.home() / "screenings.csv"), "CSV (*.csv)")
        if path:
            rows = self.store.search(**self._search_filters(), limit=10_000_000)
            self._write(Path(path), csv_export(rows).encode("utf-8-sig"), None, "csv")

    def _write(self, path: Path, data: bytes, sid: str | None, kind: str) -> None:
        try:
            paths.write_atomically(path, data)
        except OSError as exc:
            self.dialogs.tell(self, "Not exported", f"{path} could not be written: {exc.strerror or exc}.", error=True)
            return
        self.store.log(self.staff, "exported", sid, {"as": kind})

    def amend_selected(self) -> ScreeningWizard | None:
        record = self._finished_selected()
        if record is None:
            return None
        try:
            row = self.store.amend(self.staff, record.screening_id)
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, "Cannot amend", str(exc), error=True)
            return None
        return self._open_wizard(row)

    # --- admin -------------------------------------------------------------------------------

    def add_account(self) -> None:
        username, name, password = QLineEdit(), QLineEdit(), _password_field(None)
        role = QComboBox()
        for r in ALL_ROLES:
            role.addItem(ROLE_LABELS[r], r)
        _run_form(self, "Add an account", [("&Username", username), ("&Name", name), ("&Role", role),
                                           ("&Password", password)], "Add",
                  lambda: self.store.add_staff(self.staff, username.text().strip(), name.text(),
                                               role.currentData(), password.text()))
        self.refresh()

    def toggle_account(self) -> None:
        username = _selected_key(self.accounts)
        if not username:
            return
        active = next(p.active for p in self.store.list_staff(self.staff) if p.username == username)
        try:
            self.store.set_staff_active(self.staff, username, not active)
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, "Not changed", str(exc), error=True)
        self.refresh()

    def reset_password(self) -> None:
        username = _selected_key(self.accounts)
        if not username:
            return
        password = _password_field(None)
        _run_form(self, f"New password for {username}", [("&Password", password)], "Set",
                  lambda: self.store.set_password(self.staff, username, password.text()))

    def save_settings(self) -> None:
        self.settings_tab.save()

    def _settings_saved(self, settings) -> None:
        self.idle.set_minutes(settings.idle_lock_minutes)
        self.idle.restart()
        self.statusBar().showMessage("Settings saved.")

    def verify_audit(self) -> None:
        try:
            ok, message = self.store.verify_audit()
            self.store.log(self.staff, "audit_verified", None, {"ok": ok, "result": message[:300], "via": "app"})
            self._refresh_audit_state()
        except StoreError as exc:
            ok, message = False, str(exc)
        self.audit_state.setText(("Intact: " if ok else "BROKEN: ") + message)

    # --- locking -----------------------------------------------------------------------------

    def lock(self) -> None:
        """Hides patient data until the same person's password is given; nothing is closed."""
        # Every window of this app hides, stored-sheet windows and dialogs too: Qt leaves a child
        # window on screen when its parent hides.
        windows = [w for w in self._own_windows() if w.isVisible() and not isinstance(w, (LockDialog, LockWarning))]
        for w in self.windows:
            if w.session is not None:
                w.session.save()
        for w in windows:
            w.hide()
        self.idle.active = False
        self.idle.stop()
        self.lock_dialog = LockDialog(self.store, self.staff, verifier=self.verifier)
        self.lock_dialog.accepted.connect(lambda: self._unlock(windows))
        self.lock_dialog.switch_user.connect(self._switch_from_lock)
        self.lock_dialog.show()

    def _unlock(self, windows) -> None:
        for w in windows:
            w.show()
        if self.lock_dialog.offline:
            self.statusBar().showMessage("Unlocked while the records cannot be reached: what you type is kept on "
                                         "screen and saved when they are back.")
        self.idle.active = True
        self.idle.restart()

    def _own_windows(self) -> list:
        """This window, its screening windows and every window made for it (stored sheets,
        dialogs): Qt leaves a child window on screen when its parent hides."""
        return [self, *self.windows, *(w for w in QApplication.topLevelWidgets()
                                       if w is not self and w.parentWidget() is self)]

    def _switch_from_lock(self) -> None:
        self.lock_dialog.hide()
        self.lock_dialog.deleteLater()
        self.sign_out()

    def sign_out(self) -> None:
        """The next person signs in here. Every open screening is saved first and left in this
        person's drafts or back in the review queue; nothing of it is shown to the next one."""
        for w in list(self.windows):
            w.reject()
        for w in self._own_windows():  # stored sheets and any other window of this person's
            if w is not self and w.isVisible():
                w.close()
        self.idle.active = False
        self.idle.stop()
        self.lock_warning.stop()
        self.store.forget_signing_key(self.staff)  # the next person at this desk cannot sign as this one
        try:
            self.store.log(self.staff, "signed_out", None, {})
        except (StoreError, PermissionDenied):
            pass  # the sign-out itself never fails for want of an audit line
        self.owns_store = False
        self.hide()
        self.signed_out.emit()
        self.close()

    def closeEvent(self, event) -> None:
        for w in list(self.windows):
            w.close()
        self.idle.active = False
        self.idle.stop()
        if self.owns_store:
            self.store.close()
        super().closeEvent(event)


def acquire_instance_lock() -> QLockFile | None:
    """One running copy per user: a second one would show two versions of the same draft."""
    folder = paths.ensure_private_dir(paths.data_dir())
    lock = QLockFile(str(folder / "instance.lock"))
    lock.setStaleLockTime(0)  # a crashed copy's lock is taken over (Qt checks the process is gone)
    return lock if lock.tryLock(200) else None


def _quiet_excepthook(kind, value, tb) -> None:
    """The one handler for an unexpected fault in the GUI: it is logged and shown by its kind and
    place, never its message or values, which may hold a patient's name or answers. The
    screening on screen is kept (it is saved as typed)."""
    import sys

    from ..logs import fault_summary, log
    summary = fault_summary(kind, tb)
    log.error("unexpected fault: %s", summary)
    print(f"internal error: {summary} (details withheld: they may hold patient data)", file=sys.stderr)
    app = QApplication.instance()
    if app is not None and not getattr(app, "_showing_fault", False) and kind is not KeyboardInterrupt:
        app._showing_fault = True
        try:
            QMessageBox.warning(None, "Something went wrong",
                                "Something unexpected went wrong. What you typed is kept: it is saved as you type. "
                                f"If it happens again, tell the clinic's admin (the log names it: {summary}).")
        finally:
            app._showing_fault = False


class Workstation(QObject):
    """Who is at the keyboard: sign-in, then the main window, and sign-in again after a sign-out."""

    def __init__(self, store, flow: Flow):
        super().__init__()
        self.store, self.flow = store, flow
        self.window: MainWindow | None = None
        self.sign_in: SignInDialog | None = None

    def ask(self) -> None:
        self.sign_in = SignInDialog(self.store, first_admin=not self.store.has_staff())
        self.sign_in.accepted.connect(self._signed_in)
        self.sign_in.rejected.connect(self._gave_up)
        self.sign_in.show()

    def _signed_in(self) -> None:
        staff, verifier = self.sign_in.staff, self.sign_in.verifier
        self.window = MainWindow(self.store, staff, self.flow, verifier=verifier, owns_store=False)
        self.window.signed_out.connect(self.ask)
        self.window.show()
        if staff.can("screen"):
            self.window.offer_resume()

    def _gave_up(self) -> None:
        if self.window is None or not self.window.isVisible():
            QApplication.instance().quit()


def run_gui(argv: list[str]) -> int:
    import sys

    from ..records.store import Store

    sys.excepthook = _quiet_excepthook
    from ..logs import log
    from ..logs import setup as setup_log
    setup_log()
    log.info("started")
    app = make_application(argv)
    try:
        lock = acquire_instance_lock()
    except OSError as exc:
        QMessageBox.critical(None, "Cannot start", f"The data folder cannot be used: {exc}")
        return 1
    if lock is None:
        QMessageBox.information(None, "Already open", "The screening assistant is already open on this computer "
                                                      "for you. Switch to that window; nothing is lost.")
        return 0
    try:
        flow = Flow()
    except ContentError as exc:
        QMessageBox.critical(None, "Questionnaire or rules cannot be used",
                             "Screening cannot start until resources/ is fixed:\n\n" + "\n".join(exc.problems))
        return 1
    try:
        store = Store.open()
    except StoreError as exc:
        title = {"damaged": "The records file is damaged", "offline": "The records server cannot be reached",
                 "refused": "The records cannot be opened", "full": "The disk is full"}.get(
            exc.kind, "The records cannot be opened")
        QMessageBox.critical(None, title, f"{exc}\n\nScreening without the app is still possible: "
                                          "`screening-app screen FILE --pdf SHEET.pdf` does not need the records.")
        return 1
    if store.anchor_problem:
        QMessageBox.warning(None, "The audit trail was changed",
                            f"The records open, but {store.anchor_problem}. Tell the admin: after restoring a "
                            "backup on purpose they record it with `screening-app audit accept-restore`; otherwise "
                            "the records may have been tampered with.")
    workstation = Workstation(store, flow)
    workstation.ask()
    code = app.exec()
    store.close()
    lock.unlock()
    return code
