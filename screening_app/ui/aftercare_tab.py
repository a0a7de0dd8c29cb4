"""The Follow-up tab: who is due or overdue, what was given, adverse events, lot lookback.
A shell around its pages (one module each, under aftercare/), which keeps the forms they open.

Every action goes to the store, which re-reads the signed-in account and refuses what breaks
the rules; the forms only show its answer. Forms open without blocking (`open()`) and are
returned, so tests fill them in and press OK as a person would.
"""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QTabWidget, QVBoxLayout, QWidget

from ..records import StoreError
from ..records.accounts import PermissionDenied
from ..wording import say
from .aftercare.due import DuePage
from .aftercare.events import EventsPage
from .aftercare.forms import AdministrationForm, AdverseEventForm, ContactForm, MedWatchView, RecallForm
from .aftercare.lookback import LookbackPage
from .aftercare.page import Page
from .aftercare.treatments import TreatmentsPage

__all__ = ["AdministrationForm", "AdverseEventForm", "AftercareTab", "ContactForm", "MedWatchView", "RecallForm"]


class AftercareTab(QWidget):
    """The main window's Follow-up tab; `refresh()` re-reads everything it shows."""

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(parent)
        self.store, self.staff, self._dialogs = store, staff, dialogs
        self.open_forms: list[QDialog] = []
        self.page_list: list[Page] = []
        self.pages = QTabWidget(self)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #a00000")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.problem)
        if staff.can("follow_up"):
            self._add(DuePage(store, staff, dialogs), say("aftercare.tab.due"))
        if staff.can("administer"):
            self._add(TreatmentsPage(store, staff, dialogs), say("aftercare.tab.treatments"))
        if staff.can("follow_up"):
            self._add(EventsPage(store, staff, dialogs), say("aftercare.tab.events"))
        if staff.can("lookback"):
            self._add(LookbackPage(store, staff, dialogs), say("aftercare.tab.lookback"))
        self.pages.currentChanged.connect(lambda _i: self.refresh())

    def _add(self, page: Page, label: str) -> None:
        """A page in the tab; its lists and actions are reached through the tab too (`tab.due`)."""
        self.pages.addTab(page, label)
        self.page_list.append(page)
        page.opened.connect(self._show)
        page.shown.connect(self._keep)
        for name in page.exposes:
            setattr(self, name, getattr(page, name))

    @property
    def dialogs(self):
        return self._dialogs

    @dialogs.setter
    def dialogs(self, dialogs) -> None:
        self._dialogs = dialogs
        for page in self.page_list:
            page.dialogs = dialogs

    def refresh(self) -> None:
        try:
            for page in self.page_list:
                page.refresh()
            self.problem.setText("")
        except (StoreError, PermissionDenied) as exc:
            self.problem.setText(str(exc))

    def record_event(self, sid: str, who: str = "", contact_id: str | None = None) -> AdverseEventForm:
        return self._show(AdverseEventForm(self.store, self.staff, sid, contact_id=contact_id, who=who, parent=self))

    def _show[F: QDialog](self, form: F) -> F:
        form.finished.connect(lambda _r: self._closed(form))
        self.open_forms.append(form)
        form.open()
        return form

    def _keep(self, window: QDialog) -> None:
        window.show()
        self.open_forms.append(window)

    def _closed(self, form: QDialog) -> None:
        if form in self.open_forms:
            self.open_forms.remove(form)
        self.refresh()
