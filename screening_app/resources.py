"""Finds the clinic-editable files in `resources/` wherever the app runs from.

The directory sits beside the package in a checkout, inside the bundle when frozen
by PyInstaller, or wherever SCREENING_APP_RESOURCES points (a clinic's own copy).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "SCREENING_APP_RESOURCES"


def resource_dir() -> Path:
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    return shipped_resource_dir()


def shipped_resource_dir() -> Path:
    """The installation's own resources/, whatever SCREENING_APP_RESOURCES says: what the
    product shipped (the record of shipped content versions lives here, out of a clinic's copy)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)


def shipped_resource_path(*parts: str) -> Path:
    return shipped_resource_dir().joinpath(*parts)
