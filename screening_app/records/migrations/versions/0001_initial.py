"""The first schema: staff, screenings, name tokens, finished records, audit, settings.

Revision ID: 0001

Frozen: the tables and triggers are spelled out here as they stood at 0001, never taken
from `schema.metadata`, so later revisions can add to the live schema without a fresh
install creating their tables twice.
"""
from alembic import op
from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, LargeBinary, MetaData,
                        String, Table, Text)

revision = "0001"
down_revision = None

ROLES = ("front_desk", "clinician", "admin")
STATUSES = ("draft", "handed_over", "in_review", "finished", "discarded")


def _one_of(column, values, name):
    return CheckConstraint(f"{column} in ({', '.join(repr(v) for v in values)})", name=name)


def _tables() -> MetaData:
    m = MetaData()
    Table("staff", m,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("username", String(64), nullable=False, unique=True),
          Column("display_name", String(200), nullable=False),
          Column("role", String(20), nullable=False),
          Column("password_hash", String(300), nullable=False),
          Column("active", Boolean, nullable=False, default=True),
          Column("created_at", String(32), nullable=False),
          _one_of("role", ROLES, "staff_role"))
    s = Table("screenings", m,
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
              _one_of("status", STATUSES, "screening_status"))
    Index("ix_screenings_name_key", s.c.name_key)
    Index("ix_screenings_dob", s.c.date_of_birth)
    Index("ix_screenings_treatment_date", s.c.treatment_date)
    Index("ix_screenings_outcome_date", s.c.outcome, s.c.treatment_date)
    Index("ix_screenings_status", s.c.status)
    n = Table("name_tokens", m,
              Column("screening_id", String(36), ForeignKey("screenings.id"), primary_key=True),
              Column("token", String(200), primary_key=True))
    Index("ix_name_tokens_token", n.c.token)
    Table("finished", m,
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
          Column("pdf_sha256", String(64), nullable=False))
    a = Table("audit", m,
              Column("seq", Integer, primary_key=True, autoincrement=False),
              Column("at", String(32), nullable=False),
              Column("actor", String(64), nullable=False),
              Column("action", String(40), nullable=False),
              Column("screening_id", String(36)),
              Column("detail", Text, nullable=False),
              Column("prev_hash", String(64), nullable=False),
              Column("hash", String(64), nullable=False))
    Index("ix_audit_screening", a.c.screening_id)
    Table("audit_head", m,
          Column("id", Integer, primary_key=True, autoincrement=False),
          Column("seq", Integer, nullable=False),
          Column("hash", String(64), nullable=False))
    Table("settings", m,
          Column("key", String(64), primary_key=True),
          Column("value", Text, nullable=False))
    return m


def _protect(dialect: str) -> list[str]:
    if dialect == "postgresql":
        out = [
            "CREATE FUNCTION refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION '% entries are never rewritten', TG_TABLE_NAME; END $$",
            "CREATE FUNCTION refuse_finished_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF OLD.status = 'finished' THEN RAISE EXCEPTION 'finished screenings are never rewritten'; END IF; "
            "RETURN NEW; END $$",
        ]
        for table in ("finished", "audit"):
            out.append(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()")
            out.append(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite()")
        out.append("CREATE TRIGGER screenings_finished_frozen BEFORE UPDATE ON screenings "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_finished_change()")
        out.append("CREATE TRIGGER screenings_no_delete BEFORE DELETE ON screenings "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()")
        out.append('CREATE INDEX ix_name_tokens_token_c ON name_tokens (token COLLATE "C")')
        return out
    out = []
    for table in ("finished", "audit"):
        for op_name in ("UPDATE", "DELETE"):
            out.append(f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} entries are never rewritten'); END")
    out.append("CREATE TRIGGER screenings_finished_frozen BEFORE UPDATE ON screenings "
               "WHEN OLD.status = 'finished' "
               "BEGIN SELECT RAISE(ABORT, 'finished screenings are never rewritten'); END")
    out.append("CREATE TRIGGER screenings_no_delete BEFORE DELETE ON screenings "
               "BEGIN SELECT RAISE(ABORT, 'screenings are never deleted'); END")
    return out


def upgrade():
    bind = op.get_bind()
    _tables().create_all(bind)
    for statement in _protect(bind.dialect.name):
        op.execute(statement)
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")


def downgrade():
    raise NotImplementedError("records are never dropped")
