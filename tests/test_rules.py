"""Ensure every row of the clinical brief's rule table gives exactly its outcome."""
import pytest
from conftest import all_answers

from screening_app.screening import Answer, Outcome, Route, default_content, evaluate

DNT, REVIEW, CLEAR = Outcome.DO_NOT_TREAT, Outcome.CLINICIAN_REVIEW, Outcome.NO_CONTRAINDICATION_FOUND
FURTHER = ["current_infection", "skin_problem_at_site", "immune_suppression", "biologic_reaction",
           "known_allergy", "pregnant_or_breastfeeding"]

# (question, answer, route) -> outcome, straight from ../shared/clinical-brief.md
TABLE = [
    ("active_malignancy", "yes", r, DNT) for r in Route
] + [
    ("active_malignancy", "dont_know", r, REVIEW) for r in Route
] + [
    ("cancer_history", "yes", Route.TOPICAL, REVIEW),
    ("cancer_history", "yes", Route.INJECTION, REVIEW),
    ("cancer_history", "yes", Route.INTRAVENOUS, DNT),
] + [
    ("cancer_history", "dont_know", r, REVIEW) for r in Route
] + [
    ("systemic_inflammation", "yes", r, DNT) for r in Route
] + [
    ("systemic_inflammation", "dont_know", r, REVIEW) for r in Route
] + [
    ("blood_donation", a, r, CLEAR) for a in ("yes", "dont_know") for r in Route
] + [
    (q, a, r, REVIEW) for q in FURTHER for a in ("yes", "dont_know") for r in Route
] + [
    ("bleeding_risk", a, r, REVIEW) for a in ("yes", "dont_know") for r in (Route.INJECTION, Route.INTRAVENOUS)
] + [
    ("bleeding_risk", a, Route.TOPICAL, CLEAR) for a in ("yes", "dont_know")
]


@pytest.mark.parametrize("question,answer,route,expected", TABLE,
                         ids=[f"{q}-{a}-{r.value}" for q, a, r, _ in TABLE])
def test_rule_table_row(question, answer, route, expected):
    result = evaluate(all_answers(**{question: answer}), route)
    assert result.outcome is expected
    if expected is CLEAR:
        assert result.findings == ()
    else:
        (finding,) = result.findings
        assert finding.question == question
        assert finding.answer is Answer(answer)
        assert finding.outcome is expected
        assert finding.reason and finding.source


@pytest.mark.parametrize("route", list(Route))
def test_all_no_is_clear_with_blood_donation_advice(route):
    result = evaluate(all_answers(), route)
    assert result.outcome is CLEAR
    assert result.findings == ()
    assert [a.topic for a in result.advice] == ["blood_donation"]
    assert "Do not give blood" in result.advice[0].text


def test_blood_donation_never_changes_outcome_but_adds_donor_advice():
    for base in (all_answers(), all_answers(cancer_history="yes")):
        for answer in ("yes", "no", "dont_know"):
            changed = evaluate(dict(base, blood_donation=answer), Route.INJECTION)
            assert changed.outcome is evaluate(base, Route.INJECTION).outcome
    donor = evaluate(all_answers(blood_donation="yes"), Route.TOPICAL).advice[0].text
    non_donor = evaluate(all_answers(blood_donation="no"), Route.TOPICAL).advice[0].text
    assert donor.startswith(non_donor) and len(donor) > len(non_donor)


def test_clinic_waiting_period_is_added_to_advice_only_when_set():
    text = "Our clinic asks you not to give blood for 12 months."
    assert text in evaluate(all_answers(), Route.TOPICAL, waiting_period=text).advice[0].text
    assert "months" not in evaluate(all_answers(), Route.TOPICAL).advice[0].text


def test_do_not_treat_gives_no_treatment_advice():
    result = evaluate(all_answers(active_malignancy="yes"), Route.TOPICAL)
    assert result.outcome is DNT and result.advice == ()
    assert not result.may_be_treated


def test_findings_are_most_severe_first_then_in_questionnaire_order():
    result = evaluate(all_answers(pregnant_or_breastfeeding="yes", cancer_history="dont_know",
                                  systemic_inflammation="yes", current_infection="dont_know"),
                      Route.TOPICAL)
    assert [f.question for f in result.findings] == [
        "systemic_inflammation", "cancer_history", "current_infection", "pregnant_or_breastfeeding"]
    assert result.outcome is DNT


@pytest.mark.parametrize("question", default_content().question_ids)
@pytest.mark.parametrize("route", list(Route))
def test_missing_answer_is_never_counted_as_no(question, route):
    answers = all_answers()
    del answers[question]
    result = evaluate(answers, route)
    dont_know = evaluate(all_answers(**{question: "dont_know"}), route)
    assert result.outcome.severity >= max(dont_know.outcome.severity, REVIEW.severity)
    finding = next(f for f in result.findings if f.question == question)
    assert finding.answer is None
    assert "Not answered" in finding.reason


def test_empty_answers_need_a_clinician_for_every_question():
    result = evaluate({}, Route.TOPICAL)
    assert {f.question for f in result.findings} == set(default_content().question_ids)
    assert result.outcome.severity >= REVIEW.severity


def test_unknown_question_id_is_an_error_not_ignored():
    with pytest.raises(ValueError, match="cancer_histroy"):
        evaluate(all_answers(cancer_histroy="yes"), Route.TOPICAL)


def test_every_finding_names_a_source_from_the_rules_file():
    result = evaluate(all_answers("yes"), Route.INTRAVENOUS)
    rules = default_content().rules
    for f in result.findings:
        assert any(r.question == f.question and r.source == f.source for r in rules)


def test_result_carries_both_versions():
    content = default_content()
    result = evaluate(all_answers(), Route.TOPICAL)
    assert result.questionnaire_version == content.questionnaire_version
    assert result.rules_version == content.rules_version
