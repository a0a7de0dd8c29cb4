"""The first schema: staff, screenings, name tokens, finished records, audit, settings.

Revision ID: 0001
"""
from alembic import op

from screening_app.records import schema

revision = "0001"
down_revision = None


def upgrade():
    bind = op.get_bind()
    # The tables as they stood at 0001 are created from the shared definitions; later
    # revisions change them with explicit operations.
    schema.metadata.create_all(bind)
    for statement in schema.protect_statements(bind.dialect.name):
        op.execute(statement)
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")


def downgrade():
    raise NotImplementedError("records are never dropped")
