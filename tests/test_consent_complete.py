"""Ensure the consent says everything 21 CFR 50.25/50.27 asks of it, that a minor's consent is given by a
parent or legal representative with the patient's assent, and that the signature block never leaves
the statement it signs."""
import datetime as dt
import io
import json
import re

import pytest
from conftest import TODAY, all_answers, screening_file
from pypdf import PdfReader

from screening_app.screening import read_screening, screen
from screening_app.screening.consent import Declined, SheetKind, sheet_kind
from screening_app.screening.model import age_on
from screening_app.sheets import Clinic, build_sheet

CLINIC = Clinic("Riverside Skin & Wellness", "12 Main St, Springfield", "(217) 555-0147",
                rights_contact="Call the Western Review Board at 1-800-555-0199 about your rights.",
                injury_text="If you are hurt, we treat you at no cost to you.",
                costs_text="This treatment costs $1,200. Your insurance will not pay for it.")
REVIEW_MINOR = {"clinician": "Dr. Maya Chen", "reviewed_at": f"{TODAY.isoformat()}T10:30",
                "decisions": {"patient_is_minor": {"decision": "proceed", "reason": "Mother present; Mia agrees."}}}


def years_ago(years: int, days: int = 0) -> str:
    return (TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=days)).isoformat() \
        if not (TODAY.month == 2 and TODAY.day == 29) else dt.date(TODAY.year - years, 2, 28).isoformat()


def make(clinic=CLINIC, minimum_age=18, **overrides):
    s = read_screening(json.dumps(screening_file(**overrides)))
    result = screen(s, minimum_age=minimum_age)
    return s, result, build_sheet(s, result, clinic=clinic)


def pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def flat(pdf: bytes) -> str:
    return " ".join(pages(pdf))


# --- who can consent -------------------------------------------------------------------------

def test_a_minor_gets_a_clinician_review_finding_from_the_core():
    _, result, _ = make(patient={"name": "Mia Lopez", "date_of_birth": years_ago(7)})
    minor = [f for f in result.findings if f.question == "patient_is_minor"]
    assert result.outcome.value == "clinician_review" and len(minor) == 1
    assert minor[0].reason.startswith("The patient is a minor: 7 years old")
    assert {r.id for r in minor[0].references} == {"cfr-21-50-55", "cfr-21-50-25"}
    assert sheet_kind(result) is SheetKind.AWAITING_REVIEW  # nothing to sign before a clinician looks


def test_age_is_counted_on_the_day_the_consent_is_signed_against_the_clinics_minimum():
    turns_18_tomorrow = years_ago(18, days=-1)
    _, result, _ = make(patient={"name": "Ann", "date_of_birth": turns_18_tomorrow})
    assert [f.question for f in result.findings] == ["patient_is_minor"]
    later = (TODAY + dt.timedelta(days=3)).isoformat()
    _, result, _ = make(patient={"name": "Ann", "date_of_birth": turns_18_tomorrow},
                        treatment={"route": "topical", "date": later})
    # 18 by the treatment day, but the consent is signed today: still a minor today.
    assert [f.question for f in result.findings] == ["patient_is_minor"]
    _, result, _ = make(patient={"name": "Ann", "date_of_birth": years_ago(19)}, minimum_age=21)
    assert [f.question for f in result.findings] == ["patient_is_minor"]
    assert "minimum age of 21" in result.findings[0].reason
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18


def test_the_minors_consent_is_given_by_the_representative_with_the_patients_assent():
    _, result, pdf = make(patient={"name": "Mia Lopez", "date_of_birth": years_ago(7)},
                          representative={"name": "Rosa Lopez", "relationship": "mother"}, review=REVIEW_MINOR)
    assert sheet_kind(result, read_screening(json.dumps(screening_file(review=REVIEW_MINOR))).review) \
        is not SheetKind.DO_NOT_TREAT
    text = flat(pdf)
    for must in ["Parent or legal representative Rosa Lopez (mother)",
                 "I am the parent of this patient, or the law lets me act for them",
                 "I give my permission for the patient to have this treatment",
                 "Signature of parent or legal representative", "Printed name: Rosa Lopez",
                 "Relationship to the patient: mother", "The patient's own agreement (assent)",
                 "I agree to have it", "Patient signature (assent)", "Printed name: Mia Lopez",
                 "Clinician signature", "The patient is a minor"]:
        assert must in text, must
    assert "I agree to have this treatment." not in text  # the adult's own consent is not offered


def test_a_minor_without_a_named_representative_still_gets_lines_to_fill_in():
    _, _, pdf = make(patient={"name": "Mia Lopez", "date_of_birth": years_ago(7)}, review=REVIEW_MINOR)
    text = flat(pdf)
    assert "Signature of parent or legal representative" in text and "Relationship to the patient:" in text


@pytest.mark.parametrize("signing,clinic,expected", [
    ({}, CLINIC, set()),
    ({"witness": True}, CLINIC, {"Witness signature"}),
    ({"interpreter": True}, CLINIC, {"Interpreter signature", "Language:"}),
    ({}, Clinic("R", "", "1", witness_line=True, interpreter_line=True),
     {"Witness signature", "Interpreter signature"}),
])
def test_witness_and_interpreter_lines_when_asked_for(signing, clinic, expected):
    _, _, pdf = make(clinic=clinic, signing=signing)
    text = flat(pdf)
    for label in ("Witness signature", "Interpreter signature"):
        assert (label in text) == (label in expected), label


# --- the consent completed ---------------------------------------------------------------------

def test_each_consent_element_is_printed():
    _, _, pdf = make()
    text = flat(pdf)
    for element, must in {
        "investigational, under an IND": "part of a clinical investigation. That is a study that the FDA "
                                         "regulates. It is given under an Investigational New Drug application (IND)",
        "the IND number": "The IND number is IND 12345",
        "FDA may inspect records": "The FDA may inspect your records",
        "injury (clinic text)": "If you are hurt or injured If you are hurt, we treat you at no cost to you.",
        "costs (clinic text)": "This treatment costs $1,200.",
        "rights contact (clinic text)": "Western Review Board at 1-800-555-0199",
        "not approved": "No exosome product is approved",
        "risks": "Cancer growth", "procedure risks": "Risks of putting it on your skin",
        "benefits without promises": "We cannot promise", "alternatives": "You can choose no treatment",
        "voluntary": "You can stop at any time", "what to watch for": "fever",
        "reporting": "MedWatch", "confidentiality": "medical record",
        "whom to call": "Call Riverside Skin & Wellness at (217) 555-0147",
        "completed by": "Form completed by (front desk)", "reviewed by": "Form reviewed by (clinician)",
        "signature and date": "Patient signature", "copy": "You will get a copy",
        "sources": "Where these facts come from",
    }.items():
        assert must in text, element


def test_clinic_texts_not_set_say_so_and_invent_nothing():
    _, _, pdf = make(clinic=Clinic("Riverside", "", "555-0100"))
    text = flat(pdf)
    assert text.count("(For the clinic: add this text in Settings.)") == 3
    assert "$" not in text


def test_ind_number_prints_as_the_lot_gives_it():
    product = screening_file()["product"] | {"ind_number": "IND 0654321"}
    _, _, pdf = make(product=product)
    assert "The IND number is IND 0654321" in flat(pdf) and "IND number IND 0654321" in flat(pdf)


def test_without_an_ind_number_the_sheet_says_to_ask_for_it():
    product = screening_file()["product"]
    del product["ind_number"]
    _, _, pdf = make(product=product, answers=all_answers(cancer_history="dont_know"))
    assert "Ask us for the IND number" in flat(pdf)


@pytest.mark.parametrize("treatment,procedure,heading,must", [
    ({"route": "topical"}, None, "Risks of putting it on your skin", "Nothing breaks your skin"),
    ({"route": "topical"}, "microneedling", "Risks of microneedling", "granulomas"),
    ({"route": "topical"}, "laser", "Risks of laser treatment", "cold sore"),
    ({"route": "injection"}, None, "Risks of a shot", "Infection where the needle goes in"),
    ({"route": "intravenous"}, None, "Risks of a drip into a vein (IV)", "A reaction while the drip runs"),
])
def test_procedure_risks_follow_route_and_procedure(treatment, procedure, heading, must):
    s = read_screening(json.dumps(screening_file(treatment=treatment)))
    if procedure is not None:  # treatment.procedure of the screening file, however intake carries it
        import dataclasses
        import types
        t = s.treatment
        s = dataclasses.replace(s, treatment=types.SimpleNamespace(route=t.route, date=t.date, area=t.area,
                                                                   procedure=procedure))
    text = flat(build_sheet(s, screen(s), clinic=CLINIC))
    assert heading in text and must in text
    others = {"Risks of putting it on your skin", "Risks of microneedling", "Risks of laser treatment",
              "Risks of a shot", "Risks of a drip into a vein (IV)"} - {heading}
    assert not any(o in text for o in others)


def test_initials_line_on_every_page_of_a_consent_only():
    _, _, pdf = make()
    assert all("Patient's initials:" in p for p in pages(pdf))
    _, _, dnt = make(answers=all_answers(active_malignancy="yes"))
    assert not any("initials" in p for p in pages(dnt))


def _signature_pages(pdf):
    return [i for i, p in enumerate(pages(pdf)) if "Patient signature" in p or "Signature of parent" in p]


@pytest.mark.parametrize("overrides", [
    {},
    {"patient": {"name": "Mia Lopez", "date_of_birth": years_ago(7)},
     "representative": {"name": "Rosa Lopez", "relationship": "mother"}, "review": REVIEW_MINOR,
     "signing": {"witness": True, "interpreter": True}},
    {"follow_ups": {"blood_donation": {"details": "w " * 700}}, "answers": all_answers(blood_donation="yes")},
    {"follow_ups": {"blood_donation": {"details": "w " * 400}}, "answers": all_answers(blood_donation="yes")},
    {"follow_ups": {"blood_donation": {"details": "w " * 200}}, "answers": all_answers(blood_donation="yes")},
], ids=["adult", "minor-with-witness-and-interpreter", "long-1", "long-2", "long-3"])
def test_signature_lines_share_their_page_with_the_consent_statement(overrides):
    _, _, pdf = make(**overrides)
    texts = pages(pdf)
    holding = _signature_pages(pdf)
    assert len(holding) == 1
    page = texts[holding[0]]
    assert "Your consent" in page and ("I agree to have this treatment" in page or "I give my permission" in page)
    assert "Clinician signature" in page
    # and never alone on the last page: something of the sheet follows the signatures
    assert holding[0] < len(texts) - 1 or "Where these facts come from" in page


# --- the patient declined ----------------------------------------------------------------------

def test_a_declined_consent_records_what_was_read_and_has_nothing_to_sign():
    declined = {"recorded_by": "Ann Desk", "recorded_at": f"{TODAY.isoformat()}T10:45", "note": "Wants to think."}
    s, result, pdf = make(declined=declined)
    assert sheet_kind(result, None, s.declined) is SheetKind.DECLINED
    text = flat(pdf)
    for must in ["You chose not to have exosome treatment", f"Recorded by Ann Desk on {TODAY.isoformat()} 10:45",
                 "Wants to think.", "The form you read", "The IND number is IND 12345", "Cancer growth",
                 "Where these facts come from"]:
        assert must in text, must
    assert "signature" not in text.lower() and "I agree" not in text
    assert PdfReader(io.BytesIO(pdf)).metadata["/Subject"] == "declined"


def test_only_a_consent_can_be_declined():
    declined = Declined("Ann Desk", dt.datetime(2026, 11, 22, 10, 45))
    s, result, _ = make(answers=all_answers(active_malignancy="yes"))
    assert sheet_kind(result, None, declined) is SheetKind.DO_NOT_TREAT
    s, result, _ = make(answers=all_answers(cancer_history="dont_know"))
    assert sheet_kind(result, None, declined) is SheetKind.AWAITING_REVIEW


# --- a clinic to call --------------------------------------------------------------------------

@pytest.mark.parametrize("overrides", [
    {}, {"answers": all_answers(active_malignancy="yes")}, {"answers": all_answers(cancer_history="dont_know")},
    {"answers": all_answers(cancer_history="yes"), "review": {
        "clinician": "Dr. X", "reviewed_at": "2026-11-22T10:30",
        "decisions": {"cancer_history": {"decision": "defer", "reason": "Ask your oncologist."}}}},
    {"declined": {"recorded_by": "Ann", "recorded_at": "2026-11-22T10:45"}},
], ids=["consent", "do-not-treat", "awaiting-review", "deferred", "declined"])
def test_clinic_name_and_phone_on_every_sheet(overrides):
    _, _, pdf = make(**overrides)
    text = flat(pdf)
    assert "Call Riverside Skin & Wellness at (217) 555-0147" in text
    for page in pages(pdf):  # and on every page, so a loose page still says whom to call
        assert "Riverside Skin & Wellness" in page and "(217) 555-0147" in page


@pytest.mark.parametrize("overrides", [
    {"patient": {"name": "Mia Lopez", "date_of_birth": years_ago(7)},
     "representative": {"name": "Rosa Lopez", "relationship": "mother"}, "review": REVIEW_MINOR,
     "signing": {"witness": True, "interpreter": True}},
    {"declined": {"recorded_by": "Ann", "recorded_at": "2026-11-22T10:45"}},
    {"treatment": {"route": "intravenous"}},
], ids=["minor-consent", "declined", "iv-consent"])
def test_new_sheets_read_at_grade_8_or_lower(overrides):
    from test_sheets import fk_grade  # textstat's Flesch-Kincaid, as the readability test measures
    _, _, pdf = make(**overrides)
    assert fk_grade("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)) <= 8.0


def test_a_declined_record_exports_as_a_rejected_fhir_consent():
    from screening_app.records.export import fhir_bundle
    from screening_app.records.store import FinishedRecord
    s, result, pdf = make(declined={"recorded_by": "Ann", "recorded_at": "2026-11-22T10:45"})
    data = screening_file(declined={"recorded_by": "Ann", "recorded_at": "2026-11-22T10:45"})
    record = FinishedRecord("s1", "2026-11-22T10:50:00+00:00", "Dr. Maya Chen", data, result.to_json(),
                            "declined", "1.0.0", "1.0.0", "1.0.0", "EV-2291", True, pdf, "x", None)
    consent = fhir_bundle(record)["entry"][-1]["resource"]
    assert consent["resourceType"] == "Consent" and consent["status"] == "rejected"
    assert consent["provision"] == {"type": "deny"}
