"""Alembic environment: the URL comes from the caller's config or, failing that, Settings."""

from __future__ import annotations

from alembic import context

from mwgbot.db.models import Base
from mwgbot.db.session import make_engine

config = context.config


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from mwgbot.config import load_settings

    return load_settings().database_url


def run_migrations_online() -> None:
    engine = make_engine(_database_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch rebuild drops and recreates a table: with foreign keys on, SQLite would
            # cascade-delete the children of a rebuilt `proposals`. The pragma is a no-op
            # inside a transaction, so it is set on the bare connection, before one begins.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration left rows without their parent: {broken}")
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
