"""The paper side of a sheet: printed, saved, not printed (and why), signed copy received.
And the name-search index made again with letters that carry no accent mark folded too
("Łukasz" is found as "lukasz").

Revision ID: 0003

The paper table is append-only, like the audit trail: a trigger refuses any change or removal.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    op.create_table(
        "paper",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("screening_id", sa.String(36), sa.ForeignKey("screenings.id"), nullable=False),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("by", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("scan", sa.LargeBinary),
        sa.Column("scan_sha256", sa.String(64)),
        sa.Column("sheet_sha256", sa.String(64)),  # the sheet this event is about
        sa.CheckConstraint("event in ('printed', 'saved', 'not_printed', 'signed_copy_received')",
                           name="paper_event"),
    )
    op.create_index("ix_paper_screening", "paper", ["screening_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER paper_no_change BEFORE UPDATE OR DELETE ON paper "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()")
        op.execute("CREATE TRIGGER paper_no_truncate BEFORE TRUNCATE ON paper "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite()")
    else:
        for name in ("update", "delete"):
            op.execute(f"CREATE TRIGGER paper_no_{name} BEFORE {name.upper()} ON paper "
                       "BEGIN SELECT RAISE(ABORT, 'paper entries are never rewritten'); END")
    _reindex_names()


def _reindex_names():
    from screening_app.records.identity import name_words
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, patient_name FROM screenings")).all()
    for sid, name in rows:
        bind.execute(sa.text("DELETE FROM name_tokens WHERE screening_id = :sid"), {"sid": sid})
        for word in sorted(set(w[:200] for w in name_words(name or ""))):
            bind.execute(sa.text("INSERT INTO name_tokens (screening_id, token) VALUES (:sid, :token)"),
                         {"sid": sid, "token": word})


def downgrade():
    raise NotImplementedError("records are never dropped")
