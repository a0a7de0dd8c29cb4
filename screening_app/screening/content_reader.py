"""Reads questionnaire.toml and rules.toml into `Content`, collecting every problem at once.

Clinics edit these files by hand, so reading is strict: each problem names the file and the entry."""
from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path

from .content_checks import (
    LOT_FLOOR,
    _check_answers_keep_their_order,
    _check_floor,
    _check_shipped_version,
    _no_source_lines,
)
from .content_model import (
    BloodDonationAdvice,
    Check,
    Content,
    ContentError,
    FollowUp,
    ProductSettings,
    Question,
    Rule,
    text_digest,
)
from .model import Answer, Outcome, Procedure, Route
from .references import Reference, load_references, resolve

# The four core questions: every questionnaire has them.
CORE_QUESTIONS = ("active_malignancy", "cancer_history", "systemic_inflammation", "blood_donation")

def _read_toml(path: Path, problems: list[str]) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not valid TOML ({exc})")
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror})")
    return {}


class _Reader:
    """Reads typed values out of a TOML table, collecting every problem at once."""

    def __init__(self, where: str, problems: list[str]):
        self.where = where
        self.problems = problems

    def text(self, table: dict, key: str, label: str, required: bool = True) -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{self.where}: {label}.{key}: must be non-empty text")
            return ""
        return value.strip()

    def date(self, table: dict, key: str, label: str) -> dt.date:
        value = table.get(key)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.problems.append(f"{self.where}: {label}.{key}: must be a date (YYYY-MM-DD)")
        return dt.date.min

    def enum_list(self, table: dict, key: str, enum, label: str, default=None) -> frozenset:
        value = table.get(key, default)
        if not isinstance(value, list) or not value:
            self.problems.append(f"{self.where}: {label}.{key}: must be a non-empty list")
            return frozenset()
        out = set()
        for item in value:
            try:
                out.add(enum(item))
            except ValueError:
                allowed = ", ".join(e.value for e in enum)
                self.problems.append(f"{self.where}: {label}.{key}: unknown value {item!r} (allowed: {allowed})")
        return frozenset(out)


def _load_questions(data: dict, where: str, known: dict[str, Reference], problems: list[str]):
    read = _Reader(where, problems)
    head = data.get("questionnaire", {})
    version = read.text(head, "version", "questionnaire")
    effective = read.date(head, "effective_date", "questionnaire")
    title = read.text(head, "title", "questionnaire", required=False) or "Health questions"
    questions: list[Question] = []
    seen: set[str] = set()
    for i, q in enumerate(data.get("question", [])):
        label = f"question[{i}]"
        qid = read.text(q, "id", label)
        if qid:
            label = f"question {qid}"
            if qid in seen:
                problems.append(f"{where}: {label}: id used twice")
            seen.add(qid)
        required = q.get("required", True)
        if not isinstance(required, bool):
            problems.append(f"{where}: {label}.required: must be true or false")
            required = True
        follow_ups = []
        for j, fu in enumerate(q.get("follow_up", [])):
            fl = f"{label}.follow_up[{j}]"
            follow_ups.append(FollowUp(
                id=read.text(fu, "id", fl),
                prompt=read.text(fu, "prompt", fl),
                when=read.enum_list(fu, "when", Answer, fl, default=["yes"]),
            ))
        questions.append(Question(
            id=qid,
            text=read.text(q, "text", label),
            rationale=read.text(q, "rationale", label),
            references=resolve(q.get("references"), known, where, label, problems),
            required=required,
            follow_ups=tuple(follow_ups),
        ))
    if not questions:
        problems.append(f"{where}: no [[question]] entries")
    for core in CORE_QUESTIONS:
        if core not in seen:
            problems.append(f"{where}: question {core}: missing (every questionnaire must ask it)")
        elif not next(q for q in questions if q.id == core).required:
            problems.append(f"{where}: question {core}.required: must be true")
    return version, effective, title, tuple(questions)


def _load_rules(data: dict, where: str, question_ids: set[str], known: dict[str, Reference],
                problems: list[str]):
    read = _Reader(where, problems)
    head = data.get("rules", {})
    version = read.text(head, "version", "rules")
    effective = read.date(head, "effective_date", "rules")
    rules: list[Rule] = []
    for i, r in enumerate(data.get("rule", [])):
        label = f"rule[{i}]"
        qid = read.text(r, "question", label)
        if qid and qid not in question_ids:
            problems.append(f"{where}: {label}.question: {qid!r} is not a question in the questionnaire")
        try:
            outcome = Outcome(r.get("outcome"))
        except ValueError:
            allowed = ", ".join(o.value for o in Outcome)
            problems.append(f"{where}: {label}.outcome: must be one of {allowed}")
            outcome = Outcome.CLINICIAN_REVIEW
        routes = read.enum_list(r, "routes", Route, label, default=[x.value for x in Route])
        procedures = read.enum_list(r, "procedures", Procedure, label, default=[x.value for x in Procedure])
        if routes and procedures and not any(p in Procedure.allowed_for(route) for route in routes for p in procedures):
            problems.append(f"{where}: {label}.procedures: none of them goes with the rule's routes "
                            f"(microneedling and laser are for the topical route), so the rule could never apply")
        rules.append(Rule(
            question=qid,
            answers=read.enum_list(r, "answers", Answer, label),
            routes=routes,
            outcome=outcome,
            reason=read.text(r, "reason", label),
            references=resolve(r.get("references"), known, where, label, problems),
            policy=_policy(read, r, label),
            procedures=procedures,
            label=label,
        ))

    advice = data.get("advice", {}).get("blood_donation", {})
    blood = BloodDonationAdvice(
        text=read.text(advice, "text", "advice.blood_donation"),
        donor_text=read.text(advice, "donor_text", "advice.blood_donation", required=False),
        references=resolve(advice.get("references"), known, where, "advice.blood_donation", problems),
        policy=_policy(read, advice, "advice.blood_donation"),
    )

    prod = data.get("product", {})
    markers = prod.get("required_markers", [])
    if not isinstance(markers, list) or not all(isinstance(m, str) and m.strip() for m in markers):
        problems.append(f"{where}: product.required_markers: must be a list of marker names")
        markers = []
    else:
        missing = [m for m in LOT_FLOOR["required_markers"] if m.upper() not in {x.strip().upper() for x in markers}]
        if missing:
            problems.append(f"{where}: product.required_markers: {', '.join(missing)} removed; the clinical brief "
                            f"requires {', '.join(LOT_FLOOR['required_markers'])} "
                            "(a clinic may add markers, never drop one)")
    storage = prod.get("max_storage_c")
    if isinstance(storage, bool) or not isinstance(storage, (int, float)) or not math.isfinite(storage) \
            or storage < -273.15:
        problems.append(f"{where}: product.max_storage_c: must be a temperature in C, not below -273.15")
        storage = LOT_FLOOR["max_storage_c"]
    elif storage > LOT_FLOOR["max_storage_c"]:
        problems.append(f"{where}: product.max_storage_c: {storage:g} C is warmer than the clinical brief's cold chain "
                        f"({LOT_FLOOR['max_storage_c']} C or below); a clinic may make it colder, never warmer")
    cycles = prod.get("max_freeze_thaw_cycles")
    if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 0:
        problems.append(f"{where}: product.max_freeze_thaw_cycles: must be a whole number, 0 or more")
        cycles = 0
    elif cycles > LOT_FLOOR["max_freeze_thaw_cycles"]:
        problems.append(f"{where}: product.max_freeze_thaw_cycles: {cycles} allows repeated freeze-thaw; the "
                        f"clinical brief allows at most {LOT_FLOOR['max_freeze_thaw_cycles']}")
    product = ProductSettings(tuple(m.strip() for m in markers), float(storage), cycles,
                              **_optional_product_settings(prod, where, problems))
    return version, effective, tuple(rules), blood, product


def _policy(read: _Reader, table: dict, label: str) -> str:
    text = read.text(table, "policy", label, required=False)
    if text and not text.startswith("Clinic policy: "):
        read.problems.append(f"{read.where}: {label}.policy: must start with \"Clinic policy: \"")
    return text


# The checks the engine knows how to make; rules.toml holds their wording and sources.
CHECKS = ("patient_is_minor",)


def _load_checks(data: dict, where: str, known: dict[str, Reference], problems: list[str]) -> dict[str, Check]:
    read = _Reader(where, problems)
    raw = data.get("checks", {})
    out: dict[str, Check] = {}
    for cid in CHECKS:
        table = raw.get(cid)
        label = f"checks.{cid}"
        if not isinstance(table, dict):
            problems.append(f"{where}: {label}: missing")
            continue
        try:
            outcome = Outcome(table.get("outcome"))
        except ValueError:
            problems.append(f"{where}: {label}.outcome: must be one of " + ", ".join(o.value for o in Outcome))
            outcome = Outcome.CLINICIAN_REVIEW
        if outcome.severity < Outcome.CLINICIAN_REVIEW.severity:
            problems.append(f"{where}: {label}.outcome: must be clinician_review or do_not_treat")
        out[cid] = Check(cid, read.text(table, "text", label), outcome, read.text(table, "reason", label),
                         resolve(table.get("references"), known, where, label, problems), _policy(read, table, label))
    for extra in sorted(set(raw) - set(CHECKS)):
        problems.append(f"{where}: checks.{extra}: not a check the program makes")
    return out




def _optional_product_settings(prod: dict, where: str, problems: list[str]) -> dict:
    """The clinic's optional lot checks (MISEV extras, endotoxin limit): absent means off."""
    out: dict = {}
    for key in ("cytosolic_markers", "negative_markers"):
        names = prod.get(key, [])
        if not isinstance(names, list) or not all(isinstance(m, str) and m.strip() for m in names):
            problems.append(f"{where}: product.{key}: must be a list of marker names (an empty list switches it off)")
        else:
            out[key] = tuple(m.strip() for m in names)
    particles = prod.get("require_particle_count", False)
    if not isinstance(particles, bool):
        problems.append(f"{where}: product.require_particle_count: must be true or false")
    else:
        out["require_particle_count"] = particles
    if "max_endotoxin_eu_per_ml" in prod:
        limit = prod["max_endotoxin_eu_per_ml"]
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not math.isfinite(limit) or limit < 0:
            problems.append(f"{where}: product.max_endotoxin_eu_per_ml: must be a number of EU/mL, 0 or more "
                            "(leave it out to switch the check off)")
        else:
            out["max_endotoxin_eu_per_ml"] = float(limit)
    return out


def _load_pair(q_path: Path, r_path: Path, ref_path: Path | None = None) -> Content:
    problems: list[str] = []
    q_data = _read_toml(q_path, problems)
    r_data = _read_toml(r_path, problems)
    known = load_references(ref_path, problems)
    if problems:
        raise ContentError(problems)
    _no_source_lines(q_data, q_path.name, problems)
    _no_source_lines(r_data, r_path.name, problems)
    q_version, q_effective, title, questions = _load_questions(q_data, q_path.name, known, problems)
    ids = {q.id for q in questions}
    r_version, r_effective, rules, blood, product = _load_rules(r_data, r_path.name, ids, known, problems)
    checks = _load_checks(r_data, r_path.name, known, problems)
    for clash in sorted(ids & set(checks)):
        problems.append(f"{q_path.name}: question {clash}: id is taken by a check of rules.toml")
    _check_answers_keep_their_order(rules, ids, r_path.name, problems)
    _check_floor(rules, r_path.name, problems)
    q_digest, r_digest = text_digest(q_data), text_digest(r_data)
    if q_version:
        _check_shipped_version("questionnaire", q_version, q_digest, q_path.name, problems)
    if r_version:
        _check_shipped_version("rules", r_version, r_digest, r_path.name, problems)
    if problems:
        raise ContentError(problems)
    return Content(q_version, q_effective, title, questions, r_version, r_effective, rules, blood, product,
                   references=known, checks=checks, questionnaire_digest=q_digest, rules_digest=r_digest)

