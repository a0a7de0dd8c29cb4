"""Ensure the store's own door keeps the consent promises: it makes the sheet with the clinic's settings
(texts, minimum age), and a patient's recorded "no" is stored as the declined record of what was read."""
import io

from conftest import GOOD_PRODUCT, TODAY, all_answers
from pypdf import PdfReader

from screening_app.records.settings import ClinicSettings
from screening_app.records.store import Store

PASSWORD = "correct horse battery"


def setup(tmp_path, **settings):
    store = Store.open(tmp_path / "data")
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    doc = store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    store.save_settings(admin, ClinicSettings(clinic_name="Riverside Skin", clinic_phone="(217) 555-0147",
                                              clinic_costs_text="It costs $950 a visit.", **settings))
    return store, desk, doc


def finish(store, desk, doc, screening_file):
    row = store.new_draft(desk, {"name": screening_file["patient"]["name"]})
    store.hand_over(desk, row.id, row.row_version)
    claimed = store.claim(doc, row.id)
    return store.finish(doc, row.id, version=claimed.row_version, screening_file=screening_file)


def screening_file(**extra):
    return {"patient": {"name": "Zoë Ångström", "date_of_birth": "1980-04-02"},
            "treatment": {"route": "topical", "date": TODAY.isoformat()},
            "answers": all_answers(), "product": dict(GOOD_PRODUCT), **extra}


def text(rec) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(rec.pdf)).pages).split())


def test_the_store_records_a_declined_consent_as_what_was_read(tmp_path):
    store, desk, doc = setup(tmp_path)
    rec = finish(store, desk, doc, screening_file(
        declined={"recorded_by": "Dee Desk", "recorded_at": f"{TODAY.isoformat()}T10:45"}))
    assert rec.sheet_kind == "declined"
    body = text(rec)
    assert "You chose not to have exosome treatment" in body and "The IND number is IND 12345" in body
    assert "It costs $950 a visit." in body
    # Nothing for the patient to sign: the only signature is the clinician's electronic one.
    assert body.lower().count("signature") == body.count("Electronic signature") == 1
    assert "the patient declined treatment" in body
    store.close()


def test_the_stores_sheet_uses_the_clinics_minimum_age_and_texts(tmp_path):
    store, desk, doc = setup(tmp_path, minimum_age=21, witness_line=True)
    twenty = TODAY.replace(year=TODAY.year - 20) if not (TODAY.month == 2 and TODAY.day == 29) else TODAY
    data = screening_file(patient={"name": "Ann Lee", "date_of_birth": twenty.isoformat()})
    data["review"] = {"clinician": "x", "reviewed_at": f"{TODAY.isoformat()}T10:30",
                      "decisions": {"patient_is_minor": {"decision": "proceed", "reason": "Father present."}}}
    rec = finish(store, desk, doc, data)
    assert rec.sheet_kind == "consent"
    assert [f["question"] for f in rec.result["findings"]] == ["patient_is_minor"]
    body = text(rec)
    assert "Signature of parent or legal representative" in body and "Witness signature" in body
    assert "It costs $950 a visit." in body and "Call Riverside Skin at (217) 555-0147" in body
    store.close()


def test_clinic_settings_are_declared_once_with_bounds_and_labels():
    from dataclasses import fields

    from screening_app.records.settings import SETTINGS
    assert [f.name for f in fields(ClinicSettings)] == [s.name for s in SETTINGS]
    assert all(s.label for s in SETTINGS)
    assert ClinicSettings().minimum_age == 18 and ClinicSettings().witness_line is False
    settings, problems = ClinicSettings.checked({"minimum_age": 16, "witness_line": "yes",
                                                 "clinic_costs_text": "x" * 3000, "interpreter_line": True,
                                                 "clinic_injury_text": "  We pay.  "})
    assert problems == ["clinic_costs_text: longer than 2000 characters, default used",
                        "minimum_age: must be 18 to 21, default used", "witness_line: wrong type, default used"]
    assert settings.interpreter_line is True and settings.clinic_injury_text == "We pay." and settings.minimum_age == 18
    # what the app must have before it prints a patient sheet
    assert ClinicSettings().missing_to_print() == ["clinic_name", "clinic_phone"]
    assert ClinicSettings(clinic_name="R", clinic_phone="1").missing_to_print() == []
