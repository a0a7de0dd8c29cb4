"""Reads a screening file (contract.md) and refuses anything malformed.

Every problem is reported at once, one line each, naming the field
(`answers.cancer_history: missing`), so whoever made the file can fix it in one go.
Nothing here raises anything but `InputRefused`.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping

from .consent import Decision, Declined, Review, ReviewDecision
from .content import Content, default_content
from .history import CASE_FINDING_IDS
from .languages import ENGLISH, canonical_language, language_problem
from .model import Answer, ClinicInfo, Patient, Procedure, Representative, Route, Screening, Signing, Treatment
from .names import describe, name_problems
from .product import FIELDS_BY_KEY, malformed_product

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NAME = 200
MAX_SHORT_TEXT = 200
MAX_LONG_TEXT = 2000
MAX_AGE_YEARS = 130
MAX_DAYS_AHEAD = 366

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TOP_LEVEL = ("patient", "treatment", "answers", "product", "follow_ups", "review",
             "representative", "clinic", "signing", "declined", "language")
REPRESENTATIVE_FIELDS = ("name", "relationship")
CLINIC_FIELDS = ("name", "address", "phone", "rights_contact", "injury_text", "costs_text")
SIGNING_FIELDS = ("witness", "interpreter")
DECLINED_FIELDS = ("recorded_by", "recorded_at", "note")
REVIEW_FIELDS = ("clinician", "reviewed_at", "decisions")
PATIENT_FIELDS = ("name", "date_of_birth", "patient_id", "contact")
TREATMENT_FIELDS = ("route", "area", "date", "procedure")


class InputRefused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _non_finite(name: str) -> float:
    # NaN and Infinity are not JSON, but refusing the whole file would not say where they are:
    # they are read as numbers that no field accepts, so the refusal names the field
    # (e.g. `product.storage_c: must be a finite number, not NaN`).
    return float(name.replace("Infinity", "inf"))


def _pairs_no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def parse_json(raw: bytes | str) -> object:
    """Decodes the file's JSON strictly: UTF-8, no duplicate keys; NaN is left for the fields to refuse."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            raise InputRefused([f"screening file: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"])
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputRefused(["screening file: not UTF-8 text"]) from None
    if not raw.strip():
        raise InputRefused(["screening file: empty"])
    try:
        return json.loads(raw, object_pairs_hook=_pairs_no_duplicates, parse_constant=_non_finite)
    except json.JSONDecodeError as exc:
        raise InputRefused([f"screening file: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                            f"{exc.msg})"]) from None
    except ValueError as exc:
        raise InputRefused([f"screening file: {exc}"]) from None
    except RecursionError:
        raise InputRefused(["screening file: nested too deeply"]) from None


class _Checker:
    def __init__(self):
        self.problems: list[str] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(f"{field}: {message}")

    def table(self, data: Mapping, key: str, allowed: tuple[str, ...] | None, required: bool,
              field: str | None = None) -> dict | None:
        field = field or key
        value = data.get(key)
        if value is None:
            if required:
                self.fail(field, "missing")
            return None
        if not isinstance(value, dict):
            self.fail(field, "must be an object")
            return None
        if allowed is not None:
            self.unknown_fields(field, value, allowed)
        return value

    def unknown_fields(self, field: str, value: Mapping, allowed) -> None:
        for extra in sorted(set(value) - set(allowed)):
            self.fail(f"{field}.{extra}", "unknown field")

    def per_question(self, raw: Mapping | None, field: str, content: Content, also: tuple[str, ...] = ()):
        """(question id, field name, entry) for each entry of an object keyed by question id
        (or by one of `also`, the findings that come from the records)."""
        for qid, entry in (raw or {}).items():
            name = f"{field}.{qid}"
            if qid not in content.question_ids and qid not in also:
                self.fail(name, "not a question in the questionnaire")
            elif not isinstance(entry, dict):
                self.fail(name, "must be an object")
            else:
                yield qid, name, entry

    def text(self, data: Mapping, field: str, key: str, limit: int, required: bool) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(field, "missing")
            return None
        if not isinstance(value, str):
            self.fail(field, f"must be text, not {_json_type(value)}")
            return None
        value = unicodedata.normalize("NFC", value).strip()
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            controls = dict.fromkeys(ch for ch in value if unicodedata.category(ch) == "Cc")
            self.fail(field, "contains control characters: " + ", ".join(describe(ch) for ch in controls))
            return None
        if not value:
            if required:
                self.fail(field, "empty")
            return None
        if len(value) > limit:
            self.fail(field, f"too long ({len(value)} characters; at most {limit})")
            return None
        return value

    def date(self, data: Mapping, field: str, key: str, required: bool) -> dt.date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(field, "missing")
            return None
        if not isinstance(value, str):
            self.fail(field, f"must be a date as text (YYYY-MM-DD), not {_json_type(value)}")
            return None
        if not value.strip():
            if required:
                self.fail(field, "empty")
            return None
        if not _ISO_DATE.fullmatch(value):
            self.fail(field, f"{value[:40]!r} is not a date in the form YYYY-MM-DD")
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(field, f"{value!r} is not a real date")
            return None


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _check_product(c: _Checker, product: dict) -> None:
    # The product check table (product.PRODUCT_FIELDS) says what each value may be; null counts
    # as not shown, which verification names. Unknown keys are reported already.
    for key, message in malformed_product(product):
        c.fail(f"product.{key}", message)


def _check_procedure(c: _Checker, treatment: Mapping, route: Route | None) -> Procedure:
    raw = treatment.get("procedure")
    if raw is None:
        return Procedure.NONE
    try:
        procedure = Procedure(raw)
    except (ValueError, TypeError):
        allowed = ", ".join(p.value for p in Procedure)
        c.fail("treatment.procedure", f"must be one of {allowed}, not {json.dumps(raw)[:40]}")
        return Procedure.NONE
    if route is not None and procedure not in Procedure.allowed_for(route):
        c.fail("treatment.procedure", f"{procedure.value} is only for the topical route, not {route.value}")
    return procedure


def parse_screening(data: object, *, content: Content | None = None, today: dt.date | None = None) -> Screening:
    """Validates decoded JSON into a Screening; raises InputRefused with every problem."""
    content = content or default_content()
    today = today or dt.date.today()
    c = _Checker()
    if not isinstance(data, dict):
        raise InputRefused(["screening file: must be a JSON object"])
    for extra in sorted(set(data) - set(TOP_LEVEL)):
        c.fail(extra, "unknown field")

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
            c.fail("patient.date_of_birth", f"{dob.isoformat()} is in the future")
            dob = None
        elif dob < _years_before(today, MAX_AGE_YEARS):
            c.fail("patient.date_of_birth", f"{dob.isoformat()} is more than {MAX_AGE_YEARS} years ago")
            dob = None

    treatment = c.table(data, "treatment", TREATMENT_FIELDS, required=True)
    has_treatment = treatment is not None
    treatment = treatment or {}
    route = None
    raw_route = treatment.get("route")
    if has_treatment:
        if raw_route is None:
            c.fail("treatment.route", "missing")
        else:
            try:
                route = Route(raw_route)
            except (ValueError, TypeError):
                allowed = ", ".join(r.value for r in Route)
                c.fail("treatment.route", f"must be one of {allowed}, not {str(raw_route)[:40]!r}")
    area = c.text(treatment, "treatment.area", "area", MAX_SHORT_TEXT, required=False)
    when = c.date(treatment, "treatment.date", "date", required=False)
    procedure = _check_procedure(c, treatment, route)
    if when is not None:
        if when < today:
            c.fail("treatment.date", f"{when.isoformat()} is in the past: the planned treatment date "
                                     f"must be today ({today.isoformat()}) or later")
        elif dob is not None and when < dob:
            c.fail("treatment.date", f"{when.isoformat()} is before the date of birth")
        elif when > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            c.fail("treatment.date", f"{when.isoformat()} is more than a year ahead")

    answers: dict[str, Answer] = {}
    raw_answers = c.table(data, "answers", None, required=True)
    if raw_answers is not None:
        known = set(content.question_ids)
        for qid, value in raw_answers.items():
            if qid not in known:
                c.fail(f"answers.{qid}", f"not a question in questionnaire {content.questionnaire_version}")
                continue
            try:
                answers[qid] = Answer(value)
            except (ValueError, TypeError):
                c.fail(f"answers.{qid}", f"must be \"yes\", \"no\" or \"dont_know\", not {json.dumps(value)[:40]}")
        for q in content.questions:
            if q.required and q.id not in raw_answers:
                c.fail(f"answers.{q.id}", "missing")

    product = c.table(data, "product", tuple(FIELDS_BY_KEY), required=False)
    if product is not None:
        _check_product(c, product)

    follow_ups: dict[str, dict[str, str]] = {}
    raw_follow = c.table(data, "follow_ups", None, required=False)
    for qid, field, entries in c.per_question(raw_follow, "follow_ups", content):
        known_ids = {fu.id for fu in content.question(qid).follow_ups}
        for fid in entries:
            if fid not in known_ids:
                c.fail(f"{field}.{fid}", "not a follow-up of this question")
                continue
            text = c.text(entries, f"{field}.{fid}", fid, MAX_LONG_TEXT, required=False)
            if text:
                follow_ups.setdefault(qid, {})[fid] = text

    review = _check_review(c, data, content)
    representative, clinic, signing, declined = _check_consent_sections(c, data)

    language = canonical_language(data.get("language", ENGLISH))
    if language is None:
        c.fail("language", language_problem(data.get("language")) or "not an installed language")

    if c.problems:
        raise InputRefused(c.problems)
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


def _check_consent_sections(c: _Checker, data: dict):
    """`representative`, `clinic`, `signing` and `declined`: who consents, whom to call, which extra
    lines to print, and a patient's recorded no."""
    representative = None
    raw = c.table(data, "representative", REPRESENTATIVE_FIELDS, required=False)
    if raw is not None:
        name = c.text(raw, "representative.name", "name", MAX_NAME, required=True)
        for problem in name_problems(name) if name is not None else ():  # printed on the consent, as written
            c.fail("representative.name", problem)
            name = None
        relationship = c.text(raw, "representative.relationship", "relationship", MAX_SHORT_TEXT, required=True)
        if name and relationship:
            representative = Representative(name, relationship)

    clinic = None
    raw = c.table(data, "clinic", CLINIC_FIELDS, required=False)
    if raw is not None:
        limits = {"injury_text": MAX_LONG_TEXT, "costs_text": MAX_LONG_TEXT, "rights_contact": MAX_LONG_TEXT,
                  "address": MAX_LONG_TEXT}
        values = {key: c.text(raw, f"clinic.{key}", key, limits.get(key, MAX_SHORT_TEXT), required=False) or ""
                  for key in CLINIC_FIELDS}
        clinic = ClinicInfo(**values)

    signing = Signing()
    raw = c.table(data, "signing", SIGNING_FIELDS, required=False)
    if raw is not None:
        flags = {}
        for key in SIGNING_FIELDS:
            value = raw.get(key, False)
            if not isinstance(value, bool):
                c.fail(f"signing.{key}", f"must be true or false, not {_json_type(value)}")
                value = False
            flags[key] = value
        signing = Signing(**flags)

    declined = None
    raw = c.table(data, "declined", DECLINED_FIELDS, required=False)
    if raw is not None:
        by = c.text(raw, "declined.recorded_by", "recorded_by", MAX_SHORT_TEXT, required=True)
        note = c.text(raw, "declined.note", "note", MAX_LONG_TEXT, required=False) or ""
        at = _datetime(c, raw, "declined.recorded_at", "recorded_at")
        if by and at:
            declined = Declined(by, at, note)
    return representative, clinic, signing, declined


def _datetime(c: _Checker, raw: Mapping, field: str, key: str) -> dt.datetime | None:
    stamp = raw.get(key)
    if stamp is None:
        c.fail(field, "missing")
    elif not isinstance(stamp, str):
        c.fail(field, f"must be a date and time as text, not {_json_type(stamp)}")
    else:
        try:
            return dt.datetime.fromisoformat(stamp)
        except ValueError:
            c.fail(field, f"{stamp[:40]!r} is not a date and time (YYYY-MM-DDTHH:MM)")
    return None


def _check_review(c: _Checker, data: dict, content: Content) -> Review | None:
    raw = c.table(data, "review", REVIEW_FIELDS, required=False)
    if raw is None:
        return None
    clinician = c.text(raw, "review.clinician", "clinician", MAX_SHORT_TEXT, required=True)
    reviewed_at = None
    stamp = raw.get("reviewed_at")
    if stamp is None:
        c.fail("review.reviewed_at", "missing")
    elif not isinstance(stamp, str):
        c.fail("review.reviewed_at", f"must be a date and time as text, not {_json_type(stamp)}")
    else:
        try:
            reviewed_at = dt.datetime.fromisoformat(stamp)
        except ValueError:
            c.fail("review.reviewed_at", f"{stamp[:40]!r} is not a date and time (YYYY-MM-DDTHH:MM)")
    decisions: dict[str, ReviewDecision] = {}
    raw_decisions = c.table(raw, "decisions", None, required=False, field="review.decisions")
    for qid, field, entry in c.per_question(raw_decisions, "review.decisions", content,
                                            also=(*CASE_FINDING_IDS, *content.checks)):
        c.unknown_fields(field, entry, ("decision", "reason"))
        try:
            decision = Decision(entry.get("decision"))
        except ValueError:
            c.fail(f"{field}.decision", "must be \"proceed\" or \"defer\"")
            continue
        reason = c.text(entry, f"{field}.reason", "reason", MAX_LONG_TEXT, required=False) or ""
        decisions[qid] = ReviewDecision(decision, reason)
    if clinician is None or reviewed_at is None:
        return None
    return Review(clinician, reviewed_at, decisions)


def read_screening(raw: bytes | str, *, content: Content | None = None, today: dt.date | None = None) -> Screening:
    return parse_screening(parse_json(raw), content=content, today=today)
