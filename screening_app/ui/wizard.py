"""The screening wizard: front desk (patient, treatment, questions), then the clinician
(review, product lot, sheet).

The pages hold no state of their own: they show and edit a `casework.Draft`, and ask a
`casework.Flow` what is wrong and where Next leads. Qt stays in this package.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ..casework import Case, Draft, Flow, Step
from ..records import StoreError
from ..records.accounts import PermissionDenied, Staff
from ..records.settings import ClinicSettings
from ..screening import InputRefused, ScreeningResult
from ..screening.consent import Decision, SheetKind
from ..screening.model import Answer, Outcome, Procedure, Route
from ..screening.product import FIELDS_BY_KEY, PRODUCT_FIELDS
from .dialogs import Dialogs
from .geometry import fit_to_screen

PREVIEW_STAFF = Staff(0, "preview", "", "clinician")
ANSWER_KEYS = {Qt.Key.Key_Y: Answer.YES, Qt.Key.Key_N: Answer.NO, Qt.Key.Key_D: Answer.DONT_KNOW}
SEVERITY_ICON = {
    Outcome.DO_NOT_TREAT: QStyle.StandardPixmap.SP_MessageBoxCritical,
    Outcome.CLINICIAN_REVIEW: QStyle.StandardPixmap.SP_MessageBoxWarning,
    Outcome.NO_CONTRAINDICATION_FOUND: QStyle.StandardPixmap.SP_DialogApplyButton,
}


FIELD_LABELS = {
    "patient.name": "Full name", "patient.date_of_birth": "Date of birth", "patient.patient_id": "Patient ID",
    "patient.contact": "Contact", "treatment.route": "Route", "treatment.area": "Area",
    "treatment.date": "Treatment date", "treatment.procedure": "Procedure",
    "representative.name": "Parent or representative", "representative.relationship": "Relationship",
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


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setObjectName("inlineError")
    label.setVisible(False)
    return label


def _show_error(label: QLabel, message: str | None) -> None:
    colour = severity_colour(Outcome.DO_NOT_TREAT, label.palette()).name()
    label.setText(f'<span style="color:{colour}">{_escape(message)}</span>' if message else "")
    label.setVisible(bool(message))


def _escape(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(html: str) -> str:
    import re
    return re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def age_on(born: str, on: str) -> int | None:
    try:
        b, d = dt.date.fromisoformat(born), dt.date.fromisoformat(on)
    except ValueError:
        return None
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


class _Page(QWizardPage):
    """A page of the flow: complete when the Flow finds nothing wrong with its step.

    Pages lay out their content in `self.body`, which scrolls vertically (never sideways) so
    every control stays reachable at 150% scale on a 1366x768 screen or at 800x600; the footer
    (why Next is off, and the save state) stays in view below it."""

    step: Step
    scrolls = True

    def __init__(self, wizard: ScreeningWizard):
        super().__init__()
        self.w = wizard
        self.setTitle(self.step.title)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setObjectName("nextBlockedReason")
        self.saved = QLabel(self)
        self.saved.setObjectName("saveState")
        self.saved.setAccessibleName("Save state")
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
        if self.scrolls:
            self.scroll = QScrollArea(self)
            self.scroll.setWidget(self.body)
            self.scroll.setWidgetResizable(True)
            self.scroll.setFrameShape(QFrame.Shape.NoFrame)
            self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            outer.addWidget(self.scroll, 1)
        else:
            outer.addWidget(self.body, 1)
        outer.addWidget(self.footer)

    def show_patient(self) -> None:
        text = self.w.patient_banner()
        self.banner_widget.setText(text)
        self.banner_widget.setAccessibleName("Patient: " + _plain(text))

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
        self.completeChanged.emit()
        self.w.draft_changed.emit()

    def refresh_messages(self) -> None:
        problems = self.problems()
        if problems:
            first = next(iter(problems.items()))
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.status.setText(f"To continue: {self.describe(*first)}{more}.")
        else:
            self.status.setText("")

    def describe(self, field: str, message: str) -> str:
        return f"{FIELD_LABELS.get(field, field.split('.')[-1].replace('_', ' '))}: {message}"


class _TextFields:
    """Line edits bound to Draft attributes, each with an inline message once touched."""

    def __init__(self, page: _Page, form: QFormLayout):
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
        error = _error_label(self.page)
        error.setAccessibleName(f"{accessible}: problem")
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
            message = problems.get(field) if field in self.touched else None
            _show_error(label, message)


class PatientPage(_Page):
    step = Step.PATIENT

    def __init__(self, wizard):
        super().__init__(wizard)
        self.setSubTitle("Front desk: who is being screened.")
        form = QFormLayout()
        self.fields = _TextFields(self, form)
        self.name = self.fields.add("name", "patient.name", "&Full name", "Patient full name",
                                    "as on the patient's ID", max_length=400)
        self.dob = self.fields.add("date_of_birth", "patient.date_of_birth", "Date of &birth",
                                   "Date of birth, year-month-day", "YYYY-MM-DD", max_length=10)
        self.pid = self.fields.add("patient_id", "patient.patient_id", "Patient &ID", "Patient ID (optional)",
                                   "optional")
        self.contact = self.fields.add("contact", "patient.contact", "&Contact", "Phone or email (optional)",
                                       "phone or email (optional)")
        self.representative = self.fields.add(
            "representative_name", "representative.name", "Parent or &representative",
            "Parent or legally authorised representative (for a patient under the clinic's minimum age)",
            "only for a patient under the clinic's minimum age")
        self.relationship = self.fields.add(
            "representative_relationship", "representative.relationship", "Re&lationship",
            "Representative's relationship to the patient", "e.g. mother, legal guardian")
        self.seen = QLabel(self)
        self.seen.setObjectName("seenBefore")
        self.seen.setWordWrap(True)
        self.seen.setVisible(False)
        layout = QVBoxLayout(self.body)
        layout.addLayout(form)
        layout.addWidget(self.seen)
        layout.addStretch(1)

    def initializePage(self):
        self.fields.load()
        self.refresh_messages()

    def refresh_messages(self):
        super().refresh_messages()
        self.fields.show(self.problems())
        note = self.w.history_note()
        if note:
            colour = severity_colour(Outcome.CLINICIAN_REVIEW, self.palette()).name()
            self.seen.setText(f'<b style="color:{colour}">⚠ Seen before.</b> {_escape(note)}')
            self.seen.setAccessibleName("Seen before: " + note)
        self.seen.setVisible(bool(note))


class TreatmentPage(_Page):
    step = Step.TREATMENT

    def __init__(self, wizard):
        super().__init__(wizard)
        self.setSubTitle("Front desk: how and when the product is planned to be given.")
        self.routes = QButtonGroup(self)
        route_box = QGroupBox("&Route", self)
        route_box.setAccessibleName("Route of treatment")
        box = QVBoxLayout(route_box)
        for i, route in enumerate(Route):
            button = QRadioButton(route.label, route_box)
            button.setAccessibleName(f"Route: {route.label}")
            button.setProperty("route", route.value)
            self.routes.addButton(button, i)
            box.addWidget(button)
        self.routes.buttonClicked.connect(self._route_chosen)
        # Microneedling and laser break the skin before a topical product: the rules ask about
        # bleeding for them as for a needle. Only the topical route has a procedure.
        self.procedures = QButtonGroup(self)
        self.procedure_box = QGroupBox("&Procedure before the product goes on the skin", self)
        self.procedure_box.setAccessibleName("Procedure before the topical product")
        row = QHBoxLayout(self.procedure_box)
        for i, procedure in enumerate(Procedure):
            button = QRadioButton(procedure.label, self.procedure_box)
            button.setAccessibleName(f"Procedure: {procedure.label}")
            button.setProperty("procedure", procedure.value)
            self.procedures.addButton(button, i)
            row.addWidget(button)
        row.addStretch(1)
        self.procedures.buttonClicked.connect(self._procedure_chosen)
        self.procedure_error = _error_label(self)
        self.procedure_error.setAccessibleName("Procedure: problem")
        form = QFormLayout()
        self.fields = _TextFields(self, form)
        self.area = self.fields.add("area", "treatment.area", "&Area", "Treatment area (optional)",
                                    "e.g. face, knee (optional)")
        self.date = self.fields.add("treatment_date", "treatment.date", "&Date",
                                    "Planned treatment date, year-month-day: today or later",
                                    "YYYY-MM-DD, today or later", max_length=10)
        self.route_error = _error_label(self)
        layout = QVBoxLayout(self.body)
        layout.addWidget(route_box)
        layout.addWidget(self.route_error)
        layout.addWidget(self.procedure_box)
        layout.addWidget(self.procedure_error)
        layout.addLayout(form)
        layout.addStretch(1)

    def _route_chosen(self, button: QAbstractButton):
        self.draft.route = button.property("route")
        if Procedure(self.draft.procedure or "none") not in Procedure.allowed_for(Route(self.draft.route)):
            self.draft.procedure = Procedure.NONE.value  # an injection or IV has no skin procedure
        self._show_procedure()
        self.changed()

    def _procedure_chosen(self, button: QAbstractButton):
        self.draft.procedure = button.property("procedure")
        self.changed()

    def _show_procedure(self) -> None:
        topical = self.draft.route == Route.TOPICAL.value
        self.procedure_box.setEnabled(topical)
        wanted = self.draft.procedure or Procedure.NONE.value
        for button in self.procedures.buttons():
            button.setChecked(button.property("procedure") == wanted)

    def initializePage(self):
        self.fields.load()
        for button in self.routes.buttons():
            button.setChecked(button.property("route") == self.draft.route)
        self._show_procedure()
        if "treatment.date" in self.problems():
            # A draft resumed on a later day: say at once that the planned date has passed.
            self.fields.touched.add("treatment.date")
        self.refresh_messages()

    def refresh_messages(self):
        super().refresh_messages()
        problems = self.problems()
        self.fields.show(problems)
        _show_error(self.procedure_error, problems.get("treatment.procedure"))


class _AnswerKeys(QObject):
    """Y, N or D on a question's buttons answers it and moves on: quick without a mouse."""

    def __init__(self, page: QuestionsPage):
        super().__init__(page)
        self.page = page

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.KeyPress and event.key() in ANSWER_KEYS:
            qid = obj.property("question")
            if qid:
                self.page.answer(qid, ANSWER_KEYS[event.key()], move_on=True)
                return True
        return False


class QuestionsPage(_Page):
    step = Step.QUESTIONS

    def __init__(self, wizard):
        super().__init__(wizard)
        self.setSubTitle("Front desk: read each question to the patient as written. "
                         "Keys: Y yes, N no, D don't know; Tab moves on.")
        self.groups: dict[str, QButtonGroup] = {}
        self.follow_edits: dict[str, list[tuple[object, QLineEdit, QLabel]]] = {}
        self.boxes: dict[str, QGroupBox] = {}
        self.keys = _AnswerKeys(self)
        column = QVBoxLayout(self.body)
        for number, q in enumerate(wizard.flow.content.questions, 1):
            column.addWidget(self._question_box(number, q))
        column.addStretch(1)

    def _question_box(self, number: int, q) -> QGroupBox:
        # The question is a wrapped label, not the box's title: a title never wraps, and a long
        # question would push the page sideways on a small or scaled screen.
        box = QGroupBox()
        box.setAccessibleName(f"Question {number}: {q.text}")
        outer = QVBoxLayout(box)
        text = QLabel(f"<b>{number}.</b> {_escape(q.text)}", box)
        text.setWordWrap(True)
        text.setObjectName("questionText")
        outer.addWidget(text)
        grid = QGridLayout()
        outer.addLayout(grid)
        group = QButtonGroup(box)
        for col, answer in enumerate(Answer):
            button = QRadioButton(answer.label, box)
            button.setAccessibleName(f"Question {number}, {answer.label}")
            button.setProperty("question", q.id)
            button.setProperty("answer", answer.value)
            button.installEventFilter(self.keys)
            group.addButton(button, col)
            grid.addWidget(button, 0, col)
        group.buttonClicked.connect(lambda b, qid=q.id: self.answer(qid, Answer(b.property("answer"))))
        why = QToolButton(box)
        why.setText("Why we ask")
        why.setCheckable(True)
        why.setAccessibleName(f"Why we ask question {number}")
        why.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        rationale = QLabel(f"{_escape(q.rationale)}<br/><i>Source: {_escape(q.source)}</i>", box)
        rationale.setWordWrap(True)
        rationale.setVisible(False)
        why.toggled.connect(rationale.setVisible)
        grid.addWidget(why, 0, 3, alignment=Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(3, 1)
        grid.addWidget(rationale, 1, 0, 1, 4)
        row = 2
        entries = []
        for fu in q.follow_ups:
            label = QLabel(_escape(fu.prompt), box)
            label.setWordWrap(True)
            edit = QLineEdit(box)
            edit.setMaxLength(2000)
            edit.setAccessibleName(f"Question {number} follow-up: {fu.prompt}")
            label.setBuddy(edit)
            edit.textEdited.connect(lambda text, qid=q.id, fid=fu.id: self._follow_up(qid, fid, text))
            grid.addWidget(label, row, 0, 1, 4)
            grid.addWidget(edit, row + 1, 0, 1, 4)
            row += 2
            entries.append((fu, edit, label))
        self.groups[q.id], self.follow_edits[q.id], self.boxes[q.id] = group, entries, box
        return box

    def answer(self, qid: str, answer: Answer, move_on: bool = False) -> None:
        self.draft.answers[qid] = answer.value
        for button in self.groups[qid].buttons():
            button.setChecked(button.property("answer") == answer.value)
        self._show_follow_ups(qid)
        self.changed()
        if move_on:
            ids = list(self.groups)
            index = ids.index(qid)
            target = self.follow_edits[qid][0][1] if self._follow_ups_visible(qid) else None
            if target is None and index + 1 < len(ids):
                target = self.groups[ids[index + 1]].buttons()[0]
            if target is not None:
                target.setFocus(Qt.FocusReason.TabFocusReason)
                self.scroll.ensureWidgetVisible(target)

    def _follow_ups_visible(self, qid: str) -> bool:
        return any(edit.isVisibleTo(self) for _, edit, _ in self.follow_edits[qid])

    def _follow_up(self, qid: str, fid: str, text: str) -> None:
        self.draft.follow_ups.setdefault(qid, {})[fid] = text
        self.changed()

    def _show_follow_ups(self, qid: str) -> None:
        answer = self.draft.answers.get(qid)
        for fu, edit, label in self.follow_edits[qid]:
            wanted = answer is not None and Answer(answer) in fu.when
            edit.setVisible(wanted)
            label.setVisible(wanted)

    def initializePage(self):
        for qid, group in self.groups.items():
            group.setExclusive(False)  # lets "nothing chosen" be shown again after Back
            for button in group.buttons():
                button.setChecked(button.property("answer") == self.draft.answers.get(qid))
            group.setExclusive(True)
            for fu, edit, _ in self.follow_edits[qid]:
                edit.setText(self.draft.follow_ups.get(qid, {}).get(fu.id, ""))
            self._show_follow_ups(qid)
        self.refresh_messages()

    def validatePage(self) -> bool:
        session = self.w.session
        if session is None:
            return True
        problem = session.hand_over() if self.w.hands_over else session.claim_for_review()
        if problem:
            self.w.dialogs.tell(self, "Cannot go on", problem, error=True)
            return False
        return True

    def refresh_messages(self):
        unanswered = self.w.flow.unanswered(self.draft)
        if unanswered:
            order = {q: i for i, q in enumerate(self.groups, 1)}
            numbers = ", ".join(str(order[q]) for q in unanswered)
            self.status.setText(f"To continue: answer every question. Still to answer: {numbers}.")
        else:
            super().refresh_messages()


class ReviewPage(_Page):
    """The consult screen: every finding with its reason and source, and the clinician's decisions."""

    step = Step.REVIEW

    def __init__(self, wizard):
        super().__init__(wizard)
        self.setSubTitle("Clinician: read each finding, then record a decision for each one that needs review.")
        self.result: ScreeningResult | None = None
        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setObjectName("outcomeBanner")
        self.banner_icon = QLabel(self)
        top = QHBoxLayout()
        top.addWidget(self.banner_icon)
        top.addWidget(self.banner, 1)
        # The reviewer is the signed-in clinician; nobody types a name.
        self.clinician = QLabel(self)
        self.clinician.setObjectName("reviewer")
        self.clinician.setWordWrap(True)
        self.answers_button = QToolButton(self)
        self.answers_button.setText("Show the patient's &answers")
        self.answers_button.setCheckable(True)
        self.answers_button.setAccessibleName("Show the patient's answers")
        self.answers = QLabel(self)
        self.answers.setObjectName("answersGiven")
        self.answers.setWordWrap(True)
        self.answers.setVisible(False)
        self.answers_button.toggled.connect(self.answers.setVisible)
        self.changes = QLabel(self)
        self.changes.setObjectName("amendmentChanges")
        self.changes.setWordWrap(True)
        self.changes.setVisible(False)
        self.list_widget = QWidget()
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.banner_widget)
        layout.addLayout(top)
        layout.addWidget(self.clinician)
        layout.addWidget(self.changes)
        layout.addWidget(self.answers_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.answers)
        layout.addWidget(self.list_widget, 1)
        self.decision_groups: dict[str, QButtonGroup] = {}
        self.reason_edits: dict[str, QLineEdit] = {}

    def initializePage(self):
        self.result = self.w.flow.result(self.draft)
        outcome = self.result.outcome
        self.banner_icon.setPixmap(self.style().standardIcon(SEVERITY_ICON[outcome]).pixmap(32, 32))
        colour = severity_colour(outcome, self.palette()).name()
        explain = {
            Outcome.DO_NOT_TREAT: "Do not treat. No consent can be signed. Next shows the sheet that explains "
                                  "this to the patient.",
            Outcome.CLINICIAN_REVIEW: "Clinician review needed. Record proceed or defer, with a reason to proceed, "
                                      "for each finding below.",
            Outcome.NO_CONTRAINDICATION_FOUND: "No contraindication found in the answers. Next: check the product lot.",
        }[outcome]
        self.banner.setText(f'<b style="color:{colour}">{outcome.label.upper()}</b><br/>{_escape(explain)}')
        self.banner.setAccessibleName(f"Outcome: {outcome.label}. {explain}")
        reviewer = self.w.flow.reviewer
        self.clinician.setText(f"Reviewing clinician: <b>{_escape(reviewer)}</b> (signed in)" if reviewer else
                               "Only a signed-in clinician can record this review.")
        self.clinician.setVisible(outcome is Outcome.CLINICIAN_REVIEW)
        self.answers.setText(self._answers_text())
        self.show_patient()
        if self.w.case.amends:
            changes = self.w.case.changes_from_original()
            items = "".join(f"<li>{_escape(what)}: {_escape(before)} → <b>{_escape(now)}</b></li>"
                            for what, before, now in changes) or "<li>Nothing has changed yet.</li>"
            self.changes.setText(f"<b>This amends a finished screening.</b> Changes against the original "
                                 f"(which stays as it was):<ul>{items}</ul>")
        self.changes.setVisible(bool(self.w.case.amends))
        self._build_findings()
        self.refresh_messages()

    def _answers_text(self) -> str:
        rows = []
        for number, q in enumerate(self.w.flow.content.questions, 1):
            value = self.draft.answers.get(q.id)
            answer = Answer(value).label if value in {a.value for a in Answer} else "Not answered"
            rows.append(f"{number}. {_escape(q.text)} <b>{_escape(answer)}</b>")
        return "<br/>".join(rows)

    def _build_findings(self):
        while self.list_layout.count():
            item = self.list_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.decision_groups.clear()
        self.reason_edits.clear()
        content = self.w.flow.content
        if not self.result.findings:
            self.list_layout.addWidget(QLabel("No answer raised a finding.", self.list_widget))
        for f in self.result.findings:
            self.list_layout.addWidget(self._finding_box(self.w.flow.title(f.question), f))
        for advice in self.result.advice:
            note = QLabel(f"<b>Advice for the patient ({_escape(advice.topic.replace('_', ' '))}):</b> "
                          f"{_escape(advice.text)}", self.list_widget)
            note.setWordWrap(True)
            self.list_layout.addWidget(note)
        self.list_layout.addStretch(1)

    def _finding_box(self, title: str, finding) -> QGroupBox:
        colour = severity_colour(finding.outcome, self.palette()).name()
        box = QGroupBox(self.list_widget)
        box.setAccessibleName(f"Finding: {finding.outcome.label}: {title}")
        grid = QGridLayout(box)
        icon = QLabel(box)
        icon.setPixmap(self.style().standardIcon(SEVERITY_ICON[finding.outcome]).pixmap(24, 24))
        answer = finding.answer.label if finding.answer else "Not answered"
        follow = "; ".join(self.draft.follow_ups.get(finding.question, {}).values())
        text = QLabel(
            f'<b style="color:{colour}">{finding.outcome.label}</b> &nbsp; {_escape(title)} '
            + (f"<b>{_escape(answer)}</b>" if finding.question in self.w.flow.content.question_ids else "")
            + (f"<br/>Patient's details: <i>{_escape(follow)}</i>" if follow.strip() else "")
            + f"<br/>Why: {_escape(finding.reason)}<br/><small>Source: {_escape(finding.source)}</small>", box)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(icon, 0, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(text, 0, 1, 1, 3)
        grid.setColumnStretch(3, 1)
        if finding.outcome is Outcome.CLINICIAN_REVIEW:
            self._decision_row(grid, finding.question, title)
        return box

    def _decision_row(self, grid: QGridLayout, qid: str, text: str) -> None:
        group = QButtonGroup(grid.parentWidget())
        saved = self.draft.decisions.get(qid, {})
        for col, (decision, label) in enumerate(((Decision.PROCEED, "Proceed"), (Decision.DEFER, "Defer"))):
            button = QRadioButton(label, grid.parentWidget())
            button.setAccessibleName(f"{label}: {text}")
            button.setProperty("decision", decision.value)
            button.setChecked(saved.get("decision") == decision.value)
            group.addButton(button, col)
            grid.addWidget(button, 1, 1 + col)
        reason = QLineEdit(grid.parentWidget())
        reason.setMaxLength(2000)
        reason.setPlaceholderText("reason (needed to proceed; printed on the sheet)")
        reason.setAccessibleName(f"Reason for the decision: {text}")
        reason.setText(saved.get("reason", ""))
        grid.addWidget(reason, 2, 1, 1, 3)
        group.buttonClicked.connect(lambda b, q=qid: self._decide(q, decision=b.property("decision")))
        reason.textEdited.connect(lambda t, q=qid: self._decide(q, reason=t))
        self.decision_groups[qid], self.reason_edits[qid] = group, reason

    def _decide(self, qid: str, **change) -> None:
        self.draft.decisions.setdefault(qid, {}).update(change)
        self.draft.reviewed_at = ""
        self.changed()

    def validatePage(self) -> bool:
        # Recording the review is what Next does here: the signed-in clinician and the time.
        if self.result.outcome is Outcome.CLINICIAN_REVIEW:
            self.w.stamp_review()
        return True

    def describe(self, field: str, message: str) -> str:
        if field.startswith("review.decisions."):
            qid = field.split(".")[2]
            return f"\u201c{self.w.flow.title(qid)}\u201d: {message}"
        return message


def _accelerated(label: str, taken: set[str]) -> str:
    """The label with an &-mnemonic on the first letter no other field of the page uses."""
    for i, ch in enumerate(label):
        if ch.isalpha() and ch.lower() not in taken:
            taken.add(ch.lower())
            return label[:i] + "&" + label[i:]
    return label


class ProductPage(_Page):
    """The lot page, built from the product check table (screening.product.PRODUCT_FIELDS): the
    same rows intake and verification use, so a field, its check and its message are declared once."""

    step = Step.PRODUCT

    def __init__(self, wizard):
        super().__init__(wizard)
        self.setSubTitle("Clinician: check the vial against its Certificate of Analysis. "
                         "An unverified lot cannot be recorded as given.")
        settings = wizard.flow.content.product
        form = QFormLayout()
        self.texts: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}
        self.checks: dict[str, QCheckBox] = {}
        checks = QGroupBox("Certificate of Analysis and handling", self)
        box = QVBoxLayout(checks)
        taken = {"b", "n"}  # Back and Next
        for f in PRODUCT_FIELDS:
            if f.setting and not getattr(settings, f.setting):
                continue  # an optional clinic check that is off: nothing to enter
            label = f.label
            if f.type == "yes_no":
                check = QCheckBox(label, checks)
                check.setAccessibleName(label)
                check.setToolTip(f.how)
                check.toggled.connect(lambda on, k=f.key: self._check(k, on))
                box.addWidget(check)
                self.checks[f.key] = check
                continue
            edit = QLineEdit(self)
            edit.setAccessibleName(label)
            edit.setPlaceholderText(f"e.g. {f.example}" if f.example else "optional")
            edit.setToolTip(f.how)
            edit.setMaxLength(200)
            edit.textEdited.connect(lambda text, k=f.key: self._text(k, text))
            error = _error_label(self)
            error.setAccessibleName(f"{label}: problem")
            cell = QWidget(self)
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(edit)
            column.addWidget(error)
            caption = QLabel(_accelerated(f.caption, taken), self)
            caption.setBuddy(edit)
            form.addRow(caption, cell)
            self.texts[f.key], self.errors[f.key], self.rows[f.key] = edit, error, (caption, cell)
        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.result_label.setObjectName("lotResult")
        layout = QVBoxLayout(self.body)  # the page body scrolls (see _Page)
        layout.addWidget(self.banner_widget)
        layout.addLayout(form)
        layout.addWidget(checks)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

    def _text(self, key: str, text: str) -> None:
        value = FIELDS_BY_KEY[key].from_text(text)  # strict: "-8_0" stays text, and is refused
        if value is None:
            self.draft.product.pop(key, None)
        else:
            self.draft.product[key] = value
        self.changed()

    def _check(self, key: str, on: bool) -> None:
        if on:
            self.draft.product[key] = True
        else:
            self.draft.product.pop(key, None)  # unticked: not shown, which never passes
        self._show_freeze_dried()
        self.changed()

    def _show_freeze_dried(self) -> None:
        # The maker's storage limit is asked for a freeze-dried product only.
        row = self.rows.get("maker_max_storage_c")
        if row is not None:
            for widget in row:
                widget.setVisible(self.draft.product.get("lyophilised") is True)

    def initializePage(self):
        self.show_patient()
        product = self.draft.product
        for key, edit in self.texts.items():
            edit.setText(FIELDS_BY_KEY[key].to_text(product.get(key)))
        for key, check in self.checks.items():
            check.blockSignals(True)
            check.setChecked(product.get(key) is True)
            check.blockSignals(False)
        self._show_freeze_dried()
        self.refresh_messages()

    def describe(self, field: str, message: str) -> str:
        key = field.partition(".")[2]
        if key in FIELDS_BY_KEY:
            return FIELDS_BY_KEY[key].staff_message()
        return "the lot must be verified"

    def refresh_messages(self):
        problems = self.problems()
        malformed = {field.partition(".")[2]: msg for field, msg in problems.items() if field.startswith("product.")}
        for key, error in self.errors.items():
            _show_error(error, FIELDS_BY_KEY[key].staff_message() if key in malformed else None)
        checked = None
        if not malformed:
            try:
                checked = self.w.flow.result(self.draft, with_product=True).product
            except InputRefused:
                checked = None
        if checked is not None and checked.verified:
            colour = severity_colour(Outcome.NO_CONTRAINDICATION_FOUND, self.palette()).name()
            self.result_label.setText(f'<b style="color:{colour}">✔ Lot verified.</b>')
            self.status.setText("")
            return
        colour = severity_colour(Outcome.DO_NOT_TREAT, self.palette()).name()
        if malformed:
            lines = [FIELDS_BY_KEY[k].staff_message() for k in malformed if k in FIELDS_BY_KEY]
        else:
            lines = list(checked.problems) if checked is not None else []
        items = "".join(f"<li>{_escape(p)}</li>" for p in lines)
        self.result_label.setText(f'<b style="color:{colour}">✖ Lot not verified.</b><ul>{items}</ul>')
        if problems:
            first = next(iter(problems.items()))
            self.status.setText(f"To continue: {self.describe(*first)}.")
        else:
            self.status.setText("")


class SheetPage(_Page):
    step = Step.SHEET
    scrolls = False  # the preview scrolls its pages itself

    def __init__(self, wizard):
        super().__init__(wizard)
        self.preview = None  # made on first use: QtPdf and reportlab stay out of start-up
        self.kind: SheetKind | None = None
        self.not_printed = QPushButton("&Not printed…", self)
        self.not_printed.setAccessibleName("The sheet was not printed or saved: say why")
        self.not_printed.clicked.connect(self._not_printed)
        self.decline = QPushButton("Patient &declined…", self)
        self.decline.setAccessibleName("The patient read the consent and declined treatment: record it")
        self.decline.clicked.connect(self._declined)
        self.page_layout = QVBoxLayout(self.body)
        self.page_layout.setContentsMargins(0, 0, 0, 0)
        self.page_layout.addWidget(self.banner_widget)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.decline)
        buttons.addWidget(self.not_printed)
        self.page_layout.addLayout(buttons)

    def initializePage(self):
        from .sheet_view import SheetPreview
        if self.preview is None:
            self.preview = SheetPreview(self.w.dialogs, self)
            self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            self.page_layout.insertWidget(1, self.preview, 1)
            self.preview.printed.connect(lambda pages: self._paper("printed", f"{pages} page(s)"))
            self.preview.saved.connect(lambda _path: self._paper("saved", "as PDF"))
        self.show_patient()
        draft = self.draft
        self.w.case.refresh()  # the patient's records and the clinic's settings as they are now
        made = self.w.case.sheet()
        self.kind = made.kind
        pdf = made.pdf
        self.setSubTitle({
            SheetKind.CONSENT: "Consent and risk sheet: print it for the patient to read and sign.",
            SheetKind.DO_NOT_TREAT: "Do-not-treat sheet: no consent, nothing to sign. Give it to the patient.",
            SheetKind.DEFERRED: "On-hold sheet: the clinician deferred treatment. Nothing to sign.",
            SheetKind.AWAITING_REVIEW: "Information only: a clinician has not finished the review.",
            SheetKind.LOT_NOT_CHECKED: "Information only: the lot has not been checked for today. Nothing to sign.",
            SheetKind.LOT_NOT_VERIFIED: "The lot has not passed its checks: it must not be used. Nothing to sign.",
            SheetKind.DECLINED: "The patient declined the treatment: this records what they read. Nothing to sign.",
        }.get(self.kind, "Nothing to sign: the sheet says why."))
        stem = "".join(ch if ch.isalnum() else "-" for ch in draft.name.strip())[:40].strip("-") or "patient"
        self.preview.set_pdf(pdf, f"{stem}-{self.kind.value}-{draft.treatment_date}")
        # A patient's sheet must say whom to call: nothing is printed before the admin sets it.
        from ..sheets import clinic_from
        self.clinic_missing = not clinic_from(self.w.settings).can_print
        for button in self.preview.findChildren(QAbstractButton):
            button.setEnabled(not self.clinic_missing)
        self.refresh_messages()

    def _paper(self, event: str, detail: str = "") -> None:
        try:
            self.w.case.record_paper(event, detail, sheet=self.preview.data)
        except (StoreError, PermissionDenied) as exc:
            self.w.dialogs.tell(self, "Not recorded", f"That the sheet was {event.replace('_', ' ')} could not be "
                                                      f"recorded: {exc}", error=True)
            return
        self.refresh_messages()
        self.completeChanged.emit()

    def _not_printed(self) -> None:
        reason = self.w.dialogs.ask_reason(self, "Not printed", "Why is the sheet not printed or saved? "
                                                                "(for example: the printer is broken, the "
                                                                "patient was given a copy by email)")
        if reason:
            self._paper("not_printed", reason)

    def _declined(self) -> None:
        note = self.w.dialogs.ask_reason(self, "Patient declined", "The patient read the consent and does not want "
                                                                   "the treatment. Anything to note? (optional)")
        if note is None:
            return
        self.w.case.decline(note)
        self.w.draft_changed.emit()
        self.initializePage()
        self.completeChanged.emit()

    def needs_paper(self) -> bool:
        # A consent is signed on paper: this very sheet must have been printed or saved (or why
        # not said); a sheet changed since the printing needs printing again.
        return self.kind is SheetKind.CONSENT and not self.w.case.paper_done_for(self.preview.data)

    def isComplete(self) -> bool:
        return not self.needs_paper() and not getattr(self, "clinic_missing", False)

    def refresh_messages(self) -> None:
        self.not_printed.setVisible(self.needs_paper())
        self.decline.setVisible(self.kind is SheetKind.CONSENT and self.w.session is not None)
        if getattr(self, "clinic_missing", False):
            self.status.setText("This sheet cannot be printed yet: the clinic's name and phone number are not set. "
                                "Ask the clinic's admin to fill them in (Settings); the screening is kept.")
        else:
            self.status.setText("To finish: print or save the sheet for the patient to read and sign, or press "
                                "Not printed and say why." if self.needs_paper() else "")

    def validatePage(self) -> bool:
        session = self.w.session
        if session is None:
            return True
        shown = self.preview.data
        problem = session.finish(shown)
        if problem:
            self.initializePage()  # made again from the records and settings as they are now
            if self.preview.data != shown:
                problem += (" The sheet has been made again with what the records hold now: any copy printed "
                            "before is void. Print this one for the patient.")
            self.w.dialogs.tell(self, "Not finished", f"The screening was not recorded: {problem}", error=True)
            self.completeChanged.emit()
            return False
        return True


class ScreeningWizard(QWizard):
    draft_changed = Signal()

    def __init__(self, draft: Draft | None = None, *, flow: Flow | None = None,
                 settings: ClinicSettings | None = None, dialogs: Dialogs | None = None, session=None,
                 hands_over: bool | None = None, start: Step = Step.PATIENT, staff: Staff | None = None,
                 parent=None):
        super().__init__(parent)
        # The case owns the draft, the flow and the person; the pages only show and edit.
        if session is not None:
            self.case = session.case
        else:  # nothing is stored (tests, previews): a clinician who signs nothing
            self.case = Case(None, staff or PREVIEW_STAFF, draft=draft or Draft(), flow=flow,
                             settings=settings or ClinicSettings())
            if hands_over is not None:
                self.case.flow.hands_over = hands_over
        self.draft, self.flow, self.settings = self.case.draft, self.case.flow, self.case.settings
        self.dialogs = dialogs or Dialogs()
        self.session = session
        # The front desk hands over after the questions; a clinician goes on to the review.
        self.hands_over = self.flow.hands_over
        self.setWindowTitle("Exosome screening")
        # Modern everywhere: the Aero style on Windows ignores the palette (dark mode).
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Done")
        self.pages = {}
        for page_class in (PatientPage, TreatmentPage, QuestionsPage, ReviewPage, ProductPage, SheetPage):
            page = page_class(self)
            self.setPage(int(page.step), page)
            self.pages[page.step] = page
        self.setStartId(int(start))
        self.currentIdChanged.connect(self._entered)
        if self.hands_over:
            self.pages[Step.QUESTIONS].setButtonText(QWizard.WizardButton.FinishButton, "&Hand over to clinician")
        if session is not None:
            session.attach(self)
            session.status.connect(self._show_save_state)
            session.history_changed.connect(self._history_changed)
        fit_to_screen(self, 900, 720)

    def _history_changed(self) -> None:
        page = self.currentPage()
        if isinstance(page, _Page):
            page.refresh_messages()
            page.completeChanged.emit()

    def stamp_review(self) -> None:
        self.case.stamp_review()
        self.draft_changed.emit()

    def history_note(self) -> str:
        """For the front desk: this patient has been screened here before."""
        history = self.case.history
        if not history:
            return ""
        latest = history[0]
        outcome = Outcome(latest.outcome).label.lower() if latest.outcome else "not finished"
        stopped = sum(1 for e in history if e.stops_treatment)
        text = (f"{len(history)} earlier screening(s) of this patient; the latest for {latest.date}: {outcome}"
                f" ({latest.status}).")
        if stopped:
            text += f" {stopped} ended without treatment: a clinician will review this before any consent."
        return text

    def patient_banner(self) -> str:
        d = self.draft
        age = age_on(d.date_of_birth, d.treatment_date)
        route = Route(d.route).label if d.route in {r.value for r in Route} else "route not chosen"
        procedure = getattr(d, "procedure", "") or "none"
        if d.route == "topical" and procedure != "none":
            route = f"on the skin after {procedure}"
        parts = [f"<b>{_escape(d.name) or '(no name)'}</b>",
                 f"born {_escape(d.date_of_birth)}" + (f" (age {age})" if age is not None else ""),
                 f"ID {_escape(d.patient_id)}" if d.patient_id.strip() else "no patient ID",
                 _escape(route), f"treatment {_escape(d.treatment_date)}"]
        line = " · ".join(parts)
        extra = []
        if self.case.amends:
            extra.append("<b>Amends</b> a finished screening: every change is shown against the original.")
        if any(e.stops_treatment for e in self.case.history):
            extra.append("<b>Seen before</b>: an earlier screening ended without treatment (see the findings).")
        elif self.case.history:
            extra.append(f"Seen before: {len(self.case.history)} earlier screening(s).")
        return line + ("<br/>" + " ".join(extra) if extra else "")

    def _show_save_state(self, message: str, problem: bool) -> None:
        colour = severity_colour(Outcome.DO_NOT_TREAT if problem else Outcome.NO_CONTRAINDICATION_FOUND,
                                 self.palette()).name()
        for page in self.pages.values():
            page.saved.setText(f'<span style="color:{colour}">{_escape(message)}</span>')
            page.saved.setWordWrap(problem)

    def _entered(self, page_id: int) -> None:
        if page_id == int(Step.REVIEW):
            self.setWindowTitle("Exosome screening: clinician")

    def reject(self) -> None:
        # With a session the draft is kept and offered again; without one, closing loses it.
        if (self.session is None and (self.draft.name.strip() or self.draft.answers)
                and not self.dialogs.confirm_discard(self)):
            return
        super().reject()
