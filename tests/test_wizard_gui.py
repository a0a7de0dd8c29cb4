"""Ensure the real wizard, driven as staff would drive it, reaches the right sheet on every path."""
import io

import pytest
from conftest import GOOD_PRODUCT
from pypdf import PdfReader
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QAbstractButton, QApplication, QCheckBox, QLineEdit, QRadioButton, QWizard

from screening_app.casework import Step
from screening_app.records.accounts import Staff
from screening_app.records.settings import ClinicSettings
from screening_app.screening import load_content
from screening_app.screening.consent import SheetKind
from screening_app.ui.dialogs import Dialogs
from screening_app.ui.wizard import ScreeningWizard

NEXT = QWizard.WizardButton.NextButton
CLINIC = ClinicSettings(clinic_name="Riverside Clinic", clinic_phone="(217) 555-0147")


class AnsweringDialogs(Dialogs):
    """Answers the dialogs as a person would, without opening any."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.printed_to = tmp_path / "printed.pdf"
        self.saved_to = tmp_path / "saved.pdf"
        self.told = []
        self.discard = False

    def ask_print(self, printer, parent):
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(self.printed_to))
        return True

    def ask_save_path(self, parent, suggested):
        return str(self.saved_to)

    def confirm_discard(self, parent):
        return self.discard

    def tell(self, parent, title, text, error=False):
        self.told.append((title, text, error))


@pytest.fixture
def wizard(qtbot, tmp_path):
    # A wizard with no store, as the signed-in clinician Dr. Maya Chen would see it.
    w = ScreeningWizard(dialogs=AnsweringDialogs(tmp_path), staff=Staff(7, "chen", "Dr. Maya Chen", "clinician"),
                        settings=CLINIC)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def page(w):
    return w.currentPage()


def type_keys(qtbot, widget, text: str):
    """Types like a keyboard; QTest.keyClicks asserts on anything but ASCII, so the rest is
    sent as key events carrying the character, as an input method would."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def type_into(qtbot, edit: QLineEdit, text: str):
    edit.setFocus()
    edit.selectAll()
    if not text:
        qtbot.keyClick(edit, Qt.Key.Key_Delete)
    type_keys(qtbot, edit, text)
    edit.editingFinished.emit()


def click(qtbot, button):
    """Clicks a radio button or check box on its label, where a person clicks."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def next_enabled(w) -> bool:
    return w.button(NEXT).isEnabled()


def go_next(qtbot, w):
    assert next_enabled(w), page(w).status.text()
    qtbot.mouseClick(w.button(NEXT), Qt.MouseButton.LeftButton)


def front_desk(qtbot, w, answers=None, name="Zoë Ångström", route="topical"):
    p = page(w)
    assert w.currentId() == Step.PATIENT
    type_into(qtbot, p.name, name)
    type_into(qtbot, p.dob, "1980-04-02")
    go_next(qtbot, w)
    p = page(w)
    assert w.currentId() == Step.TREATMENT and not next_enabled(w)
    button = next(b for b in p.routes.buttons() if b.property("route") == route)
    click(qtbot, button)
    type_into(qtbot, p.area, "face")
    go_next(qtbot, w)
    assert w.currentId() == Step.QUESTIONS
    answer_all(qtbot, w, answers or {})


def answer_all(qtbot, w, answers):
    p = page(w)
    for qid, group in p.groups.items():
        wanted = answers.get(qid, "no")
        button = next(b for b in group.buttons() if b.property("answer") == wanted)
        click(qtbot, button)


def fill_product(qtbot, w, product=GOOD_PRODUCT):
    p = page(w)
    assert w.currentId() == Step.PRODUCT and not next_enabled(w)
    for key, edit in p.texts.items():
        if key in product:
            value = product[key]
            type_into(qtbot, edit, ", ".join(value) if isinstance(value, list) else str(value))
    for key, check in p.checks.items():
        if product.get(key) is True:
            click(qtbot, check)


def preview_text(w) -> str:
    doc = page(w).preview.document
    return " ".join(doc.getAllText(i).text() for i in range(doc.pageCount()))


def test_all_clear_path_ends_in_a_printed_consent(qtbot, wizard):
    front_desk(qtbot, wizard)
    go_next(qtbot, wizard)
    assert wizard.currentId() == Step.REVIEW
    review = page(wizard)
    assert "NO CONTRAINDICATION FOUND" in review.banner.text()
    assert review.decision_groups == {} and not review.clinician.isVisible()
    go_next(qtbot, wizard)
    fill_product(qtbot, wizard)
    assert "Lot verified" in page(wizard).result_label.text()
    go_next(qtbot, wizard)
    sheet = page(wizard)
    assert wizard.currentId() == Step.SHEET and sheet.kind is SheetKind.CONSENT
    text = preview_text(wizard)
    assert "risks and consent" in text and "Patient signature" in text and "EV-2291" in text
    sheet.preview.print_with_dialog()
    printed = PdfReader(str(wizard.dialogs.printed_to))
    assert len(printed.pages) == sheet.preview.document.pageCount()
    sheet.preview.save_with_dialog()
    saved = wizard.dialogs.saved_to.read_bytes()
    assert saved == sheet.preview.data
    assert "I agree to have this treatment" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(saved)).pages)


def test_clinician_review_path_records_decision_and_time_by_the_signed_in_clinician(qtbot, wizard):
    front_desk(qtbot, wizard, {"cancer_history": "yes"})
    q = page(wizard)
    (fu, edit, label) = q.follow_edits["cancer_history"][0]
    assert edit.isVisible()
    type_into(qtbot, edit, "Basal cell, removed 2012")
    go_next(qtbot, wizard)
    review = page(wizard)
    assert "CLINICIAN REVIEW NEEDED" in review.banner.text()
    assert list(review.decision_groups) == ["cancer_history"]
    assert not next_enabled(wizard)
    # Nobody types a reviewer's name: the page shows the signed-in clinician.
    assert "Dr. Maya Chen" in review.clinician.text() and not review.findChildren(QLineEdit, "reviewerName")
    proceed = next(b for b in review.decision_groups["cancer_history"].buttons() if b.text() == "Proceed")
    click(qtbot, proceed)
    assert not next_enabled(wizard)
    assert "reason is needed to proceed" in review.status.text()
    type_into(qtbot, review.reason_edits["cancer_history"], "Remote skin cancer; topical route.")
    go_next(qtbot, wizard)
    assert wizard.draft.reviewed_at and wizard.draft.clinician == "Dr. Maya Chen"
    assert wizard.draft.decisions["cancer_history"]["decision"] == "proceed"
    fill_product(qtbot, wizard)
    go_next(qtbot, wizard)
    assert page(wizard).kind is SheetKind.CONSENT
    text = preview_text(wizard)
    assert "checked by Dr. Maya Chen" in text and "Basal cell, removed 2012" in text


def test_deferral_ends_at_the_on_hold_sheet(qtbot, wizard):
    front_desk(qtbot, wizard, {"current_infection": "yes"})
    go_next(qtbot, wizard)
    review = page(wizard)
    defer = next(b for b in review.decision_groups["current_infection"].buttons() if b.text() == "Defer")
    click(qtbot, defer)
    go_next(qtbot, wizard)
    assert wizard.currentId() == Step.SHEET and page(wizard).kind is SheetKind.DEFERRED
    assert "signature" not in preview_text(wizard).lower()


def test_do_not_treat_path_offers_no_proceed_and_ends_at_its_sheet(qtbot, wizard):
    front_desk(qtbot, wizard, {"systemic_inflammation": "yes"})
    go_next(qtbot, wizard)
    review = page(wizard)
    assert "DO NOT TREAT" in review.banner.text()
    assert review.decision_groups == {}
    assert not [b for b in review.findChildren(QRadioButton) if b.text() == "Proceed" and b.isVisible()]
    go_next(qtbot, wizard)
    assert wizard.currentId() == Step.SHEET  # the product step is skipped: nothing is given
    assert page(wizard).kind is SheetKind.DO_NOT_TREAT
    text = preview_text(wizard)
    assert "We cannot give you exosome treatment today" in text and "signature" not in text.lower()


def test_next_stays_disabled_with_one_question_unanswered(qtbot, wizard):
    front_desk(qtbot, wizard)
    p = page(wizard)
    assert next_enabled(wizard)
    wizard.draft.answers.pop("bleeding_risk")
    p.initializePage()
    p.completeChanged.emit()
    assert not next_enabled(wizard)
    number = [q.id for q in load_content().questions].index("bleeding_risk") + 1
    assert f"Still to answer: {number}" in p.status.text()
    assert not any(b.isChecked() for b in p.groups["bleeding_risk"].buttons())


def test_nothing_is_preselected(qtbot, wizard):
    p = wizard.pages[Step.QUESTIONS]
    assert not any(b.isChecked() for g in p.groups.values() for b in g.buttons())
    t = wizard.pages[Step.TREATMENT]
    assert not any(b.isChecked() for b in t.routes.buttons())


def test_bad_input_gets_inline_messages(qtbot, wizard):
    p = page(wizard)
    type_into(qtbot, p.dob, "2031-02-30")
    assert p.fields.errors["patient.date_of_birth"].isVisibleTo(p)
    assert "not a real date" in p.fields.errors["patient.date_of_birth"].text()
    type_into(qtbot, p.dob, "2999-01-01")
    assert "in the future" in p.fields.errors["patient.date_of_birth"].text()
    type_into(qtbot, p.name, "x" * 201)
    assert "too long" in p.fields.errors["patient.name"].text()
    assert not next_enabled(wizard)
    type_into(qtbot, p.name, "Олег <b>&amp; 李雷")
    type_into(qtbot, p.dob, "1990-01-01")
    assert next_enabled(wizard)
    assert not p.fields.errors["patient.name"].isVisibleTo(p)


def test_whole_front_desk_works_without_a_mouse(qtbot, wizard):
    p = page(wizard)
    p.name.setFocus()
    type_keys(qtbot, p.name, "Łukasz Żółć")
    qtbot.keyClick(p.name, Qt.Key.Key_Tab)
    qtbot.keyClicks(wizard.focusWidget(), "1975-12-31")
    qtbot.keyClick(wizard.focusWidget(), Qt.Key.Key_Return)  # Return presses the default button, Next
    assert wizard.currentId() == Step.TREATMENT
    t = page(wizard)
    t.routes.buttons()[0].setFocus()
    qtbot.keyClick(wizard.focusWidget(), Qt.Key.Key_Space)
    assert wizard.draft.route == "topical"
    qtbot.keyClick(wizard.focusWidget(), Qt.Key.Key_Return)
    assert wizard.currentId() == Step.QUESTIONS
    q = page(wizard)
    first = next(iter(q.groups.values())).buttons()[0]
    first.setFocus()
    for _ in q.groups:
        qtbot.keyClick(wizard.focusWidget(), Qt.Key.Key_N)
    assert set(wizard.draft.answers.values()) == {"no"} and len(wizard.draft.answers) == len(load_content().questions)
    assert next_enabled(wizard)


def test_answer_keys_move_to_the_follow_up_when_one_is_asked(qtbot, wizard):
    wizard.draft.name, wizard.draft.date_of_birth, wizard.draft.route = "A", "1980-01-01", "topical"
    wizard.next()
    wizard.next()
    q = page(wizard)
    button = q.groups["cancer_history"].buttons()[0]
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_D)
    assert wizard.draft.answers["cancer_history"] == "dont_know"
    assert wizard.focusWidget() is q.follow_edits["cancer_history"][0][1]


def test_every_input_has_an_accessible_name(qtbot, wizard):
    missing = []
    for p in wizard.pages.values():
        for widget in [w for kind in (QLineEdit, QRadioButton, QCheckBox) for w in p.findChildren(kind)]:
            if not widget.accessibleName().strip():
                missing.append(f"{type(p).__name__}: {type(widget).__name__} {widget.text()!r}")
    assert missing == []


def test_back_keeps_what_was_typed(qtbot, wizard):
    front_desk(qtbot, wizard, {"cancer_history": "dont_know"})
    wizard.back()
    wizard.back()
    assert page(wizard).name.text() == "Zoë Ångström"
    wizard.next()
    wizard.next()
    q = page(wizard)
    chosen = [b.property("answer") for b in q.groups["cancer_history"].buttons() if b.isChecked()]
    assert chosen == ["dont_know"]


def test_closing_with_typed_data_asks_first(qtbot, wizard):
    type_into(qtbot, page(wizard).name, "Ana")
    wizard.reject()
    assert wizard.isVisible()  # the fake dialog said "no"
    wizard.dialogs.discard = True
    wizard.reject()
    assert not wizard.isVisible()


def test_failed_save_is_reported_and_writes_nothing(qtbot, wizard, tmp_path):
    wizard.draft.name, wizard.draft.date_of_birth, wizard.draft.route = "A", "1980-01-01", "topical"
    wizard.draft.answers = {q: "no" for q in wizard.flow.content.question_ids}
    wizard.draft.answers["active_malignancy"] = "yes"
    for _ in range(4):
        wizard.next()
    assert wizard.currentId() == Step.SHEET
    wizard.dialogs.saved_to = tmp_path / "missing-folder" / "x.pdf"
    page(wizard).preview.save_with_dialog()
    assert wizard.dialogs.told and wizard.dialogs.told[0][2] is True
    assert not wizard.dialogs.saved_to.exists()


def test_printer_is_set_to_300_dpi_or_more_and_one_copy(qtbot, wizard):
    from screening_app.ui.sheet_view import PRINT_DPI, prepare_printer
    wizard.draft.name, wizard.draft.date_of_birth, wizard.draft.route = "A", "1980-01-01", "topical"
    wizard.draft.answers = {q: "no" for q in wizard.flow.content.question_ids}
    wizard.draft.answers["active_malignancy"] = "yes"
    for _ in range(4):
        wizard.next()
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setCopyCount(3)  # what a previous print job may have left behind
    prepare_printer(printer, page(wizard).preview.document)
    assert printer.resolution() >= PRINT_DPI >= 300
    assert printer.copyCount() == 1


def test_text_follows_the_system_font_size(qtbot, tmp_path):
    app = QApplication.instance()
    normal = app.font()
    try:
        big = QFont(normal)
        big.setPointSizeF(normal.pointSizeF() * 1.6)
        app.setFont(big)
        w = ScreeningWizard(dialogs=AnsweringDialogs(tmp_path))
        qtbot.addWidget(w)
        w.show()
        page_ = w.currentPage()
        assert page_.name.font().pointSizeF() == big.pointSizeF()
        assert page_.status.font().pointSizeF() == big.pointSizeF()
        questions = w.pages[Step.QUESTIONS]
        first = next(iter(questions.groups.values())).buttons()[0]
        assert first.font().pointSizeF() == big.pointSizeF()
    finally:
        app.setFont(normal)


def test_no_sheet_is_printed_before_the_admin_sets_the_clinics_name_and_phone(qtbot, tmp_path):
    w = ScreeningWizard(dialogs=AnsweringDialogs(tmp_path), staff=Staff(7, "chen", "Dr. Maya Chen", "clinician"),
                        settings=ClinicSettings())
    qtbot.addWidget(w)
    w.show()
    front_desk(qtbot, w)
    go_next(qtbot, w)
    go_next(qtbot, w)
    fill_product(qtbot, w)
    go_next(qtbot, w)
    sheet = page(w)
    assert w.currentId() == Step.SHEET
    assert "clinic's name and phone number are not set" in sheet.status.text()
    assert not any(b.isEnabled() for b in sheet.preview.findChildren(QAbstractButton))
    assert not w.button(QWizard.WizardButton.FinishButton).isEnabled()


def test_a_minor_needs_review_and_the_representative_is_typed_on_the_patient_page(qtbot, wizard):
    patient = page(wizard)
    type_into(qtbot, patient.name, "Lily Tran")
    type_into(qtbot, patient.dob, "2019-05-01")
    type_into(qtbot, patient.representative, "Mai Tran")
    assert not next_enabled(wizard)  # a representative needs a relationship too
    type_into(qtbot, patient.relationship, "mother")
    assert wizard.draft.to_screening_file()["representative"] == {"name": "Mai Tran", "relationship": "mother"}
    assert next_enabled(wizard)
    wizard.draft.route = "topical"
    wizard.draft.answers.update({q: "no" for q in wizard.flow.content.question_ids})
    result = wizard.flow.evaluate(wizard.draft).result
    assert [f.question for f in result.findings] == ["patient_is_minor"]
    assert result.outcome.value == "clinician_review"


def test_a_high_contrast_palette_gets_visible_indicators_and_borders(qtbot):
    from PySide6.QtGui import QColor, QPalette

    from screening_app.ui.application import make_application
    app = make_application([])  # as the app sets itself up (pytest-qt made the instance)
    before = app.palette()
    black = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#000000"), (QPalette.ColorRole.WindowText, "#ffffff"),
                         (QPalette.ColorRole.Base, "#000000"), (QPalette.ColorRole.Text, "#ffffff")):
        black.setColor(role, QColor(colour))
    try:
        app.setPalette(black)
        app.processEvents()
        assert "QRadioButton::indicator" in app.styleSheet()  # Fusion would draw them black on black
    finally:
        app.setPalette(before)
        app.processEvents()
    assert app.styleSheet() == ""


def visible_texts(widget) -> list[str]:
    from PySide6.QtWidgets import QLabel
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget) and label.text()]


def test_messages_name_fields_in_staff_words_never_as_code(qtbot, wizard):
    import re
    code_like = re.compile(r"\b[a-z_]+\.[a-z_]+(\.[a-z_]+)*: ")
    patient = page(wizard)
    type_into(qtbot, patient.name, "Zoë \u202eÅngström")
    type_into(qtbot, patient.dob, "2990-01-01")
    type_into(qtbot, patient.representative, "Mai Tran")
    for edit in (patient.name, patient.dob, patient.representative):
        edit.editingFinished.emit()
    patient.refresh_messages()
    texts = visible_texts(patient)
    assert any("is in the future" in t for t in texts) and any(t.startswith("To continue: Full name:") for t in texts)
    offenders = [t for t in texts if code_like.search(t)]
    assert offenders == []
