"""The planned treatment (a ServiceRequest, intent `proposal`), the product lot and its
Certificate of Analysis check."""
from __future__ import annotations

from typing import Any

from ..screening.model import Route
from .fhir_common import (
    BASE,
    CONSENT_SHEETS,
    CS_COA,
    CS_LOT_STATUS,
    CS_SCREENING,
    LOT_SYSTEM,
    REQUEST_STATUS,
    narrative,
    sentence,
    term,
    words,
)
from .fhir_sheet import consent_status


def treatment_resource(record, treatment: dict, patient_ref, clinician_ref, when) -> dict:
    route = treatment.get("route") or ""
    try:
        route_label = Route(route).label
    except ValueError:
        route_label = route
    status = REQUEST_STATUS.get(record.sheet_kind, "unknown")
    if record.sheet_kind in CONSENT_SHEETS and consent_status(record) == "rejected":
        status = "revoked"
    request = {"resourceType": "ServiceRequest", "status": status, "intent": "proposal",
               "code": {"text": term("treatment")},
               "orderDetail": [{"coding": [{"system": f"{BASE}/CodeSystem/route", "code": route,
                                            "display": route_label}], "text": route_label}],
               "subject": patient_ref}
    if treatment.get("date"):
        request["occurrenceDateTime"] = treatment["date"]
    if when:
        request["authoredOn"] = when
    request["requester"] = clinician_ref
    if treatment.get("area"):
        request["bodySite"] = [{"text": str(treatment["area"])}]
    area = f", {treatment['area']}" if treatment.get("area") else ""
    request["text"] = narrative(sentence("treatment", treatment=term("treatment"), route=route_label, area=area,
                                         date=treatment.get("date", ""), status=status))
    return request


def product_resource(product: dict) -> dict:
    lot = product.get("lot")
    resource: dict[str, Any] = {"resourceType": "BiologicallyDerivedProduct", "productCategory": "biologicalAgent",
                "productCode": {"text": term("product")}}
    if lot:
        resource["identifier"] = [{"type": {"text": term("lot_number")}, "system": LOT_SYSTEM, "value": str(lot)}]
    storage = product.get("storage_c")
    if isinstance(storage, (int, float)) and not isinstance(storage, bool):
        resource["storage"] = [{"temperature": storage, "scale": "celsius"}]
    resource["text"] = narrative(sentence("product", lot=lot) if lot else sentence("product_no_lot"))
    return resource


def coa_component(key: str, value) -> dict | None:
    comp: dict[str, Any] = {"code": {"coding": [{"system": CS_COA, "code": key}], "text": key.replace("_", " ")}}
    if isinstance(value, bool):
        comp["valueBoolean"] = value
    elif isinstance(value, int):
        comp["valueInteger"] = value
    elif isinstance(value, float):
        comp["valueQuantity"] = ({"value": value, "unit": "Cel", "system": "http://unitsofmeasure.org", "code": "Cel"}
                                 if key.endswith("_c") else {"value": value})
    elif isinstance(value, list):
        comp["valueString"] = ", ".join(str(v) for v in value)
    elif isinstance(value, str) and value.strip():
        comp["valueString"] = value
    else:
        return None
    if key.endswith("_c") and "valueInteger" in comp:
        comp["valueQuantity"] = {"value": comp.pop("valueInteger"), "unit": "Cel",
                                 "system": "http://unitsofmeasure.org", "code": "Cel"}
    return comp


def lot_check_resource(record, patient_ref, clinician_ref, product_ref, when) -> dict:
    product = record.screening_file.get("product", {})
    checked = record.result.get("product") or {}
    status = checked.get("status") or ("verified" if record.lot_verified else "not_verified")
    label = words()["lot_status"].get(status, status)
    problems = [str(p) for p in checked.get("problems", [])]
    obs = {"resourceType": "Observation", "status": "final",
           "code": {"coding": [{"system": CS_SCREENING, "code": "lot-verification",
                                "display": term("lot_verification")}]},
           "subject": patient_ref, "focus": [product_ref]}
    if when:
        obs["effectiveDateTime"] = when
    obs["performer"] = [clinician_ref]
    obs["valueCodeableConcept"] = {"coding": [{"system": CS_LOT_STATUS, "code": status, "display": label}],
                                   "text": label}
    if problems:
        obs["note"] = [{"text": sentence("lot_problem", problem=p)} for p in problems]
    components = [c for key, value in product.items() if (c := coa_component(key, value)) is not None]
    if components:
        obs["component"] = components
    obs["text"] = narrative(*[sentence("lot_problem", problem=p) for p in problems],
                            title=sentence("lot_check", lot=product.get("lot") or "-", status=label))
    return obs
