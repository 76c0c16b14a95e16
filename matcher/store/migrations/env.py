"""Alembic environment: runs on the connection handed over by ``matcher.store.db.migrate``."""

from alembic import context
from sqlalchemy import create_engine

from matcher.store.tables import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # plain `alembic` command line: use the URL given in the config
    with create_engine(config.get_main_option("sqlalchemy.url") or "").begin() as own:
        context.configure(connection=own, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
