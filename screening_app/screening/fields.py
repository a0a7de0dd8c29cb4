"""Checks one field of a screening file at a time, collecting a `Problem` for each that fails.

The screening file's sections (intake.py, intake_consent.py) are written with these, so every
field is refused in the same words wherever it appears ("missing", "empty", "too long ...").
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Mapping

from ..wording import say
from .content import Content
from .names import describe
from .problems import Problem

MAX_NAME = 200
MAX_SHORT_TEXT = 200
MAX_LONG_TEXT = 2000

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def json_type(value) -> str:
    """What a JSON value is, in the words of a refusal ("must be text, not a number")."""
    if value is None:
        return say("intake.type.null")
    if isinstance(value, bool):
        return say("intake.type.yes_no")
    if isinstance(value, (int, float)):
        return say("intake.type.number")
    if isinstance(value, str):
        return say("intake.type.text")
    if isinstance(value, list):
        return say("intake.type.list")
    return say("intake.type.object")


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class FieldChecker:
    """Reads fields out of decoded JSON; each check that fails adds a `Problem` and returns None."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def add(self, problems) -> None:
        self.problems.extend(problems)

    def table(self, data: Mapping, key: str, allowed: tuple[str, ...] | None, required: bool,
              field: str | None = None) -> dict | None:
        field = field or key
        value = data.get(key)
        if value is None:
            if required:
                self.fail(field, say("intake.missing"))
            return None
        if not isinstance(value, dict):
            self.fail(field, say("intake.not_object"))
            return None
        if allowed is not None:
            self.unknown_fields(field, value, allowed)
        return value

    def unknown_fields(self, field: str, value: Mapping, allowed) -> None:
        for extra in sorted(set(value) - set(allowed)):
            self.fail(f"{field}.{extra}", say("intake.unknown_field"))

    def per_question(self, raw: Mapping | None, field: str, content: Content,
                     also: tuple[str, ...] = ()) -> Iterator[tuple[str, str, dict]]:
        """(question id, field name, entry) for each entry of an object keyed by question id
        (or by one of `also`, the findings that come from the records)."""
        for qid, entry in (raw or {}).items():
            name = f"{field}.{qid}"
            if qid not in content.question_ids and qid not in also:
                self.fail(name, say("intake.not_a_question"))
            elif not isinstance(entry, dict):
                self.fail(name, say("intake.not_object"))
            else:
                yield qid, name, entry

    def text(self, data: Mapping, field: str, key: str, limit: int, required: bool) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(field, say("intake.missing"))
            return None
        if not isinstance(value, str):
            self.fail(field, say("intake.not_text", type=json_type(value)))
            return None
        value = unicodedata.normalize("NFC", value).strip()
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            controls = dict.fromkeys(ch for ch in value if unicodedata.category(ch) == "Cc")
            self.fail(field, say("intake.control_characters",
                                       characters=", ".join(describe(ch) for ch in controls)))
            return None
        if not value:
            if required:
                self.fail(field, say("intake.empty"))
            return None
        if len(value) > limit:
            self.fail(field, say("intake.too_long", length=len(value), most=limit))
            return None
        return value

    def date(self, data: Mapping, field: str, key: str, required: bool) -> dt.date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(field, say("intake.missing"))
            return None
        if not isinstance(value, str):
            self.fail(field, say("intake.date_not_text", type=json_type(value)))
            return None
        if not value.strip():
            if required:
                self.fail(field, say("intake.empty"))
            return None
        if not _ISO_DATE.fullmatch(value):
            self.fail(field, say("intake.not_date_form", value=repr(value[:40])))
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(field, say("intake.not_real_date", value=repr(value)))
            return None

    def moment(self, data: Mapping, field: str, key: str) -> dt.datetime | None:
        """A required date and time (ISO), such as a review's `reviewed_at`."""
        stamp = data.get(key)
        if stamp is None:
            self.fail(field, say("intake.missing"))
        elif not isinstance(stamp, str):
            self.fail(field, say("intake.moment_not_text", type=json_type(stamp)))
        else:
            try:
                return dt.datetime.fromisoformat(stamp)
            except ValueError:
                self.fail(field, say("intake.not_moment", value=repr(stamp[:40])))
        return None

    def flag(self, data: Mapping, field: str, key: str) -> bool:
        """An optional true/false (absent is false)."""
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail(field, say("intake.not_yes_no", type=json_type(value)))
            return False
        return value
