"""Sources a clinic can look up: `resources/references.toml`, and citing them by id.

Rules, questions and sheet risks name their sources by id; loading refuses an id that is
not listed, so every finding and every risk on the sheet resolves to a full citation with
an address. No internal note stands in for a source.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..resources import resource_path

REFERENCES_FILE = "references.toml"


@dataclass(frozen=True)
class Reference:
    id: str
    citation: str
    url: str
    doi: str
    verified: dt.date

    def to_json(self) -> dict:
        return {"id": self.id, "citation": self.citation, "url": self.url}


def citation_text(references) -> str:
    """The readable source line: each full citation, separated by semicolons."""
    return "; ".join(r.citation.rstrip(".") for r in references) + ("." if references else "")


def source_text(policy: str, references) -> str:
    """A policy ("Clinic policy: ...") and the sources it follows, as one readable text."""
    if not policy:
        return citation_text(references)
    return f"{policy} Sources: {citation_text(references)}" if references else policy


def load_references(path: Path | None, problems: list[str]) -> dict[str, Reference]:
    """Reads references.toml; every problem is appended to `problems` naming file and entry."""
    path = path or resource_path(REFERENCES_FILE)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not valid TOML ({exc})")
        return {}
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror})")
        return {}
    where = path.name
    out: dict[str, Reference] = {}
    for i, entry in enumerate(data.get("reference", [])):
        label = f"reference[{i}]"
        rid = entry.get("id")
        if not isinstance(rid, str) or not rid.strip():
            problems.append(f"{where}: {label}.id: must be non-empty text")
            continue
        rid = rid.strip()
        label = f"reference {rid}"
        if rid in out:
            problems.append(f"{where}: {label}: id used twice")
        texts = {}
        for key in ("citation", "url", "doi"):
            value = entry.get(key, "")
            if not isinstance(value, str):
                problems.append(f"{where}: {label}.{key}: must be text")
                value = ""
            texts[key] = value.strip()
        if not texts["citation"]:
            problems.append(f"{where}: {label}.citation: must be non-empty text")
        if not texts["url"] and not texts["doi"]:
            problems.append(f"{where}: {label}: needs a url or a doi, so a clinic can look it up")
        if texts["url"] and not texts["url"].startswith("https://"):
            problems.append(f"{where}: {label}.url: must start with https://")
        verified = entry.get("verified")
        if not (isinstance(verified, dt.date) and not isinstance(verified, dt.datetime)):
            problems.append(f"{where}: {label}.verified: must be the date it was last checked (YYYY-MM-DD)")
            verified = dt.date.min
        url = texts["url"] or f"https://doi.org/{texts['doi']}"
        out[rid] = Reference(rid, texts["citation"], url, texts["doi"], verified)
    if not out and not problems:
        problems.append(f"{where}: no [[reference]] entries")
    return out


def resolve(raw: object, known: dict[str, Reference], where: str, label: str,
            problems: list[str]) -> tuple[Reference, ...]:
    """The references named by `raw` (a list of ids); an unknown or missing id is a problem."""
    if not isinstance(raw, list) or not raw or not all(isinstance(r, str) for r in raw):
        problems.append(f"{where}: {label}.references: must be a non-empty list of ids from {REFERENCES_FILE}")
        return ()
    out = []
    for rid in raw:
        ref = known.get(rid.strip())
        if ref is None:
            problems.append(f"{where}: {label}.references: unknown id {rid!r} (not in {REFERENCES_FILE})")
        elif ref not in out:
            out.append(ref)
    return tuple(out)
