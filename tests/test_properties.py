"""Ensure the safety properties hold for every combination of answers and routes."""
from hypothesis import given, settings
from hypothesis import strategies as st

from screening_app.screening import Answer, Outcome, Procedure, Route, default_content, evaluate

IDS = default_content().question_ids
answer_sets = st.fixed_dictionaries({qid: st.sampled_from(list(Answer)) for qid in IDS})
routes = st.sampled_from(list(Route))


@given(answer_sets, routes)
def test_outcome_is_one_of_three_and_equals_most_severe_finding(answers, route):
    result = evaluate(answers, route)
    assert result.outcome in set(Outcome)
    expected = max((f.outcome for f in result.findings), key=lambda o: o.severity,
                   default=Outcome.NO_CONTRAINDICATION_FOUND)
    assert result.outcome is expected
    assert all(f.outcome is not Outcome.NO_CONTRAINDICATION_FOUND for f in result.findings)
    assert all(f.reason and f.source for f in result.findings)


@given(answer_sets, routes, st.sampled_from(IDS), st.sampled_from([Answer.YES, Answer.DONT_KNOW]))
def test_changing_a_no_never_lowers_the_outcome(answers, route, qid, new):
    before = evaluate(dict(answers, **{qid: Answer.NO}), route)
    after = evaluate(dict(answers, **{qid: new}), route)
    assert after.outcome.severity >= before.outcome.severity


@given(answer_sets, routes, st.sampled_from(IDS))
def test_dont_know_is_never_milder_than_no(answers, route, qid):
    no = evaluate(dict(answers, **{qid: Answer.NO}), route)
    dont_know = evaluate(dict(answers, **{qid: Answer.DONT_KNOW}), route)
    missing = evaluate({k: v for k, v in answers.items() if k != qid}, route)
    assert dont_know.outcome.severity >= no.outcome.severity
    assert missing.outcome.severity >= dont_know.outcome.severity


@settings(max_examples=200)
@given(answer_sets, routes)
def test_advice_given_exactly_when_the_patient_may_be_treated(answers, route):
    result = evaluate(answers, route)
    topics = [a.topic for a in result.advice]
    assert topics == ([] if result.outcome is Outcome.DO_NOT_TREAT else ["blood_donation"])


treatments = st.sampled_from([(r, p) for r in Route for p in Procedure.allowed_for(r)])


@given(answer_sets, treatments, st.sampled_from(IDS))
def test_yes_never_milder_than_dont_know_never_milder_than_no_for_any_procedure(answers, treatment, qid):
    route, procedure = treatment
    outcome = {a: evaluate(dict(answers, **{qid: a}), route, procedure=procedure).outcome.severity for a in Answer}
    assert outcome[Answer.YES] >= outcome[Answer.DONT_KNOW] >= outcome[Answer.NO]


@given(answer_sets, st.sampled_from([Procedure.MICRONEEDLING, Procedure.LASER]))
def test_a_procedure_that_breaks_the_skin_never_lowers_the_outcome(answers, procedure):
    plain = evaluate(answers, Route.TOPICAL).outcome.severity
    assert evaluate(answers, Route.TOPICAL, procedure=procedure).outcome.severity >= plain
