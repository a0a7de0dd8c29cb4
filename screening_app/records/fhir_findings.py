"""The outcome and each finding as Observations (see export.py for why not RiskAssessment), and
the clinician's decisions as a ClinicalImpression."""
from __future__ import annotations

from typing import Any

from ..screening.history import CASE_FINDING_IDS
from ..screening.model import Outcome
from .fhir_answers import finding_label
from .fhir_common import (
    ANSWER_CODINGS,
    CS_CASE_FINDING,
    CS_QUESTION,
    CS_SCREENING,
    DATA_ABSENT,
    answer_label,
    category,
    fhir_datetime,
    narrative,
    outcome_concept,
    sentence,
    sheet_name,
    term,
    words,
)


def finding_resource(f: dict, q, patient_ref, clinician_ref, response_ref, when) -> dict:
    qid = f.get("question", "")
    label = finding_label(q, qid)
    answer = f.get("answer")
    answer_component: dict[str, Any] = {
        "code": {"coding": [{"system": CS_SCREENING, "code": "answer", "display": term("answer")}]}}
    if answer in ANSWER_CODINGS:
        answer_component["valueCodeableConcept"] = {"coding": [dict(ANSWER_CODINGS[answer])]}
    else:
        answer_component["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT, "code": "unknown",
                                                            "display": "Unknown"}],
                                                "text": answer_label(None)}
    sources = [f.get("source", "")]
    for ref in f.get("references", []) or []:  # per-finding references, when the record has them
        if isinstance(ref, dict):
            sources.append(" ".join(str(ref.get(k)) for k in ("citation", "url") if ref.get(k)))
    notes = [sentence("finding_reason", reason=f.get("reason", ""))]
    notes += [sentence("finding_source", source=s) for s in sources if s]
    if qid in CASE_FINDING_IDS:
        answer = None
    obs = {"resourceType": "Observation", "status": "final", "category": category(),
           "code": {"coding": [{"system": CS_SCREENING, "code": "screening-finding",
                                "display": term("screening_finding")}]},
           "subject": patient_ref}
    if when:
        obs["effectiveDateTime"] = when
    obs.update({
        "performer": [clinician_ref],
        "valueCodeableConcept": outcome_concept(f.get("outcome", "")),
        "note": [{"text": n} for n in notes],
        "derivedFrom": [response_ref],
        "component": [
            {"code": {"coding": [{"system": CS_SCREENING, "code": "question", "display": term("question")}]},
             "valueCodeableConcept": {"coding": [{"system": CS_QUESTION, "code": qid}], "text": label}},
            answer_component] if qid not in CASE_FINDING_IDS else [
            {"code": {"coding": [{"system": CS_SCREENING, "code": "case-finding", "display": term("case_finding")}]},
             "valueCodeableConcept": {"coding": [{"system": CS_CASE_FINDING, "code": qid}], "text": label}}],
        "text": narrative(*notes, title=sentence("finding", question=label, answer=answer_label(answer),
                                                 outcome=outcome_concept(f.get("outcome", ""))["text"])),
    })
    return obs


def outcome_resource(record, patient_ref, clinician_ref, response_ref, finding_refs, when) -> dict:
    result = record.result
    code = result.get("outcome", "")
    notes = [sentence("sheet", sheet=sheet_name(record.sheet_kind), sheet_version=record.sheet_version,
                      date=record.finished_at, clinician=record.finished_by)]
    notes += [sentence("advice", topic=str(a.get("topic", "")).replace("_", " "), text=a.get("text", ""))
              for a in result.get("advice", [])]
    lines = [sentence("outcome", outcome=outcome_concept(code)["text"], rules_version=record.rules_version)]
    if not finding_refs:
        lines.append(sentence("no_findings"))
    obs = {"resourceType": "Observation", "status": "final", "category": category(),
           "code": {"coding": [{"system": CS_SCREENING, "code": "screening-outcome",
                                "display": term("screening_outcome")}]},
           "subject": patient_ref}
    if when:
        obs["effectiveDateTime"] = when
    obs.update({"performer": [clinician_ref], "valueCodeableConcept": outcome_concept(code),
                "method": {"text": sentence("method", rules_version=record.rules_version,
                                            questionnaire_version=record.questionnaire_version)},
                "note": [{"text": n} for n in notes], "derivedFrom": [response_ref]})
    if finding_refs:
        obs["hasMember"] = finding_refs
    obs["text"] = narrative(*(lines + notes))
    return obs


def review_resource(review: dict, findings, finding_refs, q, patient_ref, clinician_ref, signer, finished) -> dict:
    decisions = review.get("decisions") or {}
    typed = str(review.get("clinician", ""))
    date = fhir_datetime(review.get("reviewed_at")) or finished
    lines = [sentence("review", clinician=typed or signer, date=review.get("reviewed_at") or "")]
    if typed and typed != signer:
        lines.append(sentence("review_name_differs", typed=typed, signer=signer))
    items = []
    for f in findings:
        qid = f.get("question")
        if f.get("outcome") != Outcome.CLINICIAN_REVIEW.value and qid not in decisions:
            continue
        label = finding_label(q, qid)
        d = decisions.get(qid)
        if isinstance(d, dict) and d.get("decision"):
            word = words()["decisions"].get(d["decision"], d["decision"])
            basis = sentence("decision", question=label, decision=word, reason=d.get("reason", "")).strip()
        else:
            basis = sentence("no_decision", question=label)
        lines.append(basis)
        items.append({"itemReference": finding_refs[qid], "basis": basis})
    impression = {"resourceType": "ClinicalImpression", "status": "completed",
                  "description": term("review"), "subject": patient_ref}
    if date:
        impression["effectiveDateTime"] = date
        impression["date"] = date
    impression["assessor"] = clinician_ref
    if items:
        impression["finding"] = items
    impression["summary"] = " ".join(lines)
    impression["text"] = narrative(*lines, title=term("review"))
    return impression
