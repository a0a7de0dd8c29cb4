"""Lookback and recall: every patient who received a lot, the lot's recall, and the calls that
follow it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from ... import paths
from ...records import StoreError
from ...records.accounts import PermissionDenied
from ...records.aftercare_report import lookback_csv
from ...wording import say
from ..forms import button_row
from ..tables import _fill, _table, selected_key
from .forms import ContactForm, RecallForm
from .page import Page


class LookbackPage(Page):
    exposes = ("lot", "lookback", "lookback_state", "look_back", "recall", "record_call", "save_lookback")

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.lot = QLineEdit(self)
        self.lot.setAccessibleName(say("aftercare.lookback.lot_name"))
        self.lot.setPlaceholderText(say("aftercare.lookback.lot_hint"))
        self.lot.returnPressed.connect(self.look_back)
        self.lookback_state = QLabel(self)
        self.lookback_state.setWordWrap(True)
        self.lookback = _table([say("aftercare.column.patient"), say("aftercare.column.date_of_birth"),
                                say("aftercare.column.contact"), say("aftercare.column.given"),
                                say("aftercare.column.amount"), say("aftercare.column.follow_up"),
                                say("aftercare.column.recall_call"), say("aftercare.column.open_events")],
                               say("aftercare.lookback.list_name"))
        row = QHBoxLayout()
        caption = QLabel(say("aftercare.lookback.lot"), self)
        caption.setBuddy(self.lot)
        row.addWidget(caption)
        row.addWidget(self.lot, 1)
        for text, slot, allowed in ((say("aftercare.lookback.show"), self.look_back, True),
                                    (say("aftercare.lookback.recall"), self.recall, staff.can("recall")),
                                    (say("aftercare.lookback.save"), self.save_lookback, True)):
            if allowed:
                button = QPushButton(text, self)
                button.clicked.connect(slot)
                row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.lookback_state)
        layout.addWidget(self.lookback)
        if staff.can("follow_up"):
            layout.addLayout(button_row(self, [(say("aftercare.lookback.record_call"), self.record_call)]))
        self.lookback_rows: list = []
        self.lookback_lot = ""

    def refresh(self) -> None:
        """The lot shown, read again (a call recorded elsewhere changes its list)."""
        if self.lookback_lot:
            self._show_lot(self.lookback_lot)

    def look_back(self) -> None:
        lot = self.lot.text().strip()
        if not lot:
            self.lookback_state.setText(say("aftercare.lookback.type_lot"))
            return
        self._show_lot(lot)

    def _show_lot(self, lot: str) -> None:
        try:
            recalled, rows = self.store.lookback(self.staff, lot)
        except (StoreError, PermissionDenied) as exc:
            self.lookback_state.setText(str(exc))
            return
        self.lookback_rows, self.lookback_lot = rows, lot
        self.lookback_state.setText(say("aftercare.lookback.recalled", lot=lot, count=len(rows)) if recalled
                                    else say("aftercare.lookback.not_recalled", lot=lot, count=len(rows)))
        self.lookback_state.setStyleSheet("color: #a00000; font-weight: bold" if recalled else "")
        _fill(self.lookback, [[r.patient_name, r.date_of_birth, r.contact, r.given_at[:16].replace("T", " "),
                               r.amount, r.follow_up, r.recall_contact, str(r.open_adverse_events or "")]
                              for r in rows], rows)

    def recall(self) -> RecallForm | None:
        lot = self.lot.text().strip()
        if not lot:
            self.lookback_state.setText(say("aftercare.lookback.type_lot_to_recall"))
            return None
        form = RecallForm(self.store, self.staff, lot, self)
        form.accepted.connect(self.look_back)
        return self.open_form(form)

    def record_call(self) -> ContactForm | None:
        row = selected_key(self.lookback)
        if row is None:
            return None
        form = ContactForm(self.store, self.staff, row.screening_id, recall_lot=self.lookback_lot,
                           who=row.patient_name, parent=self)
        form.accepted.connect(self.look_back)
        form.accepted.connect(lambda: self.after_contact(form, row.screening_id, row.patient_name))
        return self.open_form(form)

    def save_lookback(self) -> None:
        if not self.lookback_lot:
            return
        path = self.dialogs.ask_file(self, say("aftercare.lookback.save_title"),
                                     str(Path.home() / f"lookback-{self.lookback_lot}.csv"),
                                     say("aftercare.lookback.csv_pattern"))
        if path:
            paths.write_atomically(Path(path), lookback_csv(self.lookback_rows).encode("utf-8-sig"))
