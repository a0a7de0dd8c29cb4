"""Ensure the Follow-up tab does what the store promises, as a person would use it (pytest-qt)."""
import datetime as dt

import pytest
from test_app_gui import window
from test_casework import PASSWORD, finished, patient

from screening_app.records.store import Store
from screening_app.ui.aftercare_tab import AftercareTab

TODAY = dt.date.today()


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "data")
    admin = s.create_first_admin("admin", "Ada Admin", PASSWORD)
    s.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    s.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    yield s
    s.close()


def people(store):
    return {u: store.authenticate(u, PASSWORD) for u in ("admin", "desk", "chen")} | \
        {"doc": store.authenticate("chen", PASSWORD)}


def select_row(table, text):
    for r in range(table.rowCount()):
        if table.item(r, 0).text() == text:
            table.selectRow(r)
            return
    raise AssertionError(f"{text} not in the table")


def page_titles(tab: AftercareTab) -> list[str]:
    return [tab.pages.tabText(i).replace("&", "") for i in range(tab.pages.count())]


def test_the_clinician_records_the_treatment_given_after_a_consent(qtbot, store):
    p = people(store)
    sid = finished(store, p, patient()).sid
    chen = window(qtbot, store, "chen")
    tab = chen.aftercare
    assert page_titles(tab) == ["Due and overdue", "Treatments to record", "Adverse events", "Lookback and recall"]
    tab.refresh()
    assert tab.pending.rowCount() == 1 and tab.pending.item(0, 3).text() == "EV-2291"
    select_row(tab.pending, "Zoë Ångström")
    form = tab.record_treatment()
    form.lot.setText("EV-9999")
    form.amount.setText("1.5")
    form.site.setText("left cheek")
    form.procedure.setText("microneedling")
    form.press_ok()
    assert "not the lot verified for this consent" in form.error.text() and form.isVisible()
    form.lot.setText("EV-2291")
    form.press_ok()
    assert form.error.text() == "" and not form.isVisible()
    given = store.administration(p["doc"], sid)
    assert (given.lot, given.amount, given.unit, given.site, given.given_by) == \
        ("EV-2291", "1.5", "mL", "left cheek", "Dr. Maya Chen")
    assert tab.pending.rowCount() == 0
    # A correction: a new record pointing to the first, with the reason; the first stays.
    assert tab.recorded.rowCount() == 1 and tab.recorded.item(0, 5).text() == "left cheek"
    tab.recorded.selectRow(0)
    fix = tab.correct_selected()
    assert fix.lot.text() == "EV-2291" and fix.site.text() == "left cheek"
    fix.site.setText("right cheek")
    fix.press_ok()
    assert "amend reason: empty" in fix.error.text()
    fix.amend_reason.setText("Wrong side typed")
    fix.press_ok()
    assert not fix.isVisible()
    assert [a.site for a in store.administrations(p["doc"], sid)] == ["left cheek", "right cheek"]
    assert tab.recorded.item(0, 5).text() == "right cheek" and tab.recorded.item(0, 6).text() == "yes"
    # An adverse event at any time, not only from a follow-up call.
    event = tab.record_event_for_recorded()
    event.description.setPlainText("Patient phoned: itching at the site")
    event.press_ok()
    assert not event.isVisible() and store.adverse_events(p["doc"], sid=sid)[0].description.startswith("Patient")


def test_a_treatment_given_before_the_consent_is_refused_in_the_form(qtbot, store):
    p = people(store)
    finished(store, p, patient())
    tab = window(qtbot, store, "chen").aftercare
    tab.refresh()
    select_row(tab.pending, "Zoë Ångström")
    form = tab.record_treatment()
    for edit, value in ((form.lot, "EV-2291"), (form.amount, "1"), (form.site, "scalp"), (form.procedure, "x"),
                        (form.given_at, "2020-01-01T09:00")):
        edit.setText(value)
    form.press_ok()
    assert "before the consent was signed" in form.error.text() and form.isVisible()


def test_due_contacts_a_reported_problem_and_the_adverse_event_and_medwatch(qtbot, store, monkeypatch, tmp_path):
    p = people(store)
    sid = finished(store, p, patient()).sid
    store.record_administration(p["doc"], sid, lot="EV-2291", amount="1", unit="mL", site="scalp",
                                procedure="microneedling")
    # Three days later, for the queue.
    real = store.follow_up_queue
    monkeypatch.setattr(store, "follow_up_queue",
                        lambda staff, **kw: real(staff, today=TODAY + dt.timedelta(days=3), **kw))
    desk = window(qtbot, store, "desk").aftercare
    assert page_titles(desk) == ["Due and overdue", "Adverse events"]
    desk.refresh()
    assert desk.due.rowCount() == 1 and desk.due.item(0, 7).text() == "Due now"
    select_row(desk.due, "Zoë Ångström")
    form = desk.record_contact()
    form.reached.setCurrentIndex(0)
    form.problem.setCurrentIndex(1)
    form.press_ok()
    assert "note: empty" in form.error.text()
    form.note.setPlainText("Red, warm swelling since yesterday")
    form.press_ok()
    assert not form.isVisible() and desk.due.rowCount() == 0
    assert not desk.open_forms  # the front desk records no adverse event: that is the clinician's
    chen = window(qtbot, store, "chen").aftercare
    contact = store.contacts(p["doc"], sid)[0]
    form = chen.record_event(sid, "Zoë Ångström", contact_id=contact.id)
    form.description.setPlainText("Red, warm swelling at the treated area")
    form.criteria["required_intervention"].setChecked(True)
    form.outcome.setCurrentIndex(form.outcome.findData("recovering"))
    form.treatment.setText("Oral antibiotics")
    form.press_ok()
    assert not form.isVisible()
    chen.pages.setCurrentIndex(2)
    chen.refresh()
    assert chen.events.rowCount() == 1 and chen.events.item(0, 3).text() == "yes" and \
        chen.events.item(0, 3).toolTip().startswith("Required intervention")
    chen.events.selectRow(0)
    view = chen.medwatch()
    assert "Red, warm swelling at the treated area" in view.text and "EV-2291" in view.text
    # The printable summary: saved as a PDF with the same fields, and the saving audited.
    target = tmp_path / "medwatch.pdf"
    monkeypatch.setattr(view.dialogs, "ask_file", lambda *a, **k: str(target))
    assert view.save_pdf() == target
    from pypdf import PdfReader
    printed = " ".join(" ".join(pg.extract_text().split()) for pg in PdfReader(str(target)).pages)
    assert "Red, warm swelling at the treated area" in printed and "D1. Lot number" in printed
    saved = [e for e in store.audit_entries(p["admin"], screening_id=sid) if e["action"] == "exported"]
    assert saved and '"medwatch_pdf"' in saved[0]["detail"]
    update = chen.update_event()
    update.status.setCurrentIndex(update.status.findData("closed"))
    update.outcome.setCurrentIndex(update.outcome.findData("recovered"))
    update.press_ok()
    chen.refresh()
    assert chen.events.rowCount() == 0 and store.adverse_events(p["doc"])[0].status == "closed"


def test_the_admin_recalls_a_lot_and_the_clinician_works_the_call_list(qtbot, store):
    p = people(store)
    sid = finished(store, p, patient()).sid
    store.record_administration(p["doc"], sid, lot="EV-2291", amount="1", unit="mL", site="scalp",
                                procedure="microneedling")
    admin = window(qtbot, store, "admin").aftercare
    assert page_titles(admin) == ["Lookback and recall"]
    admin.lot.setText("EV-2291")
    admin.look_back()
    assert "not recalled" in admin.lookback_state.text() and admin.lookback.rowCount() == 1
    form = admin.recall()
    form.press_ok()
    assert "reason: empty" in form.error.text()
    form.reason.setText("Maker's recall notice: sterility failure")
    form.press_ok()
    assert "RECALLED" in admin.lookback_state.text() and store.recalled_lots() == ["EV-2291"]
    chen = window(qtbot, store, "chen").aftercare
    chen.lot.setText("ev-2291")
    chen.look_back()
    assert chen.lookback.item(0, 6).text() == "not called yet"
    chen.lookback.selectRow(0)
    call = chen.record_call()
    call.reached.setCurrentIndex(1)
    call.press_ok()
    assert chen.lookback.item(0, 6).text().startswith("not reached")
    # Reached later, with a problem: the adverse event form follows, tied to the call.
    call = chen.record_call()
    call.problem.setCurrentIndex(1)
    call.note.setPlainText("Fever since Tuesday")
    call.press_ok()
    assert "problem" in chen.lookback.item(0, 6).text()
    (event_form,) = [f for f in chen.open_forms if f.isVisible()]
    assert event_form.contact_id == store.contacts(p["doc"], sid)[-1].id


def test_the_admin_sets_the_follow_up_schedule_in_the_settings_form_and_a_bad_one_is_refused(qtbot, store):
    w = window(qtbot, store, "admin")
    field = w.settings_tab.fields["follow_up_days"]
    assert field.text() == "2-3, 14, 42, 90"
    refused = []
    w.settings_tab.refused.connect(refused.append)
    for bad, why in (("3, 1", "must start after"), ("two weeks", "write a day or a from-to range")):
        field.setText(bad)
        assert w.settings_tab.save() is None and why in refused[-1]
    field.setText("1-2, 7, 30-35")
    assert w.settings_tab.save() is not None
    assert store.settings().follow_up_plan() == ((1, 2), (7, 7), (30, 35))


def test_the_wizard_asks_the_clinician_to_decide_on_an_open_adverse_event(qtbot, store):
    from PySide6.QtWidgets import QWizard
    from test_app_gui import fill_front_desk

    from screening_app.casework import Step
    p = people(store)
    sid = finished(store, p, patient()).sid
    store.record_administration(p["doc"], sid, lot="EV-2291", amount="1", unit="mL", site="scalp",
                                procedure="microneedling")
    store.record_adverse_event(p["doc"], sid, description="Granuloma at the site", onset=TODAY.isoformat())
    desk = window(qtbot, store, "desk")
    wizard = desk.new_screening()
    fill_front_desk(wizard)
    wizard.next()
    wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    review = window(qtbot, store, "chen").review(wizard.session.sid)
    page = review.currentPage()
    assert review.currentId() == Step.REVIEW and "open_adverse_event" in page.decision_groups
    assert not review.button(QWizard.WizardButton.NextButton).isEnabled()


def test_the_wizard_never_verifies_a_recalled_lot(qtbot, store):
    from conftest import GOOD_PRODUCT
    from PySide6.QtWidgets import QWizard
    from test_app_gui import fill_front_desk

    from screening_app.casework import Step
    p = people(store)
    store.recall_lot(p["admin"], "EV-2291", "Maker's notice")
    chen = window(qtbot, store, "chen")
    wizard = chen.new_screening()
    fill_front_desk(wizard)
    for _ in range(4):
        wizard.next()
    assert wizard.currentId() == Step.PRODUCT
    wizard.draft.product = dict(GOOD_PRODUCT)
    wizard.currentPage().initializePage()
    wizard.draft_changed.emit()
    assert "recalled" in wizard.currentPage().result_label.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_every_input_of_the_follow_up_forms_has_an_accessible_name(qtbot, store):
    from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QTableWidget

    from screening_app.ui.aftercare_tab import AdministrationForm, AdverseEventForm, ContactForm, RecallForm
    p = people(store)
    sid = finished(store, p, patient()).sid
    forms = [AdministrationForm(store, p["doc"], sid, lot="EV-2291", route="topical"),
             ContactForm(store, p["desk"], sid), AdverseEventForm(store, p["doc"], sid),
             RecallForm(store, p["admin"], "EV-2291")]
    for form in forms:
        qtbot.addWidget(form)
    missing = [f"{type(w).__name__} in {type(top).__name__}" for top in forms
               for kind in (QLineEdit, QComboBox, QPlainTextEdit, QTableWidget) for w in top.findChildren(kind)
               if not w.accessibleName().strip() and not isinstance(w.parent(), (QComboBox,))]
    assert missing == []
    unnamed = [b for f in forms for b in f.findChildren(QCheckBox) if not b.text() and not b.accessibleName()]
    assert unnamed == []
