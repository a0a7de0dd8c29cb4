"""Adverse events: the latest record of each, updated or closed by a new record, and the
MedWatch summary for FDA."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QVBoxLayout

from ...records import StoreError
from ...records.accounts import PermissionDenied
from ...records.aftercare_report import medwatch_pdf, medwatch_text, medwatch_texts
from ...wording import say
from ..forms import button_row, note
from ..tables import _fill, _table, selected_key
from .forms import AdverseEventForm, MedWatchView
from .page import Page


class EventsPage(Page):
    exposes = ("events", "show_closed", "update_event", "medwatch")

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.events = _table([say("aftercare.column.patient"), say("aftercare.column.onset"),
                              say("aftercare.column.what_happened"), say("aftercare.column.serious"),
                              say("aftercare.column.outcome"), say("aftercare.column.reported"),
                              say("aftercare.column.status")], say("aftercare.events.list_name"))
        self.show_closed = QCheckBox(say("aftercare.events.show_closed"), self)
        self.show_closed.setAccessibleName(say("aftercare.events.show_closed"))
        self.show_closed.toggled.connect(lambda _b: self.refresh())
        buttons: list[tuple[str, Callable[[], object]]] = [(say("aftercare.events.medwatch"), self.medwatch)]
        if staff.can("adverse_events"):
            buttons.insert(0, (say("aftercare.events.update"), self.update_event))
        layout = QVBoxLayout(self)
        layout.addWidget(note(say("aftercare.events.caption"), self))
        layout.addWidget(self.show_closed)
        layout.addWidget(self.events)
        layout.addLayout(button_row(self, buttons))

    def refresh(self) -> None:
        events = self.store.adverse_events(self.staff, open_only=not self.show_closed.isChecked())
        names = {sid: self.store.draft(sid).patient_name for sid in {e.screening_id for e in events}}
        words = medwatch_texts()
        yes, no = say("aftercare.yes"), say("aftercare.no")
        _fill(self.events, [[names[e.screening_id], e.onset, e.description[:80], yes if e.seriousness else no,
                             words["outcome"][e.outcome], e.reported_on or (yes if e.reported_to_fda else no),
                             say(f"aftercare.event_status.{e.status}")] for e in events], events)
        for r, e in enumerate(events):  # which MedWatch criteria, on hover and for screen readers
            self.events.item(r, 3).setToolTip("; ".join(words["seriousness"][k] for k in e.seriousness))
            self.events.item(r, 2).setToolTip(e.description)

    def update_event(self) -> AdverseEventForm | None:
        event = selected_key(self.events)
        if event is None:
            return None
        who = self.events.item(self.events.selectedItems()[0].row(), 0).text()
        return self.open_form(AdverseEventForm(self.store, self.staff, event.screening_id, current=event, who=who,
                                               parent=self))

    def medwatch(self) -> MedWatchView | None:
        event = selected_key(self.events)
        if event is None:
            return None
        try:
            facts = self.store.medwatch_facts(self.staff, event.id)
            text = medwatch_text(facts)
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, say("aftercare.events.no_summary"), str(exc), error=True)
            return None
        view = MedWatchView(text, self.dialogs, self, pdf=lambda: medwatch_pdf(facts),
                            saved=lambda kind: self.store.log(self.staff, "exported", event.screening_id,
                                                              {"as": f"medwatch_{kind}", "event": event.id}))
        self.shown.emit(view)
        return view
