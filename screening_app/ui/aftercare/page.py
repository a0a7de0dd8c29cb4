"""What every Follow-up page shares: the store, the signed-in person, the modal questions, and
the forms it opens, which the tab keeps and refreshes every page after."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QWidget

from .forms import AdverseEventForm, ContactForm


class Page(QWidget):
    opened = Signal(object)  # a form (QDialog) to open without blocking; the tab refreshes when it closes
    shown = Signal(object)   # a window to show and keep (the MedWatch summary)
    # The lists and actions that callers (tests, screenshots) reach through the tab.
    exposes: tuple[str, ...] = ()

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(parent)
        self.store, self.staff, self.dialogs = store, staff, dialogs

    def refresh(self) -> None:
        """Re-reads what the page shows; a refusal of the store is the tab's to show."""

    def open_form[F: QDialog](self, form: F) -> F:
        self.opened.emit(form)
        return form

    def record_event(self, sid: str, who: str = "", contact_id: str | None = None) -> AdverseEventForm:
        return self.open_form(AdverseEventForm(self.store, self.staff, sid, contact_id=contact_id, who=who,
                                               parent=self))

    def after_contact(self, form: ContactForm, sid: str, who: str) -> None:
        """A problem reported on a call: the adverse event form follows, tied to the call."""
        contact = form.result_value
        if contact is not None and contact.problem and self.staff.can("adverse_events"):
            self.record_event(sid, who, contact_id=contact.id)
