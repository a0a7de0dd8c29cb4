"""What every wizard page shares: the scrolling body, the footer (why Next is off, the save
state), the patient banner, inline field messages, and the colours that go with an outcome."""
from __future__ import annotations

import datetime as dt
import html
import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...casework import Draft, Step
from ...markup import escape
from ...screening.model import Outcome
from ...wording import say

if TYPE_CHECKING:
    from .shell import ScreeningWizard


def field_labels() -> dict[str, str]:
    """The name of each screening-file field the front desk fills in, for "To continue: …"."""
    return {
        "patient.name": say("wizard.field.name"), "patient.date_of_birth": say("wizard.field.date_of_birth"),
        "patient.patient_id": say("wizard.field.patient_id"), "patient.contact": say("wizard.field.contact"),
        "treatment.route": say("wizard.field.route"), "treatment.area": say("wizard.field.area"),
        "treatment.date": say("wizard.field.treatment_date"), "treatment.procedure": say("wizard.field.procedure"),
        "representative.name": say("wizard.field.representative_name"),
        "representative.relationship": say("wizard.field.representative_relationship"),
    }


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def severity_colour(outcome: Outcome, palette: QPalette) -> QColor:
    """Readable on light and dark palettes; colour is never the only sign (text and icon too)."""
    light = {Outcome.DO_NOT_TREAT: "#b71c1c", Outcome.CLINICIAN_REVIEW: "#8a5300",
             Outcome.NO_CONTRAINDICATION_FOUND: "#1b5e20"}
    dark = {Outcome.DO_NOT_TREAT: "#ff8a80", Outcome.CLINICIAN_REVIEW: "#ffd180",
            Outcome.NO_CONTRAINDICATION_FOUND: "#b9f6ca"}
    return QColor((dark if is_dark(palette) else light)[outcome])




def plain(rich: str) -> str:
    """A rich-text label's words, for a screen reader."""
    return html.unescape(re.sub(r"<[^>]+>", " ", rich))


def error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setObjectName("inlineError")
    label.setVisible(False)
    return label


def show_error(label: QLabel, message: str | None) -> None:
    colour = severity_colour(Outcome.DO_NOT_TREAT, label.palette()).name()
    label.setText(f'<span style="color:{colour}">{escape(message)}</span>' if message else "")
    label.setVisible(bool(message))


def age_on(born: str, on: str) -> int | None:
    try:
        b, d = dt.date.fromisoformat(born), dt.date.fromisoformat(on)
    except ValueError:
        return None
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


class Page(QWizardPage):
    """A page of the flow: complete when the Flow finds nothing wrong with its step.

    Pages lay out their content in `self.body`, which scrolls vertically (never sideways) so
    every control stays reachable at 150% scale on a 1366x768 screen or at 800x600; the footer
    (why Next is off, and the save state) stays in view below it."""

    step: Step
    scrolls = True

    def __init__(self, wizard: ScreeningWizard):
        super().__init__()
        self._buttons_shown: tuple[bool, int] | None = None
        self.completeChanged.connect(self._note_buttons)  # before the wizard's own connection
        wizard.currentIdChanged.connect(self._forget_buttons)
        self.w = wizard
        self.setTitle(self.step.title)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setObjectName("nextBlockedReason")
        self.saved = QLabel(self)
        self.saved.setObjectName("saveState")
        self.saved.setAccessibleName(say("wizard.page.save_state"))
        self.footer = QWidget(self)
        row = QHBoxLayout(self.footer)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status, 1)
        row.addWidget(self.saved, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        # Who the patient is, on every clinician page: a decision is never made blind.
        self.banner_widget = QLabel(self)
        self.banner_widget.setObjectName("patientBanner")
        self.banner_widget.setWordWrap(True)
        self.banner_widget.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner_widget.setMargin(6)
        self.banner_widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner_widget.setVisible(self.step.for_clinician)
        self.body = QWidget()
        self.body.setObjectName("pageBody")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # (`scroller`, not `scroll`: QWidget.scroll is a method a page must keep.)
        self.scroller: QScrollArea | None = None
        if self.scrolls:
            self.scroller = QScrollArea(self)
            self.scroller.setWidget(self.body)
            self.scroller.setWidgetResizable(True)
            self.scroller.setFrameShape(QFrame.Shape.NoFrame)
            self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            outer.addWidget(self.scroller, 1)
        else:
            outer.addWidget(self.body, 1)
        outer.addWidget(self.footer)

    def show_patient(self) -> None:
        text = self.w.patient_banner()
        self.banner_widget.setText(text)
        self.banner_widget.setAccessibleName(say("wizard.page.patient_accessible", patient=plain(text)))

    @property
    def draft(self) -> Draft:
        return self.w.draft

    def problems(self) -> dict[str, str]:
        return self.w.flow.problems(self.draft, self.step)

    def isComplete(self) -> bool:
        return not self.problems()

    def nextId(self) -> int:
        nxt = self.w.flow.next_step(self.draft, self.step)
        return -1 if nxt is None else int(nxt)

    def changed(self) -> None:
        """Called after every edit: refresh messages and the Next button."""
        self.refresh_messages()
        # QWizard repaints the whole window on completeChanged: tell it only when what its
        # buttons show can have changed (complete or not, and where Next leads), not on each key.
        if (self.isComplete(), self.nextId()) != self._buttons_shown:
            self.completeChanged.emit()
        self.w.draft_changed.emit()

    def _note_buttons(self) -> None:
        """What the wizard's buttons show now: it asks at each completeChanged, whoever emits it."""
        self._buttons_shown = (self.isComplete(), self.nextId())

    def _forget_buttons(self, _page_id: int) -> None:
        self._buttons_shown = None  # another page is current: the wizard sets its buttons afresh

    def refresh_messages(self) -> None:
        problems = self.problems()
        if problems:
            first = self.describe(*next(iter(problems.items())))
            self.status.setText(say("wizard.page.to_continue_more", problem=first, count=len(problems) - 1)
                                if len(problems) > 1 else say("wizard.page.to_continue", problem=first))
        else:
            self.status.setText("")

    def describe(self, field: str, message: str) -> str:
        name = field_labels().get(field) or field.split(".")[-1].replace("_", " ")
        return say("wizard.page.field_problem", field=name, message=message)


class TextFields:
    """Line edits bound to Draft attributes, each with an inline message once touched."""

    def __init__(self, page: Page, form: QFormLayout):
        self.page, self.form = page, form
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self.touched: set[str] = set()

    def add(self, attr: str, field: str, label: str, accessible: str, placeholder: str = "",
            max_length: int = 200) -> QLineEdit:
        edit = QLineEdit(self.page)
        edit.setAccessibleName(accessible)
        edit.setPlaceholderText(placeholder)
        edit.setMaxLength(max_length)
        error = error_label(self.page)
        error.setAccessibleName(say("wizard.page.problem_accessible", field=accessible))
        edit.textEdited.connect(lambda text, a=attr: self._edited(a, text))
        edit.editingFinished.connect(lambda f=field: self._touch(f))
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(edit)
        box.addWidget(error)
        caption = QLabel(label, self.page)
        caption.setBuddy(edit)  # makes the &-mnemonic work and names the field for screen readers
        self.form.addRow(caption, box)
        self.edits[field], self.errors[field] = edit, error
        edit.setProperty("draft_attr", attr)
        return edit

    def _edited(self, attr: str, text: str) -> None:
        setattr(self.page.draft, attr, text)
        self.page.changed()

    def _touch(self, field: str) -> None:
        self.touched.add(field)
        self.page.refresh_messages()

    def load(self) -> None:
        for edit in self.edits.values():
            edit.setText(getattr(self.page.draft, edit.property("draft_attr")))

    def show(self, problems: dict[str, str]) -> None:
        for field, label in self.errors.items():
            show_error(label, problems.get(field) if field in self.touched else None)
