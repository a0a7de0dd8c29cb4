"""Ensure what happens after a consent is kept: what was given, follow-up, adverse events,
recalled lots and the lookback, through the store's API on both backends, the core, and the
commands (subprocess)."""
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from conftest import PASSWORD, raw_sql
from sqlalchemy import inspect
from test_casework import decide_all, finished, handed_over, patient, review_case

from screening_app.casework import Case, Step
from screening_app.records import StoreError
from screening_app.records.accounts import PermissionDenied
from screening_app.records.aftercare_report import lookback_csv, medwatch_fields, medwatch_text
from screening_app.records.fhir_aftercare import fhir_adverse_event
from screening_app.records.settings import ClinicSettings
from screening_app.records.store import Store

TODAY = dt.date.today()
PREVIOUS = "0004"  # the schema before migrations/versions/0005_aftercare.py


def consent(store, people, **patient_fields) -> str:
    draft = patient()
    for k, v in patient_fields.items():
        setattr(draft, k, v)
    case = finished(store, people, draft)
    assert case.record.sheet_kind == "consent"
    return case.sid


def give(store, people, sid, who="doc", **over):
    values = dict(lot="EV-2291", amount="1.5", unit="mL", site="left cheek", procedure="microneedling")
    values.update(over)
    return store.record_administration(people[who], sid, **values)


def audit_actions(store, people) -> list[str]:
    return [e["action"] for e in store.audit_entries(people["admin"])]


# --- 1. what was given ----------------------------------------------------------------------------

def test_the_clinician_records_what_was_given_with_the_consents_lot(store, people):
    sid = consent(store, people)
    given = give(store, people, sid, lot=" ev-2291 ", given_by="okafor")
    assert (given.lot, given.amount, given.unit, given.site, given.route, given.procedure) == \
        ("EV-2291", "1.5", "mL", "left cheek", "topical", "microneedling")
    assert given.given_by == "Dr. Ike Okafor" and given.recorded_by == "Dr. Maya Chen"
    assert "administration_recorded" in audit_actions(store, people)


@pytest.mark.parametrize("over, message", [
    ({"lot": "EV-9999"}, "lot: EV-9999 is not the lot verified for this consent"),
    ({"lot": ""}, "lot: empty"),
    ({"amount": "0"}, "amount: '0' is not a number above zero"),
    ({"amount": "a lot"}, "amount: 'a lot' is not a number"),
    ({"unit": " "}, "unit: empty"),
    ({"site": ""}, "site: empty"),
    ({"route": "intravenous"}, "route: the consent was for topical"),
    ({"procedure": ""}, "procedure: empty"),
    ({"given_by": "desk"}, "given by: 'desk' is not an active clinician"),
    ({"given_at": "yesterday"}, "given at: 'yesterday' is not a date and time"),
    ({"given_at": (dt.datetime.now() + dt.timedelta(days=1)).isoformat()}, "given at: is in the future"),
    ({"given_at": "2020-01-01T10:00"}, "given at: before the consent was signed"),
])
def test_a_wrong_administration_is_refused_naming_the_field(store, people, over, message):
    sid = consent(store, people)
    with pytest.raises(StoreError, match=message) as exc:
        give(store, people, sid, **over)
    assert store.administration(people["doc"], sid) is None
    # The refusal carries its problems as values: the field a form shows it beside, and why.
    field, _, why = message.partition(": ")
    assert any(p.field == field and p.message.startswith(why) for p in exc.value.problems), exc.value.problems


def test_no_administration_without_a_signed_consent_with_a_verified_lot(store, people):
    refused = finished(store, people, patient(active_malignancy="yes"))
    with pytest.raises(StoreError, match="only after a signed consent"):
        give(store, people, refused.sid)


def test_only_a_clinician_records_a_treatment_and_a_forged_or_switched_off_caller_is_refused(store, people):
    sid = consent(store, people)
    with pytest.raises(PermissionDenied):
        give(store, people, sid, who="desk")
    with pytest.raises(PermissionDenied):
        give(store, people, sid, who="admin")
    forged = dataclasses.replace(people["desk"], role="clinician")
    with pytest.raises(PermissionDenied):
        store.record_administration(forged, sid, lot="EV-2291", amount="1", unit="mL", site="x", procedure="y")
    store.set_staff_active(people["admin"], "okafor", False)
    with pytest.raises(PermissionDenied, match="switched off"):
        give(store, people, sid, who="doc2")
    for call in (lambda a: store.record_adverse_event(a, sid, description="x", onset=TODAY.isoformat()),
                 lambda a: store.administration(a, sid),
                 lambda a: store.adverse_events(a),
                 lambda a: store.recent_administrations(a),
                 lambda a: store.contacts(a, sid),
                 lambda a: store.record_contact(a, sid, reached=False),
                 lambda a: store.recall_lot(a, "EV-2291", "maker's notice"),
                 lambda a: store.lookback(a, "EV-2291"),
                 lambda a: store.follow_up_queue(a)):
        with pytest.raises(PermissionDenied):
            call(dataclasses.replace(people["desk"], id=people["admin"].id))  # another account's id


def test_not_given_needs_a_reason_and_plans_no_follow_up(store, people):
    sid = consent(store, people)
    with pytest.raises(StoreError, match="reason not given: empty"):
        store.record_administration(people["doc"], sid, given=False)
    record = store.record_administration(people["doc"], sid, given=False, not_given_reason="Patient changed mind.")
    assert not record.given and record.lot is None and record.not_given_reason == "Patient changed mind."
    assert store.follow_ups(people["doc"], sid) == []


def test_a_correction_is_a_new_record_pointing_to_the_original_which_stays(store, people):
    sid = consent(store, people)
    first = give(store, people, sid)
    with pytest.raises(StoreError, match="recorded for this consent already"):
        give(store, people, sid)
    with pytest.raises(StoreError, match="amend reason: empty"):
        give(store, people, sid, site="right cheek", amends=first.id)
    second = give(store, people, sid, site="right cheek", amends=first.id, amend_reason="Wrong side typed.")
    assert second.amends == first.id and second.site == "right cheek"
    with pytest.raises(StoreError, match="Only the latest"):
        give(store, people, sid, site="chin", amends=first.id, amend_reason="again")
    chain = store.administrations(people["doc"], sid)
    assert [a.id for a in chain] == [first.id, second.id] and chain[0].site == "left cheek"
    assert store.administration(people["doc"], sid).id == second.id


@pytest.mark.parametrize("table", ["administrations", "follow_ups", "contacts", "adverse_events", "recalls"])
def test_after_treatment_rows_are_never_rewritten_even_behind_the_stores_back(store, people, table):
    sid = consent(store, people)
    given = give(store, people, sid)
    fu = store.follow_ups(people["doc"], sid)[0]
    contact = store.record_contact(people["desk"], sid, follow_up_id=fu.id, reached=True, problem=False)
    store.record_adverse_event(people["doc"], sid, description="Redness", onset=TODAY.isoformat(),
                               contact_id=contact.id)
    store.recall_lot(people["admin"], "EV-2291", "Maker's recall notice")
    assert given
    column = {"administrations": "site", "follow_ups": "due_by", "contacts": "note", "adverse_events": "description",
              "recalls": "reason"}[table]
    for sql in (f"UPDATE {table} SET {column} = 'rewritten'", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="never rewritten"):
            raw_sql(store, [sql])


# --- 2. follow-up ---------------------------------------------------------------------------------

def test_the_default_schedule_is_2_to_3_days_2_weeks_6_weeks_and_3_months(store, people):
    sid = consent(store, people)
    day = dt.datetime.now().replace(second=0, microsecond=0)
    give(store, people, sid, given_at=day.isoformat())
    plan = [(f.due_from, f.due_by) for f in store.follow_ups(people["doc"], sid)]
    d = lambda n: (day.date() + dt.timedelta(days=n)).isoformat()  # noqa: E731
    assert plan == [(d(2), d(3)), (d(14), d(14)), (d(42), d(42)), (d(90), d(90))]


def test_the_clinic_sets_its_own_schedule_and_a_bad_one_is_refused(store, people):
    with pytest.raises(StoreError, match="follow_up_days: contact 2: must start after"):
        store.save_settings(people["admin"], ClinicSettings(follow_up_days="1-2, 2-5"))
    for bad in ("0-1", [[1, 2]], "", "1-2-3", "5-2"):
        settings, problems = ClinicSettings.checked({"follow_up_days": bad})
        assert problems and settings.follow_up_days == ClinicSettings().follow_up_days, bad
    store.save_settings(people["admin"], ClinicSettings(follow_up_days="1, 7-10"))
    assert store.settings().follow_up_plan() == ((1, 1), (7, 10))
    sid = consent(store, people)
    give(store, people, sid)
    assert [f.seq for f in store.follow_ups(people["doc"], sid)] == [1, 2]


def test_the_queue_shows_who_is_due_or_overdue_and_a_reached_contact_ends_it(store, people):
    sid = consent(store, people)
    give(store, people, sid)
    assert store.follow_up_queue(people["desk"]) == []  # nothing due on the day of treatment
    in_4_days = TODAY + dt.timedelta(days=4)
    queue = store.follow_up_queue(people["desk"], today=in_4_days)
    assert [(f.seq, f.state) for f in queue] == [(1, "overdue")] and queue[0].patient_name == "Zoë Ångström"
    assert [(f.seq, f.state) for f in store.follow_up_queue(people["desk"], today=TODAY + dt.timedelta(days=14))] \
        == [(1, "overdue"), (2, "due")]
    with pytest.raises(StoreError, match="problem: say whether"):
        store.record_contact(people["desk"], sid, follow_up_id=queue[0].id, reached=True)
    store.record_contact(people["desk"], sid, follow_up_id=queue[0].id, reached=False, note="No answer")
    again = store.follow_up_queue(people["desk"], today=in_4_days)
    assert again[0].attempts == 1 and again[0].last_note == "No answer"
    with pytest.raises(StoreError, match="note: empty"):
        store.record_contact(people["desk"], sid, follow_up_id=queue[0].id, reached=True, problem=True)
    store.record_contact(people["desk"], sid, follow_up_id=queue[0].id, reached=True, problem=False, note="Fine")
    assert store.follow_up_queue(people["desk"], today=in_4_days) == []
    assert [c.reached for c in store.contacts(people["doc"], sid)] == [False, True]


def test_a_contact_made_before_a_correction_still_counts(store, people):
    sid = consent(store, people)
    first = give(store, people, sid)
    fu = store.follow_ups(people["doc"], sid)[0]
    store.record_contact(people["desk"], sid, follow_up_id=fu.id, reached=True, problem=False)
    give(store, people, sid, amends=first.id, amend_reason="Amount was 1.0", amount="1.0")
    states = [f.state for f in store.follow_ups(people["doc"], sid, today=TODAY + dt.timedelta(days=5))]
    assert states == ["done", "upcoming", "upcoming", "upcoming"]


def test_a_contact_for_another_patients_follow_up_is_refused(store, people):
    a = consent(store, people)
    b = consent(store, people, name="Other Person", patient_id="B-2", date_of_birth="1970-01-01")
    give(store, people, a)
    fu = store.follow_ups(people["doc"], a)[0]
    with pytest.raises(StoreError, match="not a follow-up of this treatment"):
        store.record_contact(people["desk"], b, follow_up_id=fu.id, reached=False)


# --- 3. adverse events ----------------------------------------------------------------------------

def test_an_adverse_event_with_medwatch_criteria_and_its_changes(store, people):
    sid = consent(store, people)
    give(store, people, sid)
    onset = (TODAY - dt.timedelta(days=1)).isoformat()
    with pytest.raises(StoreError, match="seriousness: a fatal outcome is serious"):
        store.record_adverse_event(people["doc"], sid, description="x", onset=onset, outcome="fatal")
    with pytest.raises(StoreError, match="seriousness: bad not among"):
        store.record_adverse_event(people["doc"], sid, description="x", onset=onset, seriousness=["bad"])
    with pytest.raises(StoreError, match="onset: .* is in the future"):
        store.record_adverse_event(people["doc"], sid, description="x",
                                   onset=(TODAY + dt.timedelta(days=1)).isoformat())
    with pytest.raises(StoreError, match="reported on: empty"):
        store.record_adverse_event(people["doc"], sid, description="x", onset=onset, reported_to_fda=True)
    with pytest.raises(PermissionDenied):
        store.record_adverse_event(people["desk"], sid, description="x", onset=onset)
    event = store.record_adverse_event(
        people["doc"], sid, description="Fever 39.2 C and spreading redness at the site", onset=onset,
        seriousness=["hospitalization", "required_intervention"], outcome="recovering",
        treatment="IV antibiotics")
    assert event.serious and event.suspected_lot == "EV-2291" and event.status == "open"
    closed = store.record_adverse_event(
        people["doc"], sid, description=event.description, onset=onset, seriousness=event.seriousness,
        outcome="recovered", treatment=event.treatment, reported_to_fda=True, reported_on=TODAY.isoformat(),
        fda_report_id="MW-123", status="closed", amends=event.id)
    assert closed.amends == event.id
    assert [e.id for e in store.adverse_events(people["doc"], sid=sid)] == [closed.id]
    assert store.adverse_events(people["doc"], open_only=True) == []
    with pytest.raises(StoreError, match="Only the latest"):
        store.record_adverse_event(people["doc"], sid, description="x", onset=onset, amends=event.id)
    assert store.adverse_event(people["doc"], event.id).status == "open"  # the first record stays


def test_the_medwatch_summary_fills_every_field_the_record_can(store, people):
    store.save_settings(people["admin"], ClinicSettings(clinic_name="Harbor Clinic", clinic_phone="555-0100"))
    sid = consent(store, people)
    give(store, people, sid)
    event = store.record_adverse_event(people["doc"], sid, description="Granuloma at the injection site",
                                       onset=TODAY.isoformat(), seriousness=["required_intervention"],
                                       outcome="not_recovered", treatment="Steroid injection")
    facts = store.medwatch_facts(people["doc"], event.id)
    text = medwatch_text(facts)
    for expected in ("A. Patient information", "ZÅ", "46 years" if TODAY.year - 1980 == 46 else "years (born",
                     "Granuloma at the injection site", "Required intervention to prevent permanent impairment",
                     "Steroid injection", "Not recovered", "EV-2291", "1.5 mL", "left cheek; microneedling",
                     "IND 12345", GOOD_EXPIRY(), "Dr. Maya Chen, Harbor Clinic", "555-0100", "[fill in]"):
        assert expected in text, expected
    filled = {label: value for _, rows in medwatch_fields(facts) for label, value in rows}
    assert filled["B3. Date of event (onset)"] == TODAY.isoformat()
    assert "medwatch_summary" in audit_actions(store, people)


def test_the_medwatch_summary_prints_as_a_pdf_with_every_field(store, people, tmp_path):
    import io
    import subprocess

    from pypdf import PdfReader

    from screening_app.records.aftercare_report import medwatch_pdf
    sid = consent(store, people)
    give(store, people, sid)
    event = store.record_adverse_event(people["doc"], sid, description="Fever 39.4 °C, chills; ← الحمى 发烧",
                                       onset=TODAY.isoformat(), seriousness=["hospitalization"], outcome="recovering")
    facts = store.medwatch_facts(people["doc"], event.id)
    pdf = medwatch_pdf(facts, made="2026-11-22T10:00")
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for _, rows in medwatch_fields(facts):
        for label, _value in rows:  # every field the form asks for, with what the records fill in
            assert " ".join(label.split()) in text, label
    for expected in ("MedWatch summary", "Fever 39.4 °C, chills", "EV-2291", "Hospitalization", "[fill in]",
                     "Contains patient information", event.id):
        assert expected in text, expected
    assert medwatch_pdf(facts, made="2026-11-22T10:00") == pdf  # the same record prints the same bytes
    (tmp_path / "mw.pdf").write_bytes(pdf)
    done = subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "mw.pdf"), str(tmp_path / "page")],
                          capture_output=True)
    assert done.returncode == 0 and list(tmp_path.glob("page*.png"))  # a printer can rasterise it


def GOOD_EXPIRY():
    from conftest import GOOD_PRODUCT
    return GOOD_PRODUCT["expiry"]


def test_fhir_adverse_event_passes_an_independent_validator(store, people):
    sid = consent(store, people)
    give(store, people, sid)
    event = store.record_adverse_event(people["doc"], sid, description="Fever", onset=TODAY.isoformat(),
                                       seriousness=["hospitalization"], outcome="recovering")
    resource = fhir_adverse_event(event, store.record(sid), store.administration(people["doc"], sid))
    assert resource["seriousness"]["coding"][0]["code"] == "serious"
    assert resource["outcome"]["coding"][0]["code"] == "recovering"
    assert "EV-2291" in resource["suspectEntity"][0]["instance"]["display"]
    assert resource["subject"] == {"display": "Zoë Ångström", "identifier": {"value": "A-1001"}}
    import warnings

    from pydantic import ValidationError
    models = pytest.importorskip("fhircraft.fhir.resources.datatypes.R4.core")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            models.AdverseEvent.model_validate(json.loads(json.dumps(resource)))
        except ValidationError as exc:
            pytest.fail(str(exc))
    assert not [str(w.message) for w in caught if "Fhir" in w.category.__name__ or "FHIRPath" in w.category.__name__]


# --- 4. an open adverse event matters for the next screening ------------------------------------

def open_ae(result) -> list:
    return [f for f in result.findings if f.question == "open_adverse_event"]


def test_an_open_adverse_event_gives_any_new_screening_a_clinician_review_finding(store, people):
    sid = consent(store, people)
    give(store, people, sid)
    event = store.record_adverse_event(people["doc"], sid, description="Spreading redness", onset=TODAY.isoformat(),
                                       seriousness=["other_serious"])
    again = patient()
    again.name = "ZOE angstrom"
    desk = Case(store, people["desk"], draft=again)
    found = open_ae(desk.flow.evaluate(desk.draft).result)
    assert found and "Spreading redness" in found[0].reason and found[0].outcome.value == "clinician_review"
    desk.hand_over()
    assert store.draft(desk.sid).outcome == "clinician_review"
    doc = review_case(store, people, desk.sid)
    assert "review.decisions.open_adverse_event" in doc.flow.problems(doc.draft, Step.REVIEW)
    # The store's finish sees it too: without a decision, no consent whatever the caller sends.
    doc.stamp_review()
    assert doc.finish().sheet_kind == "awaiting_review"
    # Closed, it no longer raises the finding.
    store.record_adverse_event(people["doc"], sid, description="Spreading redness", onset=TODAY.isoformat(),
                               seriousness=["other_serious"], outcome="recovered", status="closed",
                               amends=event.id)
    later = Case(store, people["desk"], draft=patient())
    assert not open_ae(later.flow.evaluate(later.draft).result)


def test_a_decision_on_the_open_adverse_event_allows_a_consent(store, people):
    sid = consent(store, people)
    give(store, people, sid)
    store.record_adverse_event(people["doc"], sid, description="Mild redness", onset=TODAY.isoformat())
    case = review_case(store, people, handed_over(store, people, patient()))
    decide_all(case, reason="Redness settled; seen in clinic today.")
    assert case.finish().sheet_kind == "consent"


# --- 5. recall and lookback -----------------------------------------------------------------------

def test_a_recalled_lot_never_verifies_again_through_the_case_or_the_store(store, people):
    sid = consent(store, people)
    with pytest.raises(PermissionDenied):
        store.recall_lot(people["doc"], "EV-2291", "x")
    with pytest.raises(StoreError, match="reason: empty"):
        store.recall_lot(people["admin"], "EV-2291", " ")
    store.recall_lot(people["admin"], "ev-2291", "Maker's notice: sterility failure")
    with pytest.raises(StoreError, match="recalled already"):
        store.recall_lot(people["admin"], "EV-2291 ", "again")
    assert "lot_recalled" in audit_actions(store, people)
    # Not given yet: it must not be given now.
    with pytest.raises(StoreError, match="was recalled"):
        give(store, people, sid)
    case = review_case(store, people, handed_over(store, people, patient()))
    assert "recalled" in case.flow.problems(case.draft, Step.PRODUCT)["product"] or \
        any("recalled" in p for p in case.flow.evaluate(case.draft).product_result.product.problems)
    decide_all(case)
    # Whatever the caller sends, the store makes no consent for a recalled lot.
    with pytest.raises(StoreError, match="passed every check"):
        store.finish(people["doc"], case.sid, version=store.draft(case.sid).row_version,
                     screening_file=case.draft.to_screening_file(with_product=True))


def test_lookback_lists_who_received_the_lot_and_becomes_a_call_list(store, people):
    a = consent(store, people)
    b = consent(store, people, name="Bo Berg", patient_id="B-2", date_of_birth="1970-01-01", contact="555-0199")
    c = consent(store, people, name="Cy Cole", patient_id="C-3", date_of_birth="1960-01-01")
    give(store, people, a)
    give(store, people, b)
    store.record_administration(people["doc"], c, given=False, not_given_reason="Left before treatment")
    with pytest.raises(PermissionDenied):
        store.lookback(people["desk"], "EV-2291")
    recalled, rows = store.lookback(people["doc"], "ev-2291")
    assert not recalled and [r.patient_name for r in rows] == ["Zoë Ångström", "Bo Berg"]
    assert rows[1].contact == "555-0199" and rows[1].follow_up.startswith("0 of 4 contacts done")
    assert rows[0].recall_contact == "not called yet"
    store.recall_lot(people["admin"], "EV-2291", "Maker's notice")
    with pytest.raises(StoreError, match="was not given lot"):
        store.record_contact(people["desk"], c, recall_lot="EV-2291", reached=False)
    store.record_contact(people["desk"], b, recall_lot="EV-2291", reached=True, problem=True,
                         note="Fever since Tuesday; coming in today")
    recalled, rows = store.lookback(people["admin"], "EV-2291")
    assert recalled and rows[1].recall_contact.startswith("reached") and "problem" in rows[1].recall_contact
    csv_text = lookback_csv(rows)
    assert csv_text.splitlines()[0].startswith("screening_id,patient_name") and "Bo Berg" in csv_text
    entries = [e for e in store.audit_entries(people["admin"]) if e["action"] == "lookback"]
    assert len(entries) == 2 and json.loads(entries[0]["detail"])["lot"] == "EV-2291"


# --- 6. the migration from the schema before it (0004) ----------------------------------------------

def test_a_store_at_the_previous_schema_with_records_is_upgraded_and_keeps_them(store_url, monkeypatch):
    """A clinic's store at the schema before this one, with a signed consent made by the app as it
    was, opened by this version: the new tables and their triggers are added and nothing is lost."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    import screening_app.records.schema as schema
    import screening_app.records.treatments as treatments

    def upgrade_to_previous(engine):
        config = Config()
        config.set_main_option("script_location", str(Path(schema.__file__).with_name("migrations")))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, PREVIOUS)

    with monkeypatch.context() as m:
        m.setattr(schema, "migrate", upgrade_to_previous)
        m.setattr(treatments, "recalled", lambda c: [])  # the old app knew no recalls
        old = Store.open(url=store_url)
        with old.engine.connect() as c:
            assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == PREVIOUS
            assert not inspect(c).has_table("administrations")
        admin = old.create_first_admin("admin", "Ada Admin", PASSWORD)
        people = {"admin": admin, "desk": old.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD),
                  "doc": old.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)}
        sid = consent(old, people)
        old.close()
    upgraded = Store.open(url=store_url)
    try:
        with upgraded.engine.connect() as c:
            assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == schema.SCHEMA_HEAD
            names = set(inspect(c).get_table_names())
        assert set(schema.AFTERCARE) <= names
        assert upgraded.record(sid).lot == "EV-2291" and upgraded.verify_audit()[0]
        given = give(upgraded, people, sid)
        assert given.lot == "EV-2291" and len(upgraded.follow_ups(people["doc"], sid)) == 4
        for sql in ("UPDATE administrations SET site = 'x'", "DELETE FROM follow_ups"):
            with pytest.raises(Exception, match="never rewritten"):
                raw_sql(upgraded, [sql])
    finally:
        upgraded.close()


# --- the commands -----------------------------------------------------------------------------------

def run_cli(home, *args, password=None):
    env = {**os.environ, "SCREENING_APP_HOME": str(home)}
    env.pop("SCREENING_APP_PASSWORD", None)
    if password is not None:
        env["SCREENING_APP_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "screening_app", *args], capture_output=True, env=env,
                          timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture
def home_store(private_home):
    from screening_app import paths
    s = Store.open(paths.data_dir())
    admin = s.create_first_admin("admin", "Ada Admin", PASSWORD)
    people = {"admin": admin, "desk": s.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD),
              "doc": s.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)}
    sid = consent(s, people)
    give(s, people, sid)
    yield s, people, private_home
    s.close()


def test_lookback_command_needs_a_valid_sign_in_and_leaves_an_audit_entry(home_store):
    store, people, home = home_store
    out = run_cli(home, "lookback", "--lot", "EV-2291")
    assert out.returncode == 2 and b"--user" in out.stderr
    out = run_cli(home, "lookback", "--lot", "EV-2291", "--user", "chen")  # no password, no terminal
    assert out.returncode == 2 and b"SCREENING_APP_PASSWORD" in out.stderr
    out = run_cli(home, "lookback", "--lot", "EV-2291", "--user", "chen", password="wrong password!")
    assert out.returncode == 2 and b"wrong username or password" in out.stderr and b"Zo" not in out.stderr
    out = run_cli(home, "lookback", "--lot", "EV-2291", "--user", "desk", password=PASSWORD)
    assert out.returncode == 2 and b"may not" in out.stderr
    out = run_cli(home, "lookback", "--lot", "ev-2291", "--user", "chen", password=PASSWORD)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "Zoë Ångström" in text and "not recalled" in text and "1 patient(s)" in text
    out = run_cli(home, "lookback", "--lot", "EV-2291", "--user", "chen", "--csv", password=PASSWORD)
    assert out.returncode == 0 and out.stdout.decode().splitlines()[1].split(",")[1] == "Zoë Ångström"
    actions = [e["action"] for e in store.audit_entries(people["admin"])]
    assert actions.count("lookback") == 2 and "sign_in_failed" in actions


def test_recall_command_is_for_the_admin_and_then_screen_never_verifies_the_lot(home_store, tmp_path):
    store, people, home = home_store
    out = run_cli(home, "recall", "--lot", "EV-2291", "--reason", "Maker's notice", "--user", "chen",
                  password=PASSWORD)
    assert out.returncode == 2 and b"may not recall" in out.stderr
    out = run_cli(home, "recall", "--lot", "EV-2291", "--reason", "Maker's notice", "--user", "admin",
                  password=PASSWORD)
    assert out.returncode == 0, out.stderr
    assert "1 patient(s)" in out.stdout.decode()
    assert store.recalled_lots() == ["EV-2291"]
    out = run_cli(home, "lookback", "--lot", "EV-2291", "--user", "admin", password=PASSWORD)
    assert "RECALLED" in out.stdout.decode() and "recall call: not called yet" in out.stdout.decode()
    other = patient().to_screening_file()
    other["patient"] = {"name": "New Person", "date_of_birth": "1990-01-01"}
    env = {**os.environ, "SCREENING_APP_HOME": str(home)}
    out = subprocess.run([sys.executable, "-m", "screening_app", "screen", "-", "--json"],
                         input=json.dumps(other).encode(), capture_output=True, env=env, timeout=60)
    result = json.loads(out.stdout)
    assert result["product"]["status"] == "not_verified"
    assert any("recalled" in p for p in result["product"]["problems"])


def test_fhir_entries_for_the_export_bundle(store, people):
    from screening_app.records.fhir_aftercare import adverse_event_entries
    sid = consent(store, people)
    assert adverse_event_entries(store, people["doc"], sid) == []
    give(store, people, sid)
    event = store.record_adverse_event(people["doc"], sid, description="Fever <39 C> & chills", onset=TODAY.isoformat())
    (entry,) = adverse_event_entries(store, people["admin"], sid)
    assert entry["fullUrl"] == f"urn:uuid:{event.id}" and entry["resource"]["resourceType"] == "AdverseEvent"
    assert "&lt;39 C&gt; &amp; chills" in entry["resource"]["text"]["div"]


def test_copying_a_store_takes_the_after_treatment_records_along(tmp_path, store, people):
    from screening_app.records.store import copy_store
    if store.dialect != "sqlite":
        pytest.skip("one backend is enough for the copy (test_server_store copies across)")
    sid = consent(store, people)
    first = give(store, people, sid)
    give(store, people, sid, amends=first.id, amend_reason="Site typed wrong", site="chin")
    store.record_adverse_event(people["doc"], sid, description="Redness", onset=TODAY.isoformat())
    store.recall_lot(people["admin"], "EV-2291", "Maker's notice")
    target = Store.open(tmp_path / "copy")
    try:
        counts = copy_store(store, target)
        assert counts["administrations"] == 2 and counts["follow_ups"] == 8 and counts["recalls"] == 1
        assert target.administration(people["doc"], sid).site == "chin"
        assert target.recalled_lots() == ["EV-2291"]
    finally:
        target.close()


def test_screen_gives_the_open_adverse_event_finding_from_the_workstations_store(home_store):
    store, people, home = home_store
    (sid,) = [r["id"] for r in store.search(include_unfinished=False)]
    store.record_adverse_event(people["doc"], sid, description="Granuloma at the site", onset=TODAY.isoformat())
    later = patient().to_screening_file()
    later["patient"]["name"] = "zoe angstrom"
    env = {**os.environ, "SCREENING_APP_HOME": str(home)}
    out = subprocess.run([sys.executable, "-m", "screening_app", "screen", "-", "--json"],
                         input=json.dumps(later).encode(), capture_output=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["outcome"] == "clinician_review"
    assert [f["question"] for f in result["findings"]] == ["open_adverse_event"]
    assert "Granuloma at the site" in result["findings"][0]["reason"]


def test_the_fhir_export_of_a_consent_carries_its_adverse_events_and_validates(store, people, r4):
    from test_fhir_export import validate_bundle

    from screening_app.records.export import export_screening
    sid = consent(store, people)
    give(store, people, sid)
    event = store.record_adverse_event(people["doc"], sid, description="Fever and a red, hot swelling",
                                       onset=TODAY.isoformat(), seriousness=["hospitalization"],
                                       outcome="recovering", suspected_lot="EV-2291")
    assert not [e for e in export_screening(store, sid)["entry"]
                if e["resource"]["resourceType"] == "AdverseEvent"]  # no signed-in person: no events
    for who in ("doc", "admin"):  # whoever may export the record exports its adverse events
        bundle = export_screening(store, sid, actor=people[who])
        events = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "AdverseEvent"]
        assert [e["resource"]["id"] for e in events] == [event.id]
        assert events[0]["fullUrl"] == f"urn:uuid:{event.id}"
        patient = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
        assert events[0]["resource"]["subject"] == {"reference": patient}
    assert validate_bundle(r4, bundle) == []
    with pytest.raises(PermissionDenied):
        export_screening(store, sid, actor=people["desk"])  # the front desk may not export
