"""Search that reads only what the list shows: indexes in the list's order.

Revision ID: 0006

The search list shows at most 200 screenings, newest treatment date first (then the latest
change, then the id). Before this revision a common surname read every screening it
matched (50,000 at a clinic group's 1,000,000) to sort them and keep 200.
- name_tokens gains each screening's treatment_date and updated_at, so the index
  (token, treatment_date, updated_at, screening_id) hands out one word's screenings already
  in the list's order: the search stops after the rows it shows. Triggers keep the two
  copies equal whoever writes: a token row takes its screening's values when inserted, and
  a change to a screening's treatment date or last change is copied to its token rows.
- screenings: the date, birth date and outcome indexes end with (updated_at, id) too, so a
  date range, a birth date or an outcome with dates is read in the list's order as well.
The old single-column indexes are dropped: each new one starts with the same column.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

ORDER = ("treatment_date", "updated_at", "id")
NEW_INDEXES = {
    "ix_screenings_list_order": ORDER,
    "ix_screenings_dob_order": ("date_of_birth", *ORDER),
    "ix_screenings_outcome_order": ("outcome", *ORDER),
}
OLD_INDEXES = {"screenings": ("ix_screenings_treatment_date", "ix_screenings_dob", "ix_screenings_outcome_date"),
               "name_tokens": ("ix_name_tokens_token",)}


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table("name_tokens", recreate="never") as batch:
        batch.add_column(sa.Column("treatment_date", sa.String(10), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", sa.String(32), nullable=False, server_default=""))
    op.execute("UPDATE name_tokens SET "
               "treatment_date = (SELECT s.treatment_date FROM screenings s WHERE s.id = name_tokens.screening_id), "
               "updated_at = (SELECT s.updated_at FROM screenings s WHERE s.id = name_tokens.screening_id)")
    for table, names in OLD_INDEXES.items():
        for name in names:
            op.drop_index(name, table_name=table)
    for name, columns in NEW_INDEXES.items():
        op.create_index(name, "screenings", list(columns))
    op.create_index("ix_name_tokens_order", "name_tokens", ["token", "treatment_date", "updated_at", "screening_id"])
    for statement in triggers(bind.dialect.name):
        op.execute(statement)


def triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "CREATE FUNCTION name_tokens_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "SELECT s.treatment_date, s.updated_at INTO NEW.treatment_date, NEW.updated_at "
            "FROM screenings s WHERE s.id = NEW.screening_id; RETURN NEW; END $$",
            "CREATE TRIGGER name_tokens_order BEFORE INSERT OR UPDATE ON name_tokens "
            "FOR EACH ROW EXECUTE FUNCTION name_tokens_order()",
            "CREATE FUNCTION screenings_order_to_names() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE name_tokens SET treatment_date = NEW.treatment_date, updated_at = NEW.updated_at "
            "WHERE screening_id = NEW.id; RETURN NULL; END $$",
            "CREATE TRIGGER screenings_order_to_names AFTER UPDATE OF treatment_date, updated_at ON screenings "
            "FOR EACH ROW WHEN (NEW.treatment_date IS DISTINCT FROM OLD.treatment_date "
            "OR NEW.updated_at IS DISTINCT FROM OLD.updated_at) EXECUTE FUNCTION screenings_order_to_names()",
        ]
    one = "(SELECT s.{col} FROM screenings s WHERE s.id = NEW.screening_id)"
    differs = f"NEW.treatment_date IS NOT {one.format(col='treatment_date')} " \
              f"OR NEW.updated_at IS NOT {one.format(col='updated_at')}"
    fill = f"UPDATE name_tokens SET treatment_date = {one.format(col='treatment_date')}, " \
           f"updated_at = {one.format(col='updated_at')} WHERE rowid = NEW.rowid; END"
    return [
        # A token row always carries its screening's values, whatever the writer put there.
        f"CREATE TRIGGER name_tokens_order_insert AFTER INSERT ON name_tokens WHEN {differs} BEGIN {fill}",
        f"CREATE TRIGGER name_tokens_order_update AFTER UPDATE ON name_tokens WHEN {differs} BEGIN {fill}",
        "CREATE TRIGGER screenings_order_to_names AFTER UPDATE OF treatment_date, updated_at ON screenings "
        "WHEN NEW.treatment_date IS NOT OLD.treatment_date OR NEW.updated_at IS NOT OLD.updated_at BEGIN "
        "UPDATE name_tokens SET treatment_date = NEW.treatment_date, updated_at = NEW.updated_at "
        "WHERE screening_id = NEW.id; END",
    ]


def downgrade():
    raise NotImplementedError("records are never dropped")
