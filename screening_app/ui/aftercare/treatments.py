"""Treatments to record: signed consents with a verified lot, what was given (or that it was
not), and corrections, each a new record pointing to the one it corrects."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QVBoxLayout

from ...records import StoreError
from ...wording import say
from ..forms import button_row, note
from ..tables import _fill, _table, selected_key
from .forms import AdministrationForm, AdverseEventForm
from .page import Page


class TreatmentsPage(Page):
    exposes = ("pending", "recorded", "record_treatment", "correct_selected", "correct_treatment",
               "record_event_for_recorded")

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.pending = _table([say("aftercare.column.patient"), say("aftercare.column.date_of_birth"),
                               say("aftercare.column.treatment_date"), say("aftercare.column.verified_lot")],
                              say("aftercare.treatments.pending_name"))
        self.pending.doubleClicked.connect(lambda _i: self.record_treatment())
        self.recorded = _table([say("aftercare.column.patient"), say("aftercare.column.date_of_birth"),
                                say("aftercare.column.given"), say("aftercare.column.lot"),
                                say("aftercare.column.amount"), say("aftercare.column.site"),
                                say("aftercare.column.corrected")], say("aftercare.treatments.recorded_name"))
        self.recorded.doubleClicked.connect(lambda _i: self.correct_selected())
        layout = QVBoxLayout(self)
        layout.addWidget(note(say("aftercare.treatments.pending_caption"), self))
        layout.addWidget(self.pending)
        layout.addLayout(button_row(self, [(say("aftercare.treatments.record"), self.record_treatment)]))
        layout.addWidget(note(say("aftercare.treatments.recorded_caption"), self))
        layout.addWidget(self.recorded)
        buttons: list[tuple[str, Callable[[], object]]] = [(say("aftercare.treatments.correct"),
                                                            self.correct_selected)]
        if staff.can("adverse_events"):  # at any time, not only from a follow-up call
            buttons.append((say("aftercare.treatments.record_event"), self.record_event_for_recorded))
        layout.addLayout(button_row(self, buttons))

    def refresh(self) -> None:
        rows = self.store.consents_to_record(self.staff)
        _fill(self.pending, [[r["patient_name"], r["date_of_birth"], r["treatment_date"], r["lot"] or ""]
                             for r in rows], rows)
        given = self.store.recent_administrations(self.staff)
        _fill(self.recorded, [[r["patient_name"], r["date_of_birth"],
                               (r["given_at"] or "")[:16].replace("T", " ") if r["given"]
                               else say("aftercare.treatments.not_given", reason=r["not_given_reason"] or ""),
                               r["lot"] or "", f"{r['amount']} {r['unit']}" if r["given"] else "",
                               r["site"] or "", say("aftercare.yes") if r["amends"] else ""] for r in given],
              [r["screening_id"] for r in given])

    def record_treatment(self) -> AdministrationForm | None:
        row = selected_key(self.pending)
        if row is None:
            return None
        route = self.store.record(row["id"]).screening_file.get("treatment", {}).get("route", "")
        return self.open_form(AdministrationForm(self.store, self.staff, row["id"], lot=row["lot"] or "",
                                                 route=route, who=row["patient_name"], parent=self))

    def correct_selected(self) -> AdministrationForm | None:
        sid = selected_key(self.recorded)
        return self.correct_treatment(sid) if sid else None

    def correct_treatment(self, sid: str) -> AdministrationForm | None:
        try:
            current = self.store.administration(self.staff, sid) if sid else None
            record = self.store.record(sid) if current else None
        except StoreError:
            current = None
        if current is None or record is None:
            self.dialogs.tell(self, say("aftercare.treatments.nothing_title"), say("aftercare.treatments.nothing"))
            return None
        who = record.screening_file.get("patient", {}).get("name", "")
        return self.open_form(AdministrationForm(self.store, self.staff, sid, lot=record.lot or "",
                                                 route=current.route or "", current=current, who=who, parent=self))

    def record_event_for_recorded(self) -> AdverseEventForm | None:
        sid = selected_key(self.recorded)
        if sid is None:
            return None
        row = self.recorded.selectedItems()[0]
        return self.record_event(sid, self.recorded.item(row.row(), 0).text())
