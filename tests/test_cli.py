"""Ensure the `screen` and `questions` commands keep contract.md, run as a user would run them."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GOOD_PRODUCT, all_answers, screening_file

from screening_app.cli import main
from screening_app.screening import default_content, load_content

ROOT = Path(__file__).resolve().parent.parent
# A patient sheet needs a clinic to call: a file's clinic section stands in for the settings.
CLINIC = {"name": "Riverside Skin & Wellness", "phone": "(217) 555-0147"}


def run(*args, stdin=None, password=None):
    """Runs the real command in a new process, as an integrator would."""
    env = dict(os.environ, PYTHONIOENCODING="ascii")  # a hostile console: names must still print
    env.pop("SCREENING_APP_PASSWORD", None)
    if password is not None:
        env["SCREENING_APP_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "screening_app", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=env, timeout=60)


def test_screen_json_prints_one_object_with_the_contract_keys(write_screening):
    path = write_screening(screening_file(answers=all_answers(cancer_history="dont_know")))
    proc = run("screen", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # Second edition adds sheet_kind (contract.md); the first edition's keys keep their order.
    assert list(out) == ["outcome", "findings", "advice", "product", "questionnaire_version", "rules_version",
                         "sheet_kind"]
    assert out["outcome"] == "clinician_review" and out["sheet_kind"] == "awaiting_review"
    assert out["findings"][0]["question"] == "cancer_history"
    assert set(out["findings"][0]) == {"question", "answer", "outcome", "reason", "source", "references"}
    assert out["advice"][0]["topic"] == "blood_donation"
    assert out["product"] == {"status": "verified", "problems": []}
    assert proc.stderr == b""


def test_screen_reads_standard_input():
    proc = run("screen", "-", "--json", stdin=json.dumps(screening_file()).encode())
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["outcome"] == "no_contraindication_found"


def test_product_key_is_absent_without_a_product(write_screening, capsys):
    data = screening_file()
    del data["product"]
    assert main(["screen", str(write_screening(data)), "--json"]) == 0
    assert "product" not in json.loads(capsys.readouterr().out)


def test_human_summary_names_outcome_findings_reasons_and_patient(write_screening, capsys):
    path = write_screening(screening_file(answers=all_answers(active_malignancy="yes")))
    assert main(["screen", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Outcome: DO NOT TREAT")
    assert "Zoë Ångström" in out and "active_malignancy: Yes" in out
    assert "Why: Active, treated or suspected cancer" in out and "Source:" in out
    assert "No consent may be signed" in out


def test_do_not_treat_still_exits_zero(write_screening):
    path = write_screening(screening_file(treatment={"route": "intravenous"},
                                          answers=all_answers(cancer_history="yes")))
    proc = run("screen", str(path), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["outcome"] == "do_not_treat"


@pytest.mark.parametrize("content,expected", [
    ("not json", "screening file: not valid JSON"),
    ("", "screening file: empty"),
    (json.dumps(screening_file(answers={})), "answers.cancer_history: missing"),
    (json.dumps(screening_file(patient={"name": "x" * 5000, "date_of_birth": "1990-01-01"})),
     "patient.name: too long"),
    (json.dumps(screening_file(patient={"name": "Ann", "date_of_birth": "1990-02-31"})),
     "patient.date_of_birth: '1990-02-31' is not a real date"),
    (json.dumps(screening_file(answers=all_answers(cancer_histroy="no"))), "answers.cancer_histroy:"),
])
def test_refusals_exit_2_with_field_lines_and_no_traceback(write_screening, tmp_path, content, expected):
    path = write_screening(content)
    out_pdf = tmp_path / "out.pdf"
    proc = run("screen", str(path), "--json", "--pdf", str(out_pdf))
    assert proc.returncode == 2
    assert proc.stdout == b""
    err = proc.stderr.decode()
    assert expected in err and "Traceback" not in err
    assert all(":" in line for line in err.splitlines())
    assert not out_pdf.exists()


def test_missing_file_and_folder_are_refused(tmp_path):
    for target, words in ((tmp_path / "nope.json", "no such file"), (tmp_path, "is a folder")):
        proc = run("screen", str(target))
        assert proc.returncode == 2 and words in proc.stderr.decode()


def test_pdf_into_missing_folder_is_refused_before_anything_is_written(write_screening, tmp_path):
    proc = run("screen", str(write_screening(screening_file())), "--pdf", str(tmp_path / "no" / "x.pdf"))
    assert proc.returncode == 2 and "--pdf: the folder" in proc.stderr.decode()


def test_usage_errors_exit_2():
    assert run("screen").returncode == 2
    assert run("frobnicate").returncode == 2
    assert b"Traceback" not in run("frobnicate").stderr


def test_questions_json_lists_every_question():
    proc = run("questions", "--json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["questionnaire_version"] == default_content().questionnaire_version
    assert data["questions"][0] == {
        "id": "active_malignancy",
        "text": "Do you have cancer now, or are you being treated or tested for cancer?",
        "required": True}
    assert len(data["questions"]) == len(load_content().questions)


def test_questions_output_builds_a_complete_screening_file(write_screening, capsys):
    assert main(["questions", "--json"]) == 0
    questions = json.loads(capsys.readouterr().out)["questions"]
    data = screening_file(answers={q["id"]: "no" for q in questions if q["required"]})
    assert main(["screen", str(write_screening(data)), "--json"]) == 0


def test_questions_plain_text():
    proc = run("questions")
    assert proc.returncode == 0
    assert b"1. active_malignancy (required)" in proc.stdout


def test_broken_resources_exit_1_with_a_message_not_a_traceback(tmp_path, write_screening):
    env = dict(os.environ, SCREENING_APP_RESOURCES=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "screening_app", "screen", str(write_screening(screening_file()))],
                          capture_output=True, cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == 1
    assert b"questionnaire.toml: file not found" in proc.stderr and b"Traceback" not in proc.stderr


def pdf_text(path) -> str:
    from pypdf import PdfReader
    return " ".join(p.extract_text() for p in PdfReader(str(path)).pages)


def seeded_store(home):
    from screening_app.records.settings import ClinicSettings
    from screening_app.records.store import Store
    store = Store.open(home / "data")
    admin = store.create_first_admin("admin", "Ada Admin", "correct horse battery")
    store.save_settings(admin, ClinicSettings(clinic_name="Clínica Sol & Mar", clinic_phone="555-0100",
                                              blood_donation_waiting_period="Our clinic asks you to wait 12 months."))
    return store, admin


def test_pdf_is_written_with_the_clinic_header_from_the_store(write_screening, tmp_path, private_home):
    seeded_store(private_home)[0].close()
    out = tmp_path / "sheet.pdf"
    proc = subprocess.run([sys.executable, "-m", "screening_app", "screen", str(write_screening(screening_file())),
                           "--json", "--pdf", str(out)], capture_output=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "12 months" in json.loads(proc.stdout)["advice"][0]["text"]
    text = pdf_text(out)
    assert "Clínica Sol & Mar" in text and "risks and consent" in text and "12 months" in text


def test_audit_verify_command(private_home):
    store, _ = seeded_store(private_home)
    store.close()
    proc = run("audit", "verify", "--user", "admin", password="correct horse battery")
    assert proc.returncode == 0 and b"audit trail verified" in proc.stdout
    import sqlite3
    db = sqlite3.connect(private_home / "data" / "screenings.sqlite3")
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("UPDATE audit SET action='nothing' WHERE seq=1")
    db.commit()
    db.close()
    proc = run("audit", "verify", "--user", "admin", password="correct horse battery")
    assert proc.returncode == 1 and b"AUDIT TRAIL BROKEN: entry 1" in proc.stdout


def test_audit_and_export_without_a_store_are_refused():
    assert run("audit", "verify", "--user", "admin", password="correct horse battery").returncode == 2
    assert run("export", "--csv", "--user", "admin", password="correct horse battery").returncode == 2


def test_export_csv_and_fhir(private_home):
    from screening_app.casework import Draft
    store, admin = seeded_store(private_home)
    doc = store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", "correct horse battery")
    # With a verified lot since issue 11: without one the store records no consent to export.
    d = Draft(name="=HYPERLINK(\"x\")", date_of_birth="1980-04-02", route="topical", answers=all_answers(),
              product=dict(GOOD_PRODUCT))
    row = store.new_draft(doc, d.to_json())
    claimed = store.claim(doc, row.id)
    store.finish(doc, row.id, version=claimed.row_version, screening_file=d.to_screening_file(), sheet_version="1.0.0")
    store.close()
    csv_out = run("export", "--csv", "--user", "chen", password="correct horse battery")
    assert csv_out.returncode == 0
    assert b"'=HYPERLINK" in csv_out.stdout and csv_out.stdout.startswith(b"id,status,patient_name")
    fhir = run("export", "--fhir", row.id, "--user", "chen", password="correct horse battery")
    bundle = json.loads(fhir.stdout)
    by_kind = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    assert {"Patient", "Organization", "Questionnaire", "QuestionnaireResponse", "Observation",
            "Consent"} <= set(by_kind)
    response = by_kind["QuestionnaireResponse"]
    assert response["item"][0]["linkId"] == "active_malignancy"  # questionnaire order, not alphabetical
    assert response["item"][0]["answer"][0]["valueCoding"]["code"] == "N"
    assert by_kind["Consent"]["sourceAttachment"]["contentType"] == "application/pdf"
    assert by_kind["Organization"]["name"] == "Clínica Sol & Mar"
    assert run("export", "--fhir", "no-such-id", "--user", "chen", password="correct horse battery").returncode == 2


def test_pdf_for_do_not_treat_is_the_do_not_treat_sheet(write_screening, tmp_path):
    out = tmp_path / "dnt.pdf"
    path = write_screening(screening_file(answers=all_answers(active_malignancy="yes"), clinic=CLINIC))
    assert main(["screen", str(path), "--pdf", str(out)]) == 0
    text = pdf_text(out)
    assert "We cannot give you exosome treatment today" in text and "ignature" not in text


def test_review_in_the_file_turns_clinician_review_into_a_consent(write_screening, tmp_path):
    out = tmp_path / "reviewed.pdf"
    data = screening_file(answers=all_answers(cancer_history="yes"), clinic=CLINIC, review={
        "clinician": "Dr. Maya Chen", "reviewed_at": "2026-11-22T10:30",
        "decisions": {"cancer_history": {"decision": "proceed", "reason": "Skin cancer removed 2012."}}})
    assert main(["screen", str(write_screening(data)), "--pdf", str(out)]) == 0
    text = pdf_text(out)
    assert "Dr. Maya Chen" in text and "Patient signature" in text


def test_review_that_does_not_fit_the_findings_is_refused(write_screening, tmp_path, capsys):
    out = tmp_path / "x.pdf"
    data = screening_file(answers=all_answers(cancer_history="yes"), review={
        "clinician": "Dr. X", "reviewed_at": "2026-11-22T10:30",
        "decisions": {"cancer_history": {"decision": "proceed"},
                      "blood_donation": {"decision": "proceed", "reason": "x"}}})
    assert main(["screen", str(write_screening(data)), "--pdf", str(out)]) == 2
    err = capsys.readouterr().err
    assert "review.decisions.cancer_history.reason: a reason is needed to proceed" in err
    assert "review.decisions.blood_donation: this answer did not need a clinician's review" in err
    assert not out.exists()


@pytest.mark.parametrize("review,expected", [
    ({"reviewed_at": "2026-11-22T10:30"}, "review.clinician: missing"),
    ({"clinician": "A", "reviewed_at": "yesterday"}, "review.reviewed_at: 'yesterday' is not a date and time"),
    ({"clinician": "A", "reviewed_at": "2026-11-22T10:30", "decisions": {"cancer_history": {"decision": "ok"}}},
     'review.decisions.cancer_history.decision: must be "proceed" or "defer"'),
    ({"clinician": "A", "reviewed_at": "2026-11-22T10:30", "decisions": {"nope": {"decision": "defer"}}},
     "review.decisions.nope: not a question in the questionnaire"),
])
def test_malformed_reviews_are_refused(write_screening, capsys, review, expected):
    assert main(["screen", str(write_screening(screening_file(review=review)))]) == 2
    assert expected in capsys.readouterr().err


def test_database_url_option_picks_the_store(tmp_path):
    from screening_app.records.store import Store
    store = Store.open(tmp_path / "elsewhere")
    store.create_first_admin("admin", "Ada Admin", "correct horse battery")
    store.close()
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'screenings.sqlite3'}"
    proc = run("--database-url", url, "audit", "verify", "--user", "admin", password="correct horse battery")
    # staff_created, signing_key_registered, and the command's own sign-in
    assert proc.returncode == 0 and b"3 entries" in proc.stdout
    assert run("audit", "verify", "--user", "admin", password="correct horse battery").returncode == 2  # no store
