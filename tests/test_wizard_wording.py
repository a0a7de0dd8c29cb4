"""Ensure every word the wizard itself shows comes from its catalogues (wizard.po, steps.po).

The wizard is walked from the patient page to the sheet in a made-up language in which every
catalogue text is wrapped in ⟦ ⟧. Whatever is left on screen outside the brackets must come from
somewhere else that owns it: the questionnaire and rules (resources/*.toml), the screening's
own labels and the product check table (screening/), what was typed, or Qt's own buttons. An
English sentence written into the wizard's Python shows up as a word from none of those."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import GOOD_PRODUCT
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit, QWidget, QWizard

from screening_app import wording
from screening_app.casework import Step
from screening_app.records.accounts import Staff
from screening_app.records.settings import ClinicSettings
from screening_app.screening.consent import needs_review
from screening_app.screening.history import EarlierScreening
from screening_app.screening.model import Answer, Outcome, Procedure, Route
from screening_app.screening.product import PRODUCT_FIELDS
from screening_app.ui.dialogs import Dialogs
from screening_app.ui.wizard import ScreeningWizard

PSEUDO = "xx"
CLINIC = ClinicSettings(clinic_name="Riverside Clinic", clinic_phone="(217) 555-0147")
WORD = re.compile(r"[^\W\d_]+")


class QuietDialogs(Dialogs):
    """Never opens a window: closing the test's wizard discards its draft without asking."""

    def confirm_discard(self, parent):
        return True

    def tell(self, parent, title, text, error=False):
        raise AssertionError(f"the wizard told: {title}: {text}")


@pytest.fixture
def pseudo_language(monkeypatch):
    english = wording.catalogue

    def catalogue(language, domain, directory=None):
        found = english("en", domain, directory)
        return {key: f"⟦{text}⟧" for key, text in found.items()} if language == PSEUDO else found

    monkeypatch.setattr(wording, "catalogue", catalogue)
    wording.set_language(PSEUDO)
    yield
    wording.set_language(wording.SOURCE_LANGUAGE)


def _outside_brackets(text: str) -> str:
    while (shorter := re.sub(r"⟦[^⟦⟧]*⟧", " ", text)) != text:
        text = shorter
    return re.sub(r"<[^>]+>|&nbsp;|&amp;|&lt;|&gt;", " ", text).replace("&", "")


def _shown(wizard: ScreeningWizard) -> list[str]:
    """Every text of the current page a person (or a screen reader) meets, and the window's."""
    page = wizard.currentPage()
    preview = getattr(page, "preview", None)  # the PDF viewer is ui/sheet_view.py's, not the wizard's
    texts = [wizard.windowTitle(), page.title(), page.subTitle()]
    texts.append(wizard.button(QWizard.WizardButton.FinishButton).text())
    for widget in page.findChildren(QWidget):
        in_preview = preview is not None and (widget is preview or preview.isAncestorOf(widget))
        if in_preview or not widget.isVisibleTo(page):
            continue
        texts += [widget.toolTip(), widget.accessibleName()]
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        if isinstance(widget, QGroupBox):
            texts.append(widget.title())
        if isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
    return [t for t in texts if t]


def _owned_elsewhere(wizard: ScreeningWizard, problems: list[str]) -> set[str]:
    """The words that other homes own: content, the model's labels, the product table, typed text."""
    flow, draft = wizard.flow, wizard.draft
    texts = list(problems) + ["Back", "Next", "Cancel", "Commit"]  # Qt's own buttons (its translations)
    for q in flow.content.questions:
        texts += [q.text, q.rationale, q.source] + [fu.prompt for fu in q.follow_ups]
    result = flow.result(draft)
    texts += [t for f in result.findings for t in (f.reason, f.source, flow.title(f.question))]
    texts += [t for a in result.advice for t in (a.topic, a.text)]
    for labelled in (Answer, Route, Procedure, Outcome):
        texts += [member.label for member in labelled]
    for f in PRODUCT_FIELDS:
        texts += [f.label, f.caption, f.how, str(f.example or ""), f.staff_message()]
    texts += [draft.name, draft.area, flow.reviewer] + [d.get("reason", "") for d in draft.decisions.values()]
    texts += [e.status for e in flow.history]  # the record's status word (records/ owns it)
    return {w.lower() for t in texts for w in WORD.findall(t or "")}


def test_every_word_the_wizard_shows_comes_from_its_catalogues(qtbot, pseudo_language):
    today = dt.date.today().isoformat()
    wizard = ScreeningWizard(dialogs=QuietDialogs(), settings=CLINIC,
                             staff=Staff(7, "chen", "Dr. Maya Chen", "clinician"))
    qtbot.addWidget(wizard)
    # Seen before (the history note and the banner), a skin procedure (the banner's route).
    wizard.flow.history = (EarlierScreening("s-1", today, "finished", Outcome.DO_NOT_TREAT.value, "do_not_treat"),)
    d = wizard.draft
    d.name, d.date_of_birth, d.patient_id, d.area = "Ann Lee", "1980-04-02", "A-1001", "face"
    d.route, d.procedure = Route.TOPICAL.value, Procedure.MICRONEEDLING.value
    d.answers = {q.id: Answer.NO.value for q in wizard.flow.content.questions}
    d.answers["cancer_history"] = Answer.YES.value
    wizard.show()
    qtbot.waitExposed(wizard)
    shown: list[str] = []
    problems: list[str] = []
    for step in Step:
        if step is Step.REVIEW:
            for qid in needs_review(wizard.flow.result(d)):
                d.decisions[qid] = {"decision": "proceed", "reason": "Removed in 2012"}
            wizard.currentPage().initializePage()
        if step is Step.PRODUCT:
            d.product = dict(GOOD_PRODUCT)
            wizard.currentPage().initializePage()
        assert wizard.currentId() == step, (step, wizard.currentPage().status.text())
        problems += wizard.currentPage().problems().values()
        shown += _shown(wizard)
        if step is not Step.SHEET:
            wizard.next()
    # The seen-before note and the review's decisions were on screen.
    assert any("⟦⚠" in t for t in shown) and any(t.startswith("⟦") and "Dr. Maya Chen" in t for t in shown)
    allowed = _owned_elsewhere(wizard, problems)
    stray = {t: sorted({w for w in WORD.findall(_outside_brackets(t)) if w.lower() not in allowed})
             for t in shown}
    stray = {t: words for t, words in stray.items() if words}
    assert not stray, f"words on the wizard that no catalogue holds: {stray}"


def test_an_empty_patient_page_says_what_is_missing_in_the_catalogues_words(qtbot, pseudo_language):
    wizard = ScreeningWizard(dialogs=QuietDialogs(), settings=CLINIC)
    qtbot.addWidget(wizard)
    wizard.show()
    page = wizard.currentPage()
    page.fields.touched.update(page.fields.errors)
    page.refresh_messages()
    # "To continue: Full name: …": the frame, the field's name and their order all from wizard.po
    # (the problem itself, "empty", is the screening file's intake's word).
    assert page.status.text().startswith("⟦To continue: ⟦⟦Full name⟧: ")
    assert page.title() == "⟦Patient details⟧" and wizard.windowTitle() == "⟦Exosome screening⟧"
    desk = ScreeningWizard(dialogs=QuietDialogs(), settings=CLINIC, hands_over=True)
    qtbot.addWidget(desk)
    assert desk.pages[Step.QUESTIONS].buttonText(QWizard.WizardButton.FinishButton) == "⟦&Hand over to clinician⟧"
