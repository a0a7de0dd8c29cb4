"""Ensure `screen` keeps the consent promises through its own door: no sheet without a clinic to call,
the minor's review and consent, the declined record, and sources in --json."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TODAY, all_answers, screening_file
from pypdf import PdfReader

from screening_app.cli import main

ROOT = Path(__file__).resolve().parent.parent
CLINIC = {"name": "Clínica Sol & Mar", "address": "1 Beach Rd", "phone": "555-0100",
          "rights_contact": "Call our review board at 555-0199.", "injury_text": "We pay for care of any injury.",
          "costs_text": "The treatment costs $900."}


def run(*args):
    return subprocess.run([sys.executable, "-m", "screening_app", *args], capture_output=True, cwd=ROOT,
                          env=dict(os.environ), timeout=60)


def text_of(path) -> str:
    return " ".join(p.extract_text() for p in PdfReader(str(path)).pages)


@pytest.mark.parametrize("clinic,missing", [
    (None, ["clinic.name", "clinic.phone"]),
    ({"name": "Riverside"}, ["clinic.phone"]),
    ({"phone": "555-0100", "address": "1 Main St"}, ["clinic.name"]),
    ({"name": " ", "phone": "555-0100"}, ["clinic.name"]),
])
def test_pdf_is_refused_without_a_clinic_name_and_phone(write_screening, tmp_path, clinic, missing):
    data = screening_file() if clinic is None else screening_file(clinic=clinic)
    out = tmp_path / "sheet.pdf"
    proc = run("screen", str(write_screening(data)), "--pdf", str(out))
    assert proc.returncode == 2 and proc.stdout == b""
    err = proc.stderr.decode()
    assert [line.split(":")[0] for line in err.splitlines()] == missing
    assert "whom to call" in err and "Traceback" not in err
    assert not out.exists()


def test_screening_without_pdf_needs_no_clinic(write_screening):
    assert run("screen", str(write_screening(screening_file())), "--json").returncode == 0


def test_the_files_clinic_is_printed_on_the_sheet(write_screening, tmp_path):
    out = tmp_path / "sheet.pdf"
    proc = run("screen", str(write_screening(screening_file(clinic=CLINIC))), "--pdf", str(out))
    assert proc.returncode == 0, proc.stderr
    text = " ".join(text_of(out).split())
    for must in ["Clínica Sol & Mar", "1 Beach Rd", "Call Clínica Sol & Mar at 555-0100", "555-0199",
                 "We pay for care of any injury.", "The treatment costs $900.", "The IND number is IND 12345"]:
        assert must in text, must


def test_workstation_settings_win_over_the_files_clinic(write_screening, tmp_path, private_home):
    from screening_app.records.settings import ClinicSettings
    from screening_app.records.store import Store
    store = Store.open(private_home / "data")
    admin = store.create_first_admin("admin", "Ada Admin", "correct horse battery")
    store.save_settings(admin, ClinicSettings(clinic_name="Riverside Skin", clinic_phone="(217) 555-0147",
                                              minimum_age=21, witness_line=True))
    store.close()
    out = tmp_path / "sheet.pdf"
    young = screening_file(clinic=CLINIC, patient={"name": "Ann", "date_of_birth": f"{TODAY.year - 20}-01-01"})
    proc = run("screen", str(write_screening(young)), "--json", "--pdf", str(out))
    assert proc.returncode == 0, proc.stderr
    text = text_of(out)
    assert "Riverside Skin" in text and "Clínica" not in text
    # the clinic's minimum age of 21 makes a 20-year-old a minor, through this door as well
    assert [f["question"] for f in json.loads(proc.stdout)["findings"]] == ["patient_is_minor"]


def test_a_minor_needs_review_then_gets_the_representatives_consent(write_screening, tmp_path, capsys):
    minor = screening_file(clinic=CLINIC, patient={"name": "Mia Lopez", "date_of_birth": f"{TODAY.year - 7}-01-01"},
                           representative={"name": "Rosa Lopez", "relationship": "mother"})
    assert main(["screen", str(write_screening(minor)), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "clinician_review"
    assert out["findings"][0]["question"] == "patient_is_minor"
    assert out["findings"][0]["reason"].startswith("The patient is a minor")
    assert [r["id"] for r in out["findings"][0]["references"]] == ["cfr-21-50-55", "cfr-21-50-25"]

    minor["review"] = {"clinician": "Dr. Maya Chen", "reviewed_at": f"{TODAY.isoformat()}T10:30",
                       "decisions": {"patient_is_minor": {"decision": "proceed", "reason": "Mother present."}}}
    pdf = tmp_path / "minor.pdf"
    assert main(["screen", str(write_screening(minor)), "--pdf", str(pdf)]) == 0
    text = " ".join(text_of(pdf).split())
    assert "Signature of parent or legal representative" in text and "Printed name: Rosa Lopez" in text
    assert "Patient signature (assent)" in text and "Relationship to the patient: mother" in text


def test_summary_names_the_check_and_links_the_sources(write_screening, capsys):
    minor = screening_file(patient={"name": "Mia", "date_of_birth": f"{TODAY.year - 7}-01-01"})
    assert main(["screen", str(write_screening(minor))]) == 0
    out = capsys.readouterr().out
    assert "[Clinician review needed] patient_is_minor\n" in out and "About: The patient is a minor" in out
    assert "Look up: https://www.accessdata.fda.gov/" in out


@pytest.mark.parametrize("section,expected", [
    ({"representative": {"name": "Rosa"}}, "representative.relationship: missing"),
    ({"representative": "Rosa"}, "representative: must be an object"),
    ({"clinic": {"name": "R", "fax": "1"}}, "clinic.fax: unknown field"),
    ({"signing": {"witness": "yes"}}, "signing.witness: must be true or false"),
    ({"declined": {"recorded_by": "Ann"}}, "declined.recorded_at: missing"),
])
def test_new_sections_are_checked(write_screening, capsys, section, expected):
    assert main(["screen", str(write_screening(screening_file(**section)))]) == 2
    assert expected in capsys.readouterr().err


def test_declined_consent_prints_the_declined_record(write_screening, tmp_path):
    data = screening_file(clinic=CLINIC, declined={"recorded_by": "Ann Desk", "recorded_at": "2026-11-22T10:45"})
    out = tmp_path / "declined.pdf"
    assert main(["screen", str(write_screening(data)), "--pdf", str(out)]) == 0
    text = text_of(out)
    assert "You chose not to have exosome treatment" in text and "ignature" not in text


def test_a_do_not_treat_cannot_be_declined(write_screening, tmp_path, capsys):
    data = screening_file(clinic=CLINIC, answers=all_answers(active_malignancy="yes"),
                          declined={"recorded_by": "Ann Desk", "recorded_at": "2026-11-22T10:45"})
    out = tmp_path / "x.pdf"
    assert main(["screen", str(write_screening(data)), "--pdf", str(out)]) == 2
    assert "declined: only a consent that was offered can be declined" in capsys.readouterr().err
    assert not out.exists()
