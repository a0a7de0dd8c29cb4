"""The app's own log: a rotating file in the data folder, never patient data.

What is logged are events and faults by kind and place (which screen, which store fault), not
values: a message or a traceback's locals may hold a patient's name or answers, so neither is
written. The folder is the user's private data folder (0700).
"""
from __future__ import annotations

import logging
import logging.handlers
import traceback
from pathlib import Path

from . import paths

LOG_NAME = "screening-app.log"
log = logging.getLogger("screening_app")


def setup(max_bytes: int = 1_000_000, backups: int = 5) -> Path | None:
    """Logs INFO and up to logs/screening-app.log (five files of 1 MB kept); None if the folder
    cannot be written (the app runs on without a log)."""
    for h in log.handlers:
        if isinstance(h, logging.handlers.RotatingFileHandler):
            return Path(h.baseFilename)
    try:
        folder = paths.ensure_private_dir(paths.data_dir() / "logs")
        handler = logging.handlers.RotatingFileHandler(folder / LOG_NAME, maxBytes=max_bytes, backupCount=backups,
                                                       encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return folder / LOG_NAME


def fault_summary(kind: type, tb) -> str:
    """A fault by kind and place only ("KeyError at wizard.py:412"), never its message."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{kind.__name__}{where}"
