"""The paper side of a sheet: printed, saved, not printed (and why), signed copy received.

Revision ID: 0003

Append-only, like the audit trail: a trigger refuses any change or removal.
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


def downgrade():
    raise NotImplementedError("records are never dropped")
