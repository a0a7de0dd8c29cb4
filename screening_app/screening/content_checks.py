"""The safety checks every loaded rule set must pass: the clinical brief's floor, the order of
the answers, and the versions the product shipped. A clinic may make a rule stricter, never milder."""
from __future__ import annotations

import tomllib
from typing import Any

from ..resources import shipped_resource_path
from .content_model import Rule
from .model import Answer, Outcome, Procedure, Route
from .references import REFERENCES_FILE

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
LOT_FLOOR: dict[str, Any] = {"required_markers": ("CD9", "CD63", "CD81"), "max_storage_c": -80,
                             "max_freeze_thaw_cycles": 1}

# The digest of the text of every version the product shipped; an edited copy that keeps a
# shipped version number is refused (it would be recorded as what it is not).
SHIPPED_DIGESTS = "shipped_content.toml"


def treatments() -> list[tuple[Route, Procedure]]:
    """Every route with every procedure it allows: what a rule set must be checked for."""
    return [(route, procedure) for route in Route for procedure in Procedure.allowed_for(route)]


def _treatment_words(route: Route, procedure: Procedure) -> str:
    words = f"route {route.value}"
    return words if procedure is Procedure.NONE else f"{words} with {procedure.value}"


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

