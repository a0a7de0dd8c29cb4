"""The main window: a shell around the tabs (one module each, under tabs/), the screening
windows it opens, the idle lock and sign-out.

Every screening window has a ScreeningSession that keeps it in the store as it is typed;
the idle lock hides patient data without closing anything. Tabs ask the shell for what they
cannot do themselves (open a screening, refresh the others, a status line) through signals.
"""
from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QMessageBox, QPushButton, QTabWidget, QWidget

from .. import paths
from ..casework import Flow, Step
from ..records import StoreError
from ..records.accounts import ROLE_LABELS, PermissionDenied, Staff
from ..wording import say
from .application import make_application  # noqa: F401 (the launcher's entry)
from .dialogs import AppDialogs, Dialogs
from .geometry import fit_to_screen
from .locking import IdleLock, LockDialog, LockWarning
from .session import ScreeningSession
from .sign_in import SignInDialog
from .tabs import Tab
from .tabs.accounts import AccountsTab
from .tabs.audit import AuditTab
from .tabs.home import HomeTab
from .tabs.queue import QueueTab
from .tabs.records import RecordsTab, paper_label
from .wizard import ScreeningWizard
from .workstation import Workstation, _quiet_excepthook, acquire_instance_lock, run_gui

__all__ = ["AppDialogs", "IdleLock", "LockDialog", "LockWarning", "MainWindow", "QMessageBox", "SignInDialog",
           "Workstation", "_quiet_excepthook", "acquire_instance_lock", "paper_label", "run_gui"]


class Refreshable(Protocol):
    def refresh(self) -> None: ...


class MainWindow(QMainWindow):
    signed_out = Signal()

    def __init__(self, store, staff: Staff, flow: Flow, dialogs: Dialogs | None = None, *,
                 verifier: str | None = None, owns_store: bool = True):
        super().__init__()
        self.store, self.staff, self.flow = store, staff, flow
        self.verifier, self.owns_store = verifier, owns_store
        self._dialogs = dialogs or AppDialogs()
        self.windows: list[ScreeningWizard] = []
        self.setWindowTitle(say("workstation.window.title", name=staff.display_name, role=ROLE_LABELS[staff.role]))
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        # Refreshed on every change of tab and after every change a tab makes; the records
        # list and the settings form are not (a search or unsaved edits stay as they are).
        self.live: list[Refreshable] = []
        if staff.can("screen"):
            self.home = self._add(HomeTab(store, staff, self.dialogs), say("workstation.tab.screenings"))
            self.home.new_requested.connect(self.new_screening)
            self.home.resume_requested.connect(self.resume)
        if staff.can("review") or staff.can("withdraw"):
            self.queue_tab = self._add(QueueTab(store, staff, self.dialogs), say("workstation.tab.queue"))
            self.queue_tab.review_requested.connect(self.review)
        self.records = self._add(RecordsTab(store, staff, self.dialogs, flow.content), say("workstation.tab.records"),
                                 live=False)
        self.records.amend_requested.connect(self.amend)
        if staff.can("follow_up") or staff.can("lookback"):
            from .aftercare_tab import AftercareTab  # after treatment: follow-up, adverse events, lookback
            self.aftercare = self._add(AftercareTab(store, staff, self.dialogs), say("workstation.tab.follow_up"))
        if staff.can("manage_staff"):
            self._add(AccountsTab(store, staff, self.dialogs), say("workstation.tab.accounts"))
        if staff.can("manage_settings"):
            self._settings_tab(say("workstation.tab.settings"))
        if staff.can("view_audit"):
            self._add(AuditTab(store, staff, self.dialogs), say("workstation.tab.audit"))
        self.statusBar().showMessage(say("workstation.window.signed_in", name=staff.display_name))
        sign_out = QPushButton(say("workstation.window.sign_out", name=staff.display_name), self)
        sign_out.setAccessibleName(say("workstation.window.sign_out_name"))
        sign_out.clicked.connect(self.sign_out)
        self.statusBar().addPermanentWidget(sign_out)
        self.idle = IdleLock(store.settings().idle_lock_minutes, self)
        self.idle.locked.connect(self.lock)
        self.lock_warning = LockWarning(self.idle, self)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        fit_to_screen(self, 980, 680)
        self.refresh()

    def _add(self, tab, label: str, live: bool = True):
        """Puts a tab in the window and answers its requests; its lists and actions are reached
        through the window too (as `window.queue`, `window.run_search()`)."""
        self.tabs.addTab(tab, label)
        if live:
            self.live.append(tab)
        if isinstance(tab, Tab):
            tab.status.connect(self.statusBar().showMessage)
            tab.changed.connect(self.refresh)
            for name in tab.exposes:
                setattr(self, name, getattr(tab, name))
        return tab

    def _settings_tab(self, label: str) -> None:
        from .settings_tab import SettingsTab
        where = say("settings.where", location=self.store.location, url_file=paths.config_dir() / "database.url")
        self.settings_tab = self._add(SettingsTab(self.store, self.staff, where), label, live=False)
        self.settings_tab.saved.connect(self._settings_saved)
        self.settings_tab.refused.connect(
            lambda text: self.dialogs.tell(self, say("settings.not_saved"), text, error=True))

    @property
    def dialogs(self) -> Dialogs:
        return self._dialogs

    @dialogs.setter
    def dialogs(self, dialogs: Dialogs) -> None:
        """The modal questions, for this window and every tab (tests answer them)."""
        self._dialogs = dialogs
        for i in range(self.tabs.count()):
            tab = self.tabs.widget(i)
            if hasattr(tab, "dialogs"):
                tab.dialogs = dialogs

    def refresh(self) -> None:
        try:
            for tab in self.live:
                tab.refresh()
        except StoreError as exc:
            self.statusBar().showMessage(say("workstation.window.refresh_failed", problem=exc))

    def save_settings(self) -> None:
        self.settings_tab.save()

    def _settings_saved(self, settings) -> None:
        self.idle.set_minutes(settings.idle_lock_minutes)
        self.idle.restart()
        self.statusBar().showMessage(say("settings.saved"))

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
            self.dialogs.tell(self, say("workstation.screening.new_date_title"),
                              say("workstation.screening.new_date", day=session.case.draft.treatment_date))
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

    def review(self, sid: str) -> ScreeningWizard | None:
        if (open_already := self.window_for(sid)) is not None:
            return self._bring_forward(open_already)
        try:
            row = self.store.claim(self.staff, sid)
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, say("workstation.screening.cannot_open"), str(exc), error=True)
            self.refresh()
            return None
        return self._open_wizard(row, Step.REVIEW)

    def amend(self, sid: str) -> ScreeningWizard | None:
        try:
            row = self.store.amend(self.staff, sid)
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, say("workstation.screening.cannot_amend"), str(exc), error=True)
            return None
        return self._open_wizard(row)

    def amend_selected(self) -> ScreeningWizard | None:
        record = self.records.finished_selected()
        return self.amend(record.screening_id) if record is not None else None

    def offer_resume(self) -> ScreeningWizard | None:
        """After a crash or a closed window: offer what was left unfinished."""
        rows = self.store.open_drafts(self.staff)
        if not rows:
            return None
        latest = rows[0]
        name = latest.patient_name or say("workstation.screening.no_name")
        if self.dialogs.ask_yes_no(self, say("workstation.screening.resume_title"),
                                   say("workstation.screening.resume", count=len(rows), name=name)):
            return self.resume(latest.id)
        return None

    # --- locking and signing out ---------------------------------------------------------------

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
            self.statusBar().showMessage(say("workstation.window.unlocked_offline"))
        self.idle.active = True
        self.idle.restart()

    def _own_windows(self) -> list:
        """This window, its screening windows and every window made for it or for one of its
        tabs (stored sheets, forms, dialogs): Qt leaves a child window on screen when its parent hides."""
        def made_here(w: QWidget) -> bool:
            parent = w.parentWidget()
            while parent is not None:
                if parent is self:
                    return True
                parent = parent.parentWidget()
            return False
        return [self, *self.windows, *(w for w in QApplication.topLevelWidgets() if w is not self and made_here(w))]

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
