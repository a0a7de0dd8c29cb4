"""PostgreSQL least privilege: the workstations' login must not own the tables.

The owner (or a superuser) can drop or disable the triggers that keep finished records and
the audit trail unchangeable, so the app refuses to run as the owner except for a migration
(`screening-app store migrate`, run by the admin). scripts/postgres-roles.sql creates both
roles; docs/postgresql.md explains. SCREENING_APP_ALLOW_OWNER_LOGIN=1 lifts the refusal for a
development or test server that has only one login (never on a clinic's server).
"""
from __future__ import annotations

import os

from sqlalchemy import text

from ..wording import say
from . import StoreError
from . import schema as t

ALLOW_OWNER_ENV = "SCREENING_APP_ALLOW_OWNER_LOGIN"


def owns_records(connection) -> bool:
    """True when the login is a superuser, owns the audit table (or is a member of its owner),
    or, on a database with no tables yet, could create them (it would become their owner)."""
    if connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
        return True
    owner = connection.execute(text(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit'")).scalar()
    if owner is None:
        return bool(connection.execute(text("SELECT has_schema_privilege(current_schema(), 'CREATE')")).scalar())
    return bool(connection.execute(text("SELECT pg_has_role(current_user, :owner, 'MEMBER')"),
                                   {"owner": owner}).scalar())


def check_login(engine, shown: str, migration: bool) -> None:
    with engine.connect() as c:
        owner = owns_records(c)
        revision = t.current_revision(c)
    if migration:
        if not owner:
            raise StoreError("refused", say("records.roles.migrate_not_owner", server=shown))
        return
    if owner and os.environ.get(ALLOW_OWNER_ENV) != "1":
        raise StoreError("refused", say("records.roles.owner_login", server=shown))
    if not owner and revision != t.SCHEMA_HEAD:
        raise StoreError("refused", say("records.roles.needs_migration", server=shown))


# What the workstation login may do, table by table: nothing more. No UPDATE, DELETE or
# TRUNCATE on finished records, signatures, keys or the audit trail; UPDATE on the audit head
# only (its trigger lets it follow the trail) and on the name index (derived from the screenings,
# which 0006's trigger keeps in step); DELETE only on the name index and sign-in counters.
WORKSTATION_RIGHTS = {
    "alembic_version": "SELECT",
    "staff": "SELECT, INSERT, UPDATE",
    "screenings": "SELECT, INSERT, UPDATE",
    "name_tokens": "SELECT, INSERT, UPDATE, DELETE",  # UPDATE: 0006's trigger copies the list order
    "finished": "SELECT, INSERT",
    "audit": "SELECT, INSERT",
    "audit_head": "SELECT, UPDATE",
    "settings": "SELECT, INSERT, UPDATE",
    "signing_keys": "SELECT, INSERT",
    "signatures": "SELECT, INSERT",
    "signin_state": "SELECT, INSERT, UPDATE, DELETE",
    "paper": "SELECT, INSERT",
    # After treatment (migration 0005): written once, never changed.
    "administrations": "SELECT, INSERT",
    "follow_ups": "SELECT, INSERT",
    "contacts": "SELECT, INSERT",
    "adverse_events": "SELECT, INSERT",
    "recalls": "SELECT, INSERT",
}


def grant_statements(workstation: str) -> list[str]:
    role = '"' + workstation.replace('"', '""') + '"'
    out = []
    for table, rights in WORKSTATION_RIGHTS.items():
        out.append(f"REVOKE ALL ON {table} FROM {role}")
        out.append(f"GRANT {rights} ON {table} TO {role}")
    out.append(f"GRANT USAGE ON SEQUENCE staff_id_seq, signing_keys_id_seq, paper_id_seq TO {role}")
    return out


def grant_to(engine, workstation: str) -> None:
    with engine.begin() as c:
        for statement in grant_statements(workstation):
            c.exec_driver_sql(statement)
