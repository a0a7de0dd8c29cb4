"""Ensure the treatment and lot pages, driven as staff drive them, refuse a past date, an
impossible lot value or a failing lot in staff words, and ask the procedure before a topical product."""
import dataclasses
import datetime as dt

import pytest
from conftest import GOOD_PRODUCT, TODAY, all_answers
from test_wizard_gui import AnsweringDialogs, click, fill_product, front_desk, go_next, next_enabled, page, type_into

from screening_app.casework import Draft, Flow, Step
from screening_app.screening import default_content
from screening_app.screening.consent import SheetKind
from screening_app.ui.wizard import ScreeningWizard


@pytest.fixture
def wizard(qtbot, tmp_path):
    w = ScreeningWizard(dialogs=AnsweringDialogs(tmp_path))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def to_treatment(qtbot, w):
    p = page(w)
    type_into(qtbot, p.name, "Zoë Ångström")
    type_into(qtbot, p.dob, "1980-04-02")
    go_next(qtbot, w)
    assert w.currentId() == Step.TREATMENT
    return page(w)


def choose(qtbot, group, prop, value):
    click(qtbot, next(b for b in group.buttons() if b.property(prop) == value))


def to_product(qtbot, w):
    front_desk(qtbot, w)
    go_next(qtbot, w)
    assert w.currentId() == Step.REVIEW
    go_next(qtbot, w)
    assert w.currentId() == Step.PRODUCT
    return page(w)


# --- treatment page --------------------------------------------------------------------------

def test_a_past_treatment_date_is_refused_with_a_clear_message(qtbot, wizard):
    p = to_treatment(qtbot, wizard)
    choose(qtbot, p.routes, "route", "topical")
    assert next_enabled(wizard)
    type_into(qtbot, p.date, "2020-01-01")
    assert not next_enabled(wizard)
    error = p.fields.errors["treatment.date"]
    assert error.isVisibleTo(p)
    assert "2020-01-01 is in the past" in error.text() and "today" in error.text()
    assert p.status.text().startswith("To continue: Treatment date: 2020-01-01 is in the past")
    type_into(qtbot, p.date, TODAY.isoformat())
    assert next_enabled(wizard) and not error.isVisibleTo(p)
    type_into(qtbot, p.date, (TODAY + dt.timedelta(days=7)).isoformat())
    assert next_enabled(wizard)


def test_a_draft_resumed_on_a_later_day_asks_for_the_date_at_once(qtbot, tmp_path):
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    draft = Draft(name="A", date_of_birth="1980-01-01", route="topical", treatment_date=yesterday)
    w = ScreeningWizard(draft, dialogs=AnsweringDialogs(tmp_path), start=Step.TREATMENT)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    p = page(w)
    assert not next_enabled(w)
    assert p.fields.errors["treatment.date"].isVisibleTo(p)
    assert f"{yesterday} is in the past" in p.fields.errors["treatment.date"].text()


def test_the_procedure_is_asked_for_topical_only(qtbot, wizard):
    p = to_treatment(qtbot, wizard)
    choose(qtbot, p.routes, "route", "topical")
    assert p.procedure_box.isEnabled()
    checked = [b.property("procedure") for b in p.procedures.buttons() if b.isChecked()]
    assert checked == ["none"] and wizard.draft.procedure == "none"
    choose(qtbot, p.procedures, "procedure", "microneedling")
    assert wizard.draft.procedure == "microneedling"
    assert wizard.draft.to_screening_file()["treatment"]["procedure"] == "microneedling"
    choose(qtbot, p.routes, "route", "injection")
    assert not p.procedure_box.isEnabled() and wizard.draft.procedure == "none"
    assert "procedure" not in wizard.draft.to_screening_file()["treatment"]
    assert next_enabled(wizard)


@pytest.mark.parametrize("procedure,outcome", [("laser", "CLINICIAN REVIEW NEEDED"),
                                               ("none", "NO CONTRAINDICATION FOUND")])
def test_bleeding_risk_counts_after_laser(qtbot, wizard, procedure, outcome):
    p = to_treatment(qtbot, wizard)
    choose(qtbot, p.routes, "route", "topical")
    choose(qtbot, p.procedures, "procedure", procedure)
    go_next(qtbot, wizard)
    q = page(wizard)
    for qid, group in q.groups.items():
        choose(qtbot, group, "answer", "yes" if qid == "bleeding_risk" else "no")
    go_next(qtbot, wizard)
    review = page(wizard)
    assert outcome in review.banner.text()
    assert list(review.decision_groups) == (["bleeding_risk"] if procedure == "laser" else [])


def test_a_bad_procedure_in_a_draft_is_named_on_the_page(qtbot, tmp_path):
    draft = Draft(name="A", date_of_birth="1980-01-01", route="injection", procedure="laser")
    w = ScreeningWizard(draft, dialogs=AnsweringDialogs(tmp_path), start=Step.TREATMENT)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    p = page(w)
    assert not next_enabled(w)
    assert "laser is only for the topical route" in p.procedure_error.text()


# --- lot page ------------------------------------------------------------------------------------

@pytest.mark.parametrize("key,typed,message", [
    ("storage_c", "-8_0", "Storage temperature: type a number such as -80"),
    ("storage_c", "-300", "Storage temperature: type a number such as -80"),
    ("storage_c", "cold", "Storage temperature: type a number such as -80"),
    ("freeze_thaw_cycles", "-3", "Freeze-thaw cycles: type a whole number, 0 or more, such as 0"),
    ("freeze_thaw_cycles", "1.5", "Freeze-thaw cycles: type a whole number, 0 or more, such as 0"),
    ("ind_number", "pending", "IND number: type the IND number from FDA's letter: 4 to 7 digits"),
    ("ind_number", "N/A", "IND number: type the IND number from FDA's letter"),
    ("expiry", "2027-02-30", "Expiry date: type the date as year-month-day"),
])
def test_impossible_values_are_named_in_staff_words(qtbot, wizard, key, typed, message):
    p = to_product(qtbot, wizard)
    fill_product(qtbot, wizard)
    assert next_enabled(wizard)
    type_into(qtbot, p.texts[key], typed)
    assert not next_enabled(wizard)
    assert p.errors[key].isVisibleTo(p) and message in p.errors[key].text()
    assert message in p.status.text() and message in p.result_label.text()
    assert "product." not in p.status.text() + p.result_label.text() + p.errors[key].text()
    assert "Lot not verified" in p.result_label.text()


def test_the_failing_lot_of_the_issue_cannot_go_on(qtbot, wizard):
    p = to_product(qtbot, wizard)
    fill_product(qtbot, wizard, dict(GOOD_PRODUCT, expiry="2021-06-30", storage_c=-20))
    assert not next_enabled(wizard)
    text = p.result_label.text()
    assert "Lot not verified" in text and "Expired on 2021-06-30" in text and "warmer" in text
    assert wizard.flow.sheet_kind(wizard.draft) is SheetKind.LOT_NOT_VERIFIED


def test_a_freeze_dried_lot_asks_for_the_makers_limit(qtbot, wizard):
    p = to_product(qtbot, wizard)
    caption, cell = p.rows["maker_max_storage_c"]
    assert not cell.isVisibleTo(p)
    fill_product(qtbot, wizard, dict(GOOD_PRODUCT, storage_c=37))
    click(qtbot, p.checks["lyophilised"])
    assert cell.isVisibleTo(p) and caption.isVisibleTo(p)
    assert not next_enabled(wizard)
    assert "Maker's storage limit (freeze-dried product): not shown." in p.result_label.text()
    type_into(qtbot, p.texts["maker_max_storage_c"], "25")
    assert not next_enabled(wizard)
    assert "warmer than the maker's limit of 25 C" in p.result_label.text()
    type_into(qtbot, p.texts["storage_c"], "4")
    assert next_enabled(wizard) and "Lot verified" in p.result_label.text()
    go_next(qtbot, wizard)
    assert page(wizard).kind is SheetKind.CONSENT


def test_the_lot_page_is_built_from_the_product_check_table(qtbot, wizard):
    from screening_app.screening.product import PRODUCT_FIELDS
    p = page(wizard)
    product_page = wizard.pages[Step.PRODUCT]
    shown = list(product_page.texts) + list(product_page.checks)
    default_on = [f.key for f in PRODUCT_FIELDS if not f.setting]
    assert sorted(shown) == sorted(default_on)
    for f in PRODUCT_FIELDS:
        widget = product_page.texts.get(f.key) or product_page.checks.get(f.key)
        if widget is not None:
            assert widget.accessibleName() == f.label and widget.toolTip() == f.how
    assert p is not None


def test_optional_clinic_checks_appear_when_the_clinic_sets_them(qtbot, tmp_path):
    content = default_content()
    strict = dataclasses.replace(content, product=dataclasses.replace(
        content.product, negative_markers=("calnexin",), require_particle_count=True, max_endotoxin_eu_per_ml=0.5))
    draft = Draft(name="A", date_of_birth="1980-01-01", route="topical", answers=all_answers(),
                  product=dict(GOOD_PRODUCT))
    w = ScreeningWizard(draft, flow=Flow(strict), dialogs=AnsweringDialogs(tmp_path), start=Step.PRODUCT)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    p = page(w)
    assert {"absent_markers", "particle_count_per_ml", "endotoxin_eu_per_ml"} <= set(p.texts)
    assert not next_enabled(w)
    assert "calnexin not shown as absent" in p.result_label.text()
    type_into(qtbot, p.texts["absent_markers"], "calnexin")
    type_into(qtbot, p.texts["particle_count_per_ml"], "2.5e10")
    type_into(qtbot, p.texts["endotoxin_eu_per_ml"], "0.9")
    assert "above the clinic's limit of 0.5 EU/mL" in p.result_label.text()
    type_into(qtbot, p.texts["endotoxin_eu_per_ml"], "0.2")
    assert next_enabled(w) and "Lot verified" in p.result_label.text()


def test_the_wizard_is_told_about_its_buttons_only_when_they_change(qtbot, wizard):
    """QWizard repaints the whole window on completeChanged: a key that changes nothing the
    buttons show must not send it (a key in the lot field cost ~20 ms of repaint), and a key
    that does must (Next follows the lot's checks exactly)."""
    p = to_product(qtbot, wizard)
    fill_product(qtbot, wizard, dict(GOOD_PRODUCT, storage_c=-20))  # a lot that fails: too warm
    assert not next_enabled(wizard)
    told = []
    p.completeChanged.connect(lambda: told.append(next_enabled(wizard)))
    for text in ("EV-1", "EV-12", "EV-123", "EV-2291"):  # the lot still fails: nothing to tell
        type_into(qtbot, p.texts["lot"], text)
    assert told == [] and not next_enabled(wizard)
    type_into(qtbot, p.texts["storage_c"], "-80")  # now it passes: Next must come on
    assert next_enabled(wizard) and len(told) == 1
    type_into(qtbot, p.texts["storage_c"], "-8")  # and off again at once
    assert not next_enabled(wizard)
    type_into(qtbot, p.texts["storage_c"], "-80")
    assert next_enabled(wizard)
