"""The Follow-up tab: who is due or overdue, what was given, adverse events, lot lookback.

Every action goes to the store, which re-reads the signed-in account and refuses what breaks
the rules; the forms only show its answer. Forms open without blocking (`open()`) and are
returned, so tests fill them in and press OK as a person would.
"""
from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import paths
from ..records import StoreError
from ..records.accounts import PermissionDenied
from ..records.aftercare import AE_OUTCOMES, SERIOUSNESS
from ..records.aftercare_report import lookback_csv, medwatch_text, medwatch_texts
from ..screening.model import Route
from .tables import _fill, _table

STATE_LABELS = {"overdue": "OVERDUE", "due": "Due now", "upcoming": "Coming up", "done": "Done"}
UNITS = ("mL", "µL", "mg", "µg", "billion particles")


def _selected(table: QTableWidget):
    items = table.selectedItems()
    return items[0].data(Qt.ItemDataRole.UserRole) if items else None


def _note(text: str, parent) -> QLabel:
    """An explanatory line that wraps, so the tab fits a small or scaled screen."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label


def _buttons(parent, buttons: list[tuple[str, object]]) -> QHBoxLayout:
    row = QHBoxLayout()
    for text, slot in buttons:
        button = QPushButton(text, parent)
        button.clicked.connect(slot)
        row.addWidget(button)
    row.addStretch(1)
    return row


class _Form(QDialog):
    """A small form: OK runs `submit()`; a refusal is shown in the form, which stays open."""

    ok_text = "Save"

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName("dialogError")
        self.error.setStyleSheet("color: #a00000")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.ok_text)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.result_value = None
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def row(self, label: str, widget: QWidget) -> QWidget:
        caption = QLabel(label, self)
        caption.setBuddy(widget)
        widget.setAccessibleName(label.replace("&", ""))
        self.form.addRow(caption, widget)
        return widget

    def _ok(self) -> None:
        self.error.setText("")
        try:
            self.result_value = self.submit()
        except (StoreError, PermissionDenied) as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def press_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    def submit(self):  # pragma: no cover - every form defines it
        raise NotImplementedError


class AdministrationForm(_Form):
    """What was given after a consent (or that nothing was, and why); or a correction."""

    def __init__(self, store, staff, sid: str, *, lot: str, route: str, current=None, who: str = "", parent=None):
        super().__init__("Correct the treatment record" if current else "Record the treatment given", parent)
        self.store, self.staff, self.sid, self.current = store, staff, sid, current
        if who:
            self.form.addRow(QLabel("Patient", self), QLabel(f"<b>{escape(who)}</b>", self))
        self.given = self.row("&Given?", QComboBox(self))
        self.given.addItem("Given", True)
        self.given.addItem("Not given", False)
        self.lot = self.row("&Lot (as on the vial)", QLineEdit(self))
        self.lot.setPlaceholderText(f"the consent's verified lot: {lot}")
        self.amount = self.row("&Amount", QLineEdit(self))
        self.unit = self.row("&Unit", QComboBox(self))
        self.unit.setEditable(True)
        self.unit.addItems(UNITS)
        self.site = self.row("&Site", QLineEdit(self))
        self.route = self.row("&Route", QComboBox(self))
        for r in Route:
            self.route.addItem(r.label, r.value)
        self.route.setCurrentIndex(max(0, self.route.findData(route)))
        self.procedure = self.row("&Procedure", QLineEdit(self))
        self.procedure.setPlaceholderText("e.g. microneedling, intradermal injection")
        self.given_by = self.row("Given &by (username)", QLineEdit(staff.username, self))
        self.given_at = self.row("Given &at", QLineEdit(dt.datetime.now().strftime("%Y-%m-%dT%H:%M"), self))
        self.reason = self.row("Why &not given", QLineEdit(self))
        self.amend_reason = self.row("Why &corrected", QLineEdit(self))
        self.amend_reason.setVisible(current is not None)
        self.form.labelForField(self.amend_reason).setVisible(current is not None)
        if current is not None:
            self.given.setCurrentIndex(0 if current.given else 1)
            for edit, value in ((self.lot, current.lot), (self.amount, current.amount), (self.site, current.site),
                                (self.procedure, current.procedure), (self.given_at, (current.given_at or "")[:16]),
                                (self.reason, current.not_given_reason)):
                edit.setText(value or "")
            if current.unit:
                self.unit.setCurrentText(current.unit)
        self.given.currentIndexChanged.connect(self._given_changed)
        self._given_changed()

    def _given_changed(self) -> None:
        given = bool(self.given.currentData())
        for w in (self.lot, self.amount, self.unit, self.site, self.route, self.procedure, self.given_by,
                  self.given_at):
            w.setEnabled(given)
        self.reason.setEnabled(not given)

    def submit(self):
        if not self.given.currentData():
            return self.store.record_administration(
                self.staff, self.sid, given=False, not_given_reason=self.reason.text(),
                amends=self.current.id if self.current else None, amend_reason=self.amend_reason.text())
        return self.store.record_administration(
            self.staff, self.sid, lot=self.lot.text(), amount=self.amount.text(), unit=self.unit.currentText(),
            site=self.site.text(), route=self.route.currentData(), procedure=self.procedure.text(),
            given_by=self.given_by.text().strip() or None, given_at=self.given_at.text().strip() or None,
            amends=self.current.id if self.current else None, amend_reason=self.amend_reason.text())


class ContactForm(_Form):
    """One call: reached or not, any problem, a note."""

    def __init__(self, store, staff, sid: str, *, follow_up_id: str | None = None, recall_lot: str | None = None,
                 who: str = "", parent=None):
        title = f"Call about recalled lot {recall_lot}" if recall_lot else "Record a follow-up contact"
        super().__init__(f"{title}: {who}" if who else title, parent)
        self.store, self.staff, self.sid = store, staff, sid
        self.follow_up_id, self.recall_lot = follow_up_id, recall_lot
        if who:
            self.form.addRow(QLabel("Patient", self), QLabel(f"<b>{escape(who)}</b>", self))
        self.reached = self.row("&Reached?", QComboBox(self))
        self.reached.addItem("Reached the patient", True)
        self.reached.addItem("Not reached (no answer, message left)", False)
        self.problem = self.row("Any &problem?", QComboBox(self))
        self.problem.addItem("No problem reported", False)
        self.problem.addItem("Reported a problem (say what in the note)", True)
        self.note = self.row("&Note", QPlainTextEdit(self))
        self.note.setMaximumHeight(90)
        self.reached.currentIndexChanged.connect(
            lambda _i: self.problem.setEnabled(bool(self.reached.currentData())))

    def submit(self):
        reached = bool(self.reached.currentData())
        return self.store.record_contact(
            self.staff, self.sid, reached=reached, problem=bool(self.problem.currentData()) if reached else None,
            note=self.note.toPlainText(), follow_up_id=self.follow_up_id, recall_lot=self.recall_lot)


class AdverseEventForm(_Form):
    """An adverse event (MedWatch's questions), or a change to one: a new record amending it."""

    def __init__(self, store, staff, sid: str, *, current=None, contact_id: str | None = None, who: str = "",
                 parent=None):
        title = "Update the adverse event" if current else "Record an adverse event"
        super().__init__(f"{title}: {who}" if who else title, parent)
        self.store, self.staff, self.sid, self.current, self.contact_id = store, staff, sid, current, contact_id
        words = medwatch_texts()
        if who:
            self.form.addRow(QLabel("Patient", self), QLabel(f"<b>{escape(who)}</b>", self))
        self.description = self.row("&What happened", QPlainTextEdit(self))
        self.description.setMaximumHeight(80)
        self.onset = self.row("&Onset (YYYY-MM-DD)", QLineEdit(dt.date.today().isoformat(), self))
        box = QGroupBox(self)
        grid = QVBoxLayout(box)
        self.criteria: dict[str, QCheckBox] = {}
        for key in SERIOUSNESS:
            self.criteria[key] = QCheckBox(words["seriousness"][key], box)
            self.criteria[key].setAccessibleName("Serious: " + words["seriousness"][key])
            grid.addWidget(self.criteria[key])
        self.row("&Serious (MedWatch)", box)
        self.outcome = self.row("Out&come", QComboBox(self))
        for key in AE_OUTCOMES:
            self.outcome.addItem(words["outcome"][key], key)
        self.outcome.setCurrentIndex(self.outcome.findData("unknown"))
        self.treatment = self.row("&Treatment of it", QLineEdit(self))
        self.lot = self.row("Suspected &lot", QLineEdit(self))
        self.lot.setPlaceholderText("the lot given, when empty")
        self.reported = self.row("Reported to &FDA", QCheckBox("Reported through MedWatch", self))
        self.reported_on = self.row("Reported o&n (YYYY-MM-DD)", QLineEdit(self))
        self.report_id = self.row("FDA report &number", QLineEdit(self))
        self.status = self.row("St&atus", QComboBox(self))
        self.status.addItem("Open (still followed)", "open")
        self.status.addItem("Closed", "closed")
        if current is not None:
            self.description.setPlainText(current.description)
            self.onset.setText(current.onset)
            for key in current.seriousness:
                self.criteria[key].setChecked(True)
            self.outcome.setCurrentIndex(self.outcome.findData(current.outcome))
            self.treatment.setText(current.treatment)
            self.lot.setText(current.suspected_lot or "")
            self.reported.setChecked(current.reported_to_fda)
            self.reported_on.setText(current.reported_on or "")
            self.report_id.setText(current.fda_report_id or "")
            self.status.setCurrentIndex(self.status.findData(current.status))

    def submit(self):
        return self.store.record_adverse_event(
            self.staff, self.sid, description=self.description.toPlainText(), onset=self.onset.text(),
            seriousness=[k for k, box in self.criteria.items() if box.isChecked()],
            outcome=self.outcome.currentData(), treatment=self.treatment.text(),
            suspected_lot=self.lot.text().strip() or None, reported_to_fda=self.reported.isChecked(),
            reported_on=self.reported_on.text().strip() or None, fda_report_id=self.report_id.text().strip() or None,
            status=self.status.currentData(), contact_id=self.contact_id,
            amends=self.current.id if self.current else None)


class RecallForm(_Form):
    ok_text = "Recall the lot"

    def __init__(self, store, staff, lot: str, parent=None):
        super().__init__(f"Recall lot {lot}", parent)
        self.store, self.staff, self.lot = store, staff, lot
        self.row("", QLabel("A recalled lot never verifies again and is never given. This cannot be undone.", self))
        self.reason = self.row("&Reason", QLineEdit(self))
        self.reason.setPlaceholderText("e.g. maker's recall notice of 2026-11-20: sterility failure")

    def submit(self):
        return self.store.recall_lot(self.staff, self.lot, self.reason.text())


class MedWatchView(QDialog):
    """The MedWatch summary, ready to copy into FDA's form, save or print."""

    def __init__(self, text: str, dialogs, parent=None):
        super().__init__(parent)
        self.setWindowTitle("MedWatch summary (contains patient information)")
        self.dialogs, self.text = dialogs, text
        self.view = QPlainTextEdit(text, self)
        self.view.setReadOnly(True)
        self.view.setAccessibleName("MedWatch summary")
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(_buttons(self, [("&Copy all", self.copy), ("&Save as text…", self.save),
                                         ("Close", self.accept)]))
        self.resize(760, 820)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)

    def save(self) -> None:
        path = self.dialogs.ask_file(self, "Save the MedWatch summary", str(Path.home() / "medwatch.txt"),
                                     "Text (*.txt)")
        if path:
            paths.write_atomically(Path(path), self.text.encode("utf-8"))


class AftercareTab(QWidget):
    """The main window's Follow-up tab; `refresh()` re-reads everything it shows."""

    def __init__(self, store, staff, dialogs, parent=None):
        super().__init__(parent)
        self.store, self.staff, self.dialogs = store, staff, dialogs
        self.open_forms: list[QDialog] = []
        self.pages = QTabWidget(self)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #a00000")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.problem)
        if staff.can("follow_up"):
            self.pages.addTab(self._due_page(), "&Due and overdue")
        if staff.can("administer"):
            self.pages.addTab(self._treatments_page(), "&Treatments to record")
        if staff.can("follow_up"):
            self.pages.addTab(self._events_page(), "Adverse &events")
        if staff.can("lookback"):
            self.pages.addTab(self._lookback_page(), "Look&back and recall")
        self.pages.currentChanged.connect(lambda _i: self.refresh())

    # --- pages --------------------------------------------------------------------------------

    def _due_page(self) -> QWidget:
        page = QWidget()
        self.due = _table(["Patient", "Date of birth", "Contact", "Treated", "Lot", "Follow-up no.", "Due",
                           "State", "Not reached", "Last note"], "Follow-up contacts due or overdue")
        self.due.doubleClicked.connect(lambda _i: self.record_contact())
        self.show_upcoming = QCheckBox("Also show the next 14 days", page)
        self.show_upcoming.setAccessibleName("Also show the next 14 days")
        self.show_upcoming.toggled.connect(lambda _b: self.refresh())
        buttons = [("Record &contact…", self.record_contact)]
        if self.staff.can("adverse_events"):
            buttons.append(("Record adverse e&vent…", self.record_event_for_due))
        layout = QVBoxLayout(page)
        layout.addWidget(_note("Patients to call after their treatment (clinic schedule). Overdue first.", page))
        layout.addWidget(self.show_upcoming)
        layout.addWidget(self.due)
        layout.addLayout(_buttons(page, buttons))
        return page

    def _treatments_page(self) -> QWidget:
        page = QWidget()
        self.pending = _table(["Patient", "Date of birth", "Treatment date", "Verified lot"],
                              "Signed consents with no treatment recorded")
        self.pending.doubleClicked.connect(lambda _i: self.record_treatment())
        self.recorded = _table(["Patient", "Date of birth", "Given", "Lot", "Amount", "Site", "Corrected"],
                               "Treatments recorded, newest first")
        self.recorded.doubleClicked.connect(lambda _i: self.correct_selected())
        layout = QVBoxLayout(page)
        layout.addWidget(_note("Signed consents with a verified lot: record what was given, or that it was not.",
                                page))
        layout.addWidget(self.pending)
        layout.addLayout(_buttons(page, [("Record what was &given…", self.record_treatment)]))
        layout.addWidget(_note("Treatments recorded, newest first. A record never changes; a correction is a new "
                                "record that points to it, with the reason.", page))
        layout.addWidget(self.recorded)
        buttons = [("Correct th&is record…", self.correct_selected)]
        if self.staff.can("adverse_events"):  # at any time, not only from a follow-up call
            buttons.append(("&Note an adverse event…", self.record_event_for_recorded))
        layout.addLayout(_buttons(page, buttons))
        return page

    def _events_page(self) -> QWidget:
        page = QWidget()
        self.events = _table(["Patient", "Onset", "What happened", "Serious", "Outcome", "Reported to FDA", "Status"],
                             "Adverse events")
        self.show_closed = QCheckBox("Show closed ones too", page)
        self.show_closed.setAccessibleName("Show closed ones too")
        self.show_closed.toggled.connect(lambda _b: self.refresh())
        buttons = [("&MedWatch summary…", self.medwatch)]
        if self.staff.can("adverse_events"):
            buttons.insert(0, ("&Update or close…", self.update_event))
        layout = QVBoxLayout(page)
        layout.addWidget(_note("The latest record of each adverse event. An open one is shown to the clinician "
                                "at the patient's next screening.", page))
        layout.addWidget(self.show_closed)
        layout.addWidget(self.events)
        layout.addLayout(_buttons(page, buttons))
        return page

    def _lookback_page(self) -> QWidget:
        page = QWidget()
        self.lot = QLineEdit(page)
        self.lot.setAccessibleName("Lot number")
        self.lot.setPlaceholderText("lot number, e.g. EV-2291")
        self.lot.returnPressed.connect(self.look_back)
        self.lookback_state = QLabel(page)
        self.lookback_state.setWordWrap(True)
        self.lookback = _table(["Patient", "Date of birth", "Contact", "Given", "Amount", "Follow-up",
                                "Recall call", "Open adverse events"], "Patients who received the lot")
        row = QHBoxLayout()
        row.addWidget(QLabel("Lot &number:", page))
        row.itemAt(0).widget().setBuddy(self.lot)
        row.addWidget(self.lot, 1)
        for text, slot, allowed in (("Show &patients", self.look_back, True),
                                    ("Recall this lot…", self.recall, self.staff.can("recall")),
                                    ("Save as CS&V…", self.save_lookback, True)):
            if allowed:
                button = QPushButton(text, page)
                button.clicked.connect(slot)
                row.addWidget(button)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.lookback_state)
        layout.addWidget(self.lookback)
        if self.staff.can("follow_up"):
            layout.addLayout(_buttons(page, [("Record &call…", self.record_call)]))
        self.lookback_rows: list = []
        self.lookback_lot = ""
        return page

    # --- refreshing --------------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            if hasattr(self, "due"):
                items = self.store.follow_up_queue(self.staff,
                                                   upcoming_days=14 if self.show_upcoming.isChecked() else 0)
                _fill(self.due, [[i.patient_name, i.date_of_birth, i.contact, i.given_at[:10], i.lot or "",
                                  str(i.seq), i.label, STATE_LABELS[i.state],
                                  f"{i.attempts} time(s)" if i.attempts else "", i.last_note[:60]]
                                 for i in items], items)
            if hasattr(self, "pending"):
                rows = self.store.consents_to_record(self.staff)
                _fill(self.pending, [[r["patient_name"], r["date_of_birth"], r["treatment_date"], r["lot"] or ""]
                                     for r in rows], rows)
                given = self.store.recent_administrations(self.staff)
                _fill(self.recorded, [[r["patient_name"], r["date_of_birth"],
                                       (r["given_at"] or "")[:16].replace("T", " ") if r["given"]
                                       else "not given: " + (r["not_given_reason"] or ""),
                                       r["lot"] or "", f"{r['amount']} {r['unit']}" if r["given"] else "",
                                       r["site"] or "", "yes" if r["amends"] else ""] for r in given],
                      [r["screening_id"] for r in given])
            if hasattr(self, "events"):
                events = self.store.adverse_events(self.staff, open_only=not self.show_closed.isChecked())
                names = {sid: self.store.draft(sid).patient_name for sid in {e.screening_id for e in events}}
                words = medwatch_texts()
                _fill(self.events, [[names[e.screening_id], e.onset, e.description[:80],
                                     "yes" if e.seriousness else "no", words["outcome"][e.outcome],
                                     e.reported_on or ("yes" if e.reported_to_fda else "no"), e.status]
                                    for e in events], events)
                for r, e in enumerate(events):  # which MedWatch criteria, on hover and for screen readers
                    self.events.item(r, 3).setToolTip("; ".join(words["seriousness"][k] for k in e.seriousness))
                    self.events.item(r, 2).setToolTip(e.description)
            self.problem.setText("")
        except (StoreError, PermissionDenied) as exc:
            self.problem.setText(str(exc))

    def _show(self, form: QDialog) -> QDialog:
        form.finished.connect(lambda _r: self._closed(form))
        self.open_forms.append(form)
        form.open()
        return form

    def _closed(self, form: QDialog) -> None:
        if form in self.open_forms:
            self.open_forms.remove(form)
        self.refresh()

    # --- actions -----------------------------------------------------------------------------------

    def record_contact(self) -> ContactForm | None:
        item = _selected(self.due)
        if item is None:
            return None
        form = ContactForm(self.store, self.staff, item.screening_id, follow_up_id=item.id, who=item.patient_name,
                           parent=self)
        form.accepted.connect(lambda: self._after_contact(form, item.screening_id, item.patient_name))
        return self._show(form)

    def _after_contact(self, form: ContactForm, sid: str, who: str) -> None:
        contact = form.result_value
        if contact is not None and contact.problem and self.staff.can("adverse_events"):
            self.record_event(sid, who, contact_id=contact.id)

    def record_event_for_due(self) -> AdverseEventForm | None:
        item = _selected(self.due)
        return self.record_event(item.screening_id, item.patient_name) if item is not None else None

    def record_event_for_recorded(self) -> AdverseEventForm | None:
        sid = _selected(self.recorded)
        if sid is None:
            return None
        row = self.recorded.selectedItems()[0]
        return self.record_event(sid, self.recorded.item(row.row(), 0).text())

    def record_event(self, sid: str, who: str = "", contact_id: str | None = None) -> AdverseEventForm:
        return self._show(AdverseEventForm(self.store, self.staff, sid, contact_id=contact_id, who=who, parent=self))

    def update_event(self) -> AdverseEventForm | None:
        event = _selected(self.events)
        if event is None:
            return None
        who = self.events.item(self.events.selectedItems()[0].row(), 0).text()
        return self._show(AdverseEventForm(self.store, self.staff, event.screening_id, current=event, who=who,
                                           parent=self))

    def medwatch(self) -> MedWatchView | None:
        event = _selected(self.events)
        if event is None:
            return None
        try:
            text = medwatch_text(self.store.medwatch_facts(self.staff, event.id))
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, "No summary", str(exc), error=True)
            return None
        view = MedWatchView(text, self.dialogs, self)
        view.show()
        self.open_forms.append(view)
        return view

    def record_treatment(self) -> AdministrationForm | None:
        row = _selected(self.pending)
        if row is None:
            return None
        route = self.store.record(row["id"]).screening_file.get("treatment", {}).get("route", "")
        return self._show(AdministrationForm(self.store, self.staff, row["id"], lot=row["lot"] or "", route=route,
                                             who=row["patient_name"], parent=self))

    def correct_selected(self) -> AdministrationForm | None:
        sid = _selected(self.recorded)
        return self.correct_treatment(sid) if sid else None

    def correct_treatment(self, sid: str) -> AdministrationForm | None:
        try:
            current = self.store.administration(self.staff, sid) if sid else None
            record = self.store.record(sid) if current else None
        except StoreError:
            current = None
        if current is None:
            self.dialogs.tell(self, "Nothing to correct", "No treatment is recorded for that screening ID.")
            return None
        who = record.screening_file.get("patient", {}).get("name", "")
        return self._show(AdministrationForm(self.store, self.staff, sid, lot=record.lot or "",
                                             route=current.route or "", current=current, who=who, parent=self))

    def look_back(self) -> None:
        lot = self.lot.text().strip()
        if not lot:
            self.lookback_state.setText("Type a lot number.")
            return
        try:
            recalled, rows = self.store.lookback(self.staff, lot)
        except (StoreError, PermissionDenied) as exc:
            self.lookback_state.setText(str(exc))
            return
        self.lookback_rows, self.lookback_lot = rows, lot
        self.lookback_state.setText(
            (f"Lot {lot} is RECALLED: call every patient below and record each call. " if recalled
             else f"Lot {lot} is not recalled. ") + f"{len(rows)} patient(s) received it.")
        self.lookback_state.setStyleSheet("color: #a00000; font-weight: bold" if recalled else "")
        _fill(self.lookback, [[r.patient_name, r.date_of_birth, r.contact, r.given_at[:16].replace("T", " "),
                               r.amount, r.follow_up, r.recall_contact, str(r.open_adverse_events or "")]
                              for r in rows], rows)

    def recall(self) -> RecallForm | None:
        lot = self.lot.text().strip()
        if not lot:
            self.lookback_state.setText("Type the lot number to recall.")
            return None
        form = RecallForm(self.store, self.staff, lot, self)
        form.accepted.connect(self.look_back)
        return self._show(form)

    def record_call(self) -> ContactForm | None:
        row = _selected(self.lookback)
        if row is None:
            return None
        form = ContactForm(self.store, self.staff, row.screening_id, recall_lot=self.lookback_lot,
                           who=row.patient_name, parent=self)
        form.accepted.connect(self.look_back)
        form.accepted.connect(lambda: self._after_contact(form, row.screening_id, row.patient_name))
        return self._show(form)

    def save_lookback(self) -> None:
        if not self.lookback_lot:
            return
        path = self.dialogs.ask_file(self, "Save the lookback list as CSV",
                                     str(Path.home() / f"lookback-{self.lookback_lot}.csv"), "CSV (*.csv)")
        if path:
            paths.write_atomically(Path(path), lookback_csv(self.lookback_rows).encode("utf-8-sig"))
