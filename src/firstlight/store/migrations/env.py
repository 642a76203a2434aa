"""Alembic environment: uses the connection of the ``Database`` that ``store.migrate`` passes in."""

from alembic import context

from firstlight.store.models import metadata

config = context.config
database = config.attributes["database"]

with database.engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=database.is_sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
