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

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import tomllib
import uuid
from collections.abc import Iterator
from functools import lru_cache

from ..markup import escape
from ..resources import resource_path
from ..screening.content import Content, ContentError, QuestionnaireVersion, default_content, questionnaire_for_version
from ..screening.history import CASE_FINDING_IDS, finding_title
from ..screening.model import Answer, Outcome, Route
from ..sheets.kinds import KINDS
from .settings import ClinicSettings
from .store import FinishedRecord

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
def _words() -> dict:
    with resource_path("fhir.toml").open("rb") as fh:
        return tomllib.load(fh)


def _t(key: str, **values) -> str:
    return _words()["text"][key].format(**values)


def _name(key: str, **values) -> str:
    return _words()["names"][key].format(**values)


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _fhir_datetime(value: str | None) -> str | None:
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


def _narrative(*lines: str, title: str | None = None) -> dict:
    parts = [f'<div xmlns="{XHTML}">']
    if title:
        parts.append(f"<p><b>{escape(title)}</b></p>")
    if lines:
        parts.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
    parts.append("</div>")
    return {"status": "generated", "div": "".join(parts)}


def _outcome_concept(code: str) -> dict:
    try:
        label = Outcome(code).label
    except ValueError:
        label = code
    return {"coding": [{"system": CS_OUTCOME, "code": code, "display": label}], "text": label}


def _answer_label(value: str | None) -> str:
    try:
        return Answer(value).label if value else _name("not_answered")
    except ValueError:
        return str(value)


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


class _Builder:
    def __init__(self, sid: str):
        self.sid = sid
        self.entries: list[dict] = []

    def add(self, resource: dict, *key: str, uid: str | None = None) -> dict:
        """Adds a resource with a stable UUID; returns a reference to it."""
        uid = uid or _uuid(self.sid, resource["resourceType"], *key)
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
    finished = _fhir_datetime(record.finished_at)
    b = _Builder(sid)

    # --- who --------------------------------------------------------------------------------
    patient = _patient(patient_data, settings)
    patient_ref = b.add(patient, "patient")
    signer = record.finished_by
    desk = front_desk or None
    if desk and desk == signer:
        clinician_ref = desk_ref = b.add(_practitioner(signer, "role_both"), "practitioner", signer)
    else:
        desk_ref = b.add(_practitioner(desk, "role_front_desk"), "practitioner", desk) if desk else None
        clinician_ref = b.add(_practitioner(signer, "role_clinician"), "practitioner", signer)
    clinic_name = settings.clinic_name or _name("unnamed_clinic")
    org = {"resourceType": "Organization", "active": True, "name": clinic_name,
           "text": _narrative(_t("organization", name=clinic_name))}
    if settings.clinic_phone:
        org["telecom"] = [{"system": "phone", "value": settings.clinic_phone}]
    if settings.clinic_address:
        org["address"] = [{"text": settings.clinic_address}]
    org_ref = b.add(org, "organization")

    # --- what was asked and answered --------------------------------------------------------------
    if questionnaire is not None:
        b.add(_questionnaire(questionnaire, current), uid=_uuid(QUESTIONNAIRE_URL, questionnaire.version))
    response_ref = b.add(_response(record, questionnaire, patient_ref, desk_ref, finished,
                                   _same_version_other_words(questionnaire, current)), "response")

    # --- outcome, findings, review -----------------------------------------------------------------
    findings = result.get("findings", [])
    finding_refs = {}
    for f in findings:
        finding_refs[f.get("question")] = b.add(
            _finding(f, questionnaire, patient_ref, clinician_ref, response_ref, finished), "finding",
            f.get("question", ""))
    b.add(_outcome(record, patient_ref, clinician_ref, response_ref, list(finding_refs.values()), finished), "outcome")
    if review:
        b.add(_review(review, findings, finding_refs, questionnaire, patient_ref, clinician_ref, signer, finished),
              "review")

    # --- the planned treatment and the product --------------------------------------------------
    b.add(_treatment(record, sf.get("treatment", {}), patient_ref, clinician_ref, finished), "treatment")
    if isinstance(sf.get("product"), dict):
        product_ref = b.add(_product(sf["product"]), "product")
        b.add(_lot_check(record, patient_ref, clinician_ref, product_ref, finished), "lot-check")

    # --- the sheet: a Consent when one was asked for, else the document ---------------------------
    attachment = _attachment(record, finished)
    if record.sheet_kind in CONSENT_SHEETS:
        consent_ref = b.add(_consent(record, attachment, patient_ref, org_ref, finished, paper or []), "consent")
        if signed_scan:
            b.add(_scan(record, signed_scan, paper or [], patient_ref, org_ref, consent_ref), "signed-copy")
    else:
        b.add(_document(record, attachment, patient_ref, clinician_ref, org_ref, paper or []), "sheet")

    bundle = {"resourceType": "Bundle", "id": bundle_id(sid),
              "identifier": {"system": SCREENING_ID_SYSTEM, "value": f"urn:uuid:{bundle_id(sid)}"},
              "type": "collection", "entry": b.entries}
    if finished and "T" in finished:  # an instant: only with a time and its zone
        bundle["timestamp"] = finished
    return bundle


def fhir_collection(bundles: list[dict]) -> dict:
    """Several screenings as one `collection` Bundle whose entries are their own Bundles."""
    out = {"resourceType": "Bundle", "id": collection_id([b["id"] for b in bundles]), "type": "collection"}
    if bundles:
        out["entry"] = [{"fullUrl": f"urn:uuid:{b['id']}", "resource": b} for b in bundles]
    return out


def collection_id(bundle_ids: list[str]) -> str:
    return _uuid("collection", ",".join(sorted(bundle_ids)))


def bundle_id(sid: str) -> str:
    return _uuid(sid, "bundle")


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


# --- the resources ----------------------------------------------------------------------------


def _patient(data: dict, settings: ClinicSettings) -> dict:
    name, dob = str(data.get("name", "")), data.get("date_of_birth")
    patient = {"resourceType": "Patient", "name": [{"text": name}]}
    lines = [_t("patient", name=name, birth_date=dob or _name("not_recorded"))]
    if data.get("patient_id"):
        patient["identifier"] = [{"use": "usual", "system": settings.patient_id_system,
                                  "value": str(data["patient_id"])}]
        lines.append(_t("patient_id", value=data["patient_id"], system=settings.patient_id_system))
    else:
        lines.append(_t("patient_no_id"))
    if data.get("contact"):
        patient["telecom"] = [{"system": "other", "value": str(data["contact"])}]
    if dob:
        patient["birthDate"] = dob
    patient["text"] = _narrative(*lines)
    return patient


def _practitioner(name: str, role_key: str) -> dict:
    return {"resourceType": "Practitioner", "active": True, "name": [{"text": name}],
            "text": _narrative(_t("practitioner", name=name, role=_t(role_key)))}


def _enable_answers(when) -> list[str]:
    return [a for a in ("yes", "no", "dont_know") if a in {getattr(w, "value", w) for w in when}]


def _questionnaire(q: QuestionnaireVersion, current: Content | None) -> dict:
    items = []
    for question in q.questions:
        item = {"linkId": question.id, "text": question.text, "type": "choice", "required": question.required,
                "answerValueSet": YESNODONTKNOW}
        children = []
        for fu in question.follow_ups:
            answers = _enable_answers(fu.when)
            child = {"linkId": f"{question.id}.{fu.id}", "text": fu.prompt, "type": "text",
                     "enableWhen": [{"question": question.id, "operator": "=", "answerCoding": ANSWER_CODINGS[a]}
                                    for a in answers]}
            if len(answers) > 1:
                child["enableBehavior"] = "any"
            children.append(child)
        if children:
            item["item"] = children
        items.append(item)
    in_force = current is not None and current.questionnaire_version == q.version
    lines = [_t("questionnaire", title=q.title, version=q.version, effective=q.effective.isoformat(),
                count=len(q.questions))]
    if not in_force:
        lines.append(_t("questionnaire_retired"))
    lines += [f"{i}. {question.text}" for i, question in enumerate(q.questions, 1)]
    return {"resourceType": "Questionnaire", "url": QUESTIONNAIRE_URL, "version": q.version,
            "name": QUESTIONNAIRE_NAME, "title": q.title, "status": "active" if in_force else "retired",
            "subjectType": ["Patient"], "date": q.effective.isoformat(),
            "text": _narrative(*lines), "item": items}


def _same_version_other_words(q: QuestionnaireVersion | None, current: Content | None) -> bool:
    """The questionnaire in use carries the record's version number but other wording (edited
    without raising the version): the record cannot tell which one the patient heard."""
    def asked(questions):  # what the patient heard, in order; not the sources behind it
        return [(x.id, x.text, [(f.id, f.prompt, sorted(a.value for a in f.when)) for f in x.follow_ups])
                for x in questions]
    return (q is not None and current is not None and current.questionnaire_version == q.version
            and asked(current.questions) != asked(q.questions))


def _response(record, q: QuestionnaireVersion | None, patient_ref, desk_ref, authored, ambiguous=False) -> dict:
    sf = record.screening_file
    answers: dict = sf.get("answers", {})
    follow_ups: dict = sf.get("follow_ups", {}) or {}
    items, lines = [], []
    if q is not None:
        order = [question.id for question in q.questions] + [qid for qid in answers if qid not in
                                                             {question.id for question in q.questions}]
    else:
        order = list(answers)
        lines.append(_t("unknown_version", version=record.questionnaire_version))
    if ambiguous:
        lines.append(_t("version_reused", version=record.questionnaire_version))
    for qid in order:
        question = _question_or_none(q, qid)
        text = question.text if question else None
        value = answers.get(qid)
        if value not in ANSWER_CODINGS:
            lines.append(_t("not_answered", question=text or qid))
            continue
        answer = {"valueCoding": dict(ANSWER_CODINGS[value])}
        nested, notes = [], [_t("response_item", question=text or qid, answer=_answer_label(value))]
        recorded = dict(follow_ups.get(qid) or {})
        for fu in (question.follow_ups if question else ()):
            fu_text = recorded.pop(fu.id, None)
            if not fu_text:
                continue
            if value in _enable_answers(fu.when):
                nested.append({"linkId": f"{qid}.{fu.id}", "text": fu.prompt, "answer": [{"valueString": fu_text}]})
                notes.append(_t("response_follow_up", prompt=fu.prompt, text=fu_text))
            else:
                notes.append(_t("follow_up_not_called_for", question=text or qid, text=fu_text))
        for fid, fu_text in recorded.items():  # follow-ups the questionnaire here does not name
            if not fu_text:
                continue
            if question is None:  # a version this installation does not know: keep them, by id
                nested.append({"linkId": f"{qid}.{fid}", "answer": [{"valueString": str(fu_text)}]})
                notes.append(_t("response_follow_up", prompt=f"{fid}:", text=fu_text))
            else:
                notes.append(_t("follow_up_not_called_for", question=text or qid, text=f"{fid}: {fu_text}"))
        if nested:
            answer["item"] = nested
        item = {"linkId": qid}
        if text:
            item["text"] = text
        item["answer"] = [answer]
        items.append(item)
        lines.extend(notes)
    head = _t("response", name=sf.get("patient", {}).get("name", ""), date=authored or record.finished_at,
              version=record.questionnaire_version)
    if record.amends:
        lines.insert(0, _t("amends", original=record.amends))
    response = {"resourceType": "QuestionnaireResponse",
                "identifier": {"system": SCREENING_ID_SYSTEM, "value": _screening_urn(record.screening_id)},
                "questionnaire": f"{QUESTIONNAIRE_URL}|{record.questionnaire_version}",
                "status": "completed", "subject": patient_ref}
    if authored:
        response["authored"] = authored
    if desk_ref:
        response["author"] = desk_ref
    response["source"] = patient_ref
    response["text"] = _narrative(*lines, title=head)
    if items:
        response["item"] = items
    return response


def _screening_urn(sid: str) -> str:
    try:
        return f"urn:uuid:{uuid.UUID(sid)}"
    except ValueError:
        return f"urn:uuid:{_uuid('screening', sid)}"


def _question_or_none(q: QuestionnaireVersion | None, qid: str):
    if q is None:
        return None
    try:
        return q.question(qid)
    except KeyError:
        return None


def _finding_label(q: QuestionnaireVersion | None, qid: str) -> str:
    """What a finding is about: its question as the patient was asked it, or the title of a
    finding the records raised (such as an earlier screening)."""
    if qid in CASE_FINDING_IDS:
        return finding_title(None, qid)
    question = _question_or_none(q, qid)
    return question.text if question else qid


def _category() -> list[dict]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}]


def _finding(f: dict, q, patient_ref, clinician_ref, response_ref, when) -> dict:
    qid = f.get("question", "")
    label = _finding_label(q, qid)
    answer = f.get("answer")
    answer_component = {"code": {"coding": [{"system": CS_SCREENING, "code": "answer", "display": _name("answer")}]}}
    if answer in ANSWER_CODINGS:
        answer_component["valueCodeableConcept"] = {"coding": [dict(ANSWER_CODINGS[answer])]}
    else:
        answer_component["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT, "code": "unknown",
                                                            "display": "Unknown"}],
                                                "text": _answer_label(None)}
    sources = [f.get("source", "")]
    for ref in f.get("references", []) or []:  # per-finding references, when the record has them
        if isinstance(ref, dict):
            sources.append(" ".join(str(ref.get(k)) for k in ("citation", "url") if ref.get(k)))
    notes = [_t("finding_reason", reason=f.get("reason", ""))] + [_t("finding_source", source=s) for s in sources if s]
    if qid in CASE_FINDING_IDS:
        answer = None
    obs = {"resourceType": "Observation", "status": "final", "category": _category(),
           "code": {"coding": [{"system": CS_SCREENING, "code": "screening-finding",
                                "display": _name("screening_finding")}]},
           "subject": patient_ref}
    if when:
        obs["effectiveDateTime"] = when
    obs.update({
        "performer": [clinician_ref],
        "valueCodeableConcept": _outcome_concept(f.get("outcome", "")),
        "note": [{"text": n} for n in notes],
        "derivedFrom": [response_ref],
        "component": [
            {"code": {"coding": [{"system": CS_SCREENING, "code": "question", "display": _name("question")}]},
             "valueCodeableConcept": {"coding": [{"system": CS_QUESTION, "code": qid}], "text": label}},
            answer_component] if qid not in CASE_FINDING_IDS else [
            {"code": {"coding": [{"system": CS_SCREENING, "code": "case-finding", "display": _name("case_finding")}]},
             "valueCodeableConcept": {"coding": [{"system": CS_CASE_FINDING, "code": qid}], "text": label}}],
        "text": _narrative(*notes, title=_t("finding", question=label, answer=_answer_label(answer),
                                            outcome=_outcome_concept(f.get("outcome", ""))["text"])),
    })
    return obs


def _sheet_name(kind: str) -> str:
    kinds = _words()["sheet_kinds"]
    return kinds.get(kind) or kinds["other"].format(kind=kind)


def _outcome(record, patient_ref, clinician_ref, response_ref, finding_refs, when) -> dict:
    result = record.result
    code = result.get("outcome", "")
    notes = [_t("sheet", sheet=_sheet_name(record.sheet_kind), sheet_version=record.sheet_version,
                date=record.finished_at, clinician=record.finished_by)]
    notes += [_t("advice", topic=str(a.get("topic", "")).replace("_", " "), text=a.get("text", ""))
              for a in result.get("advice", [])]
    lines = [_t("outcome", outcome=_outcome_concept(code)["text"], rules_version=record.rules_version)]
    if not finding_refs:
        lines.append(_t("no_findings"))
    obs = {"resourceType": "Observation", "status": "final", "category": _category(),
           "code": {"coding": [{"system": CS_SCREENING, "code": "screening-outcome",
                                "display": _name("screening_outcome")}]},
           "subject": patient_ref}
    if when:
        obs["effectiveDateTime"] = when
    obs.update({"performer": [clinician_ref], "valueCodeableConcept": _outcome_concept(code),
                "method": {"text": _t("method", rules_version=record.rules_version,
                                      questionnaire_version=record.questionnaire_version)},
                "note": [{"text": n} for n in notes], "derivedFrom": [response_ref]})
    if finding_refs:
        obs["hasMember"] = finding_refs
    obs["text"] = _narrative(*(lines + notes))
    return obs


def _review(review: dict, findings, finding_refs, q, patient_ref, clinician_ref, signer, finished) -> dict:
    decisions = review.get("decisions") or {}
    typed = str(review.get("clinician", ""))
    date = _fhir_datetime(review.get("reviewed_at")) or finished
    lines = [_t("review", clinician=typed or signer, date=review.get("reviewed_at") or "")]
    if typed and typed != signer:
        lines.append(_t("review_name_differs", typed=typed, signer=signer))
    items = []
    for f in findings:
        qid = f.get("question")
        if f.get("outcome") != Outcome.CLINICIAN_REVIEW.value and qid not in decisions:
            continue
        label = _finding_label(q, qid)
        d = decisions.get(qid)
        if isinstance(d, dict) and d.get("decision"):
            word = _words()["decisions"].get(d["decision"], d["decision"])
            basis = _t("decision", question=label, decision=word, reason=d.get("reason", "")).strip()
        else:
            basis = _t("no_decision", question=label)
        lines.append(basis)
        items.append({"itemReference": finding_refs[qid], "basis": basis})
    impression = {"resourceType": "ClinicalImpression", "status": "completed",
                  "description": _name("review"), "subject": patient_ref}
    if date:
        impression["effectiveDateTime"] = date
        impression["date"] = date
    impression["assessor"] = clinician_ref
    if items:
        impression["finding"] = items
    impression["summary"] = " ".join(lines)
    impression["text"] = _narrative(*lines, title=_name("review"))
    return impression


def _treatment(record, treatment: dict, patient_ref, clinician_ref, when) -> dict:
    route = treatment.get("route") or ""
    try:
        route_label = Route(route).label
    except ValueError:
        route_label = route
    status = REQUEST_STATUS.get(record.sheet_kind, "unknown")
    if record.sheet_kind in CONSENT_SHEETS and consent_status(record) == "rejected":
        status = "revoked"
    request = {"resourceType": "ServiceRequest", "status": status, "intent": "proposal",
               "code": {"text": _name("treatment")},
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
    request["text"] = _narrative(_t("treatment", treatment=_name("treatment"), route=route_label, area=area,
                                    date=treatment.get("date", ""), status=status))
    return request


def _product(product: dict) -> dict:
    lot = product.get("lot")
    resource = {"resourceType": "BiologicallyDerivedProduct", "productCategory": "biologicalAgent",
                "productCode": {"text": _name("product")}}
    if lot:
        resource["identifier"] = [{"type": {"text": _name("lot_number")}, "system": LOT_SYSTEM, "value": str(lot)}]
    storage = product.get("storage_c")
    if isinstance(storage, (int, float)) and not isinstance(storage, bool):
        resource["storage"] = [{"temperature": storage, "scale": "celsius"}]
    resource["text"] = _narrative(_t("product", lot=lot) if lot else _t("product_no_lot"))
    return resource


def _component(key: str, value) -> dict | None:
    comp = {"code": {"coding": [{"system": CS_COA, "code": key}], "text": key.replace("_", " ")}}
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


def _lot_check(record, patient_ref, clinician_ref, product_ref, when) -> dict:
    product = record.screening_file.get("product", {})
    checked = record.result.get("product") or {}
    status = checked.get("status") or ("verified" if record.lot_verified else "not_verified")
    label = _words()["lot_status"].get(status, status)
    problems = [str(p) for p in checked.get("problems", [])]
    obs = {"resourceType": "Observation", "status": "final",
           "code": {"coding": [{"system": CS_SCREENING, "code": "lot-verification",
                                "display": _name("lot_verification")}]},
           "subject": patient_ref, "focus": [product_ref]}
    if when:
        obs["effectiveDateTime"] = when
    obs["performer"] = [clinician_ref]
    obs["valueCodeableConcept"] = {"coding": [{"system": CS_LOT_STATUS, "code": status, "display": label}],
                                   "text": label}
    if problems:
        obs["note"] = [{"text": _t("lot_problem", problem=p)} for p in problems]
    components = [c for key, value in product.items() if (c := _component(key, value)) is not None]
    if components:
        obs["component"] = components
    obs["text"] = _narrative(*[_t("lot_problem", problem=p) for p in problems],
                             title=_t("lot_check", lot=product.get("lot") or "-", status=label))
    return obs


def _attachment(record, created) -> dict:
    att = {"extension": [{"url": EXT_SHA256, "valueString": record.pdf_sha256}],
           "contentType": "application/pdf", "data": base64.b64encode(record.pdf).decode("ascii"),
           "size": len(record.pdf),
           "hash": base64.b64encode(hashlib.sha1(record.pdf).digest()).decode("ascii"),
           "title": _name("consent_title") if record.sheet_kind in CONSENT_SHEETS else _sheet_name(record.sheet_kind)}
    if created:
        att["creation"] = created
    return att


def _consent(record, attachment, patient_ref, org_ref, when, paper: list[dict]) -> dict:
    status = consent_status(record, paper)
    lines = [_t("consent", status=_words()["consent_status"][status], sha256=record.pdf_sha256)]
    lines += _paper_lines(paper)
    declined = record.screening_file.get("declined")
    if isinstance(declined, dict):
        lines.append(_t("declined", by=declined.get("recorded_by", ""), at=declined.get("recorded_at", ""),
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
        "policyRule": {"text": _name("consent_policy", sheet_version=record.sheet_version)},
        "provision": {"type": "deny" if status == "rejected" else "permit"},
        "text": _narrative(*lines),
    })
    return consent


def _scan(record, scan: bytes, paper: list[dict], patient_ref, org_ref, consent_ref) -> dict:
    received = [e for e in paper if e.get("event") == "signed_copy_received"]
    sha = hashlib.sha256(scan).hexdigest()
    att = {"extension": [{"url": EXT_SHA256, "valueString": sha}], "contentType": "application/pdf",
           "data": base64.b64encode(scan).decode("ascii"), "size": len(scan),
           "hash": base64.b64encode(hashlib.sha1(scan).digest()).decode("ascii"), "title": _name("signed_copy")}
    doc = {"resourceType": "DocumentReference", "status": "current", "type": {"text": _name("signed_copy")},
           "subject": patient_ref}
    at = _fhir_datetime(received[-1].get("at")) if received else None
    if at and "T" in at:
        doc["date"] = at
    doc.update({"custodian": org_ref, "content": [{"attachment": att}], "context": {"related": [consent_ref]},
                "text": _narrative(_t("document", sheet=_name("signed_copy"), sha256=sha))})
    return doc


def _paper_lines(paper: list[dict]) -> list[str]:
    return [_t("paper", event=_words()["paper"].get(e.get("event"), e.get("event")), at=e.get("at", ""),
               by=e.get("display_name", ""), detail=(": " + e["detail"]) if e.get("detail") else "")
            for e in paper]


def _document(record, attachment, patient_ref, clinician_ref, org_ref, paper: list[dict]) -> dict:
    doc = {"resourceType": "DocumentReference", "status": "current",
           "type": {"text": _sheet_name(record.sheet_kind)}, "subject": patient_ref}
    created = _fhir_datetime(record.finished_at)
    if created and "T" in created:  # an instant: only with a time and its zone
        doc["date"] = created
    doc.update({"author": [clinician_ref], "custodian": org_ref, "content": [{"attachment": attachment}],
                "text": _narrative(_t("document", sheet=_sheet_name(record.sheet_kind), sha256=record.pdf_sha256),
                                   *_paper_lines(paper))})
    return doc


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
