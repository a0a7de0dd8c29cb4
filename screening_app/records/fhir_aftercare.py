"""FHIR R4 AdverseEvent for one adverse event after a treatment.

Kept apart from export.py: `fhir_adverse_event(event, record)` returns the resource, and
`adverse_event_entries(store, actor, sid)` the bundle entries for one finished screening
(for the export's Bundle to append).
"""
from __future__ import annotations

from ..markup import escape

SYSTEM = "urn:exosome-screening:adverse-event"
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
# The MedWatch (FDA 3500, B2) criteria and the FDA report have no element of their own in R4.
CRITERIA_EXTENSION = "urn:exosome-screening:fhir:medwatch-seriousness-criterion"
FDA_EXTENSION = "urn:exosome-screening:fhir:reported-to-fda"
OUTCOMES = {"recovered": "resolved", "recovering": "recovering", "not_recovered": "ongoing",
            "recovered_with_sequelae": "resolvedWithSequelae", "fatal": "fatal", "unknown": "unknown"}
OUTCOME_DISPLAY = {"resolved": "Resolved", "recovering": "Recovering", "ongoing": "Ongoing",
                   "resolvedWithSequelae": "Resolved with Sequelae", "fatal": "Fatal", "unknown": "Unknown"}


def _patient(record) -> dict:
    patient = record.screening_file.get("patient", {})
    out = {"display": patient.get("name", "")}
    if patient.get("patient_id"):
        out["identifier"] = {"value": patient["patient_id"]}
    return out


def fhir_adverse_event(event, record, administration=None) -> dict:
    """`event`: records.aftercare.AdverseEvent (its latest record); `record`: the finished
    screening (consent) it follows; `administration`: what was given, when known."""
    serious = "serious" if event.seriousness else "non-serious"
    code = OUTCOMES[event.outcome]
    extensions = [{"url": CRITERIA_EXTENSION, "valueCode": c} for c in event.seriousness]
    extensions.append({"url": FDA_EXTENSION, "valueBoolean": event.reported_to_fda})
    if event.reported_to_fda and event.reported_on:
        extensions.append({"url": FDA_EXTENSION + "-date", "valueDate": event.reported_on})
    resource = {
        "resourceType": "AdverseEvent",
        "id": event.id,
        "text": {"status": "generated",
                 "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Adverse event (onset '
                        f'{escape(event.onset)}, {serious}): {escape(event.description)}</p></div>'},
        "extension": extensions,
        "identifier": {"system": SYSTEM, "value": event.id},
        "actuality": "actual",
        "event": {"text": event.description},
        "subject": _patient(record),
        "date": event.onset,
        "recordedDate": event.recorded_at,
        "recorder": {"display": event.recorded_by},
        "seriousness": {"coding": [{"system": SERIOUSNESS_SYSTEM, "code": serious,
                                    "display": "Serious" if event.seriousness else "Non-serious"}]},
        "outcome": {"coding": [{"system": OUTCOME_SYSTEM, "code": code, "display": OUTCOME_DISPLAY[code]}]},
    }
    lot = event.suspected_lot or (administration.lot if administration is not None else None) or record.lot
    product = (record.screening_file.get("product") or {}).get("name") or "Exosome product"
    given = ""
    if administration is not None and administration.given:
        given = f", {administration.amount} {administration.unit} {administration.route} " \
                f"({administration.site}) on {administration.given_at[:10]}"
    resource["suspectEntity"] = [{"instance": {"display": f"{product}, lot {lot}{given}" if lot else product}}]
    return resource


def adverse_event_entries(store, actor, sid: str) -> list[dict]:
    """Bundle entries (fullUrl + resource) for every adverse event after this screening."""
    events = store.adverse_events(actor, sid=sid, purpose="export")
    if not events:
        return []
    record, administration = store.record(sid), store.administration(actor, sid)
    return [{"fullUrl": f"urn:uuid:{e.id}", "resource": fhir_adverse_event(e, record, administration)}
            for e in events]
