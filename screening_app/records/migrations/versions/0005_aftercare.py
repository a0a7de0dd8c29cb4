"""After treatment: what was given, follow-up contacts, adverse events, recalled lots.

Revision ID: 0005

Frozen like 0001: the tables and triggers are spelled out here as they stood at 0005.
- administrations: what was given (lot, amount and unit, site, route and procedure, who,
  when) or that nothing was given and why; a correction is a new row that `amends` it;
- follow_ups: the contacts planned after each administration (from the clinic settings);
- contacts: a follow-up or recall call (reached or not, any problem);
- adverse_events: what happened, onset, seriousness (MedWatch criteria), outcome, treatment,
  suspected lot, reported to FDA and when; a change is a new row that `amends` it;
- recalls: lots the clinic has recalled (a recalled lot never verifies again).
Nothing in these tables is ever updated or deleted (triggers on both backends).
"""
from alembic import op
from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text)

revision = "0005"
down_revision = "0004"

AE_OUTCOMES = ("recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown")
AE_STATUSES = ("open", "closed")
TABLES = ("administrations", "follow_ups", "contacts", "adverse_events", "recalls")


def _one_of(column, values, name):
    return CheckConstraint(f"{column} in ({', '.join(repr(v) for v in values)})", name=name)


def _tables() -> MetaData:
    m = MetaData()
    # Stubs of the existing tables, only so the foreign keys below can name them.
    Table("staff", m, Column("id", Integer, primary_key=True))
    Table("screenings", m, Column("id", String(36), primary_key=True))
    a = Table("administrations", m,
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
              Column("recorded_at", String(32), nullable=False))
    Index("ix_administrations_screening", a.c.screening_id)
    Index("ix_administrations_lot", a.c.lot)
    f = Table("follow_ups", m,
              Column("id", String(36), primary_key=True),
              Column("administration_id", String(36), ForeignKey("administrations.id"), nullable=False),
              Column("seq", Integer, nullable=False),
              Column("due_from", String(10), nullable=False),
              Column("due_by", String(10), nullable=False))
    Index("ix_follow_ups_administration", f.c.administration_id)
    Index("ix_follow_ups_due", f.c.due_by)
    c = Table("contacts", m,
              Column("id", String(36), primary_key=True),
              Column("screening_id", String(36), ForeignKey("screenings.id"), nullable=False),
              Column("follow_up_id", String(36), ForeignKey("follow_ups.id")),
              Column("recall_lot", String(200)),
              Column("contacted_at", String(32), nullable=False),
              Column("contacted_by", Integer, ForeignKey("staff.id"), nullable=False),
              Column("reached", Boolean, nullable=False),
              Column("problem", Boolean),
              Column("note", Text, nullable=False, server_default=""))
    Index("ix_contacts_follow_up", c.c.follow_up_id)
    Index("ix_contacts_screening", c.c.screening_id)
    e = Table("adverse_events", m,
              Column("id", String(36), primary_key=True),
              Column("screening_id", String(36), ForeignKey("screenings.id"), nullable=False),
              Column("administration_id", String(36), ForeignKey("administrations.id")),
              Column("contact_id", String(36), ForeignKey("contacts.id")),
              Column("amends", String(36), ForeignKey("adverse_events.id"), unique=True),
              Column("description", Text, nullable=False),
              Column("onset", String(10), nullable=False),
              Column("seriousness", Text, nullable=False),
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
              _one_of("status", AE_STATUSES, "adverse_event_status"))
    Index("ix_adverse_events_screening", e.c.screening_id)
    Table("recalls", m,
          Column("lot", String(200), primary_key=True),
          Column("reason", Text, nullable=False),
          Column("recalled_by", Integer, ForeignKey("staff.id"), nullable=False),
          Column("recalled_at", String(32), nullable=False))
    return m


def _protect(dialect: str) -> list[str]:
    out = []
    for table in TABLES:
        if dialect == "postgresql":
            # refuse_rewrite() was made by 0001.
            out.append(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()")
            out.append(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite()")
        else:
            for op_name in ("UPDATE", "DELETE"):
                out.append(f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} entries are never rewritten'); END")
    return out


def upgrade():
    bind = op.get_bind()
    m = _tables()
    for name in TABLES:
        m.tables[name].create(bind)
    for statement in _protect(bind.dialect.name):
        op.execute(statement)


def downgrade():
    raise NotImplementedError("records are never dropped")
