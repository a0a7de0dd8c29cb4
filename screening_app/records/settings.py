"""Clinic settings: the sheet header, page size, idle lock, the blood donation wait, and the
system of the clinic's patient IDs (for exports).

Kept in the store, so every workstation prints the same header; only admins change them.
A malformed value never stops a screening: the default is used and the problem is named.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields


LOCAL_PATIENT_ID_SYSTEM = "urn:exosome-screening:local:patient-id"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")


@dataclass(frozen=True)
class ClinicSettings:
    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    page_size: str = "letter"  # or "a4"
    idle_lock_minutes: int = 5
    # The product ships no waiting period (no source gives one); a clinic may add its own.
    blood_donation_waiting_period: str = ""
    # The `system` of the patient IDs this clinic types in, for FHIR exports: a URI the clinic
    # owns (its EHR's, e.g. "urn:oid:…" or "https://clinic.example/patient-id"). The default
    # says plainly that the IDs are local to this installation.
    patient_id_system: str = LOCAL_PATIENT_ID_SYSTEM
    # How long a clinician's hold on a screening lasts before another clinician or an admin
    # may free it (with a reason): someone who crashed or went home never blocks a patient.
    claim_release_minutes: int = 30

    def to_json(self) -> dict:
        return asdict(self)

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
        if not _URI.fullmatch(values.get("patient_id_system", LOCAL_PATIENT_ID_SYSTEM)):
            problems.append("patient_id_system: must be a URI such as urn:oid:1.2.3 or https://…, default used")
            values.pop("patient_id_system")
        if not 1 <= values.get("claim_release_minutes", 30) <= 24 * 60:
            problems.append("claim_release_minutes: must be 1 to 1440, default used")
            values.pop("claim_release_minutes")
        return cls(**values), problems
