"""Clinic settings: the sheet header and the clinic's own consent texts, page size, idle lock,
the blood donation wait, the minimum age and the optional witness and interpreter lines.

Kept in the store, so every workstation prints the same sheet; only admins change them.
Each setting is declared once in SETTINGS (type, default, bounds, label); the dataclass, the
checks and (for the admin's form) the labels come from that one table.
A malformed value never stops a screening: the default is used and the problem is named.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, make_dataclass
from typing import TYPE_CHECKING, Any

from ..screening.localize import REVIEW_FORMAT, review_problem
from ..screening.problems import Problem, lines
from ..wording import say

# After each treatment given the clinic contacts the patient in these windows (days after the
# treatment, a day or a from-to range): granulomas and delayed reactions appear weeks to
# months later. Text, so the admin's settings form shows and edits it like any other setting.
DEFAULT_FOLLOW_UP = "2-3, 14, 42, 90"
MAX_FOLLOW_UPS = 12
MAX_FOLLOW_UP_DAY = 3 * 365


def follow_up_plan(text: object) -> tuple[tuple[int, int], ...]:
    """"2-3, 14, 42, 90" -> ((2, 3), (14, 14), (42, 42), (90, 90)); ValueError naming the problem."""
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or parts == [""]:
        raise ValueError(say("clinic_settings.follow_up.none"))
    if len(parts) > MAX_FOLLOW_UPS:
        raise ValueError(say("clinic_settings.follow_up.too_many", most=MAX_FOLLOW_UPS))
    out, last = [], 0
    for i, part in enumerate(parts, 1):
        bits = [b.strip() for b in part.split("-")]
        if not 1 <= len(bits) <= 2 or not all(b.isdigit() for b in bits):
            raise ValueError(say("clinic_settings.follow_up.not_days", number=i, part=repr(part)))
        start, end = int(bits[0]), int(bits[-1])
        if not 1 <= start <= end <= MAX_FOLLOW_UP_DAY:
            raise ValueError(say("clinic_settings.follow_up.out_of_range", number=i, most=MAX_FOLLOW_UP_DAY))
        if start <= last:
            raise ValueError(say("clinic_settings.follow_up.overlap", number=i))
        out.append((start, end))
        last = end
    return tuple(out)


def follow_up_problem(value: object) -> str | None:
    """Why `value` is not a follow-up schedule (None: it is one)."""
    try:
        follow_up_plan(value)
    except ValueError as exc:
        return str(exc)
    return None
LOCAL_PATIENT_ID_SYSTEM = "urn:exosome-screening:local:patient-id"


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: object
    max_length: int = 500  # text
    choices: tuple = ()  # text: one of these
    bounds: tuple[int, int] | None = None  # whole numbers: lowest and highest allowed
    pattern: str = ""  # text: must match this regular expression whole (e.g. a URI)
    # Needed before the app prints a patient sheet (the admin must set it; the GUI refuses to print).
    required_to_print: bool = False
    # A further check of a text value, returning the problem or None.
    check: Callable[[str], str | None] | None = None

    @property
    def label(self) -> str:
        """Its label on the admin's form (resources/locale: clinic_settings.label.<name>)."""
        return say(f"clinic_settings.label.{self.name}", review_format=REVIEW_FORMAT)


SETTINGS: tuple[Setting, ...] = (
    Setting("clinic_name", str, "", required_to_print=True),
    Setting("clinic_address", str, ""),
    Setting("clinic_phone", str, "", required_to_print=True),
    Setting("page_size", str, "letter", choices=("letter", "a4")),
    Setting("idle_lock_minutes", int, 5, bounds=(1, 240)),
    # The product ships no waiting period (no source gives one); a clinic may add its own.
    Setting("blood_donation_waiting_period", str, ""),
    # How long a clinician's hold on a screening lasts before another clinician or an admin
    # may free it (with a reason): someone who crashed or went home never blocks a patient.
    Setting("claim_release_minutes", int, 30, bounds=(1, 24 * 60)),
    # 21 CFR 50.25(a)(7): whom to contact about the patient's rights (the reviewing IRB or the clinic's).
    Setting("clinic_rights_contact", str, "", max_length=2000),
    # 21 CFR 50.25(a)(6): what happens and who pays if the patient is injured.
    Setting("clinic_injury_text", str, "", max_length=2000),
    # 21 CFR 50.25(b)(3): costs to the patient.
    Setting("clinic_costs_text", str, "", max_length=2000),
    # Patients younger than this need a parent's or legal representative's permission (21 CFR 50.55).
    # 18 to 21 covers the ages of majority of the US states; a clinic may only raise it.
    Setting("minimum_age", int, 18, bounds=(18, 21)),
    Setting("witness_line", bool, False),
    Setting("interpreter_line", bool, False),
    # Follow-up contacts after each treatment given (records/aftercare.py plans them).
    Setting("follow_up_days", str, DEFAULT_FOLLOW_UP, max_length=200, check=follow_up_problem),
    # The `system` of the patient IDs the clinic types in, for FHIR exports: a URI the clinic owns
    # (its EHR's, e.g. urn:oid:…). The default says plainly the IDs are local to this installation.
    # A sheet in the patient's language is followed by the clinic's copy in English (for the record).
    Setting("clinic_copy_in_english", bool, False),
    # The clinic's record of a qualified review of a language pack (ISPOR: forward, back, review):
    # until a pack's review is recorded here (or in the pack), its sheets say the translation
    # awaits review. One a line; the version and fingerprint are shown with the pack's record.
    Setting("translation_reviews", str, "", max_length=2000, check=review_problem),
    Setting("patient_id_system", str, LOCAL_PATIENT_ID_SYSTEM, pattern=r"[A-Za-z][A-Za-z0-9+.-]*:\S+"),
)


class _ClinicSettingsMethods:
    if TYPE_CHECKING:
        follow_up_days: str

    def follow_up_plan(self) -> tuple[tuple[int, int], ...]:
        """The follow-up windows as (from_day, to_day) pairs."""
        return follow_up_plan(self.follow_up_days)

    def to_json(self) -> dict:
        return {s.name: getattr(self, s.name) for s in SETTINGS}

    @classmethod
    def from_json(cls, raw: object) -> ClinicSettings:
        return cls.checked(raw)[0]

    def missing_to_print(self) -> list[str]:
        """The settings a patient sheet needs that the admin has not set (the GUI refuses to print)."""
        return [s.name for s in SETTINGS if s.required_to_print and not getattr(self, s.name)]

    @classmethod
    def checked(cls, raw: object) -> tuple[ClinicSettings, list[str]]:
        """The settings in `raw`, and the problems for which a default was used instead, as lines
        ("minimum_age: ..., default used"); `check` gives them as values."""
        settings, problems = cls.check(raw)
        return settings, lines(problems)

    @classmethod
    def check(cls, raw: object) -> tuple[ClinicSettings, list[Problem]]:
        """The settings in `raw`, and a problem (setting name, what is wrong) for each value that
        was replaced by its default, so a form can show it beside the setting's own label."""
        if not isinstance(raw, dict):
            return ClinicSettings(), [Problem("settings", say("clinic_settings.not_object"))]
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for s in SETTINGS:
            if s.name not in raw:
                continue
            value = raw[s.name]
            problem = _problem(s, value)
            if problem:
                problems.append(Problem(s.name, say("clinic_settings.default_used", problem=problem)))
            else:
                values[s.name] = value.strip() if isinstance(value, str) else value
        return ClinicSettings(**values), problems


# The settings as a frozen dataclass whose fields are SETTINGS, in order:
# ClinicSettings(clinic_name=..., minimum_age=...), .clinic_name, ...
if TYPE_CHECKING:  # the type checker sees a class whose fields are SETTINGS (declared once, above)
    class ClinicSettings(_ClinicSettingsMethods):
        def __init__(self, **values: Any) -> None: ...
        def __getattr__(self, name: str) -> Any: ...
else:
    ClinicSettings = make_dataclass(
        "ClinicSettings", [(s.name, s.type, field(default=s.default)) for s in SETTINGS],
        bases=(_ClinicSettingsMethods,), frozen=True, module=__name__)
SETTING_BY_NAME = {s.name: s for s in SETTINGS}


def _problem(s: Setting, value: Any) -> str:
    kind = type(value)  # compared by identity: bool is not int here (True is no idle lock)
    if kind is s.type and s.check is not None and (problem := s.check(value)):
        return problem
    if kind is not s.type:
        return say("clinic_settings.wrong_type")
    if s.type is str:
        if len(value) > s.max_length:
            return say("clinic_settings.too_long", most=s.max_length)
        if s.choices and value.strip() not in s.choices:
            return say("clinic_settings.not_a_choice", choices=" or ".join(s.choices))
        if s.pattern and not re.fullmatch(s.pattern, value.strip()):
            return say("clinic_settings.not_uri")
    if s.bounds and not s.bounds[0] <= value <= s.bounds[1]:
        return say("clinic_settings.out_of_bounds", lowest=s.bounds[0], highest=s.bounds[1])
    return ""
