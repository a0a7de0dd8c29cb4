"""Ensure a screening's life keeps its promises through every door, without Qt, on a real store.

In the style of Electrum's tests/test_wizard.py: the steps are data, so paths are tested by
role and outcome without a window; the store is real (SQLite on disk and PostgreSQL).
"""
import dataclasses
import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from conftest import GOOD_PRODUCT, PASSWORD, all_answers, raw_sql
from pypdf import PdfReader

from screening_app.casework import Case, Draft, Step
from screening_app.records import StoreError
from screening_app.records.accounts import PermissionDenied
from screening_app.records.settings import ClinicSettings
from screening_app.records.store import Store


def patient(**answers) -> Draft:
    return Draft(name="Zoë Ångström", date_of_birth="1980-04-02", patient_id="A-1001", route="topical",
                 answers=all_answers(**answers), product=dict(GOOD_PRODUCT))


def pdf_text(data: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def handed_over(store, people, draft: Draft) -> str:
    case = Case(store, people["desk"], draft=draft)
    case.hand_over()
    return case.sid


def review_case(store, people, sid: str, who: str = "doc") -> Case:
    case = Case(store, people[who], row=store.claim(people[who], sid))
    return case


def decide_all(case: Case, decision: str = "proceed", reason: str = "Checked with the patient today.") -> None:
    result = case.flow.evaluate(case.draft).result
    for f in result.findings:
        if f.outcome.value == "clinician_review":
            case.draft.decisions[f.question] = {"decision": decision, "reason": reason}
    case.stamp_review()


def finished(store, people, draft: Draft, decision: str = "proceed") -> Case:
    case = review_case(store, people, handed_over(store, people, draft))
    decide_all(case, decision)
    case.finish()
    return case


# --- the steps, by role and outcome --------------------------------------------------------------

@pytest.mark.parametrize("answers, clinician_path", [
    ({}, [Step.REVIEW, Step.PRODUCT, Step.SHEET]),
    ({"active_malignancy": "yes"}, [Step.REVIEW, Step.SHEET]),
    ({"cancer_history": "dont_know"}, [Step.REVIEW, Step.SHEET]),  # Next stays off until a decision
])
def test_front_desk_path_ends_at_the_questions_and_the_clinicians_follows_the_outcome(store, people, answers,
                                                                                       clinician_path):
    desk = Case(store, people["desk"], draft=patient(**answers))
    assert desk.flow.path(desk.draft) == [Step.PATIENT, Step.TREATMENT, Step.QUESTIONS]
    desk.hand_over()
    doc = review_case(store, people, desk.sid)
    assert doc.flow.path(doc.draft)[3:] == clinician_path
    assert bool(doc.flow.problems(doc.draft, Step.REVIEW)) == ("cancer_history" in answers)


def test_one_evaluation_per_draft_revision_however_many_pages_ask(store, people):
    case = Case(store, people["doc"], draft=patient(cancer_history="yes"))
    before = case.flow.evaluations
    for step in Step:
        case.flow.problems(case.draft, step)
        case.flow.next_step(case.draft, step)
    case.flow.sheet_kind(case.draft)
    assert case.flow.evaluations - before == 1
    case.draft.area = "knee"
    case.flow.problems(case.draft, Step.TREATMENT)
    assert case.flow.evaluations - before == 2


# --- who is acting comes from the database -------------------------------------------------------

def test_a_front_desk_account_relabelled_as_clinician_can_neither_claim_nor_finish(store, people):
    sid = handed_over(store, people, patient())
    forged = dataclasses.replace(people["desk"], role="clinician")
    with pytest.raises(PermissionDenied):
        store.claim(forged, sid)
    case = review_case(store, people, sid)
    with pytest.raises(PermissionDenied):
        store.finish(forged, sid, version=case.version, screening_file=case.screening_file())
    as_case = Case(store, forged, row=store.draft(sid))
    assert as_case.staff.role == "front_desk" and as_case.flow.hands_over  # the database's word, not the object's
    with pytest.raises((PermissionDenied, StoreError)):
        as_case.finish()


def test_an_object_naming_another_account_is_refused(store, people):
    sid = handed_over(store, people, patient())
    impostor = dataclasses.replace(people["doc"], id=people["desk"].id)
    with pytest.raises(PermissionDenied):
        store.claim(impostor, sid)


def test_a_switched_off_clinician_no_longer_signs_and_loses_their_claims(store, people):
    sid = handed_over(store, people, patient())
    case = review_case(store, people, sid)
    store.set_staff_active(people["admin"], "chen", False)
    with pytest.raises(PermissionDenied):
        case.finish()
    row = store.draft(sid)
    assert row.status == "handed_over" and row.claimed_by is None
    assert any(e["action"] == "claim_released" and "switched off" in e["detail"]
               for e in store.audit_entries(people["admin"], screening_id=sid))
    review_case(store, people, sid, "doc2")  # another clinician can take it at once


def test_the_signer_is_the_signed_in_clinician_never_a_typed_name(store, people):
    case = review_case(store, people, handed_over(store, people, patient(cancer_history="yes")))
    decide_all(case)
    file = case.screening_file()
    file["review"]["clinician"] = "Dr. Gregory House"
    record = store.finish(people["doc"], case.sid, version=case.version, screening_file=file)
    assert record.finished_by == record.signer_name == "Dr. Maya Chen"
    assert record.screening_file["review"]["clinician"] == "Dr. Maya Chen"
    text = pdf_text(record.pdf)
    assert "Dr. Maya Chen" in text and "House" not in text


def test_finish_refuses_a_pdf_that_is_not_the_sheet_and_records_the_sheet_it_makes(store, people):
    case = review_case(store, people, handed_over(store, people, patient()))
    with pytest.raises(StoreError, match="not the sheet"):
        store.finish(people["doc"], case.sid, version=case.version, screening_file=case.screening_file(),
                     pdf=b"%PDF-1.4 a consent for someone else")
    shown = case.sheet().pdf
    record = case.finish(shown)
    assert record.pdf == shown and record.sheet_kind == "consent"


def test_no_consent_without_a_verified_lot_through_the_store(store, people):
    draft = patient()
    draft.product = dict(GOOD_PRODUCT, expiry="2021-01-01")
    case = review_case(store, people, handed_over(store, people, draft))
    with pytest.raises(StoreError):
        store.finish(people["doc"], case.sid, version=case.version,
                     screening_file=case.draft.to_screening_file(with_product=True))
    no_lot = case.draft.to_screening_file(with_product=False)
    with pytest.raises(StoreError):
        store.finish(people["doc"], case.sid, version=case.version, screening_file=no_lot)


# --- one patient, many screenings ----------------------------------------------------------------

def seen_before(result) -> list:
    return [f for f in result.findings if f.question == "seen_before"]


@pytest.mark.parametrize("same_patient", [
    {"patient_id": "A-1001"},                                           # same ID, name typed differently
    {"name": "ZOE  angstrom", "patient_id": ""},                        # folded name and birth date
])
def test_rescreening_a_do_not_treat_patient_is_never_a_plain_consent(store, people, same_patient):
    first = finished(store, people, patient(active_malignancy="yes"))
    assert first.record.sheet_kind == "do_not_treat"
    again = patient()  # two minutes later, every answer "no"
    again.name = same_patient.get("name", "Zoe Angstrom-Lee")
    again.patient_id = same_patient["patient_id"]
    desk = Case(store, people["desk"], draft=again)
    assert desk.history and desk.history[0].outcome == "do_not_treat"
    desk.hand_over()
    assert store.draft(desk.sid).outcome == "clinician_review"
    doc = review_case(store, people, desk.sid)
    found = seen_before(doc.flow.evaluate(doc.draft).result)
    assert found and first.draft.treatment_date in found[0].reason and "do not treat" in found[0].reason
    assert "active malignancy: yes → no" in found[0].reason
    # Without a recorded reason to go on, the store records no consent, whatever the caller sends.
    doc.stamp_review()
    assert doc.finish().sheet_kind == "awaiting_review"


def test_the_clinician_records_a_reason_to_go_on_and_then_a_consent_is_possible(store, people):
    finished(store, people, patient(active_malignancy="yes"))
    case = review_case(store, people, handed_over(store, people, patient()))
    assert case.flow.problems(case.draft, Step.REVIEW) == {"review.decisions.seen_before": "choose proceed or defer"}
    case.draft.decisions["seen_before"] = {"decision": "proceed", "reason": "Oncologist's letter: in remission, "
                                                                            "discharged 2026-11-01."}
    case.stamp_review()
    record = case.finish()
    assert record.sheet_kind == "consent"
    assert "Oncologist" in record.screening_file["review"]["decisions"]["seen_before"]["reason"]


def test_a_deferred_patient_is_seen_before_too(store, people):
    finished(store, people, patient(current_infection="yes"), decision="defer")
    case = Case(store, people["desk"], draft=patient())
    found = seen_before(case.flow.evaluate(case.draft).result)
    assert found and "deferred" in found[0].reason


def test_a_do_not_treat_still_in_the_queue_is_seen_by_the_next_screening(store, people):
    handed_over(store, people, patient(active_malignancy="yes"))
    case = Case(store, people["desk"], draft=patient())
    found = seen_before(case.flow.evaluate(case.draft).result)
    assert found and "not finished" in found[0].reason


def test_a_different_patient_is_not_seen_before(store, people):
    finished(store, people, patient(active_malignancy="yes"))
    other = patient()
    other.name, other.patient_id, other.date_of_birth = "Zoë Ångström", "", "1980-04-03"
    assert not Case(store, people["desk"], draft=other).history


# --- amendments ----------------------------------------------------------------------------------

def test_the_front_desk_cannot_amend_and_a_clinicians_amendment_of_do_not_treat_needs_a_reason(store, people):
    original = finished(store, people, patient(active_malignancy="yes"))
    with pytest.raises(PermissionDenied):
        store.amend(people["desk"], original.sid)
    row = store.amend(people["doc"], original.sid)
    amendment = Case(store, people["doc"], row=row)
    assert amendment.changes_from_original() == []
    amendment.draft.answers["active_malignancy"] = "no"
    (what, before, now), = amendment.changes_from_original()
    assert what == amendment.flow.content.question("active_malignancy").text and (before, now) == ("yes", "no")
    amendment.claim()
    result = amendment.flow.evaluate(amendment.draft).result
    assert seen_before(result) and result.outcome.value == "clinician_review"
    amendment.stamp_review()
    assert amendment.finish().sheet_kind == "awaiting_review"
    kept = store.record(original.sid)
    assert kept.sheet_kind == "do_not_treat" and kept.screening_file["answers"]["active_malignancy"] == "yes"
    assert [r["amends"] for r in store.search(include_unfinished=False) if r["id"] == amendment.sid] == [original.sid]


def test_the_front_desk_cannot_edit_a_handed_over_screening(store, people):
    desk = Case(store, people["desk"], draft=patient(active_malignancy="yes"))
    desk.hand_over()
    desk.draft.answers["active_malignancy"] = "no"
    with pytest.raises(StoreError, match="handed over"):
        store.save_draft(people["desk"], desk.sid, desk.draft.to_json(), step=2, version=desk.version)


# --- claims and withdrawals ----------------------------------------------------------------------

def test_a_stale_claim_is_freed_by_another_clinician_with_a_reason_audited(store, people):
    sid = handed_over(store, people, patient())
    review_case(store, people, sid)
    with pytest.raises(StoreError, match="less than 30 minutes"):
        store.release(people["doc2"], sid, reason="Dr. Chen went home")
    with pytest.raises(StoreError, match="reason"):
        store.release(people["admin"], sid, reason=" ")
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat(timespec="seconds")
    raw_sql(store, [f"UPDATE screenings SET claimed_at = '{old}', updated_at = '{old}' WHERE id = '{sid}'"])
    with pytest.raises(PermissionDenied):
        store.release(people["desk"], sid, reason="why not")
    store.release(people["admin"], sid, reason="Dr. Chen went home")
    assert store.draft(sid).status == "handed_over"
    entry = store.audit_entries(people["admin"], screening_id=sid)[0]
    assert entry["action"] == "claim_released" and "went home" in entry["detail"] and entry["actor"] == "admin"
    review_case(store, people, sid, "doc2")


def test_a_withdrawn_screening_leaves_every_queue_and_stays_seen(store, people):
    sid = handed_over(store, people, patient(active_malignancy="yes"))
    with pytest.raises(PermissionDenied):
        store.withdraw(people["desk"], sid, "patient left")
    store.withdraw(people["doc"], sid, "patient left before the consult")
    assert sid not in [r.id for r in store.queue()]
    assert store.draft(sid).closed_reason == "patient left before the consult"
    with pytest.raises(StoreError):
        store.claim(people["doc2"], sid)
    # Withdrawn, but a do-not-treat answer is never invisible to the next screening.
    found = seen_before(Case(store, people["desk"], draft=patient()).flow.evaluate(patient()).result)
    assert found and "withdrawn" in found[0].reason


# --- the clinic's settings reach every sheet ------------------------------------------------------

def test_the_clinics_waiting_period_reaches_the_apps_the_stores_and_screens_sheets(store, people, tmp_path):
    settings = ClinicSettings(clinic_name="Harbor Clinic", clinic_phone="555-0100",
                              blood_donation_waiting_period="Our clinic asks you not to give blood for 12 months.")
    store.save_settings(people["admin"], settings)
    case = review_case(store, people, handed_over(store, people, patient()))
    shown = case.sheet()
    assert "12 months" in pdf_text(shown.pdf) and "Harbor Clinic" in pdf_text(shown.pdf)
    assert any("12 months" in a.text for a in shown.result.advice)
    record = case.finish(shown.pdf)
    assert "12 months" in pdf_text(record.pdf)


# --- screen, when the workstation has a store ----------------------------------------------------

def run_screen(home, data: dict, *extra):
    env = {**__import__("os").environ, "SCREENING_APP_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "screening_app", "screen", "-", "--json", *extra],
                          input=json.dumps(data).encode(), capture_output=True, env=env, timeout=60)


def test_screen_gives_the_seen_before_finding_and_never_a_plain_consent(private_home, tmp_path):
    from screening_app import paths
    store = Store.open(paths.data_dir())
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    people = {"admin": admin, "desk": store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD),
              "doc": store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)}
    finished(store, people, patient(active_malignancy="yes"))
    store.close()
    later = patient().to_screening_file()
    later["patient"]["name"] = "zoe angstrom"
    later["clinic"] = {"name": "Harbor Clinic", "phone": "555-0100"}  # --pdf needs a clinic to call
    out = run_screen(private_home, later, "--pdf", str(tmp_path / "sheet.pdf"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["outcome"] == "clinician_review"
    assert [f["question"] for f in result["findings"]] == ["seen_before"]
    text = pdf_text((tmp_path / "sheet.pdf").read_bytes())
    assert "I agree to have this treatment" not in text and "Patient signature" not in text
    assert b"Zo" not in out.stderr  # no patient data on stderr


def test_screen_still_screens_when_the_store_is_damaged(private_home):
    from screening_app import paths
    from screening_app.records.store import DB_NAME
    folder = paths.data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DB_NAME).write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    out = run_screen(private_home, patient().to_screening_file())
    assert out.returncode == 0, out.stderr  # an unreadable store never stops screen...
    result = json.loads(out.stdout)
    # ...but what cannot be checked is never counted as clear: no plain consent without a clinician.
    assert result["outcome"] == "clinician_review"
    assert [f["question"] for f in result["findings"]] == ["records_unavailable"]
    assert b"could not be read" in out.stderr and b"Zo" not in out.stderr


def test_screen_only_reads_the_store_it_never_migrates_or_writes_it(private_home):
    """`screen` opens the records read-only: a store at an older schema is not upgraded behind
    the clinic's back (on a server the workstation login may not even be allowed to), nothing
    in it changes, and the screening is never counted as clear for want of the history."""
    import hashlib
    import sqlite3

    from screening_app import paths
    from screening_app.records.store import DB_NAME
    store = Store.open(paths.data_dir())
    store.create_first_admin("admin", "Ada Admin", PASSWORD)
    store.close()
    db = paths.data_dir() / DB_NAME
    with sqlite3.connect(db) as c:  # as if made by the previous release
        c.execute("UPDATE alembic_version SET version_num = '0005'")

    def dump() -> str:  # the records' content (the file's bytes move when SQLite checkpoints its log)
        with sqlite3.connect(db) as c:
            return hashlib.sha256("\n".join(c.iterdump()).encode()).hexdigest()
    before = dump()
    out = run_screen(private_home, patient().to_screening_file())
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [f["question"] for f in result["findings"]] == ["records_unavailable"]
    assert b"outdated" in out.stderr and b"Zo" not in out.stderr
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone() == ("0005",)
    assert dump() == before


def test_screen_with_no_store_creates_none(private_home):
    from screening_app import paths
    out = run_screen(private_home, patient().to_screening_file())
    assert out.returncode == 0, out.stderr
    assert not paths.data_dir().exists() or not any(paths.data_dir().iterdir())


# --- found in review: what the wizard shows must be what the store records ------------------------

def test_a_sheet_made_before_another_workstation_refused_the_patient_is_made_again(store, people):
    other = review_case(store, people, handed_over(store, people, patient()))
    shown = other.sheet()
    assert shown.kind.value == "consent"
    finished(store, people, patient(active_malignancy="yes"), decision="proceed")  # elsewhere, meanwhile
    with pytest.raises(StoreError, match="not the sheet"):
        store.finish(people["doc"], other.sid, version=other.version, screening_file=other.screening_file(),
                     pdf=shown.pdf)
    other.refresh()
    assert other.sheet().kind.value == "awaiting_review"  # seen before, now: no consent without a reason


def test_paper_counts_only_for_the_sheet_that_was_printed(store, people):
    case = review_case(store, people, handed_over(store, people, patient()))
    first = case.sheet().pdf
    case.record_paper("printed", "1 page(s)", sheet=first)
    assert case.paper_done_for(first)
    case.draft.product["lot"] = "EV-2292"  # Back, another vial, forward again
    assert not case.paper_done_for(case.sheet().pdf)
    assert store.paper_events(case.sid)[0]["sheet_sha256"] == __import__("hashlib").sha256(first).hexdigest()


def test_the_store_works_out_a_drafts_outcome_itself(store, people):
    draft = patient(active_malignancy="yes")
    row = store.new_draft(people["desk"], draft.to_json())
    store.save_draft(people["desk"], row.id, draft.to_json(), step=2, version=row.row_version,
                     outcome="no_contraindication_found")  # a forged or buggy client's word
    assert store.draft(row.id).outcome == "do_not_treat"
    assert seen_before(Case(store, people["desk"], draft=patient()).flow.evaluate(patient()).result)


def test_a_clinician_still_working_cannot_be_freed_by_another(store, people):
    sid = handed_over(store, people, patient())
    case = review_case(store, people, sid)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat(timespec="seconds")
    raw_sql(store, [f"UPDATE screenings SET claimed_at = '{old}' WHERE id = '{sid}'"])
    case.save(Step.REVIEW)  # still typing
    with pytest.raises(StoreError, match="less than 30 minutes"):
        store.release(people["doc2"], sid, reason="Dr. Chen went home")


def test_a_patient_who_turns_the_minimum_age_only_by_the_treatment_day_is_a_minor_today(store, people):
    today = dt.date.today()
    born = today.replace(year=today.year - 18) + dt.timedelta(days=3)  # 17 today, 18 in three days
    draft = patient()
    draft.date_of_birth = born.isoformat()
    draft.treatment_date = (today + dt.timedelta(days=10)).isoformat()
    case = review_case(store, people, handed_over(store, people, draft))
    case.stamp_review()
    record = case.finish()
    assert "patient_is_minor" in [f["question"] for f in record.result["findings"]]
    assert record.sheet_kind != "consent"


def test_each_finished_screening_keeps_the_digest_of_the_content_it_was_screened_with(store, people):
    from screening_app.screening import default_content
    record = finished(store, people, patient()).record
    assert record.content_digest == default_content().digest and len(record.content_digest) == 64


def test_screen_pdf_with_unreadable_records_prints_nothing_to_sign(private_home, tmp_path):
    from screening_app import paths
    from screening_app.records.store import DB_NAME
    folder = paths.data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DB_NAME).write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    data = patient().to_screening_file()
    data["clinic"] = {"name": "Riverside Clinic", "phone": "(217) 555-0147"}
    out = run_screen(private_home, data, "--pdf", str(tmp_path / "sheet.pdf"))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["sheet_kind"] != "consent"
    text = pdf_text((tmp_path / "sheet.pdf").read_bytes())
    assert "Patient signature" not in text


def test_a_draft_left_open_overnight_cannot_be_finished_for_a_past_day(store, people):
    case = review_case(store, people, handed_over(store, people, patient()))
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    case.draft.treatment_date = yesterday  # as typed yesterday, opened today
    assert case.date_has_passed()
    with pytest.raises(StoreError, match="treatment.date"):
        store.finish(people["doc"], case.sid, version=case.version,
                     screening_file=case.draft.to_screening_file())
