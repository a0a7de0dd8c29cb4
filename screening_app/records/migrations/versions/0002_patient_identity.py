"""Who the patient is, across screenings; who signed, by name; why a screening was closed.

Revision ID: 0002

- screenings.patient_id and screenings.patient_key (folded name and birth date), indexed,
  so a patient's earlier do-not-treat or deferred screening is found by any later one;
- screenings.closed_reason: why a screening was withdrawn or discarded;
- finished.signer_name: the signing clinician's name as printed, kept even if the account
  is renamed later; finished.content_digest: the questionnaire and rules it was screened with.
"""
import json

import sqlalchemy as sa
from alembic import op

from screening_app.records.identity import patient_key

revision = "0002"
down_revision = "0001"

FROZEN = "screenings_finished_frozen"


def upgrade():
    with op.batch_alter_table("screenings", recreate="never") as batch:
        batch.add_column(sa.Column("patient_id", sa.String(200)))
        batch.add_column(sa.Column("patient_key", sa.String(420), nullable=False, server_default=""))
        batch.add_column(sa.Column("closed_reason", sa.Text))
    op.create_index("ix_screenings_patient_id", "screenings", ["patient_id"])
    op.create_index("ix_screenings_patient_key", "screenings", ["patient_key"])
    with op.batch_alter_table("finished", recreate="never") as batch:
        batch.add_column(sa.Column("signer_name", sa.String(200)))
        batch.add_column(sa.Column("content_digest", sa.String(64)))

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, draft_json FROM screenings")).all()
    if not rows:
        return
    # Existing screenings learn who their patient is; finished ones are frozen by a trigger,
    # which is lifted for this one backfill only, inside the migration's transaction.
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE screenings DISABLE TRIGGER {FROZEN}")
    else:
        op.execute(f"DROP TRIGGER {FROZEN}")
    for sid, raw in rows:
        draft = json.loads(raw)
        pid = str(draft.get("patient_id", "")).strip()[:200] or None
        key = patient_key(str(draft.get("name", "")), str(draft.get("date_of_birth", "")))
        bind.execute(sa.text("UPDATE screenings SET patient_id = :pid, patient_key = :key WHERE id = :sid"),
                     {"pid": pid, "key": key, "sid": sid})
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE screenings ENABLE TRIGGER {FROZEN}")
    else:
        op.execute(f"CREATE TRIGGER {FROZEN} BEFORE UPDATE ON screenings WHEN OLD.status = 'finished' "
                   "BEGIN SELECT RAISE(ABORT, 'finished screenings are never rewritten'); END")


def downgrade():
    raise NotImplementedError("records are never dropped")
