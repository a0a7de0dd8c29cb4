"""Ensure the shared PostgreSQL store: TLS when asked, no credentials shown, reconnects, and the
copy between SQLite and PostgreSQL loses nothing. Skipped, with the reason, without a server."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GOOD_PRODUCT, all_answers, pg_schema_url
from sqlalchemy import make_url

from screening_app.casework import Draft
from screening_app.records import StoreError
from screening_app.records.store import Store, copy_store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def with_query(url: str, **params) -> str:
    return make_url(url).update_query_dict(params).render_as_string(hide_password=False)


def test_tls_is_used_when_the_url_asks_for_it(pg_schema):
    url = pg_schema_url(pg_schema)
    store = Store.open(url=with_query(url, sslmode="require"))
    with store.engine.connect() as c:
        if c.exec_driver_sql("SHOW ssl").scalar() != "on":
            pytest.skip("the test server has TLS switched off (scripts/test-postgres switches it on)")
        assert c.exec_driver_sql("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar() is True
    store.close()
    plain = Store.open(url=with_query(url, sslmode="disable"))
    with plain.engine.connect() as c:
        assert c.exec_driver_sql("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar() is False
    plain.close()


def test_credentials_never_reach_messages_logs_or_the_audit_trail(pg_schema, caplog):
    url = pg_schema_url(pg_schema)
    secret = make_url(url).password
    caplog.set_level(logging.DEBUG)
    store = Store.open(url=url)
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    store.log(admin, "printed", None, {})
    assert secret not in str(store.location) and "***" in str(store.location)
    entries = store.audit_entries(admin)
    assert entries and all(secret not in str(e) for e in entries)
    store.close()
    wrong_port = make_url(url).set(port=1).render_as_string(hide_password=False)
    with pytest.raises(StoreError) as exc:
        Store.open(url=wrong_port)
    assert exc.value.kind == "offline" and secret not in str(exc.value) and "cannot be reached" in str(exc.value)
    bad_password = make_url(url).set(password="not-the-password").render_as_string(hide_password=False)
    with pytest.raises(StoreError) as exc:
        Store.open(url=bad_password)
    assert "not-the-password" not in str(exc.value) and "check the database URL" in str(exc.value)
    assert secret not in caplog.text and "not-the-password" not in caplog.text


def test_a_lost_connection_is_reconnected_without_losing_anything(pg_schema):
    store = Store.open(url=pg_schema_url(pg_schema))
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    row = store.new_draft(desk, Draft(name="Ann").to_json())
    # The server drops every connection of this store (a restart, a network blip).
    with store.engine.connect() as c:
        c.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE usename = current_user AND pid <> pg_backend_pid()")
        c.commit()
    version = store.save_draft(desk, row.id, Draft(name="Ann Lee").to_json(), step=0, version=row.row_version)
    assert store.draft(row.id).draft["name"] == "Ann Lee" and version == row.row_version + 1
    store.close()


def fill(store: Store, screenings: int, finished: int):
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    doc = store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    for i in range(screenings):
        d = Draft(name=f"Zoë Ångström {i}", date_of_birth="1980-04-02", route="topical", answers=all_answers(),
                  product=dict(GOOD_PRODUCT))
        row = store.new_draft(desk if i >= finished else doc, d.to_json())
        if i < finished:
            claimed = store.claim(doc, row.id)
            store.finish(doc, row.id, version=claimed.row_version, screening_file=d.to_screening_file(),
                         sheet_version="1.0.0")
    first = store.search(include_unfinished=False, limit=1)[0]["id"]
    store.amend(doc, first)


def snapshot(store: Store) -> dict:
    rows = store.search(limit=100_000)
    finished = {r["id"]: store.record(r["id"]) for r in rows if r["status"] == "finished"}
    return {"rows": sorted((r["id"], r["patient_name"], r["status"], r["amends"] or "") for r in rows),
            "finished": finished, "audit": store.verify_audit()[1]}


def test_copy_round_trip_sqlite_to_postgresql_and_back_loses_nothing(tmp_path, pg_schema):
    source = Store.open(tmp_path / "one")
    fill(source, screenings=2000, finished=60)
    server = Store.open(url=pg_schema_url(pg_schema))
    counts = copy_store(source, server)
    assert counts["screenings"] == 2001 and counts["finished"] == 60 and counts["audit"] > 2000
    back = Store.open(tmp_path / "two")
    copy_store(server, back)
    before, middle, after = snapshot(source), snapshot(server), snapshot(back)
    assert before == middle == after
    # The copied store works on: new accounts get new ids, and the chain grows on.
    admin = server.authenticate("admin", PASSWORD)
    assert server.add_staff(admin, "new", "New Person", "front_desk", PASSWORD).id > 3
    assert server.verify_audit()[0]
    with pytest.raises(StoreError, match="not empty"):
        copy_store(source, server)
    for s in (source, server, back):
        s.close()


def test_store_copy_command(tmp_path, pg_schema):
    source = Store.open(tmp_path / "one")
    fill(source, screenings=20, finished=3)
    source.close()
    env = dict(os.environ)
    target = pg_schema_url(pg_schema)
    env["SCREENING_APP_PASSWORD"] = PASSWORD  # record commands run as a staff member (contract, 2nd ed.)
    proc = subprocess.run([sys.executable, "-m", "screening_app", "store", "copy", "--user", "admin",
                           "--from", f"sqlite:///{tmp_path / 'one' / 'screenings.sqlite3'}", "--to", target],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "counts and audit chain verified" in proc.stdout
    assert make_url(target).password not in proc.stdout + proc.stderr
    again = subprocess.run([sys.executable, "-m", "screening_app", "store", "copy", "--user", "admin",
                            "--from", f"sqlite:///{tmp_path / 'nope.sqlite3'}", "--to", target],
                           capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert again.returncode == 2 and "--from: no SQLite store" in again.stderr
