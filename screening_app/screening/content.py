"""Loads and checks the questionnaire and the rules from `resources/`.

Clinics edit these files by hand, so loading is strict: anything that could let a
question slip through unanswered, or make "don't know" count for less than "no",
is refused with a message naming the file and the entry.

Every released version is also kept in `resources/history/` (questionnaire/<version>.toml,
rules/<version>.toml), so a stored screening can be shown with the wording it was asked
with: `questionnaire_for_version` and `content_for_version`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..resources import resource_dir, resource_path, shipped_resource_dir, shipped_resource_path
from .model import Answer, Outcome, Procedure, Route
from .references import REFERENCES_FILE, Reference, citation_text, load_references, resolve, source_text

# The four core questions: every questionnaire has them.
CORE_QUESTIONS = ("active_malignancy", "cancer_history", "systemic_inflammation", "blood_donation")

# The floor: the clinical brief's rule table, as the mildest outcome each core question may get
# for an answer on a route. A clinic may make a rule stricter, never milder; the loader refuses a
# rule set that would screen any of these milder. (blood_donation never changes the outcome.)
_DNT, _REVIEW = Outcome.DO_NOT_TREAT, Outcome.CLINICIAN_REVIEW
FLOOR: dict[tuple[str, Answer], dict[Route, Outcome]] = {
    ("active_malignancy", Answer.YES): {r: _DNT for r in Route},
    ("active_malignancy", Answer.DONT_KNOW): {r: _REVIEW for r in Route},
    ("cancer_history", Answer.YES): {Route.TOPICAL: _REVIEW, Route.INJECTION: _REVIEW, Route.INTRAVENOUS: _DNT},
    ("cancer_history", Answer.DONT_KNOW): {r: _REVIEW for r in Route},
    ("systemic_inflammation", Answer.YES): {r: _DNT for r in Route},
    ("systemic_inflammation", Answer.DONT_KNOW): {r: _REVIEW for r in Route},
}

# The floor of the lot check (clinical brief, "Product verification before use"): tetraspanin
# markers CD9, CD63 and CD81 reported; stored at -80 C or below; no repeated freeze-thaw (one
# thaw for use). A clinic may make these stricter, never looser.
LOT_FLOOR = {"required_markers": ("CD9", "CD63", "CD81"), "max_storage_c": -80, "max_freeze_thaw_cycles": 1}

# The digest of the text of every version the product shipped; an edited copy that keeps a
# shipped version number is refused (it would be recorded as what it is not).
SHIPPED_DIGESTS = "shipped_content.toml"


def treatments() -> list[tuple[Route, Procedure]]:
    """Every route with every procedure it allows: what a rule set must be checked for."""
    return [(route, procedure) for route in Route for procedure in Procedure.allowed_for(route)]


def _treatment_words(route: Route, procedure: Procedure) -> str:
    words = f"route {route.value}"
    return words if procedure is Procedure.NONE else f"{words} with {procedure.value}"


def text_digest(data: dict) -> str:
    """SHA-256 of a TOML file's meaning (its parsed data), so comments and line endings do not count."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
    procedures: frozenset[Procedure] = frozenset(Procedure)
    label: str = field(default="", compare=False)  # where it is in rules.toml, e.g. "rule[3]"

    @property
    def source(self) -> str:
        """What a clinician reads as the rule's source: the policy it is, then the full citations."""
        return source_text(self.policy, self.references)

    def matches(self, answer: Answer, route: Route, procedure: Procedure = Procedure.NONE) -> bool:
        return answer in self.answers and route in self.routes and procedure in self.procedures


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
    # Optional clinic settings, off by default; the product invents no numbers (clinical brief).
    cytosolic_markers: tuple[str, ...] = ()  # MISEV: at least one of these must be reported
    negative_markers: tuple[str, ...] = ()  # MISEV: each must be reported absent
    require_particle_count: bool = False  # MISEV: a particle count (e.g. NTA) must be reported
    max_endotoxin_eu_per_ml: float | None = None  # checked when the Certificate gives a value


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
    questionnaire_digest: str = ""
    rules_digest: str = ""

    @property
    def digest(self) -> str:
        """One SHA-256 for the questionnaire and rules this content was read from: every stored
        screening keeps it, so what a patient was screened with can be proven later."""
        both = f"questionnaire:{self.questionnaire_digest}\nrules:{self.rules_digest}\n"
        return hashlib.sha256(both.encode("utf-8")).hexdigest()

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
                            f"requires {', '.join(LOT_FLOOR['required_markers'])} (a clinic may add markers, never drop one)")
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


def _worst(rules, qid: str, answer: Answer, route: Route, procedure: Procedure) -> tuple[Outcome, list[Rule]]:
    matching = [r for r in rules if r.question == qid and r.matches(answer, route, procedure)]
    return Outcome.most_severe(r.outcome for r in matching), matching


def _by(matching: list[Rule]) -> str:
    return ", ".join(r.label for r in matching) if matching else "no rule"


def _check_answers_keep_their_order(rules: tuple[Rule, ...], question_ids, where: str, problems: list[str]):
    """"dont_know" is never milder than "no", and "yes" never milder than "dont_know"."""
    for qid in question_ids:
        for route, procedure in treatments():
            no, _ = _worst(rules, qid, Answer.NO, route, procedure)
            dont_know, dk_rules = _worst(rules, qid, Answer.DONT_KNOW, route, procedure)
            yes, yes_rules = _worst(rules, qid, Answer.YES, route, procedure)
            on = _treatment_words(route, procedure)
            if dont_know.severity < no.severity:
                problems.append(
                    f"{where}: question {qid}, {on}: \"dont_know\" gives a milder outcome "
                    f"than \"no\"; a don't-know must never count for less than a no")
            if yes.severity < dont_know.severity:
                problems.append(
                    f"{where}: question {qid}, {on}: \"yes\" gives {yes.value} ({_by(yes_rules)}), milder than "
                    f"\"dont_know\" ({dont_know.value}, {_by(dk_rules)}); a yes must never count for less "
                    f"than a don't-know")


def _check_floor(rules: tuple[Rule, ...], where: str, problems: list[str]):
    """No rule set may screen a core question milder than the clinical brief's rule table."""
    for (qid, answer), by_route in FLOOR.items():
        for route, procedure in treatments():
            least = by_route[route]
            got, matching = _worst(rules, qid, answer, route, procedure)
            if got.severity < least.severity:
                problems.append(
                    f"{where}: question {qid}, answer {answer.value}, {_treatment_words(route, procedure)}: "
                    f"gives {got.value} ({_by(matching)}), milder than {least.value}, the least the "
                    f"clinical brief's rule table allows; a clinic may make a rule stricter, never milder")


def shipped_digests() -> dict[str, dict[str, str]]:
    """{"questionnaire": {version: digest}, "rules": {...}} of the versions the product shipped.
    Read from the installation, never from a clinic's own copy of resources/."""
    with shipped_resource_path(SHIPPED_DIGESTS).open("rb") as fh:
        data = tomllib.load(fh)
    return {kind: dict(data.get(kind, {})) for kind in ("questionnaire", "rules")}


def _check_shipped_version(kind: str, version: str, digest: str, where: str, problems: list[str]):
    try:
        shipped = shipped_digests()[kind]
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{SHIPPED_DIGESTS}: the digests of the shipped versions cannot be read ({exc}); "
                        "reinstall the program")
        return
    if version in shipped and shipped[version] != digest:
        problems.append(
            f"{where}: version {version} is a version the product shipped, but this text differs from it; "
            f"an edited copy must have a new version (and effective_date), so screenings record what they used")


def load_content(directory: Path | None = None) -> Content:
    """Reads questionnaire.toml and rules.toml; raises ContentError listing every problem."""
    q_path = (directory / "questionnaire.toml") if directory else resource_path("questionnaire.toml")
    r_path = (directory / "rules.toml") if directory else resource_path("rules.toml")
    # A clinic's copy of the questionnaire and rules may leave the shipped sources as they are.
    ref_path = directory / REFERENCES_FILE if directory and (directory / REFERENCES_FILE).exists() else None
    return _load_pair(q_path, r_path, ref_path)


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


@lru_cache(maxsize=1)
def default_content() -> Content:
    """The shipped (or clinic's) content, loaded once per process."""
    return load_content()


# --- released versions ----------------------------------------------------------------------

HISTORY = "history"
_VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")


@dataclass(frozen=True)
class QuestionnaireVersion:
    """One released questionnaire: its version, date, title and questions in their order."""

    version: str
    effective: dt.date
    title: str
    questions: tuple[Question, ...]

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


def history_dirs() -> list[Path]:
    """Where released versions are kept: the clinic's resources first, then the shipped ones."""
    dirs = []
    for base in (resource_dir(), shipped_resource_dir()):
        d = base / HISTORY
        if d not in dirs:
            dirs.append(d)
    return dirs


def _history_file(kind: str, version: str) -> Path | None:
    if not _VERSION_NAME.fullmatch(version or "") or ".." in version:
        return None  # never a path outside the history folder
    for d in history_dirs():
        path = d / kind / f"{version}.toml"
        if path.is_file():
            return path
    return None


def _current(current: Content | None) -> Content | None:
    if current is not None:
        return current
    try:
        return default_content()
    except ContentError:
        return None


def questionnaire_for_version(version: str, current: Content | None = None) -> QuestionnaireVersion | None:
    """The questionnaire released as `version`: its copy in the history, else the questionnaire
    in use when it carries that version; None when this installation does not know it."""
    path = _history_file("questionnaire", version)
    if path is not None:
        return _load_history_questionnaire(path, version)
    now = _current(current)
    if now is not None and now.questionnaire_version == version:
        return QuestionnaireVersion(now.questionnaire_version, now.questionnaire_effective, now.title, now.questions)
    return None


@lru_cache(maxsize=32)
def _load_history_questionnaire(path: Path, version: str) -> QuestionnaireVersion:
    """Reads what a released questionnaire asked: ids, wording, order, follow-ups. Its sources
    are not read: their format has changed between releases (text, then reference ids), and a
    stored screening's findings carry their own sources."""
    problems: list[str] = []
    data = _read_toml(path, problems)
    if problems:
        raise ContentError(problems)
    where = str(path)
    read = _Reader(where, problems)
    head = data.get("questionnaire", {})
    said = read.text(head, "version", "questionnaire")
    effective = read.date(head, "effective_date", "questionnaire")
    title = read.text(head, "title", "questionnaire", required=False) or "Health questions"
    questions = []
    for i, q in enumerate(data.get("question", [])):
        label = f"question[{i}]"
        follow_ups = tuple(FollowUp(read.text(fu, "id", f"{label}.follow_up[{j}]"),
                                    read.text(fu, "prompt", f"{label}.follow_up[{j}]"),
                                    read.enum_list(fu, "when", Answer, f"{label}.follow_up[{j}]", default=["yes"]))
                           for j, fu in enumerate(q.get("follow_up", [])))
        questions.append(Question(read.text(q, "id", label), read.text(q, "text", label),
                                  str(q.get("rationale", "")), (), q.get("required", True) is not False, follow_ups))
    if not questions:
        problems.append(f"{where}: no [[question]] entries")
    if not problems and said != version:
        problems.append(f"{where}: questionnaire.version: says {said!r}, but the file is kept as {version!r}")
    if problems:
        raise ContentError(problems)
    return QuestionnaireVersion(said, effective, title, tuple(questions))


def content_for_version(questionnaire_version: str, rules_version: str,
                        current: Content | None = None) -> Content | None:
    """The whole content a screening was screened with, from the history (or the content in use
    when it carries both versions); None when either version is unknown here."""
    path_q = _history_file("questionnaire", questionnaire_version)
    path_r = _history_file("rules", rules_version)
    if path_q is not None and path_r is not None:
        # With today's loader and sources: a release in an older file format is refused (ContentError).
        content = _load_pair(path_q, path_r)
        if (content.questionnaire_version, content.rules_version) != (questionnaire_version, rules_version):
            raise ContentError([f"{path_q}, {path_r}: the versions inside do not match the names they are kept as"])
        return content
    now = _current(current)
    if now is not None and (now.questionnaire_version, now.rules_version) == (questionnaire_version, rules_version):
        return now
    return None
