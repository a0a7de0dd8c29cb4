"""Loads and checks the questionnaire and the rules from `resources/`.

Clinics edit these files by hand, so loading is strict: anything that could let a
question slip through unanswered, or make "don't know" count for less than "no",
is refused with a message naming the file and the entry.

Every released version is also kept in `resources/history/` (questionnaire/<version>.toml,
rules/<version>.toml), so a stored screening can be shown with the wording it was asked
with: `questionnaire_for_version` and `content_for_version`.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..resources import resource_dir, resource_path, shipped_resource_dir
from .content_checks import FLOOR, LOT_FLOOR, SHIPPED_DIGESTS, shipped_digests, treatments
from .content_model import (
    BloodDonationAdvice,
    Check,
    Content,
    ContentError,
    FollowUp,
    ProductSettings,
    Question,
    QuestionnaireVersion,
    Rule,
    text_digest,
)
from .content_reader import CHECKS, CORE_QUESTIONS, _load_pair, _read_toml, _Reader
from .model import Answer
from .references import REFERENCES_FILE

__all__ = [
    "BloodDonationAdvice", "CHECKS", "CORE_QUESTIONS", "Check", "Content", "ContentError", "FLOOR", "FollowUp",
    "LOT_FLOOR", "ProductSettings", "Question", "QuestionnaireVersion", "Rule", "SHIPPED_DIGESTS",
    "content_for_version", "default_content", "history_dirs", "load_content", "questionnaire_for_version",
    "shipped_digests", "text_digest", "treatments",
]


def load_content(directory: Path | None = None) -> Content:
    """Reads questionnaire.toml and rules.toml; raises ContentError listing every problem."""
    q_path = (directory / "questionnaire.toml") if directory else resource_path("questionnaire.toml")
    r_path = (directory / "rules.toml") if directory else resource_path("rules.toml")
    # A clinic's copy of the questionnaire and rules may leave the shipped sources as they are.
    ref_path = directory / REFERENCES_FILE if directory and (directory / REFERENCES_FILE).exists() else None
    return _load_pair(q_path, r_path, ref_path)


@lru_cache(maxsize=1)
def default_content() -> Content:
    """The shipped (or clinic's) content, loaded once per process."""
    return load_content()


# --- released versions ----------------------------------------------------------------------

HISTORY = "history"
_VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")


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
