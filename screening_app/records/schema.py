"""The store's tables (SQLAlchemy Core, portable SQL) and their migrations (Alembic).

Finished screenings and audit entries are protected by the database itself (triggers),
not only by the code that writes them: nothing may update or delete them.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)

from .accounts import ALL_ROLES as ROLES
from .statuses import Status

SCHEMA_HEAD = "0006"  # the newest file in migrations/versions (a test checks)
STATUSES = tuple(s.value for s in Status)  # declared in statuses.py


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} in ({', '.join(repr(v) for v in values)})", name=name)

metadata = MetaData()

staff = Table(
    "staff", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(300), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", String(32), nullable=False),
    _one_of("role", ROLES, "staff_role"),
)

screenings = Table(
    "screenings", metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("step", Integer, nullable=False, default=0),
    Column("draft_json", Text, nullable=False),
    Column("patient_name", String(400), nullable=False, default=""),
    Column("name_key", String(400), nullable=False, default=""),
    Column("date_of_birth", String(10), nullable=False, default=""),
    Column("treatment_date", String(10), nullable=False, default=""),
    Column("outcome", String(30)),
    Column("created_by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("claimed_by", Integer, ForeignKey("staff.id")),
    Column("claimed_at", String(32)),
    Column("row_version", Integer, nullable=False, default=1),
    Column("amends", String(36), ForeignKey("screenings.id")),
    Column("patient_id", String(200)),
    Column("patient_key", String(420), nullable=False, server_default=""),
    Column("closed_reason", Text),
    _one_of("status", STATUSES, "screening_status"),
)
Index("ix_screenings_name_key", screenings.c.name_key)
# The search list's order (newest treatment date, then latest change, then id) at the end of
# each index it reads, so it stops after the rows it shows (migration 0006, records/search.py).
_LIST_ORDER = (screenings.c.treatment_date, screenings.c.updated_at, screenings.c.id)
Index("ix_screenings_list_order", *_LIST_ORDER)
Index("ix_screenings_dob_order", screenings.c.date_of_birth, *_LIST_ORDER)
Index("ix_screenings_outcome_order", screenings.c.outcome, *_LIST_ORDER)
Index("ix_screenings_status", screenings.c.status)
Index("ix_screenings_patient_id", screenings.c.patient_id)
Index("ix_screenings_patient_key", screenings.c.patient_key)

# Every word of a patient's name, folded, so "angstrom" finds "Zoë Ångström" by an index.
# Each row carries its screening's treatment_date and updated_at (copied by triggers, 0006),
# so one word's screenings come out of the index in the search list's order.
name_tokens = Table(
    "name_tokens", metadata,
    Column("screening_id", String(36), ForeignKey("screenings.id"), primary_key=True),
    Column("token", String(200), primary_key=True),
    Column("treatment_date", String(10), nullable=False, server_default=""),
    Column("updated_at", String(32), nullable=False, server_default=""),
)
Index("ix_name_tokens_order", name_tokens.c.token, name_tokens.c.treatment_date, name_tokens.c.updated_at,
      name_tokens.c.screening_id)

finished = Table(
    "finished", metadata,
    Column("screening_id", String(36), ForeignKey("screenings.id"), primary_key=True),
    Column("finished_at", String(32), nullable=False),
    Column("finished_by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("screening_json", Text, nullable=False),
    Column("result_json", Text, nullable=False),
    Column("sheet_kind", String(30), nullable=False),
    Column("questionnaire_version", String(40), nullable=False),
    Column("rules_version", String(40), nullable=False),
    Column("sheet_version", String(40), nullable=False),
    Column("lot", String(200)),
    Column("lot_verified", Boolean),
    Column("pdf", LargeBinary, nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("signer_name", String(200)),
    Column("content_digest", String(64)),
)

audit = Table(
    "audit", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("screening_id", String(36)),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_screening", audit.c.screening_id)

# One row: the end of the audit chain. Updating it in the same transaction as the append
# serialises writers on every backend (a row lock on a server, the write lock on SQLite).
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# What happened to the sheet on paper: printed, saved, not printed (with why), signed copy back.
PAPER_EVENTS = ("printed", "saved", "not_printed", "signed_copy_received")
paper = Table(
    "paper", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("screening_id", String(36), ForeignKey("screenings.id"), nullable=False),
    Column("event", String(30), nullable=False),
    Column("at", String(32), nullable=False),
    Column("by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("scan", LargeBinary),
    Column("scan_sha256", String(64)),
    Column("sheet_sha256", String(64)),  # the sheet this event is about
    _one_of("event", PAPER_EVENTS, "paper_event"),
)
Index("ix_paper_screening", paper.c.screening_id)

# --- added by revision 0004 (records that can be trusted): new tables only.

# Each account's Ed25519 signing keys, oldest first: a new key with every new password (the
# private half is sealed by that password, see signing.py). Rows are never changed, so old
# signatures keep verifying. A key is endorsed by an admin's key or the owner's previous key.
signing_keys = Table(
    "signing_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("username", String(64), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("sealed_key", Text, nullable=False),
    Column("endorsed_by", String(64)),  # the endorsing key's fingerprint; NULL: self-endorsed
    Column("endorsement", String(100), nullable=False),
    Column("registered_at", String(32), nullable=False),
)

# The signature of each finished screening (21 CFR 11.50/11.70): who, when, what it means,
# and the Ed25519 signature over the record's canonical content and PDF digest.
signatures = Table(
    "signatures", metadata,
    Column("screening_id", String(36), ForeignKey("finished.screening_id"), primary_key=True),
    Column("key_fingerprint", String(64), nullable=False),
    Column("signer", String(64), nullable=False),
    Column("signer_name", String(200), nullable=False),
    Column("signed_at", String(32), nullable=False),
    Column("meaning", String(200), nullable=False),
    Column("signature", String(100), nullable=False),
)

# Failed sign-ins per (normalised) name, for the growing delay and the temporary lock. Not
# evidence (every failure, lock and unlock is in the audit trail); only a counter.
signin_state = Table(
    "signin_state", metadata,
    Column("username", String(64), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_failure", String(32)),
    Column("locked_until", String(32)),
)

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# --- after treatment (migration 0005) ----------------------------------------------------------
# Every row below is written once and never changed (triggers refuse UPDATE and DELETE); a
# correction is a new row that `amends` the one it corrects, and the newest one counts.

AE_OUTCOMES = ("recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown")
AE_STATUSES = ("open", "closed")

administrations = Table(
    "administrations", metadata,
    Column("id", String(36), primary_key=True),
    Column("screening_id", String(36), ForeignKey("screenings.id"), nullable=False),
    Column("amends", String(36), ForeignKey("administrations.id"), unique=True),
    Column("given", Boolean, nullable=False),
    Column("lot", String(200)),
    Column("amount", String(40)),
    Column("unit", String(40)),
    Column("site", String(200)),
    Column("route", String(40)),
    Column("procedure", String(200)),
    Column("given_by", Integer, ForeignKey("staff.id")),
    Column("given_at", String(32)),
    Column("not_given_reason", Text),
    Column("amend_reason", Text),
    Column("recorded_by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("recorded_at", String(32), nullable=False),
)
Index("ix_administrations_screening", administrations.c.screening_id)
Index("ix_administrations_lot", administrations.c.lot)

follow_ups = Table(
    "follow_ups", metadata,
    Column("id", String(36), primary_key=True),
    Column("administration_id", String(36), ForeignKey("administrations.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("due_from", String(10), nullable=False),
    Column("due_by", String(10), nullable=False),
)
Index("ix_follow_ups_administration", follow_ups.c.administration_id)
Index("ix_follow_ups_due", follow_ups.c.due_by)

contacts = Table(
    "contacts", metadata,
    Column("id", String(36), primary_key=True),
    Column("screening_id", String(36), ForeignKey("screenings.id"), nullable=False),
    Column("follow_up_id", String(36), ForeignKey("follow_ups.id")),
    Column("recall_lot", String(200)),
    Column("contacted_at", String(32), nullable=False),
    Column("contacted_by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("reached", Boolean, nullable=False),
    Column("problem", Boolean),
    Column("note", Text, nullable=False, server_default=""),
)
Index("ix_contacts_follow_up", contacts.c.follow_up_id)
Index("ix_contacts_screening", contacts.c.screening_id)

adverse_events = Table(
    "adverse_events", metadata,
    Column("id", String(36), primary_key=True),
    Column("screening_id", String(36), ForeignKey("screenings.id"), nullable=False),
    Column("administration_id", String(36), ForeignKey("administrations.id")),
    Column("contact_id", String(36), ForeignKey("contacts.id")),
    Column("amends", String(36), ForeignKey("adverse_events.id"), unique=True),
    Column("description", Text, nullable=False),
    Column("onset", String(10), nullable=False),
    Column("seriousness", Text, nullable=False),  # JSON list of MedWatch criteria; [] = not serious
    Column("outcome", String(40), nullable=False),
    Column("treatment", Text, nullable=False, server_default=""),
    Column("suspected_lot", String(200)),
    Column("reported_to_fda", Boolean, nullable=False),
    Column("reported_on", String(10)),
    Column("fda_report_id", String(100)),
    Column("status", String(10), nullable=False),
    Column("recorded_by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    _one_of("outcome", AE_OUTCOMES, "adverse_event_outcome"),
    _one_of("status", AE_STATUSES, "adverse_event_status"),
)
Index("ix_adverse_events_screening", adverse_events.c.screening_id)

recalls = Table(
    "recalls", metadata,
    Column("lot", String(200), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("recalled_by", Integer, ForeignKey("staff.id"), nullable=False),
    Column("recalled_at", String(32), nullable=False),
)

AFTERCARE = ("administrations", "follow_ups", "contacts", "adverse_events", "recalls")

# Finished screenings and audit entries are protected by triggers made in migration 0001
# (spelled out there, as they stood): nothing may update or delete them. The paper trail
# (0003) and the after-treatment records (0005) are protected the same way.
PROTECTED = ("finished", "audit", "paper", *AFTERCARE)


def current_revision(connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine) -> None:
    """Brings the schema to SCHEMA_HEAD; Alembic is loaded only when there is work to do."""
    with engine.connect() as connection:
        if current_revision(connection) == SCHEMA_HEAD:
            return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
