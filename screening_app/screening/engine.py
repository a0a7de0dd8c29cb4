"""The outcome engine: answers and route in, outcome, findings and advice out.

Safety properties (tested exhaustively and with hypothesis):
- a missing answer is counted as "don't know", never as "no", and a missing required
  answer is never milder than clinician review;
- the outcome is the most severe outcome of any finding;
- every finding carries the reason and source of the rule that raised it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

from ..wording import say
from .content import Content, default_content
from .history import CASE_FINDING_IDS, adverse_event_finding, seen_before_finding
from .model import Advice, Answer, Finding, Outcome, Procedure, Route, ScreeningResult, age_on
from .product import verify_product

# The clinic's minimum age to consent for oneself, unless its settings say otherwise.
DEFAULT_MINIMUM_AGE = 18


def _finding_for(content: Content, qid: str, answer: Answer | None, route: Route,
                 procedure: Procedure) -> Finding | None:
    question = content.question(qid)
    counted_as = answer if answer is not None else Answer.DONT_KNOW
    matching = [r for r in content.rules_for(qid) if r.matches(counted_as, route, procedure)]
    worst = max(matching, key=lambda r: r.outcome.severity, default=None)
    if answer is None and question.required:
        # Nothing may be skipped: an unanswered required question always needs a clinician.
        if worst is None or worst.outcome.severity < Outcome.CLINICIAN_REVIEW.severity:
            return Finding(qid, None, Outcome.CLINICIAN_REVIEW,
                           say("screening.not_answered", reason=say("screening.must_ask")),
                           question.source, question.references)
    if worst is None or worst.outcome is Outcome.NO_CONTRAINDICATION_FOUND:
        return None
    reason = say("screening.not_answered", reason=worst.reason) if answer is None else worst.reason
    return Finding(qid, answer, worst.outcome, reason, worst.source, worst.references)


def minor_finding(content: Content, date_of_birth: dt.date, on: dt.date, minimum_age: int) -> Finding | None:
    """"Patient is a minor" when the patient is younger than the clinic's minimum age on `on`
    (the day the consent would be signed)."""
    age = age_on(date_of_birth, on)
    if age >= minimum_age:
        return None
    check = content.checks["patient_is_minor"]
    return Finding(check.id, None, check.outcome, check.reason.format(age=age, minimum=minimum_age),
                   check.source, check.references)


def blood_donation_advice(content: Content, answer: Answer | None, waiting_period: str | None = None) -> Advice:
    advice = content.blood_donation
    parts = [advice.text]
    if answer is not Answer.NO and advice.donor_text:
        parts.append(advice.donor_text)
    clinic_text = waiting_period.strip() if waiting_period else ""
    if clinic_text:
        parts.append(clinic_text)
    return Advice("blood_donation", " ".join(parts), advice.source, clinic_text)


def evaluate(
    answers: Mapping[str, Answer],
    route: Route,
    *,
    content: Content | None = None,
    product: Mapping | None = None,
    treatment_date: dt.date | None = None,
    waiting_period: str | None = None,
    history: Sequence = (),
    date_of_birth: dt.date | None = None,
    minimum_age: int = DEFAULT_MINIMUM_AGE,
    procedure: Procedure | str = Procedure.NONE,
    recalled_lots: Collection[str] = (),
    today: dt.date | None = None,
) -> ScreeningResult:
    """Screens one patient. `answers` may be incomplete; unknown question ids are an error.
    `history` holds the patient's earlier screenings (history.EarlierScreening), as the
    records found them: one that stopped treatment raises a "seen before" finding.
    With `date_of_birth`, a patient under `minimum_age` on the treatment date needs a clinician.

    The lot is checked for the later of today and the treatment date (a lot that expires
    before the day of treatment never passes), and never passes when it is in `recalled_lots`.
    """
    content = content or default_content()
    route = Route(route)
    procedure = Procedure(procedure)
    if procedure not in Procedure.allowed_for(route):
        raise ValueError(say("screening.procedure_not_for_route", procedure=procedure.value, route=route.value))
    unknown = sorted(set(answers) - set(content.question_ids))
    if unknown:
        raise ValueError(say("screening.unknown_questions", questions=", ".join(unknown)))
    answers = {qid: Answer(a) for qid, a in answers.items()}

    findings = [f for qid in content.question_ids
                if (f := _finding_for(content, qid, answers.get(qid), route, procedure)) is not None]
    earlier = seen_before_finding(history, answers, content)
    if earlier is not None:
        findings.append(earlier)
    adverse = adverse_event_finding(history, content)
    if adverse is not None:
        findings.append(adverse)
    if date_of_birth is not None:
        # The consent is signed before the treatment: the patient's age on the earlier of the two
        # days decides (17 today and 18 next week still needs a parent's permission today).
        signing_day = min(today or dt.date.today(), treatment_date or dt.date.today())
        minor = minor_finding(content, date_of_birth, signing_day, minimum_age)
        if minor is not None:
            findings.append(minor)
    order = {qid: i for i, qid in enumerate((*content.question_ids, *CASE_FINDING_IDS, *content.checks))}
    findings.sort(key=lambda f: (-f.outcome.severity, order[f.question]))
    outcome = Outcome.most_severe(f.outcome for f in findings)

    advice: tuple[Advice, ...] = ()
    if outcome is not Outcome.DO_NOT_TREAT:
        advice = (blood_donation_advice(content, answers.get("blood_donation"), waiting_period),)

    checked = None
    if product is not None:
        today = today or dt.date.today()
        on_date = max(today, treatment_date) if treatment_date else today
        checked = verify_product(product, content.product, on_date, recalled_lots)

    return ScreeningResult(outcome, tuple(findings), advice, checked,
                           content.questionnaire_version, content.rules_version)
