"""Loads and checks the questionnaire and the rules from `resources/`.

Clinics edit these files by hand, so loading is strict: anything that could let a
question slip through unanswered, or make "don't know" count for less than "no",
is refused with a message naming the file and the entry.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..resources import resource_path
from .model import Answer, Outcome, Route
from .references import REFERENCES_FILE, Reference, citation_text, load_references, resolve, source_text

# The four core questions: every questionnaire has them.
CORE_QUESTIONS = ("active_malignancy", "cancer_history", "systemic_inflammation", "blood_donation")


class ContentError(Exception):
    """The questionnaire or rules files are unusable; `problems` says where and why."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class FollowUp:
    id: str
    prompt: str
    when: frozenset[Answer]


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    rationale: str
    references: tuple[Reference, ...]
    required: bool
    follow_ups: tuple[FollowUp, ...] = ()

    @property
    def source(self) -> str:
        """The full citations, readable as one line."""
        return citation_text(self.references)


@dataclass(frozen=True)
class Rule:
    question: str
    answers: frozenset[Answer]
    routes: frozenset[Route]
    outcome: Outcome
    reason: str
    references: tuple[Reference, ...]
    policy: str = ""  # "Clinic policy: ..." where the rule is the clinic's precaution, not evidence

    @property
    def source(self) -> str:
        """What a clinician reads as the rule's source: the policy it is, then the full citations."""
        return source_text(self.policy, self.references)

    def matches(self, answer: Answer, route: Route) -> bool:
        return answer in self.answers and route in self.routes


@dataclass(frozen=True)
class Check:
    """A finding that comes from the screening's facts, not from an answer (e.g. the patient's age).
    It is reviewed like a question's finding, under its own id."""

    id: str
    text: str
    outcome: Outcome
    reason: str
    references: tuple[Reference, ...]
    policy: str = ""

    @property
    def source(self) -> str:
        return source_text(self.policy, self.references)

    def as_question(self) -> Question:
        return Question(self.id, self.text, self.reason, self.references, required=False)


@dataclass(frozen=True)
class ProductSettings:
    required_markers: tuple[str, ...]
    max_storage_c: float
    max_freeze_thaw_cycles: int


@dataclass(frozen=True)
class BloodDonationAdvice:
    text: str
    donor_text: str
    references: tuple[Reference, ...]
    policy: str = ""

    @property
    def source(self) -> str:
        return source_text(self.policy, self.references)


@dataclass(frozen=True)
class Content:
    """Everything the screening needs to know, as one reviewed, versioned whole."""

    questionnaire_version: str
    questionnaire_effective: dt.date
    title: str
    questions: tuple[Question, ...]
    rules_version: str
    rules_effective: dt.date
    rules: tuple[Rule, ...]
    blood_donation: BloodDonationAdvice
    product: ProductSettings
    references: dict[str, Reference] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)

    def question(self, qid: str) -> Question:
        """A question of the questionnaire, or a check (such as the patient's age) seen as one, so that
        every finding has wording to show."""
        for q in self.questions:
            if q.id == qid:
                return q
        if qid in self.checks:
            return self.checks[qid].as_question()
        raise KeyError(qid)

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)

    def rules_for(self, qid: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.question == qid)


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
        rules.append(Rule(
            question=qid,
            answers=read.enum_list(r, "answers", Answer, label),
            routes=read.enum_list(r, "routes", Route, label, default=[x.value for x in Route]),
            outcome=outcome,
            reason=read.text(r, "reason", label),
            references=resolve(r.get("references"), known, where, label, problems),
            policy=_policy(read, r, label),
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
    storage = prod.get("max_storage_c")
    if isinstance(storage, bool) or not isinstance(storage, (int, float)):
        problems.append(f"{where}: product.max_storage_c: must be a number")
        storage = -80
    cycles = prod.get("max_freeze_thaw_cycles")
    if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 0:
        problems.append(f"{where}: product.max_freeze_thaw_cycles: must be a whole number, 0 or more")
        cycles = 0
    product = ProductSettings(tuple(m.strip() for m in markers), float(storage), cycles)
    return version, effective, tuple(rules), blood, product


def _policy(read: "_Reader", table: dict, label: str) -> str:
    text = read.text(table, "policy", label, required=False)
    if text and not text.startswith("Clinic policy: "):
        read.problems.append(f"{read.where}: {label}.policy: must start with \"Clinic policy: \"")
    return text


def _no_source_lines(data: dict, where: str, problems: list[str]) -> None:
    """A `source = "..."` text can name anything, including notes no clinic can read: sources are
    cited by id now, so an old-style line is refused rather than silently ignored."""
    tables = [(f"question {q.get('id', i)}", q) for i, q in enumerate(data.get("question", []))]
    tables += [(f"rule[{i}]", r) for i, r in enumerate(data.get("rule", []))]
    tables += [(f"advice.{k}", v) for k, v in data.get("advice", {}).items() if isinstance(v, dict)]
    tables += [(f"checks.{k}", v) for k, v in data.get("checks", {}).items() if isinstance(v, dict)]
    for label, table in tables:
        if isinstance(table, dict) and "source" in table:
            problems.append(f"{where}: {label}.source: cite sources as references = [ids from {REFERENCES_FILE}]")


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


def _check_dont_know_is_never_milder(rules: tuple[Rule, ...], question_ids, where: str, problems: list[str]):
    for qid in question_ids:
        for route in Route:
            def worst(answer: Answer) -> Outcome:
                return Outcome.most_severe(r.outcome for r in rules if r.question == qid and r.matches(answer, route))
            if worst(Answer.DONT_KNOW).severity < worst(Answer.NO).severity:
                problems.append(
                    f"{where}: question {qid}, route {route.value}: \"dont_know\" gives a milder outcome "
                    f"than \"no\"; a don't-know must never count for less than a no")


def load_content(directory: Path | None = None) -> Content:
    """Reads questionnaire.toml and rules.toml; raises ContentError listing every problem."""
    q_path = (directory / "questionnaire.toml") if directory else resource_path("questionnaire.toml")
    r_path = (directory / "rules.toml") if directory else resource_path("rules.toml")
    # A clinic's copy of the questionnaire and rules may leave the shipped sources as they are.
    ref_path = directory / REFERENCES_FILE if directory and (directory / REFERENCES_FILE).exists() else None
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
    _check_dont_know_is_never_milder(rules, ids, r_path.name, problems)
    if problems:
        raise ContentError(problems)
    return Content(q_version, q_effective, title, questions, r_version, r_effective, rules, blood, product,
                   references=known, checks=checks)


@lru_cache(maxsize=1)
def default_content() -> Content:
    """The shipped (or clinic's) content, loaded once per process."""
    return load_content()
