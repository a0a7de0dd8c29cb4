"""What every FHIR resource of an export shares: the code systems and URLs, stable UUIDs, dates,
narratives, and the sentences of `resources/fhir.toml`."""
from __future__ import annotations

import datetime as dt
import tomllib
import uuid
from functools import lru_cache

from ..markup import escape
from ..resources import resource_path
from ..screening.model import Answer, Outcome
from ..sheets.kinds import KINDS

BASE = "https://exosomescreening.com/fhir"
QUESTIONNAIRE_URL = f"{BASE}/Questionnaire/health-questions"
QUESTIONNAIRE_NAME = "ExosomeHealthQuestions"
CS_SCREENING = f"{BASE}/CodeSystem/screening"          # what an Observation is about
CS_OUTCOME = f"{BASE}/CodeSystem/screening-outcome"    # do_not_treat, clinician_review, …
CS_QUESTION = f"{BASE}/CodeSystem/question"            # the questionnaire's question ids
CS_CASE_FINDING = f"{BASE}/CodeSystem/case-finding"    # findings the records raise (seen_before)
CS_DECISION = f"{BASE}/CodeSystem/review-decision"     # proceed, defer
CS_LOT_STATUS = f"{BASE}/CodeSystem/lot-status"        # verified, not_verified
CS_COA = f"{BASE}/CodeSystem/coa-check"                # the product fields of the screening file
EXT_SHA256 = f"{BASE}/StructureDefinition/attachment-sha256"
LOT_SYSTEM = "urn:exosome-screening:local:product-lot"
SCREENING_ID_SYSTEM = "urn:ietf:rfc:3986"
YESNODONTKNOW = "http://hl7.org/fhir/ValueSet/yesnodontknow"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
XHTML = "http://www.w3.org/1999/xhtml"
# The namespace of every UUID an export makes; never change it, or exports stop being stable.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)

ANSWER_CODINGS = {
    "yes": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y", "display": "Yes"},
    "no": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "N", "display": "No"},
    "dont_know": {"system": DATA_ABSENT, "code": "asked-unknown", "display": "Asked But Unknown"},
}
# From the table of sheet kinds (sheets/kinds.py), by the names records store.
CONSENT_SHEETS = tuple(kind.value for kind, info in KINDS.items() if info.fhir_consent)
REQUEST_STATUS = {kind.value: info.fhir_request_status for kind, info in KINDS.items()}

@lru_cache(maxsize=1)
def words() -> dict:
    with resource_path("fhir.toml").open("rb") as fh:
        return tomllib.load(fh)


def sentence(key: str, **values) -> str:
    return words()["text"][key].format(**values)


def term(key: str, **values) -> str:
    return words()["names"][key].format(**values)


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def fhir_datetime(value: str | None) -> str | None:
    """A FHIR dateTime: with seconds and a time zone, or only the date when the recorded time
    has no time zone (FHIR forbids a time without one; we never guess it)."""
    if not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    if stamp.tzinfo is None:
        return stamp.date().isoformat()
    return stamp.isoformat(timespec="seconds")


def narrative(*lines: str, title: str | None = None) -> dict:
    parts = [f'<div xmlns="{XHTML}">']
    if title:
        parts.append(f"<p><b>{escape(title)}</b></p>")
    if lines:
        parts.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
    parts.append("</div>")
    return {"status": "generated", "div": "".join(parts)}


def outcome_concept(code: str) -> dict:
    try:
        label = Outcome(code).label
    except ValueError:
        label = code
    return {"coding": [{"system": CS_OUTCOME, "code": code, "display": label}], "text": label}


def answer_label(value: str | None) -> str:
    try:
        return Answer(value).label if value else term("not_answered")
    except ValueError:
        return str(value)


def category() -> list[dict]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}]


def sheet_name(kind: str) -> str:
    kinds = words()["sheet_kinds"]
    return kinds.get(kind) or kinds["other"].format(kind=kind)
