"""The Follow-up tab's forms: the treatment given, a follow-up or recall call, an adverse event,
a lot recall; and the MedWatch summary. OK runs `submit()`; a refusal of the store is shown in
the form, which stays open."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TypeVar

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ... import paths
from ...markup import escape
from ...records import StoreError
from ...records.accounts import PermissionDenied
from ...records.aftercare import AE_OUTCOMES, SERIOUSNESS
from ...records.aftercare_report import medwatch_texts
from ...screening.model import Route
from ...wording import say
from ..forms import button_row

UNITS = ("mL", "µL", "mg", "µg", "billion particles")
W = TypeVar("W", bound=QWidget)


class _Form(QDialog):
    """A small form: OK runs `submit()`; a refusal is shown in the form, which stays open."""

    ok_key = "aftercare.form.save"

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
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(say(self.ok_key))
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.result_value = None
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def row(self, label: str, widget: W) -> W:
        caption = QLabel(label, self)
        caption.setBuddy(widget)
        widget.setAccessibleName(label.replace("&", ""))
        self.form.addRow(caption, widget)
        return widget

    def patient_row(self, who: str) -> None:
        if who:
            self.form.addRow(QLabel(say("aftercare.form.patient"), self), QLabel(f"<b>{escape(who)}</b>", self))

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


def _titled(title: str, who: str) -> str:
    return say("aftercare.form.title_for", title=title, who=who) if who else title


class AdministrationForm(_Form):
    """What was given after a consent (or that nothing was, and why); or a correction."""

    def __init__(self, store, staff, sid: str, *, lot: str, route: str, current=None, who: str = "", parent=None):
        super().__init__(say("aftercare.treatment.correct_title") if current else say("aftercare.treatment.title"),
                         parent)
        self.store, self.staff, self.sid, self.current = store, staff, sid, current
        self.patient_row(who)
        self.given = self.row(say("aftercare.treatment.given"), QComboBox(self))
        self.given.addItem(say("aftercare.treatment.given_yes"), True)
        self.given.addItem(say("aftercare.treatment.given_no"), False)
        self.lot = self.row(say("aftercare.treatment.lot"), QLineEdit(self))
        self.lot.setPlaceholderText(say("aftercare.treatment.lot_hint", lot=lot))
        self.amount = self.row(say("aftercare.treatment.amount"), QLineEdit(self))
        self.unit = self.row(say("aftercare.treatment.unit"), QComboBox(self))
        self.unit.setEditable(True)
        self.unit.addItems(UNITS)
        self.site = self.row(say("aftercare.treatment.site"), QLineEdit(self))
        self.route = self.row(say("aftercare.treatment.route"), QComboBox(self))
        for r in Route:
            self.route.addItem(r.label, r.value)
        self.route.setCurrentIndex(max(0, self.route.findData(route)))
        self.procedure = self.row(say("aftercare.treatment.procedure"), QLineEdit(self))
        self.procedure.setPlaceholderText(say("aftercare.treatment.procedure_hint"))
        self.given_by = self.row(say("aftercare.treatment.given_by"), QLineEdit(staff.username, self))
        self.given_at = self.row(say("aftercare.treatment.given_at"),
                                 QLineEdit(dt.datetime.now().strftime("%Y-%m-%dT%H:%M"), self))
        self.reason = self.row(say("aftercare.treatment.not_given_reason"), QLineEdit(self))
        self.amend_reason = self.row(say("aftercare.treatment.amend_reason"), QLineEdit(self))
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
        amends = self.current.id if self.current else None
        if not self.given.currentData():
            return self.store.record_administration(
                self.staff, self.sid, given=False, not_given_reason=self.reason.text(),
                amends=amends, amend_reason=self.amend_reason.text())
        return self.store.record_administration(
            self.staff, self.sid, lot=self.lot.text(), amount=self.amount.text(), unit=self.unit.currentText(),
            site=self.site.text(), route=self.route.currentData(), procedure=self.procedure.text(),
            given_by=self.given_by.text().strip() or None, given_at=self.given_at.text().strip() or None,
            amends=amends, amend_reason=self.amend_reason.text())


class ContactForm(_Form):
    """One call: reached or not, any problem, a note."""

    def __init__(self, store, staff, sid: str, *, follow_up_id: str | None = None, recall_lot: str | None = None,
                 who: str = "", parent=None):
        title = say("aftercare.contact.recall_title", lot=recall_lot) if recall_lot else say("aftercare.contact.title")
        super().__init__(_titled(title, who), parent)
        self.store, self.staff, self.sid = store, staff, sid
        self.follow_up_id, self.recall_lot = follow_up_id, recall_lot
        self.patient_row(who)
        self.reached = self.row(say("aftercare.contact.reached"), QComboBox(self))
        self.reached.addItem(say("aftercare.contact.reached_yes"), True)
        self.reached.addItem(say("aftercare.contact.reached_no"), False)
        self.problem = self.row(say("aftercare.contact.problem"), QComboBox(self))
        self.problem.addItem(say("aftercare.contact.problem_no"), False)
        self.problem.addItem(say("aftercare.contact.problem_yes"), True)
        self.note = self.row(say("aftercare.contact.note"), QPlainTextEdit(self))
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
        title = say("aftercare.event.update_title") if current else say("aftercare.event.title")
        super().__init__(_titled(title, who), parent)
        self.store, self.staff, self.sid, self.current, self.contact_id = store, staff, sid, current, contact_id
        words = medwatch_texts()
        self.patient_row(who)
        self.description = self.row(say("aftercare.event.description"), QPlainTextEdit(self))
        self.description.setMaximumHeight(80)
        self.onset = self.row(say("aftercare.event.onset"), QLineEdit(dt.date.today().isoformat(), self))
        box = QGroupBox(self)
        grid = QVBoxLayout(box)
        self.criteria: dict[str, QCheckBox] = {}
        for key in SERIOUSNESS:
            self.criteria[key] = QCheckBox(words["seriousness"][key], box)
            self.criteria[key].setAccessibleName(say("aftercare.event.serious_name",
                                                     criterion=words["seriousness"][key]))
            grid.addWidget(self.criteria[key])
        self.row(say("aftercare.event.serious"), box)
        self.outcome = self.row(say("aftercare.event.outcome"), QComboBox(self))
        for key in AE_OUTCOMES:
            self.outcome.addItem(words["outcome"][key], key)
        self.outcome.setCurrentIndex(self.outcome.findData("unknown"))
        self.treatment = self.row(say("aftercare.event.treatment"), QLineEdit(self))
        self.lot = self.row(say("aftercare.event.lot"), QLineEdit(self))
        self.lot.setPlaceholderText(say("aftercare.event.lot_hint"))
        self.reported = self.row(say("aftercare.event.reported"), QCheckBox(say("aftercare.event.reported_box"), self))
        self.reported_on = self.row(say("aftercare.event.reported_on"), QLineEdit(self))
        self.report_id = self.row(say("aftercare.event.report_id"), QLineEdit(self))
        self.status = self.row(say("aftercare.event.status"), QComboBox(self))
        self.status.addItem(say("aftercare.event.open"), "open")
        self.status.addItem(say("aftercare.event.closed"), "closed")
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
    ok_key = "aftercare.recall.ok"

    def __init__(self, store, staff, lot: str, parent=None):
        super().__init__(say("aftercare.recall.title", lot=lot), parent)
        self.store, self.staff, self.lot = store, staff, lot
        self.row("", QLabel(say("aftercare.recall.warning"), self))
        self.reason = self.row(say("aftercare.recall.reason"), QLineEdit(self))
        self.reason.setPlaceholderText(say("aftercare.recall.reason_hint"))

    def submit(self):
        return self.store.recall_lot(self.staff, self.lot, self.reason.text())


class MedWatchView(QDialog):
    """The MedWatch summary, ready to copy into FDA's form, save or print."""

    def __init__(self, text: str, dialogs, parent=None, *, pdf=None, saved=None):
        """`pdf()`: the same summary as a printable PDF; `saved(kind)`: called after a save (to audit it)."""
        super().__init__(parent)
        self.setWindowTitle(say("aftercare.medwatch.title"))
        self.dialogs, self.text, self.make_pdf, self.saved = dialogs, text, pdf, saved
        self.view = QPlainTextEdit(text, self)
        self.view.setReadOnly(True)
        self.view.setAccessibleName(say("aftercare.medwatch.name"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(button_row(self, [(say("aftercare.medwatch.copy"), self.copy),
                                           (say("aftercare.medwatch.save"), self.save),
                                           (say("aftercare.medwatch.save_pdf"), self.save_pdf),
                                           (say("aftercare.medwatch.close"), self.accept)]))
        self.resize(760, 820)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)

    def save(self) -> None:
        path = self.dialogs.ask_file(self, say("aftercare.medwatch.save_title"), str(Path.home() / "medwatch.txt"),
                                     say("aftercare.medwatch.text_pattern"))
        if path:
            paths.write_atomically(Path(path), self.text.encode("utf-8"))
            if self.saved:
                self.saved("text")

    def save_pdf(self) -> Path | None:
        """The printable summary: form 3500's fields in order, to print or keep with the records."""
        if self.make_pdf is None:
            return None
        path = self.dialogs.ask_file(self, say("aftercare.medwatch.save_pdf_title"),
                                     str(Path.home() / "medwatch.pdf"), say("aftercare.medwatch.pdf_pattern"))
        if not path:
            return None
        try:
            paths.write_atomically(Path(path), self.make_pdf())
        except OSError as exc:
            self.dialogs.tell(self, say("aftercare.medwatch.not_saved"), exc.strerror or str(exc), error=True)
            return None
        if self.saved:
            self.saved("pdf")
        return Path(path)
