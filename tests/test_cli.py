"""Ensure the `screen` and `questions` commands keep contract.md, run as a user would run them."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from screening_app.cli import main
from conftest import all_answers, screening_file

ROOT = Path(__file__).resolve().parent.parent


def run(*args, stdin=None):
    """Runs the real command in a new process, as an integrator would."""
    env = dict(os.environ, PYTHONIOENCODING="ascii")  # a hostile console: names must still print
    return subprocess.run([sys.executable, "-m", "screening_app", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=env, timeout=60)


def test_screen_json_prints_one_object_with_the_contract_keys(write_screening):
    path = write_screening(screening_file(answers=all_answers(cancer_history="dont_know")))
    proc = run("screen", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert list(out) == ["outcome", "findings", "advice", "product", "questionnaire_version", "rules_version"]
    assert out["outcome"] == "clinician_review"
    assert out["findings"][0]["question"] == "cancer_history"
    assert set(out["findings"][0]) == {"question", "answer", "outcome", "reason", "source"}
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
    assert data["questionnaire_version"] == "1.0.0"
    assert data["questions"][0] == {
        "id": "active_malignancy",
        "text": "Do you have cancer now, or are you being treated or tested for cancer?",
        "required": True}
    assert len(data["questions"]) == 11


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
