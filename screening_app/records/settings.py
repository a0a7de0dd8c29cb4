"""Clinic settings: the sheet header, page size, idle lock and the blood donation wait.

Kept as a small JSON file in the config folder; a broken file never stops a screening
(the defaults are used and the problem is reported), and saving is all-or-nothing.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .. import paths

FILE_NAME = "settings.json"


@dataclass(frozen=True)
class ClinicSettings:
    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    page_size: str = "letter"  # or "a4"
    idle_lock_minutes: int = 5
    # The product ships no waiting period (no source gives one); a clinic may add its own.
    blood_donation_waiting_period: str = ""


def settings_path() -> Path:
    return paths.config_dir() / FILE_NAME


def load_settings(path: Path | None = None) -> tuple[ClinicSettings, list[str]]:
    """The settings and any problems found in the file (which are then left at defaults)."""
    path = path or settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ClinicSettings(), []
    except (OSError, ValueError) as exc:
        return ClinicSettings(), [f"{path}: cannot be read, defaults used ({exc})"]
    if not isinstance(raw, dict):
        return ClinicSettings(), [f"{path}: not a settings object, defaults used"]
    defaults = ClinicSettings()
    values, problems = {}, []
    for f in fields(ClinicSettings):
        if f.name not in raw:
            continue
        value, default = raw[f.name], getattr(defaults, f.name)
        if type(value) is not type(default):
            problems.append(f"{path}: {f.name}: wrong type, default used")
            continue
        values[f.name] = value
    if values.get("page_size", "letter") not in ("letter", "a4"):
        problems.append(f"{path}: page_size: must be letter or a4, default used")
        values.pop("page_size")
    if not 1 <= values.get("idle_lock_minutes", 5) <= 240:
        problems.append(f"{path}: idle_lock_minutes: must be 1 to 240, default used")
        values.pop("idle_lock_minutes")
    return ClinicSettings(**values), problems


def save_settings(settings: ClinicSettings, path: Path | None = None) -> None:
    path = path or settings_path()
    paths.ensure_private_dir(path.parent)
    paths.write_atomically(path, json.dumps(asdict(settings), ensure_ascii=False, indent=2).encode("utf-8"))
