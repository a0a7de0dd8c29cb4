"""Ensure PostgreSQL least privilege: scripts/postgres-roles.sql and `store migrate --grant-to`
give the workstations a login that can read and add records but cannot switch off their
protection, drop tables or rewrite the trail; and the app refuses the owner's login.

Needs a role that may create databases and roles: SCREENING_APP_TEST_PG_ADMIN_URL (for
example postgresql://screening_roles_admin:…@127.0.0.1/postgres); skipped without it."""
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url

from screening_app.records import StoreError
from screening_app.records.store import Store

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("SCREENING_APP_TEST_PG_ADMIN_URL", "")
PASSWORD = "correct horse battery"


@pytest.fixture
def roles_db():
    if not ADMIN_URL:
        pytest.skip("PostgreSQL roles test skipped: set SCREENING_APP_TEST_PG_ADMIN_URL to a role with "
                    "CREATEDB and CREATEROLE")
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    tag = uuid.uuid4().hex[:10]
    db, owner, ws = f"t_roles_{tag}", f"t_owner_{tag}", f"t_ws_{tag}"
    admin = create_engine(ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {db}")
    base = make_url(ADMIN_URL).set(database=db)
    proc = subprocess.run(["psql", base.render_as_string(hide_password=False), "-q", "-v", f"owner={owner}",
                           "-v", f"workstation={ws}", "-v", "owner_password=owner-secret-1",
                           "-v", "workstation_password=ws-secret-2",
                           "-f", str(ROOT / "scripts" / "postgres-roles.sql")],
                          capture_output=True, text=True, timeout=60)
    try:
        assert proc.returncode == 0, proc.stderr
        host = base.set(drivername="postgresql")
        yield {"owner": host.set(username=owner, password="owner-secret-1").render_as_string(hide_password=False),
               "workstation": host.set(username=ws, password="ws-secret-2").render_as_string(hide_password=False),
               "ws_role": ws}
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            for role in (ws, owner):
                c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


def test_workstation_login_cannot_switch_off_protection(roles_db, monkeypatch, tmp_path):
    monkeypatch.delenv("SCREENING_APP_ALLOW_OWNER_LOGIN", raising=False)
    env = dict(os.environ, SCREENING_APP_HOME=str(tmp_path))
    # The workstation login cannot create the tables: the admin migrates with the owner login.
    with pytest.raises(StoreError, match="store migrate"):
        Store.open(url=roles_db["workstation"])
    proc = subprocess.run([sys.executable, "-m", "screening_app", "store", "migrate", "--to", roles_db["owner"],
                           "--grant-to", roles_db["ws_role"]], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "owner-secret-1" not in proc.stdout + proc.stderr
    # The app refuses to run as the owner for anything but a migration.
    with pytest.raises(StoreError, match="owns the records' tables"):
        Store.open(url=roles_db["owner"])
    store = Store.open(url=roles_db["workstation"])
    try:
        admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
        store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
        assert store.verify_audit()[0]
        # Saving a screening moves its name words in the search list's order (0006's trigger
        # updates name_tokens as the workstation): the login's rights allow it.
        desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
        row = store.new_draft(desk, {"name": "Zoë Ångström", "treatment_date": "2031-01-02"})
        store.save_draft(desk, row.id, {"name": "Zoë Ångström", "treatment_date": "2031-01-03"}, step=1,
                         version=row.row_version)
        assert [(r["id"], r["treatment_date"]) for r in store.search(name="angstrom")] == [(row.id, "2031-01-03")]
        for attack in ("ALTER TABLE audit DISABLE TRIGGER USER", "ALTER TABLE audit DISABLE TRIGGER audit_no_change",
                       "DROP TRIGGER audit_no_change ON audit", "DROP TABLE audit", "DROP TABLE finished CASCADE",
                       "UPDATE audit SET actor = 'nobody'", "DELETE FROM audit", "TRUNCATE audit",
                       "DELETE FROM finished", "UPDATE signing_keys SET username = 'x'",
                       "CREATE TABLE mine (x int)", "ALTER TABLE staff ADD COLUMN x int",
                       "CREATE OR REPLACE FUNCTION refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RETURN NEW; END $$"):
            with store.engine.connect() as c:
                with pytest.raises(Exception) as caught:
                    c.exec_driver_sql(attack)
                    c.commit()
            message = str(caught.value).lower()
            assert "permission denied" in message or "must be owner" in message, (attack, message)
        with store.engine.connect() as c:  # and the role changes a trigger guards are refused too
            with pytest.raises(Exception, match="staff accounts change only with an audit entry"):
                c.exec_driver_sql("UPDATE staff SET role = 'admin' WHERE username = 'chen'")
    finally:
        store.close()
    # The owner may migrate; a workstation login may not pretend to.
    with pytest.raises(StoreError, match="does not own"):
        Store.open(url=roles_db["workstation"], migration=True)
