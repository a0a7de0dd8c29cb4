"""Ensure a FHIR export tells the whole screening truthfully, in the wording the patient was
asked, and that a validator nobody here wrote (fhircraft, R4 models with FHIR's invariants)
accepts every resource; plus our own checks for what it cannot see (order, codes, references)."""
import base64
import copy
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import types
import uuid
import warnings
from pathlib import Path

import pytest
from conftest import GOOD_PRODUCT, PASSWORD, all_answers

from screening_app.casework import Draft
from screening_app.records.export import (
    ANSWER_CODINGS,
    QUESTIONNAIRE_URL,
    YESNODONTKNOW,
    consent_status,
    export_screening,
    fhir_bundle,
    fhir_collection,
    iter_fhir_collection,
)
from screening_app.records.settings import LOCAL_PATIENT_ID_SYSTEM, ClinicSettings
from screening_app.records.store import Store
from screening_app.resources import ENV_VAR, shipped_resource_dir
from screening_app.screening.content import (
    content_for_version,
    default_content,
    load_content,
    questionnaire_for_version,
)

ROOT = Path(__file__).resolve().parent.parent
UUID_URL = re.compile(r"urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
XHTML_DIV = '<div xmlns="http://www.w3.org/1999/xhtml">'


# --- the independent validator ---------------------------------------------------------------

# The `r4` fixture (fhircraft's R4 models) lives in conftest.py: the after-treatment tests use it too.


def fhircraft_problems(r4, resource: dict) -> list[str]:
    """Every error and warning fhircraft reports for one resource (Bundles it cannot validate)."""
    from fhircraft.exceptions import FHIRPathWarning, FhirValidationWarning
    from pydantic import ValidationError
    kind = resource["resourceType"]
    problems = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            getattr(r4, kind).model_validate(copy.deepcopy(resource))
        except ValidationError as exc:
            problems += [f"{kind} {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    problems += [f"{kind} warning: {w.message}" for w in caught
                 if issubclass(w.category, (FhirValidationWarning, FHIRPathWarning))]
    return problems


def lifted(resource: dict) -> list[dict]:
    """fhircraft checks the item invariants (que-*, qrs-*) on the top-level `item` list only.
    For every nested item (the follow-ups), a copy of the resource with that item alone at the
    top (its own children cut to their linkId) lets fhircraft check it too."""
    if resource["resourceType"] not in ("Questionnaire", "QuestionnaireResponse"):
        return []
    shell = {k: v for k, v in resource.items() if k != "item"}
    out = []

    def stub(item):
        return {k: item[k] for k in ("linkId", "type") if k in item}

    def walk(items, nested):
        for item in items:
            if nested:
                flat = copy.deepcopy(item)
                if "item" in flat:
                    flat["item"] = [stub(c) for c in item["item"]]
                for answer in flat.get("answer", []):
                    if "item" in answer:
                        answer["item"] = [stub(c) for c in answer["item"]]
                out.append({**copy.deepcopy(shell), "item": [flat]})
            walk(item.get("item", []), True)
            for answer in item.get("answer", []):
                walk(answer.get("item", []), True)

    walk(resource.get("item", []), False)
    return out


def validate_bundle(r4, bundle: dict) -> list[str]:
    """Every resource one by one, with its nested items lifted too, then the Bundle itself."""
    problems = []
    for e in bundle["entry"]:
        problems += fhircraft_problems(r4, e["resource"])
        for flat in lifted(e["resource"]):
            problems += [f"(nested item) {p}" for p in fhircraft_problems(r4, flat)]
    return problems + fhircraft_problems(r4, bundle)


# --- our own checks: what a per-resource validator cannot see -------------------------------------

def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def one(bundle, kind):
    found = resources(bundle, kind)
    assert len(found) == 1, f"{kind}: {len(found)} in the bundle"
    return found[0]


def own_problems(bundle: dict, screening_file: dict, settings: ClinicSettings = ClinicSettings()) -> list[str]:
    problems = []
    if bundle.get("type") != "collection":
        problems.append("bundle type is not collection")
    urls = [e.get("fullUrl", "") for e in bundle["entry"]]
    if len(set(urls)) != len(urls):
        problems.append("fullUrls repeat")
    by_url = {}
    for e in bundle["entry"]:
        m = UUID_URL.fullmatch(e.get("fullUrl", ""))
        if not m or uuid.UUID(m.group(1)).version != 5:
            problems.append(f"fullUrl {e.get('fullUrl')!r} is not a urn:uuid with a real (v5) UUID")
        elif e["resource"].get("id") != m.group(1):
            problems.append(f"{e['resource']['resourceType']}: id differs from its fullUrl")
        by_url[e.get("fullUrl")] = e["resource"]
        text = e["resource"].get("text", {})
        if text.get("status") != "generated" or not text.get("div", "").startswith(XHTML_DIV):
            problems.append(f"{e['resource']['resourceType']}: no generated narrative")
    problems += [f"reference {ref} does not resolve inside the bundle" for ref in references(bundle["entry"])
                 if ref not in by_url]
    patients = [r for r in by_url.values() if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        return problems + ["not exactly one Patient"]
    patient, expected = patients[0], screening_file["patient"]
    if patient.get("birthDate") != expected["date_of_birth"] or patient["name"][0]["text"] != expected["name"]:
        problems.append("Patient: name or birth date differs from the record")
    if expected.get("patient_id") and patient.get("identifier") != [
            {"use": "usual", "system": settings.patient_id_system, "value": expected["patient_id"]}]:
        problems.append("Patient: identifier without the clinic's system")
    response = [r for r in by_url.values() if r["resourceType"] == "QuestionnaireResponse"]
    if len(response) != 1:
        return problems + ["not exactly one QuestionnaireResponse"]
    response = response[0]
    if by_url.get(response["source"]["reference"]) is not patient or \
            by_url.get(response["subject"]["reference"]) is not patient:
        problems.append("QuestionnaireResponse: source or subject is not the Patient")
    if "author" in response and by_url[response["author"]["reference"]]["resourceType"] != "Practitioner":
        problems.append("QuestionnaireResponse: author is not a Practitioner")
    valid_codes = {(c["system"], c["code"], c["display"]) for c in ANSWER_CODINGS.values()}
    for item in response.get("item", []):
        for answer in item["answer"]:
            c = answer["valueCoding"]
            if (c["system"], c["code"], c.get("display")) not in valid_codes:
                problems.append(f"{item['linkId']}: answer {c} is not in {YESNODONTKNOW}")
            value = screening_file["answers"].get(item["linkId"])
            if c != ANSWER_CODINGS.get(value):
                problems.append(f"{item['linkId']}: exported {c['code']}, recorded {value}")
    questionnaires = [r for r in by_url.values() if r["resourceType"] == "Questionnaire"]
    for q in questionnaires:
        if response["questionnaire"] != f"{q['url']}|{q['version']}":
            problems.append("QuestionnaireResponse.questionnaire is not the bundle's Questionnaire")
        q_items = {i["linkId"]: i for i in q["item"]}
        for parent in q["item"]:
            for child in parent.get("item", []):
                whens = child.get("enableWhen", [])
                if not whens or any(w["question"] != parent["linkId"] for w in whens):
                    problems.append(f"{child['linkId']}: not enabled by its own question")
                if len(whens) > 1 and child.get("enableBehavior") != "any":
                    problems.append(f"{child['linkId']}: several enableWhen without enableBehavior")
                if not set(w["answerCoding"]["code"] for w in whens) <= {"Y", "N", "asked-unknown"}:
                    problems.append(f"{child['linkId']}: enableWhen outside {YESNODONTKNOW}")
            if parent.get("answerValueSet") != YESNODONTKNOW or "answerOption" in parent:
                problems.append(f"{parent['linkId']}: answers not bound to {YESNODONTKNOW}")
        order = [i["linkId"] for i in q["item"]]
        got = [i["linkId"] for i in response.get("item", [])]
        if got != [qid for qid in order if qid in got]:
            problems.append(f"items not in questionnaire order: {got}")
        if set(got) != {qid for qid, v in screening_file["answers"].items() if v in ANSWER_CODINGS}:
            problems.append("the answered questions and the exported items differ")
        for item in response.get("item", []):
            q_item = q_items.get(item["linkId"], {})
            if item.get("text") != q_item.get("text"):
                problems.append(f"{item['linkId']}: text differs from the Questionnaire's")
            children = {c["linkId"]: c for c in q_item.get("item", [])}
            for answer in item["answer"]:
                for child in answer.get("item", []):
                    spec = children.get(child["linkId"])
                    if spec is None:
                        problems.append(f"{child['linkId']}: not a follow-up of {item['linkId']}")
                    elif answer["valueCoding"] not in [w["answerCoding"] for w in spec["enableWhen"]]:
                        problems.append(f"{child['linkId']}: answered but not enabled")
            recorded = screening_file.get("follow_ups", {}).get(item["linkId"], {})
            exported = {c["linkId"].split(".", 1)[1]: c["answer"][0]["valueString"]
                        for a in item["answer"] for c in a.get("item", [])}
            if exported != recorded:
                problems.append(f"{item['linkId']}: follow-ups {exported} differ from the record's {recorded}")
    return problems


# --- screenings made through the store, as the app makes them ---------------------------------------

@pytest.fixture
def people(people, store):
    """The shared staff (conftest.py), and the clinic's settings an export carries."""
    store.save_settings(people["admin"], ClinicSettings(clinic_name="Clínica Sol & Mar", clinic_phone="555-0100",
                                                        patient_id_system="urn:oid:2.16.840.1.113883.3.9999.1"))
    return people


def finish(store, people, answers=None, follow_ups=None, decisions=None, treatment_date=None,
           name="Zoë Ångström <b>&", patient_id="A-1001", extra=None):
    d = Draft(name=name, date_of_birth="1980-04-02", patient_id=patient_id, contact="555-0199",
              route="topical", area="face", answers=all_answers(**(answers or {})), follow_ups=follow_ups or {})
    if treatment_date:
        d.treatment_date = treatment_date
    row = store.new_draft(people["desk"], d.to_json())
    store.hand_over(people["desk"], row.id, row.row_version)
    claimed = store.claim(people["doc"], row.id)
    d.product = dict(GOOD_PRODUCT)
    if decisions:
        d.clinician, d.reviewed_at, d.decisions = "Dr. Maya Chen", "2026-11-22T10:30", decisions
    store.finish(people["doc"], row.id, version=claimed.row_version,
                 screening_file={**d.to_screening_file(), **(extra or {})})
    return store.record(row.id)


SCENARIOS = {
    "consent": dict(),
    "reviewed_consent": dict(
        answers={"cancer_history": "yes", "current_infection": "dont_know"},
        follow_ups={"cancer_history": {"details": "Basal cell, removed 2012."},
                    "current_infection": {"details": "Cold last week."}},
        decisions={"cancer_history": {"decision": "proceed", "reason": "Skin cancer removed 2012, no recurrence."},
                   "current_infection": {"decision": "proceed", "reason": "No fever today, 36.8 C."}}),
    "deferral": dict(answers={"cancer_history": "yes"},
                     decisions={"cancer_history": {"decision": "defer", "reason": "Ask her oncologist first."}}),
    "do_not_treat": dict(answers={"active_malignancy": "yes"},
                         follow_ups={"active_malignancy": {"details": "Breast, on chemotherapy."}}),
    "declined": dict(extra={"declined": {"recorded_by": "Dee Desk", "recorded_at": "2026-11-22T11:05",
                                         "note": "Wants to think about it."}}),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_resource_passes_fhircraft_and_our_checks(r4, store, people, scenario):
    record = finish(store, people, **SCENARIOS[scenario])
    bundle = export_screening(store, record.screening_id)
    assert validate_bundle(r4, bundle) == []
    assert own_problems(bundle, record.screening_file, store.settings()) == []
    assert bundle == export_screening(store, record.screening_id)  # stable: same record, same bundle
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Practitioner", "Organization", "Questionnaire", "QuestionnaireResponse", "Observation",
            "ServiceRequest", "BiologicallyDerivedProduct"} <= kinds
    response = one(bundle, "QuestionnaireResponse")
    assert response["identifier"]["value"] == f"urn:uuid:{record.screening_id}"
    author = next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == response["author"]["reference"])
    assert author["name"][0]["text"] == "Dee Desk"  # the front desk filled in the questions
    outcome = next(r for r in resources(bundle, "Observation") if r["code"]["coding"][0]["code"] == "screening-outcome")
    assert outcome["valueCodeableConcept"]["coding"][0]["code"] == record.result["outcome"]
    findings = [r for r in resources(bundle, "Observation") if r["code"]["coding"][0]["code"] == "screening-finding"]
    assert len(findings) == len(record.result["findings"]) == len(outcome.get("hasMember", []))
    for f, obs in zip(record.result["findings"], findings, strict=True):
        notes = [n["text"] for n in obs["note"]]
        assert f"Reason: {f['reason']}" in notes and f"Source: {f['source']}" in notes
        assert obs["component"][0]["valueCodeableConcept"]["coding"][0]["code"] == f["question"]
    lot = next(r for r in resources(bundle, "Observation") if r["code"]["coding"][0]["code"] == "lot-verification")
    assert lot["valueCodeableConcept"]["coding"][0]["code"] == "verified"
    assert one(bundle, "BiologicallyDerivedProduct")["identifier"][0]["value"] == "EV-2291"
    # the name is escaped in the narrative, never markup
    assert "&lt;b&gt;&amp;" in one(bundle, "Patient")["text"]["div"]
    # the sheet: a Consent only where a consent was printed, else the document itself
    pdf_hash = base64.b64encode(hashlib.sha1(record.pdf).digest()).decode()
    if record.sheet_kind in ("consent", "declined"):
        consent = one(bundle, "Consent")  # a printout is not a signed consent; a refusal is recorded
        assert consent["status"] == {"consent": "proposed", "declined": "rejected"}[record.sheet_kind]
        att = consent["sourceAttachment"]
        assert not resources(bundle, "DocumentReference")
    else:
        assert not resources(bundle, "Consent")
        att = one(bundle, "DocumentReference")["content"][0]["attachment"]
    assert base64.b64decode(att["data"]) == record.pdf and att["hash"] == pdf_hash
    assert att["extension"][0]["valueString"] == record.pdf_sha256 == hashlib.sha256(record.pdf).hexdigest()


def test_what_each_kind_of_screening_says(store, people):
    # three patients: one patient's earlier screening would raise a "seen before" finding in the next
    dnt = export_screening(store, finish(store, people, **SCENARIOS["do_not_treat"]).screening_id)
    outcome = next(r for r in resources(dnt, "Observation") if r["code"]["coding"][0]["code"] == "screening-outcome")
    assert outcome["valueCodeableConcept"]["coding"][0] == {
        "system": outcome["valueCodeableConcept"]["coding"][0]["system"], "code": "do_not_treat",
        "display": "Do not treat"}
    assert one(dnt, "ServiceRequest")["status"] == "revoked"
    assert "Do-not-treat sheet" in one(dnt, "DocumentReference")["type"]["text"]
    item = next(i for i in one(dnt, "QuestionnaireResponse")["item"] if i["linkId"] == "active_malignancy")
    assert item["answer"][0]["item"] == [{"linkId": "active_malignancy.details",
                                          "text": default_content().question("active_malignancy").follow_ups[0].prompt,
                                          "answer": [{"valueString": "Breast, on chemotherapy."}]}]

    deferred = export_screening(store, finish(store, people, **SCENARIOS["deferral"], name="Ana Ruiz",
                                              patient_id="A-2002").screening_id)
    assert one(deferred, "ServiceRequest")["status"] == "on-hold"
    review = one(deferred, "ClinicalImpression")
    assert review["finding"][0]["basis"].endswith("Defer. Ask her oncologist first.")
    assert review["date"] == "2026-11-22"  # the review's local time has no zone: never guessed

    reviewed = export_screening(store, finish(store, people, **SCENARIOS["reviewed_consent"], name="Li Wei",
                                              patient_id="A-3003").screening_id)
    assert [f["basis"].split(": ")[-1] for f in one(reviewed, "ClinicalImpression")["finding"]] == [
        "Proceed. Skin cancer removed 2012, no recurrence.", "Proceed. No fever today, 36.8 C."]
    dont_know = next(i for i in one(reviewed, "QuestionnaireResponse")["item"] if i["linkId"] == "current_infection")
    assert dont_know["answer"][0]["valueCoding"] == {
        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "asked-unknown",
        "display": "Asked But Unknown"}
    assert one(reviewed, "ServiceRequest")["status"] == "active"
    assert one(reviewed, "Consent")["policy"] and one(reviewed, "Consent")["organization"]


def test_a_patient_seen_before_exports_that_finding_and_its_decision(r4, store, people):
    first = finish(store, people, **SCENARIOS["do_not_treat"])
    again = finish(store, people, decisions={"seen_before": {"decision": "defer", "reason": "Oncology letter first."}})
    bundle = export_screening(store, again.screening_id)
    assert validate_bundle(r4, bundle) == [] and own_problems(bundle, again.screening_file, store.settings()) == []
    (seen,) = [f for f in again.result["findings"] if f["question"] == "seen_before"]
    obs = next(r for r in resources(bundle, "Observation") if r["code"]["coding"][0]["code"] == "screening-finding"
               and r["component"][0]["valueCodeableConcept"]["coding"][0]["code"] == "seen_before")
    assert [c["code"]["coding"][0]["code"] for c in obs["component"]] == ["case-finding"]  # no question, no answer
    assert f"Reason: {seen['reason']}" in [n["text"] for n in obs["note"]] and first.finished_at[:10] in seen["reason"]
    assert one(bundle, "ClinicalImpression")["finding"][0]["basis"].endswith("Defer. Oncology letter first.")


SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_consent_is_active_only_once_the_signed_copy_is_recorded(r4, store, people):
    record = finish(store, people)
    sid = record.screening_id
    store.record_paper(people["doc"], sid, "printed")
    assert one(export_screening(store, sid), "Consent")["status"] == "proposed"  # printed is not signed
    store.record_paper(people["desk"], sid, "signed_copy_received", scan=SCAN)
    bundle = export_screening(store, sid)
    assert validate_bundle(r4, bundle) == [] and own_problems(bundle, record.screening_file, store.settings()) == []
    consent = one(bundle, "Consent")
    assert consent["status"] == "active" and "Signed copy received on" in consent["text"]["div"]
    scan = one(bundle, "DocumentReference")
    att = scan["content"][0]["attachment"]
    assert base64.b64decode(att["data"]) == SCAN
    assert att["hash"] == base64.b64encode(hashlib.sha1(SCAN).digest()).decode()
    assert att["extension"][0]["valueString"] == hashlib.sha256(SCAN).hexdigest()
    assert scan["context"]["related"] == [{"reference": next(e["fullUrl"] for e in bundle["entry"]
                                                              if e["resource"] is consent)}]
    assert base64.b64decode(consent["sourceAttachment"]["data"]) == record.pdf  # the sheet as printed


def test_a_declined_consent_is_rejected(r4, store, people):
    """Through the store (the screening file's `declined`, sheet kind "declined"), and the other
    spellings the export reads defensively (a record attribute, a paper event)."""
    through_store = finish(store, people, **SCENARIOS["declined"])
    assert through_store.sheet_kind == "declined" and consent_status(through_store) == "rejected"
    consent = one(export_screening(store, through_store.screening_id), "Consent")
    assert (consent["status"], consent["provision"]["type"]) == ("rejected", "deny")
    assert "Wants to think about it." in consent["text"]["div"]
    record = finish(store, people)
    declined = types.SimpleNamespace(**dataclasses.asdict(record), declined=True)
    assert consent_status(record) == "proposed"
    assert consent_status(declined) == consent_status(record, [{"event": "declined"}]) == "rejected"
    assert consent_status(declined, [{"event": "signed_copy_received"}]) == "rejected"
    bundle = fhir_bundle(declined, settings=store.settings(), front_desk="Dee Desk")
    assert validate_bundle(r4, bundle) == [] and own_problems(bundle, record.screening_file, store.settings()) == []
    consent = one(bundle, "Consent")
    assert (consent["status"], consent["provision"]["type"]) == ("rejected", "deny")
    assert one(bundle, "ServiceRequest")["status"] == "revoked"


def test_the_checks_can_fail(r4, store, people):
    record = finish(store, people, **SCENARIOS["reviewed_consent"])
    good = export_screening(store, record.screening_id)
    broken = copy.deepcopy(good)
    consent = one(broken, "Consent")
    del consent["policy"], consent["policyRule"]
    assert any("ppc-1" in p for p in fhircraft_problems(r4, consent))
    questionnaire = copy.deepcopy(one(good, "Questionnaire"))
    follow_up = questionnaire["item"][0]["item"][0]  # nested: fhircraft sees it only when lifted
    follow_up["enableWhen"] *= 2  # R4's que-12 reads "count() > 2"
    del follow_up["enableBehavior"]
    assert fhircraft_problems(r4, questionnaire) == []
    assert any("que-12" in p for flat in lifted(questionnaire) for p in fhircraft_problems(r4, flat))
    response = copy.deepcopy(one(good, "QuestionnaireResponse"))
    nested = next(i for i in response["item"] if i["answer"][0].get("item"))
    nested["answer"][0]["item"][0]["item"] = [{"linkId": "x", "answer": [{"valueString": "y"}]}]
    assert fhircraft_problems(r4, response) == []
    assert any("qrs-1" in p for flat in lifted(response) for p in fhircraft_problems(r4, flat))
    assert any("several enableWhen" in p for p in own_problems(
        {**good, "entry": [e if e["resource"]["resourceType"] != "Questionnaire" else {**e, "resource": questionnaire}
                           for e in good["entry"]]}, record.screening_file, store.settings()))
    response = one(broken, "QuestionnaireResponse")
    response["item"].sort(key=lambda i: i["linkId"])  # the old, alphabetical order
    broken["entry"][0]["fullUrl"] = f"urn:uuid:{record.screening_id}-patient"
    problems = own_problems(broken, record.screening_file, store.settings())
    assert any("questionnaire order" in p for p in problems)
    assert any("not a urn:uuid" in p for p in problems)
    assert any("does not resolve" in p for p in problems)


def test_patient_id_system_is_a_clinic_setting():
    assert ClinicSettings().patient_id_system == LOCAL_PATIENT_ID_SYSTEM
    settings, problems = ClinicSettings.checked({"patient_id_system": "our ids"})
    assert settings.patient_id_system == LOCAL_PATIENT_ID_SYSTEM
    assert problems == ["patient_id_system: must be a URI such as urn:oid:1.2.3 or https://…, default used"]
    assert ClinicSettings.checked({"patient_id_system": "https://ehr.example/ids"})[0].patient_id_system == \
        "https://ehr.example/ids"


# --- the questionnaire the patient was asked ------------------------------------------------------

def test_current_files_equal_their_history_copy():
    shipped = shipped_resource_dir()
    content = load_content(shipped)
    for name, kind, version in (("questionnaire.toml", "questionnaire", content.questionnaire_version),
                                ("rules.toml", "rules", content.rules_version)):
        copy_path = shipped / "history" / kind / f"{version}.toml"
        assert copy_path.is_file(), f"released {name} {version} has no copy in resources/history/{kind}/"
        assert copy_path.read_bytes() == (shipped / name).read_bytes(), \
            f"{name} changed without a new version: raise its version and keep a copy in history"


def test_every_kept_version_loads_under_its_own_name():
    history = shipped_resource_dir() / "history"
    q_versions = [p.stem for p in (history / "questionnaire").glob("*.toml")]
    assert q_versions
    for v in q_versions:
        assert questionnaire_for_version(v).version == v
    now = load_content(shipped_resource_dir())  # the release in force loads whole, with today's loader
    assert content_for_version(now.questionnaire_version, now.rules_version).questions == now.questions
    assert {p.stem for p in (history / "rules").glob("*.toml")} >= {now.rules_version}
    assert questionnaire_for_version("../questionnaire") is None and questionnaire_for_version("9.9.9") is None


def test_a_history_file_kept_under_another_version_is_refused(tmp_path, monkeypatch):
    from screening_app.screening.content import ContentError
    target = tmp_path / "resources"
    shutil.copytree(shipped_resource_dir(), target, ignore=shutil.ignore_patterns("fonts"))
    shutil.copy(target / "questionnaire.toml", target / "history" / "questionnaire" / "2.0.0.toml")
    monkeypatch.setenv(ENV_VAR, str(target))
    now = default_content().questionnaire_version
    with pytest.raises(ContentError, match=f"says '{now}', but the file is kept as '2.0.0'"):
        questionnaire_for_version("2.0.0")


NEW_WORDING = "Do you have cancer today, or are doctors checking you for cancer?"


@pytest.fixture
def clinic_copy(tmp_path, monkeypatch):
    """A clinic's own copy of resources/, switched on and off; the content cache follows it."""
    def make(version, keep_history=True):
        target = tmp_path / f"resources-{version}"
        shutil.copytree(shipped_resource_dir(), target,
                        ignore=None if keep_history else shutil.ignore_patterns("history"))
        path = target / "questionnaire.toml"
        text = path.read_text(encoding="utf-8")
        old = default_content().question("active_malignancy").text
        text = text.replace(f'version = "{default_content().questionnaire_version}"', f'version = "{version}"', 1)
        path.write_text(text.replace(old, NEW_WORDING, 1), encoding="utf-8")
        return target

    def use(directory):
        if directory is None:
            monkeypatch.delenv(ENV_VAR, raising=False)
        else:
            monkeypatch.setenv(ENV_VAR, str(directory))
        default_content.cache_clear()
        return default_content()

    yield make, use
    monkeypatch.delenv(ENV_VAR, raising=False)
    default_content.cache_clear()


@pytest.mark.parametrize("keep_history", [True, False])
def test_an_old_record_exports_its_own_wording_after_the_questionnaire_changes(r4, store, people, clinic_copy,
                                                                                keep_history):
    make, use = clinic_copy
    old_text = default_content().question("active_malignancy").text
    old_version = default_content().questionnaire_version
    old = finish(store, people, answers={"active_malignancy": "yes"})
    current = use(make("9.0.0", keep_history))
    assert current.question("active_malignancy").text == NEW_WORDING
    bundle = export_screening(store, old.screening_id, current)
    text = json.dumps(bundle, ensure_ascii=False)
    assert NEW_WORDING not in text and old_text in text
    q = one(bundle, "Questionnaire")
    assert (q["version"], q["status"]) == (old_version, "retired")
    assert one(bundle, "QuestionnaireResponse")["questionnaire"] == f"{QUESTIONNAIRE_URL}|{old_version}"
    assert validate_bundle(r4, bundle) == [] and own_problems(bundle, old.screening_file, store.settings()) == []
    # a screening done with the new version shows the new wording, as the version in force
    new = finish(store, people, answers={"active_malignancy": "yes"})
    assert new.questionnaire_version == "9.0.0"
    bundle = export_screening(store, new.screening_id, current)
    assert (one(bundle, "Questionnaire")["version"], one(bundle, "Questionnaire")["status"]) == ("9.0.0", "active")
    assert NEW_WORDING in json.dumps(bundle, ensure_ascii=False)


def test_a_record_of_the_first_release_exports_the_first_wording(r4, store, people):
    """A real upgrade: a record screened with questionnaire 1.0.0 as released (its file format is
    older than today's loader accepts as content in use), exported after the questionnaire was
    reworded. The stored record is today's, relabelled as the first release stored it."""
    first_q = questionnaire_for_version("1.0.0")
    now = load_content(shipped_resource_dir())
    changed = [q.id for q in now.questions if q.text != first_q.question(q.id).text]
    assert changed, "the first release and today's questionnaire should differ somewhere"
    stored = dataclasses.replace(finish(store, people), questionnaire_version="1.0.0", rules_version="1.0.0")
    bundle = fhir_bundle(stored, settings=store.settings(), front_desk="Dee Desk")
    items = {i["linkId"]: i["text"] for i in one(bundle, "QuestionnaireResponse")["item"]}
    for qid in changed:
        assert items[qid] == first_q.question(qid).text != now.question(qid).text
    assert (one(bundle, "Questionnaire")["version"], one(bundle, "Questionnaire")["status"]) == ("1.0.0", "retired")
    assert validate_bundle(r4, bundle) == [] and own_problems(bundle, stored.screening_file, store.settings()) == []


def test_a_questionnaire_edited_without_a_new_version_is_refused_before_it_can_mislead(store, people, clinic_copy):
    # New wording under a shipped version number would make an old record's export show words the
    # patient was never asked; the loader refuses such a copy (shipped digests), so it never gets here.
    from screening_app.screening import ContentError
    make, use = clinic_copy
    record = finish(store, people)
    with pytest.raises(ContentError, match="version the product shipped"):
        use(make(record.questionnaire_version))
    assert "cannot be told" not in json.dumps(export_screening(store, record.screening_id, use(None)))


def test_an_unknown_version_exports_what_the_record_holds_and_says_so(r4, store, people, clinic_copy):
    make, use = clinic_copy
    clinic_version = default_content().questionnaire_version + "-clinic"
    use(make(clinic_version, keep_history=False))
    record = finish(store, people, answers={"active_malignancy": "yes", "cancer_history": "dont_know"},
                    follow_ups={"active_malignancy": {"details": "Breast, on chemotherapy."}})
    assert record.questionnaire_version == clinic_version
    shipped = use(None)  # back to the shipped questionnaire: it does not know the clinic's version
    bundle = export_screening(store, record.screening_id, shipped)
    assert not resources(bundle, "Questionnaire")
    response = one(bundle, "QuestionnaireResponse")
    assert "not kept by this installation" in response["text"]["div"]
    assert all("text" not in item for item in response["item"])  # no wording is better than the wrong one
    text = json.dumps(bundle, ensure_ascii=False)
    assert shipped.question("active_malignancy").text not in text and NEW_WORDING not in text
    assert {i["linkId"]: i["answer"][0]["valueCoding"]["code"] for i in response["item"]}["cancer_history"] == \
        "asked-unknown"
    malignancy = next(i for i in response["item"] if i["linkId"] == "active_malignancy")
    assert malignancy["answer"][0]["item"][0]["answer"][0]["valueString"] == "Breast, on chemotherapy."
    assert validate_bundle(r4, bundle) == []
    assert own_problems(bundle, record.screening_file, store.settings()) == []


# --- several screenings at once -------------------------------------------------------------------

def run(*args):
    """The real command, signed in as the clinician (the password from the environment)."""
    env = dict(os.environ, SCREENING_APP_PASSWORD=PASSWORD)
    return subprocess.run([sys.executable, "-m", "screening_app", *args, "--user", "chen"], capture_output=True,
                          cwd=ROOT, env=env, timeout=120)


def test_export_fhir_for_a_date_range_is_one_collection_of_bundles(r4, private_home):
    store = Store.open(private_home / "data")
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    people = {"admin": admin, "desk": store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD),
              "doc": store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)}
    today = dt.date.today()
    day = [(today + dt.timedelta(days=n)).isoformat() for n in (0, 1, 2, 10)]
    inside = [finish(store, people, treatment_date=day[1]),
              finish(store, people, answers={"active_malignancy": "yes"}, treatment_date=day[0])]
    finish(store, people, treatment_date=day[3])  # outside the range
    store.new_draft(people["desk"], Draft(name="Not Finished", treatment_date=day[1]).to_json())
    expected = [export_screening(store, r.screening_id) for r in (inside[1], inside[0])]  # by treatment date
    inside_files = {b["id"]: r.screening_file for b, r in zip(expected, (inside[1], inside[0]), strict=True)}
    store.close()

    proc = run("export", "--fhir", "--from", day[0], "--to", day[2])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out == fhir_collection(expected)
    # fhircraft 0.9.0 cannot read a Bundle inside a Bundle (it rejects 'Bundle' as an entry's
    # resource), so each screening's Bundle is validated as fhircraft validates any Bundle.
    assert any("Invalid resourceType 'Bundle'" in p for p in fhircraft_problems(r4, out))
    for entry in out["entry"]:
        assert validate_bundle(r4, entry["resource"]) == []
        assert own_problems(entry["resource"], inside_files[entry["resource"]["id"]]) == []
    assert out["type"] == "collection" and [e["fullUrl"] for e in out["entry"]] == [
        f"urn:uuid:{b['id']}" for b in expected]
    assert "".join(iter_fhir_collection([], lambda sid: None)) and \
        json.loads("".join(iter_fhir_collection([], lambda sid: None))) == fhir_collection([])

    only_to = json.loads(run("export", "--fhir", "--to", day[0]).stdout)
    assert [e["resource"]["id"] for e in only_to["entry"]] == [expected[0]["id"]]
    empty = run("export", "--fhir", "--from", day[2], "--to", day[2])
    assert empty.returncode == 0 and "entry" not in json.loads(empty.stdout)
    assert b"no finished screening" in empty.stderr
    store = Store.open(private_home / "data")  # every exported screening has it in its audit trail
    for record in inside:
        entries = store.audit_entries(admin, screening_id=record.screening_id)
        assert any(e["action"] == "exported" and e["actor"] == "chen" for e in entries)
    store.close()


@pytest.mark.parametrize("args,message", [
    (("--fhir",), "--fhir: give a SCREENING_ID, or --from and/or --to"),
    (("--fhir", "some-id", "--from", "2026-11-01"), "--fhir: give one SCREENING_ID or a range"),
    (("--fhir", "--from", "2026-13-01"), "--from: '2026-13-01' is not a date (YYYY-MM-DD)"),
    (("--fhir", "--from", "22.11.2026"), "--from: '22.11.2026' is not a date"),
    (("--fhir", "--from", "2026-12-02", "--to", "2026-12-01"), "--from: 2026-12-02 is after --to 2026-12-01"),
    (("--csv", "--fhir", "x"), "export: give either --fhir"),
])
def test_export_arguments_are_checked_before_the_store_is_opened(args, message):
    proc = run("export", *args)
    assert proc.returncode == 2 and message.encode() in proc.stderr and b"Traceback" not in proc.stderr
