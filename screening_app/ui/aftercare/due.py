"""Due and overdue: the patients to call after their treatment, on the clinic's schedule."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QVBoxLayout

from ...wording import say
from ..forms import button_row, note
from ..tables import _fill, _table, selected_key
from .forms import AdverseEventForm, ContactForm
from .page import Page

UPCOMING_DAYS = 14


class DuePage(Page):
    exposes = ("due", "show_upcoming", "record_contact", "record_event_for_due")

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.due = _table([say("aftercare.column.patient"), say("aftercare.column.date_of_birth"),
                           say("aftercare.column.contact"), say("aftercare.column.treated"),
                           say("aftercare.column.lot"), say("aftercare.column.follow_up_no"),
                           say("aftercare.column.due"), say("aftercare.column.state"),
                           say("aftercare.column.not_reached"), say("aftercare.column.last_note")],
                          say("aftercare.due.list_name"))
        self.due.doubleClicked.connect(lambda _i: self.record_contact())
        self.show_upcoming = QCheckBox(say("aftercare.due.upcoming", days=UPCOMING_DAYS), self)
        self.show_upcoming.setAccessibleName(say("aftercare.due.upcoming", days=UPCOMING_DAYS))
        self.show_upcoming.toggled.connect(lambda _b: self.refresh())
        buttons: list[tuple[str, Callable[[], object]]] = [(say("aftercare.due.record_contact"), self.record_contact)]
        if staff.can("adverse_events"):
            buttons.append((say("aftercare.due.record_event"), self.record_event_for_due))
        layout = QVBoxLayout(self)
        layout.addWidget(note(say("aftercare.due.caption"), self))
        layout.addWidget(self.show_upcoming)
        layout.addWidget(self.due)
        layout.addLayout(button_row(self, buttons))

    def refresh(self) -> None:
        items = self.store.follow_up_queue(self.staff,
                                           upcoming_days=UPCOMING_DAYS if self.show_upcoming.isChecked() else 0)
        _fill(self.due, [[i.patient_name, i.date_of_birth, i.contact, i.given_at[:10], i.lot or "", str(i.seq),
                          i.label, say(f"aftercare.state.{i.state}"),
                          say("aftercare.due.attempts", count=i.attempts) if i.attempts else "", i.last_note[:60]]
                         for i in items], items)

    def record_contact(self) -> ContactForm | None:
        item = selected_key(self.due)
        if item is None:
            return None
        form = ContactForm(self.store, self.staff, item.screening_id, follow_up_id=item.id, who=item.patient_name,
                           parent=self)
        form.accepted.connect(lambda: self.after_contact(form, item.screening_id, item.patient_name))
        return self.open_form(form)

    def record_event_for_due(self) -> AdverseEventForm | None:
        item = selected_key(self.due)
        return self.record_event(item.screening_id, item.patient_name) if item is not None else None
