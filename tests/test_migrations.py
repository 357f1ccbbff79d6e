"""The schema is the migrations' schema: they agree with the models, they go down and up
again, and SQLite is set up so that two processes can share the file."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from mwgbot.db import migrate
from mwgbot.db.models import Base, ProcessedEventRow
from mwgbot.db.session import SQLITE_BUSY_TIMEOUT_MS, Database


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def schema(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, keys, indexes and constraints, comparable with ==."""
    inspector = inspect(engine)
    snapshot: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        columns = [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]
        snapshot[table] = {
            "columns": columns,
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], fk.get("name") or "")
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"] or "", tuple(ix["column_names"]), bool(ix["unique"]))
                for ix in inspector.get_indexes(table)
            ),
            "uniques": sorted(
                (uq["name"] or "", tuple(uq["column_names"]))
                for uq in inspector.get_unique_constraints(table)
            ),
        }
    return snapshot


def revisions(database_url: str) -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(migrate.alembic_config(database_url))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_the_migrations_build_exactly_the_models(database_url: str, engine: Engine) -> None:
    migrate.upgrade(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": is_sqlite(database_url)},
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], (
        "models and migrations disagree; write a migration "
        f"(alembic revision --autogenerate): {differences}"
    )


def test_every_model_table_is_built(database_url: str, engine: Engine) -> None:
    migrate.upgrade(database_url)
    built = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= built
    assert built - set(Base.metadata.tables) == {"alembic_version"}


def test_upgrade_downgrade_upgrade_leaves_the_same_schema(
    database_url: str, engine: Engine
) -> None:
    migrate.upgrade(database_url)
    first = schema(engine)
    migrate.downgrade(database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(database_url)
    assert schema(engine) == first


def test_each_revision_goes_down_and_up_again(database_url: str, engine: Engine) -> None:
    """The stairway: every step's downgrade undoes exactly its upgrade."""
    previous = "base"
    for revision in revisions(database_url):
        migrate.upgrade(database_url, revision)
        after_up = schema(engine)
        migrate.downgrade(database_url, previous)
        migrate.upgrade(database_url, revision)
        assert schema(engine) == after_up, f"revision {revision} does not round-trip"
        previous = revision


def test_a_second_upgrade_is_a_no_op(database_url: str, engine: Engine) -> None:
    migrate.upgrade(database_url)
    first = schema(engine)
    migrate.upgrade(database_url)
    assert schema(engine) == first
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [v[0] for v in versions] == revisions(database_url)[-1:]


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(database_url: str) -> None:
    if not is_sqlite(database_url):
        pytest.skip("SQLite only")
    migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        with db.engine.connect() as connection:
            journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    finally:
        db.dispose()
    assert str(journal).lower() == "wal"
    assert timeout == SQLITE_BUSY_TIMEOUT_MS
    assert int(timeout or 0) >= 1000
    assert foreign_keys == 1


def test_two_writers_share_the_database_without_lock_errors(database_url: str) -> None:
    """Two engines (as two processes would have) write at once; busy_timeout and
    BEGIN IMMEDIATE make them take turns instead of failing with 'database is locked'."""
    migrate.upgrade(database_url)
    writers = [Database(database_url), Database(database_url)]
    errors: list[BaseException] = []
    per_writer = 60

    def write(index: int, db: Database) -> None:
        try:
            for n in range(per_writer):
                with db.unit_of_work() as session:
                    session.add(
                        ProcessedEventRow(event_id=f"Ev{index}-{n}", received_at=datetime.now(UTC))
                    )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i, db)) for i, db in enumerate(writers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        with writers[0].engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM processed_events")).scalar()
        assert count == per_writer * len(writers)
    finally:
        for db in writers:
            db.dispose()


def test_0002_fills_in_what_0001_data_implies(database_url: str, engine: Engine) -> None:
    """Members known before 0002 were first and last seen when they set their organization;
    each proposer's earliest proposal is marked as their first."""
    migrate.upgrade(database_url, "0001")
    at = datetime(2026, 6, 1, 12, 0)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO members (user_id, organization, updated_at) VALUES ('UA', 'Org', :at)"
            ),
            {"at": at},
        )
        for number, proposer in ((1, "UA"), (2, "UB"), (3, "UA")):
            connection.execute(
                text(
                    "INSERT INTO proposals (number, title, description, proposer_id, stages, "
                    "collects_leads, cobranded, state, created_at, closes_at, card_revision, "
                    "card_synced_revision) VALUES (:n, 't', '', :p, '', FALSE, FALSE, 'open', "
                    ":at, :at, 0, 0)"
                ),
                {"n": number, "p": proposer, "at": at},
            )
    migrate.upgrade(database_url, "0002")
    with engine.connect() as connection:
        member = connection.execute(
            text("SELECT first_seen_at, last_active_at FROM members WHERE user_id = 'UA'")
        ).one()
        firsts = connection.execute(
            text("SELECT number FROM proposals WHERE first_proposal ORDER BY number")
        ).scalars()
        first_numbers = list(firsts)
    assert all(str(value).startswith("2026-06-01 12:00") for value in member)
    assert first_numbers == [1, 2]
