"""Reads a screening file (contract.md) and refuses anything malformed.

Every problem is reported at once, one line each, naming the field
(`answers.cancer_history: missing`), so whoever made the file can fix it in one go.
Nothing here raises anything but `InputRefused`.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from ..wording import say
from .content import Content, default_content
from .fields import MAX_LONG_TEXT, MAX_NAME, MAX_SHORT_TEXT, FieldChecker, years_before
from .intake_consent import (
    CLINIC_FIELDS,
    DECLINED_FIELDS,
    REPRESENTATIVE_FIELDS,
    REVIEW_FIELDS,
    SIGNING_FIELDS,
    check_consent_sections,
    check_review,
)
from .languages import ENGLISH, canonical_language, language_problem
from .model import Answer, Patient, Procedure, Route, Screening, Treatment
from .names import name_problems
from .problems import InputRefused, Problem
from .product import FIELDS_BY_KEY, malformed_product

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_AGE_YEARS = 130
MAX_DAYS_AHEAD = 366

FILE = "screening file"  # the field that names the file as a whole
TOP_LEVEL = ("patient", "treatment", "answers", "product", "follow_ups", "review",
             "representative", "clinic", "signing", "declined", "language")
PATIENT_FIELDS = ("name", "date_of_birth", "patient_id", "contact")
TREATMENT_FIELDS = ("route", "area", "date", "procedure")


def _non_finite(name: str) -> float:
    # NaN and Infinity are not JSON, but refusing the whole file would not say where they are:
    # they are read as numbers that no field accepts, so the refusal names the field
    # (e.g. `product.storage_c: must be a finite number, not NaN`).
    return float(name.replace("Infinity", "inf"))


def _pairs_no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(say("intake.duplicate_key", key=repr(key)))
        out[key] = value
    return out


def parse_json(raw: bytes | str) -> object:
    """Decodes the file's JSON strictly: UTF-8, no duplicate keys; NaN is left for the fields to refuse."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            raise InputRefused([Problem(FILE, say("intake.file_too_large", megabytes=MAX_FILE_BYTES // (1024 * 1024)))])
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputRefused([Problem(FILE, say("intake.not_utf8"))]) from None
    if not raw.strip():
        raise InputRefused([Problem(FILE, say("intake.empty"))])
    try:
        return json.loads(raw, object_pairs_hook=_pairs_no_duplicates, parse_constant=_non_finite)
    except json.JSONDecodeError as exc:
        raise InputRefused([Problem(FILE, say("intake.not_json", line=exc.lineno, column=exc.colno,
                                                    error=exc.msg))]) from None
    except ValueError as exc:
        raise InputRefused([Problem(FILE, str(exc))]) from None
    except RecursionError:
        raise InputRefused([Problem(FILE, say("intake.too_deep"))]) from None


def _check_procedure(c: FieldChecker, treatment: Mapping, route: Route | None) -> Procedure:
    raw = treatment.get("procedure")
    if raw is None:
        return Procedure.NONE
    try:
        procedure = Procedure(raw)
    except (ValueError, TypeError):
        allowed = ", ".join(p.value for p in Procedure)
        c.fail("treatment.procedure", say("intake.not_one_of", allowed=allowed, value=json.dumps(raw)[:40]))
        return Procedure.NONE
    if route is not None and procedure not in Procedure.allowed_for(route):
        c.fail("treatment.procedure", say("intake.procedure_route", procedure=procedure.value, route=route.value))
    return procedure


def parse_screening(data: object, *, content: Content | None = None, today: dt.date | None = None) -> Screening:
    """Validates decoded JSON into a Screening; raises InputRefused with every problem."""
    content = content or default_content()
    today = today or dt.date.today()
    c = FieldChecker()
    if not isinstance(data, dict):
        raise InputRefused([Problem(FILE, say("intake.not_json_object"))])
    for extra in sorted(set(data) - set(TOP_LEVEL)):
        c.fail(extra, say("intake.unknown_field"))

    # Fields of a section are checked only when the section is an object: one wrong section
    # is one line, not a cascade of "missing".
    patient = c.table(data, "patient", PATIENT_FIELDS, required=True)
    has_patient = patient is not None
    patient = patient or {}
    name = c.text(patient, "patient.name", "name", MAX_NAME, required=has_patient)
    for problem in name_problems(name) if name is not None else ():
        c.fail("patient.name", problem)
    dob = c.date(patient, "patient.date_of_birth", "date_of_birth", required=has_patient)
    pid = c.text(patient, "patient.patient_id", "patient_id", MAX_SHORT_TEXT, required=False)
    contact = c.text(patient, "patient.contact", "contact", MAX_SHORT_TEXT, required=False)
    if dob is not None:
        if dob > today:
            c.fail("patient.date_of_birth", say("intake.birth_future", date=dob.isoformat()))
            dob = None
        elif dob < years_before(today, MAX_AGE_YEARS):
            c.fail("patient.date_of_birth", say("intake.birth_too_old", date=dob.isoformat(), years=MAX_AGE_YEARS))
            dob = None

    treatment = c.table(data, "treatment", TREATMENT_FIELDS, required=True)
    has_treatment = treatment is not None
    treatment = treatment or {}
    route = None
    raw_route = treatment.get("route")
    if has_treatment:
        if raw_route is None:
            c.fail("treatment.route", say("intake.missing"))
        else:
            try:
                route = Route(raw_route)
            except (ValueError, TypeError):
                allowed = ", ".join(r.value for r in Route)
                c.fail("treatment.route", say("intake.not_one_of", allowed=allowed, value=repr(str(raw_route)[:40])))
    area = c.text(treatment, "treatment.area", "area", MAX_SHORT_TEXT, required=False)
    when = c.date(treatment, "treatment.date", "date", required=False)
    procedure = _check_procedure(c, treatment, route)
    if when is not None:
        if when < today:
            c.fail("treatment.date", say("intake.treatment_past", date=when.isoformat(), today=today.isoformat()))
        elif dob is not None and when < dob:
            c.fail("treatment.date", say("intake.treatment_before_birth", date=when.isoformat()))
        elif when > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            c.fail("treatment.date", say("intake.treatment_far", date=when.isoformat()))

    answers: dict[str, Answer] = {}
    raw_answers = c.table(data, "answers", None, required=True)
    if raw_answers is not None:
        known = set(content.question_ids)
        for qid, value in raw_answers.items():
            if qid not in known:
                c.fail(f"answers.{qid}", say("intake.not_in_questionnaire", version=content.questionnaire_version))
                continue
            try:
                answers[qid] = Answer(value)
            except (ValueError, TypeError):
                c.fail(f"answers.{qid}", say("intake.not_answer", value=json.dumps(value)[:40]))
        for q in content.questions:
            if q.required and q.id not in raw_answers:
                c.fail(f"answers.{q.id}", say("intake.missing"))

    product = c.table(data, "product", tuple(FIELDS_BY_KEY), required=False)
    if product is not None:
        # The product check table (product.PRODUCT_FIELDS) says what each value may be; null counts
        # as not shown, which verification names. Unknown keys are reported already.
        c.add(malformed_product(product))

    follow_ups: dict[str, dict[str, str]] = {}
    raw_follow = c.table(data, "follow_ups", None, required=False)
    for qid, field, entries in c.per_question(raw_follow, "follow_ups", content):
        known_ids = {fu.id for fu in content.question(qid).follow_ups}
        for fid in entries:
            if fid not in known_ids:
                c.fail(f"{field}.{fid}", say("intake.not_follow_up"))
                continue
            text = c.text(entries, f"{field}.{fid}", fid, MAX_LONG_TEXT, required=False)
            if text:
                follow_ups.setdefault(qid, {})[fid] = text

    review = check_review(c, data, content)
    representative, clinic, signing, declined = check_consent_sections(c, data)

    language = canonical_language(data.get("language", ENGLISH))
    if language is None:
        c.fail("language", language_problem(data.get("language")) or say("intake.not_installed_language"))

    if c.problems:
        raise InputRefused(c.problems)
    # No problems: every field the checks above needed is there (the checks refuse each missing one).
    assert name is not None and dob is not None and route is not None
    return Screening(
        patient=Patient(name, dob, pid, contact),
        treatment=Treatment(route, when or today, area, procedure),
        answers=answers,
        product=product,
        follow_ups=follow_ups,
        review=review,
        representative=representative,
        clinic=clinic,
        signing=signing,
        declined=declined,
        language=language or ENGLISH,
    )


def read_screening(raw: bytes | str, *, content: Content | None = None, today: dt.date | None = None) -> Screening:
    return parse_screening(parse_json(raw), content=content, today=today)


__all__ = [
    "CLINIC_FIELDS", "DECLINED_FIELDS", "MAX_AGE_YEARS", "MAX_DAYS_AHEAD", "MAX_FILE_BYTES", "MAX_LONG_TEXT",
    "MAX_NAME", "MAX_SHORT_TEXT", "PATIENT_FIELDS", "REPRESENTATIVE_FIELDS", "REVIEW_FIELDS", "SIGNING_FIELDS",
    "TOP_LEVEL", "TREATMENT_FIELDS", "InputRefused", "Problem", "parse_json", "parse_screening", "read_screening",
]
