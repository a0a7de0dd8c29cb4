"""Clinic settings: the sheet header, page size, idle lock and the blood donation wait.

Kept in the store, so every workstation prints the same header; only admins change them.
A malformed value never stops a screening: the default is used and the problem is named.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

# After each administration the clinic contacts the patient in these windows (days after the
# treatment, from-to): granulomas and delayed reactions appear weeks to months later.
DEFAULT_FOLLOW_UP = ((2, 3), (14, 14), (42, 42), (90, 90))
MAX_FOLLOW_UPS = 12
MAX_FOLLOW_UP_DAY = 3 * 365


def follow_up_problem(value: object) -> str | None:
    """Why `value` is not a follow-up schedule: a list of [from_day, to_day] pairs."""
    if not isinstance(value, (list, tuple)) or not value:
        return "must be a list of [from_day, to_day] pairs, at least one"
    if len(value) > MAX_FOLLOW_UPS:
        return f"at most {MAX_FOLLOW_UPS} contacts"
    last = 0
    for i, pair in enumerate(value, 1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or \
                not all(type(d) is int for d in pair):
            return f"contact {i}: must be two whole numbers of days, [from, to]"
        start, end = pair
        if not 1 <= start <= end <= MAX_FOLLOW_UP_DAY:
            return f"contact {i}: days must be 1 to {MAX_FOLLOW_UP_DAY}, from no later than to"
        if start <= last:
            return f"contact {i}: must start after the contact before it"
        last = end
    return None


@dataclass(frozen=True)
class ClinicSettings:
    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    page_size: str = "letter"  # or "a4"
    idle_lock_minutes: int = 5
    # The product ships no waiting period (no source gives one); a clinic may add its own.
    blood_donation_waiting_period: str = ""
    # How long a clinician's hold on a screening lasts before another clinician or an admin
    # may free it (with a reason): someone who crashed or went home never blocks a patient.
    claim_release_minutes: int = 30
    # Follow-up contacts after each administration: [from_day, to_day] after the treatment.
    follow_up_days: tuple = DEFAULT_FOLLOW_UP

    def __post_init__(self):
        object.__setattr__(self, "follow_up_days", tuple(tuple(p) for p in self.follow_up_days))

    def to_json(self) -> dict:
        out = asdict(self)
        out["follow_up_days"] = [list(p) for p in self.follow_up_days]
        return out

    @classmethod
    def from_json(cls, raw: object) -> "ClinicSettings":
        return cls.checked(raw)[0]

    @classmethod
    def checked(cls, raw: object) -> tuple["ClinicSettings", list[str]]:
        """The settings in `raw`, and the problems for which a default was used instead."""
        if not isinstance(raw, dict):
            return cls(), ["settings: not an object, defaults used"]
        defaults, values, problems = cls(), {}, []
        for f in fields(cls):
            if f.name not in raw:
                continue
            value = raw[f.name]
            if f.name == "follow_up_days":
                problem = follow_up_problem(value)
                if problem:
                    problems.append(f"follow_up_days: {problem}, default used")
                else:
                    values[f.name] = tuple(tuple(p) for p in value)
                continue
            if type(value) is not type(getattr(defaults, f.name)):
                problems.append(f"{f.name}: wrong type, default used")
            elif isinstance(value, str) and len(value) > 500:
                problems.append(f"{f.name}: longer than 500 characters, default used")
            else:
                values[f.name] = value.strip() if isinstance(value, str) else value
        if values.get("page_size", "letter") not in ("letter", "a4"):
            problems.append("page_size: must be letter or a4, default used")
            values.pop("page_size")
        if not 1 <= values.get("idle_lock_minutes", 5) <= 240:
            problems.append("idle_lock_minutes: must be 1 to 240, default used")
            values.pop("idle_lock_minutes")
        if not 1 <= values.get("claim_release_minutes", 30) <= 24 * 60:
            problems.append("claim_release_minutes: must be 1 to 1440, default used")
            values.pop("claim_release_minutes")
        return cls(**values), problems
