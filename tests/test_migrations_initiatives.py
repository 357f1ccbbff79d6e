"""Migration 0002 and initiatives after adoption: proposals adopted before it are active
initiatives, last active when they were adopted; the indexes the sweep and the digests read by
exist on both databases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, inspect, text

from mwgbot.db import migrate

CLOSED = datetime(2026, 6, 1, 12, 0)
DECIDED = datetime(2026, 6, 9, 8, 30)


def test_adopted_proposals_were_last_active_at_their_adoption(
    database_url: str, engine: Engine
) -> None:
    migrate.upgrade(database_url, "0001")
    rows = (
        (1, "adopted", CLOSED, None),  # lazy consensus
        (2, "adopted", CLOSED, DECIDED),  # escalated, then adopted by a moderator
        (3, "declined", CLOSED, DECIDED),
        (4, "open", None, None),
    )
    with engine.begin() as connection:
        for number, state, closed_at, decided_at in rows:
            connection.execute(
                text(
                    "INSERT INTO proposals (number, title, description, proposer_id, stages, "
                    "collects_leads, cobranded, state, created_at, closes_at, closed_at, "
                    "decided_at, card_revision, card_synced_revision) VALUES (:n, 't', '', 'UA', "
                    "'', FALSE, FALSE, :state, :at, :at, :closed, :decided, 0, 0)"
                ),
                {
                    "n": number,
                    "state": state,
                    "at": CLOSED,
                    "closed": closed_at,
                    "decided": decided_at,
                },
            )
    migrate.upgrade(database_url, "0002")
    with engine.connect() as connection:
        found = dict(
            connection.execute(
                text("SELECT number, last_activity_at FROM proposals ORDER BY number")
            ).all()
        )
    assert str(found[1]).startswith("2026-06-01 12:00")
    assert str(found[2]).startswith("2026-06-09 08:30")
    assert found[3] is None
    assert found[4] is None


def test_the_initiative_indexes_come_and_go_with_0002(database_url: str, engine: Engine) -> None:
    wanted = {
        ("ix_proposals_state_last_activity_at", ("state", "last_activity_at")),
        ("ix_proposals_state_finished_at", ("state", "finished_at")),
    }

    def indexes() -> set[tuple[str, tuple[str, ...]]]:
        return {
            (ix["name"] or "", tuple(c for c in ix["column_names"] if c))
            for ix in inspect(engine).get_indexes("proposals")
        }

    migrate.upgrade(database_url, "0002")
    assert wanted <= indexes()
    migrate.downgrade(database_url, "0001")
    assert not wanted & indexes()
