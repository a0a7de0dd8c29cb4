"""Exports: a finished screening as FHIR R4 JSON, and the list of screenings as CSV."""
from __future__ import annotations

import base64
import csv
import hashlib
import io

from ..screening import default_content
from ..screening.history import finding_title
from ..screening.content import Content
from .store import FinishedRecord

CANONICAL = "urn:exosome-screening:questionnaire"
ANSWER_CODINGS = {
    "yes": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "Y", "display": "Yes"},
    "no": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": "N", "display": "No"},
    "dont_know": {"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK",
                  "display": "Don't know"},
}


def fhir_questionnaire(content: Content) -> dict:
    return {
        "resourceType": "Questionnaire",
        "id": f"exosome-screening-{content.questionnaire_version}".replace(".", "-"),
        "url": CANONICAL,
        "version": content.questionnaire_version,
        "status": "active",
        "title": content.title,
        "date": content.questionnaire_effective.isoformat(),
        "item": [{"linkId": q.id, "text": q.text, "type": "choice", "required": q.required,
                  "answerOption": [{"valueCoding": c} for c in ANSWER_CODINGS.values()]}
                 for q in content.questions],
    }


def fhir_bundle(record: FinishedRecord, content: Content | None = None) -> dict:
    """A collection Bundle: the Questionnaire, the patient's QuestionnaireResponse and, when the
    patient was asked to consent, the Consent with the signed sheet attached."""
    content = content or default_content()
    sf = record.screening_file
    patient = {"display": sf["patient"]["name"]}
    if sf["patient"].get("patient_id"):
        patient["identifier"] = {"value": sf["patient"]["patient_id"]}
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": record.screening_id,
        "questionnaire": f"{CANONICAL}|{record.questionnaire_version}",
        "status": "completed",
        "subject": patient,
        "authored": record.finished_at,
        "author": {"display": record.finished_by},
        "item": [{"linkId": qid, "text": _question_text(content, qid),
                  "answer": [{"valueCoding": ANSWER_CODINGS[value]}]}
                 for qid, value in sf["answers"].items()],
    }
    entries = [fhir_questionnaire(content), response]
    if record.sheet_kind in ("consent", "declined"):
        # A patient who read the consent and said no: the same document, rejected, provision deny.
        declined = record.sheet_kind == "declined"
        entries.append({
            "resourceType": "Consent",
            "id": f"{record.screening_id}-consent",
            "status": "rejected" if declined else "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "treatment"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0",
                                      "display": "Consent Document"}]}],
            "patient": patient,
            "dateTime": record.finished_at,
            "performer": [patient],
            "sourceAttachment": {
                "contentType": "application/pdf",
                "data": base64.b64encode(record.pdf).decode("ascii"),
                "hash": base64.b64encode(hashlib.sha1(record.pdf).digest()).decode("ascii"),
                "title": "Exosome treatment: risks and consent" + (" (declined)" if declined else ""),
            },
            "provision": {"type": "deny" if declined else "permit"},
        })
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{e['id']}" if e["resourceType"] != "Questionnaire" else CANONICAL,
                       "resource": e} for e in entries]}


def _question_text(content: Content, qid: str) -> str:
    try:
        return finding_title(content, qid)
    except KeyError:  # a question of an older questionnaire
        return qid


CSV_COLUMNS = ("id", "status", "patient_name", "date_of_birth", "treatment_date", "outcome", "updated_at", "amends")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A name like "=HYPERLINK(...)" must stay text when the CSV is opened in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_export(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()
