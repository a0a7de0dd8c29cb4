"""Alembic runs migrations on the connection the store hands it (see schema.migrate)."""
from alembic import context

from screening_app.records.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
