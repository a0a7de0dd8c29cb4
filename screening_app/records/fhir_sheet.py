"""The sheet: a Consent when one was asked for (its status from the paper trail), the signed
copy's scan, or a DocumentReference for any other sheet; the PDF attached with its hashes."""
from __future__ import annotations

import base64
import hashlib

from .fhir_common import BASE, CONSENT_SHEETS, EXT_SHA256, fhir_datetime, narrative, sentence, sheet_name, term, words


def consent_status(record, paper: list[dict] | None = None) -> str:
    """`rejected` when the patient declined, `active` once the signed copy is recorded as
    received (`Store.paper_events`), else `proposed`: a printout is not a signed consent.
    The store records a refusal as the sheet kind "declined" (the screening file's `declined`);
    the other spellings are read defensively, and older records carry neither."""
    events = {e.get("event") for e in paper or ()}
    explicit = getattr(record, "consent_status", None)
    if explicit in ("proposed", "active", "rejected"):
        return explicit
    if (record.sheet_kind == "declined" or "declined" in events or getattr(record, "declined", None)
            or getattr(record, "declined_at", None)):
        return "rejected"
    if "signed_copy_received" in events or any(
            getattr(record, name, None) for name in ("signed_copy_received", "signed_copy_at", "signed_copy_sha256")):
        return "active"
    return "proposed"


def sheet_attachment(record, created) -> dict:
    att = {"extension": [{"url": EXT_SHA256, "valueString": record.pdf_sha256}],
           "contentType": "application/pdf", "data": base64.b64encode(record.pdf).decode("ascii"),
           "size": len(record.pdf),
           "hash": base64.b64encode(hashlib.sha1(record.pdf).digest()).decode("ascii"),
           "title": term("consent_title") if record.sheet_kind in CONSENT_SHEETS else sheet_name(record.sheet_kind)}
    if created:
        att["creation"] = created
    return att


def consent_resource(record, attachment, patient_ref, org_ref, when, paper: list[dict]) -> dict:
    status = consent_status(record, paper)
    lines = [sentence("consent", status=words()["consent_status"][status], sha256=record.pdf_sha256)]
    lines += paper_lines(paper)
    declined = record.screening_file.get("declined")
    if isinstance(declined, dict):
        lines.append(sentence("declined", by=declined.get("recorded_by", ""), at=declined.get("recorded_at", ""),
                              note=(": " + declined["note"]) if declined.get("note") else ""))
    consent = {"resourceType": "Consent", "status": status,
               "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                     "code": "treatment", "display": "Treatment"}]},
               "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0",
                                         "display": "Patient Consent"}]}],
               "patient": patient_ref}
    if when:
        consent["dateTime"] = when
    consent.update({
        "performer": [patient_ref],
        "organization": [org_ref],
        "sourceAttachment": attachment,
        # ppc-1: the consent the patient read is the sheet of this version.
        "policy": [{"uri": f"{BASE}/consent-sheet/{record.sheet_version}"}],
        "policyRule": {"text": term("consent_policy", sheet_version=record.sheet_version)},
        "provision": {"type": "deny" if status == "rejected" else "permit"},
        "text": narrative(*lines),
    })
    return consent


def scan_resource(record, scan: bytes, paper: list[dict], patient_ref, org_ref, consent_ref) -> dict:
    received = [e for e in paper if e.get("event") == "signed_copy_received"]
    sha = hashlib.sha256(scan).hexdigest()
    att = {"extension": [{"url": EXT_SHA256, "valueString": sha}], "contentType": "application/pdf",
           "data": base64.b64encode(scan).decode("ascii"), "size": len(scan),
           "hash": base64.b64encode(hashlib.sha1(scan).digest()).decode("ascii"), "title": term("signed_copy")}
    doc = {"resourceType": "DocumentReference", "status": "current", "type": {"text": term("signed_copy")},
           "subject": patient_ref}
    at = fhir_datetime(received[-1].get("at")) if received else None
    if at and "T" in at:
        doc["date"] = at
    doc.update({"custodian": org_ref, "content": [{"attachment": att}], "context": {"related": [consent_ref]},
                "text": narrative(sentence("document", sheet=term("signed_copy"), sha256=sha))})
    return doc


def paper_lines(paper: list[dict]) -> list[str]:
    return [sentence("paper", event=words()["paper"].get(e.get("event"), e.get("event")), at=e.get("at", ""),
                     by=e.get("display_name", ""), detail=(": " + e["detail"]) if e.get("detail") else "")
            for e in paper]


def document_resource(record, attachment, patient_ref, clinician_ref, org_ref, paper: list[dict]) -> dict:
    doc = {"resourceType": "DocumentReference", "status": "current",
           "type": {"text": sheet_name(record.sheet_kind)}, "subject": patient_ref}
    created = fhir_datetime(record.finished_at)
    if created and "T" in created:  # an instant: only with a time and its zone
        doc["date"] = created
    doc.update({"author": [clinician_ref], "custodian": org_ref, "content": [{"attachment": attachment}],
                "text": narrative(sentence("document", sheet=sheet_name(record.sheet_kind), sha256=record.pdf_sha256),
                                  *paper_lines(paper))})
    return doc
