"""Ensure the store keeps every screening safely, on a real SQLite file on disk."""
import os
import sqlite3
import stat

import pytest
from conftest import GOOD_PRODUCT, PASSWORD, all_answers, disable_protection, raw_sql

from screening_app.casework import Draft
from screening_app.records.accounts import PermissionDenied
from screening_app.records.settings import ClinicSettings
from screening_app.records.store import DB_NAME, Store, StoreError
from screening_app.screening import default_content


@pytest.fixture
def sqlite_store(tmp_path):
    s = Store.open(tmp_path / "data")
    yield s
    s.close()


def complete_draft(**answers) -> Draft:
    d = Draft(name="Zoë Ångström", date_of_birth="1980-04-02", route="topical", area="face",
              answers=all_answers(**answers))
    return d


def finish_one(store, people, **answers):
    d = complete_draft(**answers)
    row = store.new_draft(people["desk"], d.to_json())
    store.hand_over(people["desk"], row.id, row.row_version)
    claimed = store.claim(people["doc"], row.id)
    d.product = dict(GOOD_PRODUCT)
    rec = store.finish(people["doc"], row.id, version=claimed.row_version,
                       screening_file=d.to_screening_file(), sheet_version="1.0.0")
    return row.id, rec


def test_folder_and_files_are_readable_by_the_user_alone(tmp_path):
    s = Store.open(tmp_path / "private")
    s.close()
    assert stat.S_IMODE(os.stat(tmp_path / "private").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "private" / DB_NAME).st_mode) == 0o600


def test_wal_and_foreign_keys_on_sqlite(sqlite_store):
    with sqlite_store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_empty_database_is_migrated_to_head_and_reopening_changes_nothing(store_url):
    from screening_app.records.schema import SCHEMA_HEAD
    first = Store.open(url=store_url)
    with first.engine.connect() as c:
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == SCHEMA_HEAD
    first.create_first_admin("admin", "Ada Admin", PASSWORD)
    first.close()
    again = Store.open(url=store_url)
    assert again.has_staff() and again.verify_audit()[0]
    again.close()


def test_reopening_an_existing_store_keeps_everything(store_url, people, store):
    sid, rec = finish_one(store, people)
    store.close()
    again = Store.open(url=store_url)
    assert again.record(sid).pdf.startswith(b"%PDF-") and again.record(sid).pdf == rec.pdf
    again.close()


def test_first_start_creates_the_admin_once(store):
    assert not store.has_staff()
    store.create_first_admin("admin", "Ada Admin", PASSWORD)
    assert store.has_staff()
    with pytest.raises(PermissionDenied):
        store.create_first_admin("evil", "Eve", PASSWORD)


def test_passwords_are_hashed_with_scrypt_and_checked(store, people):
    with store.engine.connect() as c:
        stored = c.exec_driver_sql("SELECT password_hash FROM staff WHERE username='desk'").scalar()
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    assert store.authenticate("desk", PASSWORD).role == "front_desk"
    assert store.authenticate("desk", "wrong password!") is None
    assert store.authenticate("nobody", PASSWORD) is None


def test_weak_password_and_bad_username_are_refused(store, people):
    with pytest.raises(StoreError, match="password: at least 10 characters"):
        store.add_staff(people["admin"], "new", "New", "clinician", "short")
    with pytest.raises(StoreError, match="username: letters, digits"):
        store.add_staff(people["admin"], "a b", "New", "clinician", PASSWORD)
    with pytest.raises(StoreError, match="is taken"):
        store.add_staff(people["admin"], "desk", "Again", "clinician", PASSWORD)


def test_disabled_staff_cannot_sign_in(store, people):
    store.set_staff_active(people["admin"], "desk", False)
    assert store.authenticate("desk", PASSWORD) is None


@pytest.mark.parametrize("who,call", [
    ("desk", lambda s, p: s.add_staff(p["desk"], "x1", "X", "admin", PASSWORD)),
    ("doc", lambda s, p: s.add_staff(p["doc"], "x1", "X", "admin", PASSWORD)),
    ("desk", lambda s, p: s.save_settings(p["desk"], ClinicSettings(clinic_name="X"))),
    ("doc", lambda s, p: s.save_settings(p["doc"], ClinicSettings(clinic_name="X"))),
    ("desk", lambda s, p: s.claim(p["desk"], "any")),
    ("admin", lambda s, p: s.claim(p["admin"], "any")),
    ("admin", lambda s, p: s.new_draft(p["admin"], {})),
    ("desk", lambda s, p: s.audit_entries(p["desk"])),
    ("doc", lambda s, p: s.audit_entries(p["doc"])),
    ("desk", lambda s, p: s.set_password(p["desk"], "chen", PASSWORD)),
])
def test_role_refusals(store, people, who, call):
    with pytest.raises(PermissionDenied):
        call(store, people)


def test_front_desk_cannot_finish(store, people):
    row = store.new_draft(people["desk"], complete_draft().to_json())
    with pytest.raises(PermissionDenied):
        store.finish(people["desk"], row.id, version=row.row_version,
                     screening_file=complete_draft().to_screening_file(), sheet_version="1")


def test_drafts_save_versions_and_refuse_a_stale_save(store, people):
    row = store.new_draft(people["desk"], Draft(name="Ann").to_json())
    v2 = store.save_draft(people["desk"], row.id, Draft(name="Ann Lee").to_json(), step=1, version=row.row_version)
    assert store.draft(row.id).draft["name"] == "Ann Lee" and v2 == row.row_version + 1
    with pytest.raises(StoreError) as exc:
        store.save_draft(people["desk"], row.id, Draft(name="Stale").to_json(), step=1, version=row.row_version)
    assert exc.value.kind == "conflict"
    assert store.draft(row.id).draft["name"] == "Ann Lee"


def test_open_drafts_are_offered_to_the_person_who_started_them(store, people):
    row = store.new_draft(people["desk"], Draft(name="Ann").to_json())
    assert [d.id for d in store.open_drafts(people["desk"])] == [row.id]
    assert store.open_drafts(people["doc"]) == []


def test_queue_and_atomic_claim(store, people):
    row = store.new_draft(people["desk"], complete_draft().to_json())
    store.hand_over(people["desk"], row.id, row.row_version)
    assert [q.id for q in store.queue()] == [row.id]
    store.claim(people["doc"], row.id)
    with pytest.raises(StoreError, match="Dr. Maya Chen is reviewing"):
        store.claim(people["doc2"], row.id)
    store.release(people["doc"], row.id)
    assert store.claim(people["doc2"], row.id).claimed_by == "Dr. Ike Okafor"


def test_finished_record_keeps_everything_signed(store, people):
    sid, rec = finish_one(store, people, cancer_history="no")
    assert rec.sheet_kind == "consent" and rec.finished_by == "Dr. Maya Chen"
    content = default_content()
    assert (rec.questionnaire_version, rec.rules_version) == (content.questionnaire_version, content.rules_version)
    assert rec.lot == "EV-2291" and rec.lot_verified is True
    assert rec.result["outcome"] == "no_contraindication_found"
    assert rec.screening_file["answers"]["cancer_history"] == "no"
    import hashlib
    assert rec.pdf.startswith(b"%PDF-") and rec.pdf_sha256 == hashlib.sha256(rec.pdf).hexdigest()


def test_store_decides_the_sheet_kind_so_do_not_treat_is_never_a_consent(store, people):
    sid, rec = finish_one(store, people, active_malignancy="yes")
    assert rec.sheet_kind == "do_not_treat"


def test_finished_screenings_can_never_be_rewritten(store, people):
    sid, before = finish_one(store, people)
    with pytest.raises(StoreError):
        store.save_draft(people["doc"], sid, {}, step=0, version=99)
    attempts = ["UPDATE finished SET pdf_sha256 = 'x'", "DELETE FROM finished",
                f"UPDATE screenings SET patient_name='X' WHERE id='{sid}'", "DELETE FROM screenings",
                "UPDATE audit SET actor='x'", "DELETE FROM audit"]
    if store.dialect == "postgresql":
        attempts += ["TRUNCATE finished CASCADE", "TRUNCATE audit"]
    for sql in attempts:
        with pytest.raises(Exception, match="never"):
            raw_sql(store, [sql])
    assert store.record(sid).pdf == before.pdf


def test_amendment_points_to_the_original_and_leaves_it_unchanged(store, people):
    sid, original = finish_one(store, people)
    amendment = store.amend(people["doc"], sid)
    assert amendment.amends == sid and amendment.status == "draft"
    d = Draft.from_json(amendment.draft)
    d.name = "Zoë Ångström-Lee"
    store.save_draft(people["doc"], amendment.id, d.to_json(), step=2, version=amendment.row_version)
    assert store.record(sid) == original


def test_audit_chain_verifies_and_detects_tampering(store, people):
    finish_one(store, people)
    ok, message = store.verify_audit()
    assert ok, message
    # a tamperer with direct access to the database switches the protection off first
    raw_sql(store, [disable_protection(store, "audit"), "UPDATE audit SET actor='someone-else' WHERE seq=3"])
    ok, message = store.verify_audit()
    assert not ok and "entry 3" in message and "altered" in message


def test_audit_detects_removed_entries(store, people):
    finish_one(store, people)
    off = ("DROP TRIGGER audit_no_delete" if store.dialect == "sqlite"
           else "ALTER TABLE audit DISABLE TRIGGER audit_no_change")
    raw_sql(store, [off, "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)"])
    ok, message = store.verify_audit()
    assert not ok and "removed" in message


def test_audit_records_who_did_what(store, people):
    sid, _ = finish_one(store, people)
    store.log(people["doc"], "printed", sid, {"pages": 3})
    actions = [(e["actor"], e["action"]) for e in store.audit_entries(people["admin"], screening_id=sid)]
    assert actions[::-1] == [("desk", "created"), ("desk", "handed_over"), ("chen", "opened"),
                             ("chen", "sheet_made"), ("chen", "finished"), ("chen", "printed")]


def test_search_by_name_words_dob_date_and_outcome(store, people):
    sid, _ = finish_one(store, people)
    other = store.new_draft(people["desk"], Draft(name="李雷", date_of_birth="1990-01-01",
                                                  treatment_date="2026-10-01").to_json())
    assert [r["id"] for r in store.search(name="angstrom")] == [sid]
    assert [r["id"] for r in store.search(name="ZOE ång")] == [sid]
    assert [r["id"] for r in store.search(name="李")] == [other.id]
    assert [r["id"] for r in store.search(date_of_birth="1990-01-01")] == [other.id]
    assert [r["id"] for r in store.search(outcome="no_contraindication_found")] == [sid]
    assert [r["id"] for r in store.search(date_from="2026-10-01", date_to="2026-10-01")] == [other.id]
    assert store.search(name="nobody") == []
    assert [r["id"] for r in store.search(include_unfinished=False)] == [sid]


def test_settings_are_shared_through_the_store(store, people):
    store.save_settings(people["admin"], ClinicSettings(clinic_name="Riverside & Co", idle_lock_minutes=10))
    assert store.settings().clinic_name == "Riverside & Co"
    assert ClinicSettings.checked({"idle_lock_minutes": 0, "page_size": "a3"})[1] == [
        "page_size: must be letter or a4, default used", "idle_lock_minutes: must be 1 to 240, default used"]


def test_read_only_data_folder_gets_a_clear_message(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores permission bits, so a read-only folder cannot be made here")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    with pytest.raises(StoreError) as exc:
        Store.open(folder)
    assert exc.value.kind == "unwritable" and str(folder) in str(exc.value)


def test_unwritable_data_folder_path_gets_a_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as exc:
        Store.open(blocker / "data")
    assert exc.value.kind == "unwritable" and "cannot be created" in str(exc.value)


def test_locked_sqlite_database_gets_a_clear_message_and_loses_nothing(tmp_path):
    store = Store.open(tmp_path / "data", busy_timeout_s=0.2)
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    row = store.new_draft(desk, Draft(name="Ann").to_json())
    blocker = sqlite3.connect(tmp_path / "data" / DB_NAME, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as exc:
            store.save_draft(desk, row.id, Draft(name="Ann Lee").to_json(), step=0, version=row.row_version)
        assert exc.value.kind == "busy" and "Nothing typed is lost" in str(exc.value)
    finally:
        blocker.rollback()
        blocker.close()
    store.save_draft(desk, row.id, Draft(name="Ann Lee").to_json(), step=0, version=row.row_version)
    assert store.draft(row.id).draft["name"] == "Ann Lee"
    store.close()


def test_full_disk_gets_a_clear_message_and_keeps_the_last_save(sqlite_store):
    from sqlalchemy import event
    store = sqlite_store
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    people = {"desk": store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)}
    row = store.new_draft(people["desk"], Draft(name="Ann").to_json())
    with store.engine.connect() as c:
        pages = c.exec_driver_sql("PRAGMA page_count").scalar()
    # SQLite's own "database or disk is full", as a full disk gives it.
    event.listen(store.engine, "connect",
                 lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count={pages}"))
    store.engine.dispose()
    huge = Draft(name="Ann", follow_ups={"cancer_history": {"details": "x" * 2_000_000}})
    with pytest.raises(StoreError) as exc:
        store.save_draft(people["desk"], row.id, huge.to_json(), step=2, version=row.row_version)
    assert exc.value.kind == "full" and "full" in str(exc.value)
    assert store.draft(row.id).draft["name"] == "Ann"


@pytest.mark.parametrize("typed, stored", [("lukasz", "Łukasz Żółć"), ("LUKASZ zolc", "Łukasz Żółć"),
                                           ("angstrom", "Zoë Ångström"), ("zoe   ANGSTROM", "Zoë Ångström"),
                                           ("soren", "Søren Kierkegaard"), ("ole", "Ole Øre-Ånes")])
def test_name_search_ignores_accents_case_and_spacing(store, people, typed, stored):
    d = complete_draft()
    d.name = stored
    row = store.new_draft(people["desk"], d.to_json())
    found = [r["id"] for r in store.search(name=typed)]
    assert row.id in found
