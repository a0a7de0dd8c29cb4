"""The sheet's words: resources/sheet.toml in English, or a language pack's translation of it,
checked on load (every risk cites its sources by id; every procedure has its risks)."""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache

from ..resources import resource_path
from ..screening import ContentError, default_content
from ..screening.languages import ENGLISH, canonical_language, pack_for
from ..screening.references import REFERENCES_FILE, Reference


@lru_cache(maxsize=8)
def sheet_texts(language: str = ENGLISH) -> dict:
    """The sheet's texts in `language` (an installed language; English by default)."""
    code = canonical_language(language) or ENGLISH
    if code != ENGLISH:
        return pack_for(code, default_content()).sheet  # English structure, checked key for key
    with resource_path("sheet.toml").open("rb") as fh:
        texts = tomllib.load(fh)
    problems = sheet_problems(texts, default_content().references)
    if problems:
        raise ContentError(problems)
    return texts


def _risk_lists(texts: dict):
    """(label, items) for every list of risks on the sheet."""
    for section in texts.get("consent", {}).get("section", []):
        if section.get("items"):
            yield f"consent.section {section.get('heading', '?')!r}", section["items"]
    for key, table in texts.get("procedure_risks", {}).items():
        yield f"procedure_risks.{key}", table.get("items", [])


def sheet_problems(texts: dict, references: dict[str, Reference]) -> list[str]:
    """Every risk must cite at least one source by an id of references.toml."""
    problems = []
    for label, items in _risk_lists(texts):
        for i, item in enumerate(items):
            where = f"sheet.toml: {label} item {i + 1}"
            ids = item.get("references") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
                problems.append(f"{where}: must be {{text = \"...\", references = [ids]}}")
            elif not isinstance(ids, list) or not ids:
                problems.append(f"{where}.references: every risk cites its sources by id from {REFERENCES_FILE}")
            else:
                problems += [f"{where}.references: unknown id {rid!r} (not in {REFERENCES_FILE})"
                             for rid in ids if rid not in references]
    for key in ("topical_none", "microneedling", "laser", "injection", "intravenous"):
        if key not in texts.get("procedure_risks", {}):
            problems.append(f"sheet.toml: procedure_risks.{key}: missing")
    return problems


def procedure_key(treatment) -> str:
    """The procedure_risks entry for a treatment: the topical procedure, or the route."""
    route = treatment.route.value
    if route != "topical":
        return route
    procedure = getattr(treatment, "procedure", None) or "none"  # Treatment.procedure, where known
    procedure = str(getattr(procedure, "value", procedure))
    return "topical_none" if procedure == "none" else procedure


def ind_display(value: object) -> str:
    """The IND number as printed, the way FDA writes it: "IND 012345", "IND#012345" and "012345"
    all print as IND 012345."""
    text = value.strip() if isinstance(value, str) else ""
    number = re.sub(r"^IND[\s#:.-]*", "", text, flags=re.IGNORECASE).strip()
    return f"IND {number}" if number else ""
