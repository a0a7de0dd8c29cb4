"""The one place that asks where data and settings live (appdirs), so it can be swapped.

SCREENING_APP_HOME puts everything under one folder instead: for tests, for a portable
install, or for running two separate stores side by side.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import appdirs

APP_NAME = "ExosomeScreening"
APP_AUTHOR = "ExosomeScreening"
HOME_ENV = "SCREENING_APP_HOME"


def _home() -> Path | None:
    home = os.environ.get(HOME_ENV)
    return Path(home) if home else None


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(appdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(appdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def cache_dir() -> Path:
    """What can be made again from the installed files (no patient data): safe to delete."""
    home = _home()
    return home / "cache" if home else Path(appdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


def ensure_private_dir(path: Path) -> Path:
    """Creates `path` readable by this user alone: screenings are medical records."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Writes all of `data` or nothing: a full disk or a crash never leaves half a file."""
    path = Path(path).resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
