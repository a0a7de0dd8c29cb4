"""Ensure a minor screened in the real wizard gets the clinician's "patient is a minor" review and then the
representative's consent with the patient's assent (the wizard door of the core's promise)."""
from conftest import TODAY
from test_wizard_gui import (  # noqa: F401
    AnsweringDialogs,
    answer_all,
    click,
    fill_product,
    go_next,
    next_enabled,
    page,
    preview_text,
    type_into,
    wizard,
)

from screening_app.casework import Step
from screening_app.screening.consent import SheetKind


def test_a_minor_in_the_wizard_needs_review_then_gets_the_representatives_consent(qtbot, wizard):
    p = page(wizard)
    type_into(qtbot, p.name, "Mia Lopez")
    type_into(qtbot, p.dob, TODAY.replace(year=TODAY.year - 15).isoformat())
    go_next(qtbot, wizard)
    p = page(wizard)
    click(qtbot, next(b for b in p.routes.buttons() if b.property("route") == "topical"))
    go_next(qtbot, wizard)
    answer_all(qtbot, wizard, {})
    go_next(qtbot, wizard)
    review = page(wizard)
    assert wizard.currentId() == Step.REVIEW and "CLINICIAN REVIEW NEEDED" in review.banner.text()
    assert list(review.decision_groups) == ["patient_is_minor"] and not next_enabled(wizard)
    click(qtbot, next(b for b in review.decision_groups["patient_is_minor"].buttons() if b.text() == "Proceed"))
    type_into(qtbot, review.reason_edits["patient_is_minor"], "Mother present; Mia understands and agrees.")
    go_next(qtbot, wizard)
    fill_product(qtbot, wizard)
    go_next(qtbot, wizard)
    assert page(wizard).kind is SheetKind.CONSENT
    text = " ".join(preview_text(wizard).split())
    assert "Signature of parent or legal representative" in text and "Patient signature (assent)" in text
    assert "I agree to have this treatment." not in text
