"""Ensure every kind of bad screening file is refused with one line per problem, naming the field."""
import datetime as dt
import json

import pytest
from conftest import TODAY, all_answers, screening_file

from screening_app.screening import InputRefused, default_content, load_content, parse_screening, read_screening
from screening_app.screening.model import Answer, Route


def refusal(data) -> list[str]:
    raw = data if isinstance(data, (str, bytes)) else json.dumps(data)
    with pytest.raises(InputRefused) as exc:
        read_screening(raw)
    return exc.value.problems


def with_patient(**fields):
    patient = {"name": "Ana", "date_of_birth": "1980-04-02"}
    patient.update(fields)
    return screening_file(patient={k: v for k, v in patient.items() if v is not ...})


def test_valid_file_is_read():
    s = read_screening(json.dumps(screening_file()))
    assert s.patient.name == "Zoë Ångström"
    assert s.patient.date_of_birth == dt.date(1980, 4, 2)
    assert s.treatment.route is Route.TOPICAL
    assert s.answers["cancer_history"] is Answer.NO


def test_treatment_date_defaults_to_today_and_area_is_optional():
    s = read_screening(json.dumps(screening_file(treatment={"route": "injection"})))
    assert s.treatment.date == TODAY and s.treatment.area is None


@pytest.mark.parametrize("raw,expected", [
    ("", "screening file: empty"),
    ("   \n", "screening file: empty"),
    ("{not json", "screening file: not valid JSON"),
    ("[1, 2]", "screening file: must be a JSON object"),
    ('"text"', "screening file: must be a JSON object"),
    (b"\xff\xfe{", "screening file: not UTF-8 text"),
    ('{"patient": {}, "patient": {}}', "screening file: the key 'patient' appears twice"),
    ("[" * 100000 + "]" * 100000, "screening file: nested too deeply"),
])
def test_unreadable_files(raw, expected):
    problems = refusal(raw)
    assert len(problems) == 1 and problems[0].startswith(expected)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_naming_their_field(constant):
    # Changed with issue 11: they used to refuse the whole file without saying where they were.
    raw = json.dumps(screening_file()).replace('"storage_c": -80', f'"storage_c": {constant}')
    raw = raw.replace('"blood_donation": "no"', f'"blood_donation": {constant}')
    problems = refusal(raw)
    assert f"product.storage_c: must be a finite number, not {constant}" in problems
    assert f'answers.blood_donation: must be "yes", "no" or "dont_know", not {constant}' in problems


def test_huge_file_is_refused_before_parsing():
    (problem,) = refusal(b" " * (3 * 1024 * 1024))
    assert "larger than" in problem


def test_duplicate_answer_cannot_hide_a_yes():
    raw = '{"answers": {"active_malignancy": "yes", "active_malignancy": "no"}}'
    assert "appears twice" in refusal(raw)[0]


def test_missing_sections_are_each_named():
    assert refusal({}) == ["patient: missing", "treatment: missing", "answers: missing"]


def test_wrong_section_types():
    problems = refusal({"patient": [], "treatment": "topical", "answers": ["yes"], "product": 5})
    assert problems == ["patient: must be an object", "treatment: must be an object",
                        "answers: must be an object", "product: must be an object"]


def test_unknown_fields_are_refused_not_ignored():
    problems = refusal(screening_file(extra=1, patient={"name": "A", "date_of_birth": "1980-01-01",
                                                        "dob": "1980-01-01"}))
    assert "extra: unknown field" in problems
    assert "patient.dob: unknown field" in problems


@pytest.mark.parametrize("name,expected", [
    (..., "patient.name: missing"),
    ("", "patient.name: empty"),
    ("   ", "patient.name: empty"),
    (42, "patient.name: must be text, not a number"),
    (None, "patient.name: missing"),
    ("x" * 5000, "patient.name: too long (5000 characters; at most 200)"),
    ("Ana\x00Bell", "patient.name: contains control characters: U+0000"),
])
def test_bad_names(name, expected):
    assert refusal(with_patient(name=name)) == [expected]


@pytest.mark.parametrize("name", ["李雷", "Łukasz Żółć", "Νίκος Παπαδόπουλος", "Олег Иванов",
                                  "O'Brien <script>&amp;", "x" * 200, "محمد"])
def test_names_in_any_script_and_with_markup_are_kept_as_written(name):
    s = read_screening(json.dumps(with_patient(name=name)))
    assert s.patient.name == name


@pytest.mark.parametrize("dob,expected", [
    (..., "patient.date_of_birth: missing"),
    ("2030-02-30", "patient.date_of_birth: '2030-02-30' is not a real date"),
    ("1980-13-01", "patient.date_of_birth: '1980-13-01' is not a real date"),
    ("02/04/1980", "patient.date_of_birth: '02/04/1980' is not a date in the form YYYY-MM-DD"),
    ("19800402", "patient.date_of_birth: '19800402' is not a date in the form YYYY-MM-DD"),
    (19800402, "patient.date_of_birth: must be a date as text (YYYY-MM-DD), not a number"),
    ((TODAY + dt.timedelta(days=1)).isoformat(), "is in the future"),
    ((TODAY.replace(year=TODAY.year - 131)).isoformat(), "is more than 130 years ago"),
])
def test_bad_dates_of_birth(dob, expected):
    (problem,) = refusal(with_patient(date_of_birth=dob))
    assert problem.startswith("patient.date_of_birth:") and expected in problem


def test_leap_day_birth_is_fine():
    assert read_screening(json.dumps(with_patient(date_of_birth="2000-02-29")))


@pytest.mark.parametrize("treatment,expected", [
    ({}, "treatment.route: missing"),
    ({"route": "IV"}, "treatment.route: must be one of topical, injection, intravenous, not 'IV'"),
    ({"route": ["topical"]}, "treatment.route: must be one of"),
    ({"route": "topical", "date": "2026-02-29"}, "treatment.date: '2026-02-29' is not a real date"),
    # Changed with issue 11: a treatment date before today is refused before any other date check.
    ({"route": "topical", "date": "1970-01-01"}, "treatment.date: 1970-01-01 is in the past"),
    ({"route": "topical", "date": (TODAY + dt.timedelta(days=400)).isoformat()}, "is more than a year ahead"),
    ({"route": "topical", "area": "a" * 201}, "treatment.area: too long"),
    ({"route": "topical", "when": "now"}, "treatment.when: unknown field"),
])
def test_bad_treatment(treatment, expected):
    (problem,) = refusal(screening_file(treatment=treatment))
    assert expected in problem


def test_unknown_and_missing_answer_ids_and_bad_values_are_each_named():
    answers = all_answers()
    del answers["cancer_history"]
    answers["cancer_histroy"] = "no"
    answers["active_malignancy"] = "No"
    answers["blood_donation"] = True
    answers["systemic_inflammation"] = None
    problems = refusal(screening_file(answers=answers))
    assert problems == [
        'answers.active_malignancy: must be "yes", "no" or "dont_know", not "No"',
        'answers.systemic_inflammation: must be "yes", "no" or "dont_know", not null',
        'answers.blood_donation: must be "yes", "no" or "dont_know", not true',
        f"answers.cancer_histroy: not a question in questionnaire {default_content().questionnaire_version}",
        "answers.cancer_history: missing",
    ]


def test_every_required_question_must_be_answered():
    problems = refusal(screening_file(answers={}))
    required = [q for q in load_content().questions if q.required]
    assert len(problems) == len(required) and all(p.endswith(": missing") for p in problems)


@pytest.mark.parametrize("product,expected", [
    ({"coa_lot_matches": "true"}, "product.coa_lot_matches: must be true or false, not text"),
    ({"storage_c": "-80"}, "product.storage_c: must be a number, not text"),
    ({"storage_c": True}, "product.storage_c: must be a number, not true/false"),
    ({"freeze_thaw_cycles": 1.5}, "product.freeze_thaw_cycles: must be a whole number (0, 1, 2 ...), not 1.5"),
    ({"markers": "CD9"}, "product.markers: must be a list, not text"),
    ({"markers": ["CD9", 3]}, "product.markers: must be a list of marker names"),
    ({"expiry": "2027-02-30"}, "product.expiry: '2027-02-30' is not a real date"),
    ({"lot": "L" * 300}, "product.lot: too long"),
    ({"batch": "x"}, "product.batch: unknown field"),
])
def test_bad_product_fields(product, expected):
    (problem,) = refusal(screening_file(product=product))
    assert problem.startswith(expected)


def test_product_fields_may_be_missing_or_null():
    s = read_screening(json.dumps(screening_file(product={"lot": "X", "markers": None})))
    assert s.product == {"lot": "X", "markers": None}


def test_follow_ups_are_checked_and_kept():
    s = read_screening(json.dumps(screening_file(follow_ups={"cancer_history": {"details": " Breast, 2015 "}})))
    assert s.follow_ups == {"cancer_history": {"details": "Breast, 2015"}}
    problems = refusal(screening_file(follow_ups={"nope": {}, "cancer_history": {"x": "y"}}))
    assert problems == ["follow_ups.nope: not a question in the questionnaire",
                        "follow_ups.cancer_history.x: not a follow-up of this question"]


def test_all_problems_are_reported_together():
    problems = refusal({"patient": {"name": ""}, "treatment": {"route": "oral"}, "answers": {}})
    fields = {p.split(":")[0] for p in problems}
    assert {"patient.name", "patient.date_of_birth", "treatment.route", "answers.cancer_history"} <= fields


def test_parse_screening_refuses_non_objects():
    with pytest.raises(InputRefused):
        parse_screening(None)


def test_malformed_review_decisions_name_their_full_field():
    problems = refusal(screening_file(review={"clinician": "A", "reviewed_at": "2026-11-22T10:30",
                                              "decisions": ["proceed"]}))
    assert problems == ["review.decisions: must be an object"]


def test_problems_are_values_naming_their_field_and_the_lines_are_made_from_them():
    data = screening_file(answers=all_answers(cancer_history="perhaps"))
    data["product"]["storage_c"] = -400
    data["patient"]["date_of_birth"] = "1980-02-30"
    with pytest.raises(InputRefused) as exc:
        read_screening(json.dumps(data))
    found = {p.field: p.message for p in exc.value.found}
    assert set(found) == {"answers.cancer_history", "product.storage_c", "patient.date_of_birth"}
    assert found["product.storage_c"] == "-400 is below absolute zero (-273.15 C)"
    assert found["patient.date_of_birth"] == "'1980-02-30' is not a real date"
    assert exc.value.problems == [f"{p.field}: {p.message}" for p in exc.value.found]
