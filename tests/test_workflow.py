"""Ensure the wizard's flow (no Qt): what each step needs and where Next leads."""
import datetime as dt

from conftest import GOOD_PRODUCT, all_answers

from screening_app.casework import Draft, Flow, Step
from screening_app.screening import load_content
from screening_app.screening.consent import SheetKind

FLOW = Flow()


def front_desk_done(**answers) -> Draft:
    return Draft(name="Zoë Ångström", date_of_birth="1980-04-02", route="topical",
                 answers=all_answers(**answers))


def test_empty_draft_names_what_is_missing_per_step():
    d = Draft()
    assert FLOW.problems(d, Step.PATIENT) == {"patient.name": "empty", "patient.date_of_birth": "empty"}
    assert FLOW.problems(d, Step.TREATMENT) == {"treatment.route": "missing"}
    required = [q.id for q in load_content().questions if q.required]
    assert len(FLOW.problems(d, Step.QUESTIONS)) == len(required)
    assert FLOW.unanswered(d) == required


def test_patient_step_uses_the_same_rules_as_the_screening_file():
    d = Draft(name="x" * 201, date_of_birth=(dt.date.today() + dt.timedelta(days=2)).isoformat())
    problems = FLOW.problems(d, Step.PATIENT)
    assert problems["patient.name"].startswith("too long")
    assert problems["patient.date_of_birth"].endswith("is in the future")
    assert FLOW.problems(Draft(name="李雷", date_of_birth="1990-02-29"), Step.PATIENT) == {
        "patient.date_of_birth": "'1990-02-29' is not a real date"}


def test_one_unanswered_question_blocks_the_questions_step():
    d = front_desk_done()
    del d.answers["pregnant_or_breastfeeding"]
    assert FLOW.unanswered(d) == ["pregnant_or_breastfeeding"]
    assert FLOW.problems(d, Step.QUESTIONS) == {"answers.pregnant_or_breastfeeding": "missing"}


def test_clear_path_goes_through_product_to_the_consent():
    d = front_desk_done()
    assert FLOW.path(d) == [Step.PATIENT, Step.TREATMENT, Step.QUESTIONS, Step.REVIEW, Step.PRODUCT, Step.SHEET]
    assert FLOW.problems(d, Step.REVIEW) == {}
    # Changed with issue 11: no consent before a verified lot is checked.
    assert FLOW.sheet_kind(d) is SheetKind.LOT_NOT_CHECKED
    d.product = dict(GOOD_PRODUCT)
    assert FLOW.sheet_kind(d) is SheetKind.CONSENT
    d.product["storage_c"] = -20
    assert FLOW.sheet_kind(d) is SheetKind.LOT_NOT_VERIFIED


def test_product_step_is_complete_only_with_a_verified_lot():
    d = front_desk_done()
    assert "product" in FLOW.problems(d, Step.PRODUCT)
    d.product = dict(GOOD_PRODUCT, sterility_tested=None)
    del d.product["sterility_tested"]
    assert "product" in FLOW.problems(d, Step.PRODUCT)
    d.product["sterility_tested"] = True
    assert FLOW.problems(d, Step.PRODUCT) == {}
    d.product["storage_c"] = "cold"
    assert FLOW.problems(d, Step.PRODUCT) == {"product.storage_c": "must be a number, not text"}


def test_do_not_treat_skips_the_product_and_ends_at_its_sheet():
    d = front_desk_done(active_malignancy="yes")
    assert FLOW.path(d)[-2:] == [Step.REVIEW, Step.SHEET]
    assert FLOW.problems(d, Step.REVIEW) == {}
    d.clinician, d.reviewed_at = "Dr. X", "2026-11-22T10:00"
    d.decisions = {"active_malignancy": {"decision": "proceed", "reason": "I insist"}}
    assert FLOW.sheet_kind(d) is SheetKind.DO_NOT_TREAT
    assert Step.PRODUCT not in FLOW.path(d)


def test_clinician_review_needs_a_signed_in_clinician_a_decision_and_a_reason():
    d = front_desk_done(cancer_history="yes", current_infection="dont_know")
    assert FLOW.problems(d, Step.REVIEW) == {
        "review.clinician": "only a clinician, signed in, can record the review",
        "review.decisions.cancer_history": "choose proceed or defer",
        "review.decisions.current_infection": "choose proceed or defer"}
    assert "review.clinician" not in Flow(reviewer="Dr. Maya Chen").problems(d, Step.REVIEW)
    d.clinician = "Dr. Maya Chen"
    d.decisions = {"cancer_history": {"decision": "proceed"}, "current_infection": {"decision": "proceed",
                                                                                    "reason": "No fever today."}}
    assert FLOW.problems(d, Step.REVIEW) == {"review.decisions.cancer_history.reason": "a reason is needed to proceed"}
    d.decisions["cancer_history"]["reason"] = "Skin cancer removed 2012."
    assert FLOW.problems(d, Step.REVIEW) == {}
    # Until the review is recorded (stamped), nothing can be signed.
    assert FLOW.sheet_kind(d) is SheetKind.AWAITING_REVIEW
    d.reviewed_at = "2026-11-22T10:30"
    assert FLOW.sheet_kind(d) is SheetKind.LOT_NOT_CHECKED  # changed with issue 11: the lot is still to check
    assert FLOW.next_step(d, Step.REVIEW) is Step.PRODUCT
    d.product = dict(GOOD_PRODUCT)
    assert FLOW.sheet_kind(d) is SheetKind.CONSENT


def test_a_deferral_leads_to_the_on_hold_sheet():
    d = front_desk_done(cancer_history="yes")
    d.clinician, d.reviewed_at = "Dr. Maya Chen", "2026-11-22T10:30"
    d.decisions = {"cancer_history": {"decision": "defer", "reason": ""}}
    assert FLOW.problems(d, Step.REVIEW) == {}
    assert FLOW.sheet_kind(d) is SheetKind.DEFERRED
    assert FLOW.next_step(d, Step.REVIEW) is Step.SHEET


def test_next_step_has_no_side_effects_and_survives_an_incomplete_draft():
    d = Draft()
    before = d.to_json()
    assert FLOW.next_step(d, Step.REVIEW) is None
    assert FLOW.next_step(d, Step.PATIENT) is Step.TREATMENT
    assert d.to_json() == before


def test_draft_round_trips_through_json():
    d = front_desk_done(cancer_history="yes")
    d.follow_ups = {"cancer_history": {"details": "Breast, 2015"}}
    assert Draft.from_json(d.to_json()) == d
    assert d.to_screening_file()["follow_ups"] == {"cancer_history": {"details": "Breast, 2015"}}


def test_the_lot_page_reads_which_of_its_fields_cannot_be_from_the_table():
    d = front_desk_done()
    d.product = dict(GOOD_PRODUCT, storage_c=-400, ind_number="pending", freeze_thaw_cycles=1)
    assert [f.key for f in FLOW.malformed_lot_fields(d)] == ["ind_number", "storage_c"]
    assert {f"product.{f.key}" for f in FLOW.malformed_lot_fields(d)} <= set(FLOW.problems(d, Step.PRODUCT))
    d.product = dict(GOOD_PRODUCT)
    assert FLOW.malformed_lot_fields(d) == []
