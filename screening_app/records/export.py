"""Exports: a finished screening as a FHIR R4 Bundle, and the list of screenings as CSV.

One `collection` Bundle per finished screening, telling the whole screening as recorded:

- Patient (name as written, birth date, the clinic's patient ID with the clinic's `system`);
- Practitioner for whoever filled in the questions and for the clinician who signed,
  Organization for the clinic;
- the Questionnaire *of the version the patient was asked* (from `resources/history/`), with
  follow-ups as nested items enabled by the answers that call for them, answers bound to
  R4's `yesnodontknow` value set; when this installation does not know that version, no
  Questionnaire is invented and the response says so;
- QuestionnaireResponse: the answers in questionnaire order, follow-up answers nested under
  the answer that called for them, "don't know" as `data-absent-reason#asked-unknown`;
- the outcome and each finding as an Observation (see below), the clinician's decisions as a
  ClinicalImpression, the planned treatment as a ServiceRequest (intent `proposal`);
- the product lot as a BiologicallyDerivedProduct and its Certificate of Analysis check as
  an Observation;
- the Consent, only when a consent sheet was printed: `proposed` until the record says the
  signed copy came back, `active` then, `rejected` when the patient declined, the PDF
  attached with its SHA-1 (as FHIR wants) and SHA-256; any other sheet is a DocumentReference.

Why Observation, not RiskAssessment, for the outcome and findings: the outcome is a
categorical result the clinic's rules derived from the answers (do not treat, clinician
review, no contraindication found), not a prediction with a probability. RiskAssessment's
`prediction` is built for "outcome X with likelihood Y"; putting "do not treat" there would
misuse it. Observation carries exactly what we have: a coded value, `derivedFrom` the
QuestionnaireResponse, `hasMember` from outcome to findings, the rule's reason and source
as notes, and the question and answer as components. It is also what EHRs list and what
SDC's Observation-based extraction produces from questionnaire answers.

Every `fullUrl` is `urn:uuid:` with a UUID derived (uuid5) from the screening id, so
exporting the same record twice gives the same bundle. Every resource has a generated
narrative; its sentences are in `resources/fhir.toml`.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from ..screening.content import Content, ContentError, default_content, questionnaire_for_version
from .fhir_answers import questionnaire_resource, response_resource, same_version_other_words
from .fhir_common import (
    ANSWER_CODINGS,
    CONSENT_SHEETS,
    QUESTIONNAIRE_URL,
    SCREENING_ID_SYSTEM,
    YESNODONTKNOW,
    fhir_datetime,
    narrative,
    sentence,
    stable_uuid,
    term,
)
from .fhir_findings import finding_resource, outcome_resource, review_resource
from .fhir_people import patient_resource, practitioner_resource
from .fhir_sheet import consent_resource, consent_status, document_resource, scan_resource, sheet_attachment
from .fhir_treatment import lot_check_resource, product_resource, treatment_resource
from .settings import ClinicSettings
from .store import FinishedRecord

# The entry points, and the vocabulary callers and tests read, importable from here.
__all__ = ["ANSWER_CODINGS", "QUESTIONNAIRE_URL", "YESNODONTKNOW", "bundle_id", "collection_id", "consent_status",
           "csv_export", "export_screening", "fhir_bundle", "fhir_collection", "iter_fhir_collection"]


class _Builder:
    def __init__(self, sid: str):
        self.sid = sid
        self.entries: list[dict] = []

    def add(self, resource: dict, *key: str, uid: str | None = None) -> dict:
        """Adds a resource with a stable UUID; returns a reference to it."""
        uid = uid or stable_uuid(self.sid, resource["resourceType"], *key)
        resource = {"resourceType": resource["resourceType"], "id": uid,
                    **{k: v for k, v in resource.items() if k != "resourceType"}}
        self.entries.append({"fullUrl": f"urn:uuid:{uid}", "resource": resource})
        return {"reference": f"urn:uuid:{uid}"}


def fhir_bundle(record: FinishedRecord, current: Content | None = None, *,
                settings: ClinicSettings | None = None, front_desk: str | None = None,
                paper: list[dict] | None = None, signed_scan: bytes | None = None) -> dict:
    """The finished screening `record` as one `collection` Bundle (see the module's notes).

    `current` is the content in use (for telling a retired questionnaire version from the one
    in force); the record's own versions decide which wording is exported. `front_desk` is the
    display name of whoever filled in the questions (`Store.draft(id).created_by`); `paper` what
    happened to the sheet on paper (`Store.paper_events`), `signed_scan` the signed copy's scan."""
    settings = settings or ClinicSettings()
    try:
        current = current or default_content()
    except ContentError:  # a broken content file must not stop an export of what is recorded
        current = None
    sid = record.screening_id
    sf = record.screening_file
    result = record.result
    patient_data = sf.get("patient", {})
    review = sf.get("review") or None
    questionnaire = questionnaire_for_version(record.questionnaire_version, current)
    finished = fhir_datetime(record.finished_at)
    b = _Builder(sid)

    # --- who --------------------------------------------------------------------------------
    patient = patient_resource(patient_data, settings)
    patient_ref = b.add(patient, "patient")
    signer = record.finished_by
    desk = front_desk or None
    desk_ref: dict | None
    if desk and desk == signer:
        clinician_ref = desk_ref = b.add(practitioner_resource(signer, "role_both"), "practitioner", signer)
    else:
        desk_ref = b.add(practitioner_resource(desk, "role_front_desk"), "practitioner", desk) if desk else None
        clinician_ref = b.add(practitioner_resource(signer, "role_clinician"), "practitioner", signer)
    clinic_name = settings.clinic_name or term("unnamed_clinic")
    org = {"resourceType": "Organization", "active": True, "name": clinic_name,
           "text": narrative(sentence("organization", name=clinic_name))}
    if settings.clinic_phone:
        org["telecom"] = [{"system": "phone", "value": settings.clinic_phone}]
    if settings.clinic_address:
        org["address"] = [{"text": settings.clinic_address}]
    org_ref = b.add(org, "organization")

    # --- what was asked and answered --------------------------------------------------------------
    if questionnaire is not None:
        b.add(questionnaire_resource(questionnaire, current), uid=stable_uuid(QUESTIONNAIRE_URL, questionnaire.version))
    response_ref = b.add(response_resource(record, questionnaire, patient_ref, desk_ref, finished,
                                           same_version_other_words(questionnaire, current)), "response")

    # --- outcome, findings, review -----------------------------------------------------------------
    findings = result.get("findings", [])
    finding_refs = {}
    for f in findings:
        finding_refs[f.get("question")] = b.add(
            finding_resource(f, questionnaire, patient_ref, clinician_ref, response_ref, finished),
            "finding", f.get("question", ""))
    b.add(outcome_resource(record, patient_ref, clinician_ref, response_ref, list(finding_refs.values()), finished),
          "outcome")
    if review:
        b.add(review_resource(review, findings, finding_refs, questionnaire, patient_ref, clinician_ref, signer,
                              finished), "review")

    # --- the planned treatment and the product --------------------------------------------------
    b.add(treatment_resource(record, sf.get("treatment", {}), patient_ref, clinician_ref, finished), "treatment")
    if isinstance(sf.get("product"), dict):
        product_ref = b.add(product_resource(sf["product"]), "product")
        b.add(lot_check_resource(record, patient_ref, clinician_ref, product_ref, finished), "lot-check")

    # --- the sheet: a Consent when one was asked for, else the document ---------------------------
    attachment = sheet_attachment(record, finished)
    if record.sheet_kind in CONSENT_SHEETS:
        consent_ref = b.add(consent_resource(record, attachment, patient_ref, org_ref, finished, paper or []),
                            "consent")
        if signed_scan:
            b.add(scan_resource(record, signed_scan, paper or [], patient_ref, org_ref, consent_ref), "signed-copy")
    else:
        b.add(document_resource(record, attachment, patient_ref, clinician_ref, org_ref, paper or []), "sheet")

    bundle = {"resourceType": "Bundle", "id": bundle_id(sid),
              "identifier": {"system": SCREENING_ID_SYSTEM, "value": f"urn:uuid:{bundle_id(sid)}"},
              "type": "collection", "entry": b.entries}
    if finished and "T" in finished:  # an instant: only with a time and its zone
        bundle["timestamp"] = finished
    return bundle


def fhir_collection(bundles: list[dict]) -> dict:
    """Several screenings as one `collection` Bundle whose entries are their own Bundles."""
    out: dict[str, Any] = {"resourceType": "Bundle", "id": collection_id([b["id"] for b in bundles]),
                           "type": "collection"}
    if bundles:
        out["entry"] = [{"fullUrl": f"urn:uuid:{b['id']}", "resource": b} for b in bundles]
    return out


def collection_id(bundle_ids: list[str]) -> str:
    return stable_uuid("collection", ",".join(sorted(bundle_ids)))


def bundle_id(sid: str) -> str:
    return stable_uuid(sid, "bundle")


def iter_fhir_collection(sids: list[str], load) -> Iterator[str]:
    """The same collection as `fhir_collection`, as JSON text in pieces: one screening's Bundle
    (with its PDF) in memory at a time, however long the range."""
    head = {"resourceType": "Bundle", "id": collection_id([bundle_id(s) for s in sids]), "type": "collection"}
    text = json.dumps(head, ensure_ascii=False, indent=2)
    if not sids:
        yield text + "\n"
        return
    yield text[:-2] + ',\n  "entry": [\n'
    for i, sid in enumerate(sids):
        bundle = load(sid)
        entry = {"fullUrl": f"urn:uuid:{bundle['id']}", "resource": bundle}
        yield ("" if i == 0 else ",\n") + json.dumps(entry, ensure_ascii=False, indent=2)
    yield "\n  ]\n}\n"


def export_screening(store, sid: str, current: Content | None = None, *, actor=None) -> dict:
    """The Bundle for finished screening `sid`, with the clinic's settings and front desk, and,
    for a signed-in `actor` allowed to see them, every adverse event recorded after it (FHIR
    AdverseEvent, its subject the Bundle's Patient)."""
    record = store.record(sid)
    bundle = fhir_bundle(record, current, settings=store.settings(), front_desk=store.draft(sid).created_by,
                         paper=store.paper_events(sid), signed_scan=store.signed_copy(sid))
    if actor is not None:
        from .fhir_aftercare import adverse_event_entries
        patient = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
        for entry in adverse_event_entries(store, actor, sid):
            entry["resource"]["subject"] = {"reference": patient}
            bundle["entry"].append(entry)
    return bundle


# --- CSV ------------------------------------------------------------------------------------------

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
