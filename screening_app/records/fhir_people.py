"""Who: the patient, and the practitioners who filled in the questions and signed."""
from __future__ import annotations

from typing import Any

from .fhir_common import narrative, sentence, term
from .settings import ClinicSettings


def patient_resource(data: dict, settings: ClinicSettings) -> dict:
    name, dob = str(data.get("name", "")), data.get("date_of_birth")
    patient: dict[str, Any] = {"resourceType": "Patient", "name": [{"text": name}]}
    lines = [sentence("patient", name=name, birth_date=dob or term("not_recorded"))]
    if data.get("patient_id"):
        patient["identifier"] = [{"use": "usual", "system": settings.patient_id_system,
                                  "value": str(data["patient_id"])}]
        lines.append(sentence("patient_id", value=data["patient_id"], system=settings.patient_id_system))
    else:
        lines.append(sentence("patient_no_id"))
    if data.get("contact"):
        patient["telecom"] = [{"system": "other", "value": str(data["contact"])}]
    if dob:
        patient["birthDate"] = dob
    patient["text"] = narrative(*lines)
    return patient


def practitioner_resource(name: str, role_key: str) -> dict:
    return {"resourceType": "Practitioner", "active": True, "name": [{"text": name}],
            "text": narrative(sentence("practitioner", name=name, role=sentence(role_key)))}
