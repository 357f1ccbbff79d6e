"""Migration 0004 (several working groups): a database written by the single-group release
upgrades with every row kept, in the group whose channel it was posted in (else `mwg`), with
the same numbers; the downgrade works while one group holds the data, and refuses otherwise.

On SQLite the upgrade rebuilds `proposals`: with foreign keys on, that would cascade-delete
every sign-up, objection and update, which is what the row counts below would catch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from mwgbot.db import migrate

AT = datetime(2026, 11, 20, 12, 0)
CHILD_TABLES = (
    "signups",
    "objections",
    "reaction_marks",
    "proposal_updates",
    "time_entries",
    "outbox",
)


@dataclass(frozen=True)
class Group:
    key: str
    channel_id: str


GROUPS = (Group("mwg", "CMARKETING"), Group("edu", "CEDUCATORS"))


def _insert(connection: object, sql: str, **values: object) -> None:
    connection.execute(text(sql), values)  # type: ignore[attr-defined]


def write_at_0003(database_url: str, engine: Engine) -> None:
    """What the previous release stored: proposals #1..#3 with their rows, a member welcomed,
    a skipped meeting, the ledger and the outbox."""
    migrate.upgrade(database_url, "0003")
    with engine.begin() as c:
        _insert(
            c,
            "INSERT INTO members (user_id, organization, updated_at, first_seen_at, "
            "last_active_at, joined_channel_at, welcomed_at, is_bot) VALUES "
            "('UDANA', 'Org', :at, :at, :at, :at, :at, FALSE), "
            "('UBOB', NULL, :at, :at, :at, NULL, NULL, FALSE)",
            at=AT,
        )
        for number in (1, 2, 3):
            _insert(
                c,
                "INSERT INTO proposals (number, title, description, proposer_id, stages, "
                "collects_leads, cobranded, state, created_at, closes_at, card_revision, "
                "card_synced_revision, first_proposal, channel_id, message_ts) VALUES "
                "(:n, :title, '', 'UDANA', '', FALSE, FALSE, 'open', :at, :at, 0, 0, FALSE, "
                "'CMARKETING', :ts)",
                n=number,
                title=f"Proposal {number}",
                at=AT,
                ts=f"1700000000.00000{number}",
            )
            _insert(
                c,
                "INSERT INTO signups (proposal_number, user_id, joined_at) "
                "VALUES (:n, 'UBOB', :at)",
                n=number,
                at=AT,
            )
            _insert(
                c,
                "INSERT INTO objections (proposal_number, user_id, reason, made_at) "
                "VALUES (:n, 'UCAROL', 'no', :at)",
                n=number,
                at=AT,
            )
            _insert(
                c,
                "INSERT INTO reaction_marks (proposal_number, user_id, meaning, emoji, present, "
                "event_time_us) VALUES (:n, 'UBOB', 'join', 'raised_hand', TRUE, 1)",
                n=number,
            )
            _insert(
                c,
                "INSERT INTO proposal_updates (proposal_number, author_id, text, created_at) "
                "VALUES (:n, 'UDANA', 'progress', :at)",
                n=number,
                at=AT,
            )
            _insert(
                c,
                "INSERT INTO time_entries (user_id, proposal_number, minutes, what, worked_on, "
                "created_at) VALUES ('UBOB', :n, 60, 'work', '2026-11-20', :at)",
                n=number,
                at=AT,
            )
            _insert(
                c,
                "INSERT INTO activity (at, actor_id, proposal_number, kind, via, details) "
                "VALUES (:at, 'UDANA', :n, 'proposed', 'command', '{}')",
                n=number,
                at=AT,
            )
            _insert(
                c,
                "INSERT INTO outbox (kind, dedupe_key, proposal_number, channel_id, payload, "
                "state, attempts, uncertain, available_at, created_at) VALUES "
                "('card', :key, :n, 'CMARKETING', '{}', 'sent', 1, FALSE, :at, :at)",
                key=f"card:{number}",
                n=number,
                at=AT,
            )
        _insert(
            c,
            "INSERT INTO time_entries (user_id, proposal_number, minutes, what, worked_on, "
            "created_at) VALUES ('UBOB', NULL, 30, 'no proposal', '2026-11-20', :at)",
            at=AT,
        )
        _insert(
            c,
            "INSERT INTO activity (at, actor_id, proposal_number, kind, via, details) VALUES "
            "(:at, 'UBOB', NULL, 'organization_set', 'command', '{}'), "
            "(:at, 'UBOB', NULL, 'time_logged', 'command', '{}')",
            at=AT,
        )
        _insert(
            c,
            "INSERT INTO outbox (kind, dedupe_key, proposal_number, channel_id, user_id, "
            "payload, state, attempts, uncertain, available_at, created_at) VALUES "
            "('dm', 'welcome:UDANA', NULL, NULL, 'UDANA', '{}', 'sent', 1, FALSE, :at, :at)",
            at=AT,
        )
        _insert(
            c,
            "INSERT INTO meeting_skips (meeting_date, skipped_by, skipped_at) "
            "VALUES ('2026-12-09', 'UORGANIZER', :at)",
            at=AT,
        )


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {
            table: int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)  # noqa: S608
            for table in ("proposals", "activity", "meeting_skips", *CHILD_TABLES)
        }


def test_a_single_group_database_upgrades_into_mwg_with_every_row(
    database_url: str, engine: Engine
) -> None:
    write_at_0003(database_url, engine)
    before = counts(engine)
    migrate.upgrade(database_url, groups=GROUPS)
    assert counts(engine) == before, "the upgrade lost rows (a cascade on SQLite?)"
    with engine.connect() as c:
        proposals = c.execute(
            text("SELECT group_key, number, title FROM proposals ORDER BY number")
        ).all()
        assert [tuple(p) for p in proposals] == [
            ("mwg", 1, "Proposal 1"),
            ("mwg", 2, "Proposal 2"),
            ("mwg", 3, "Proposal 3"),
        ]
        for table in CHILD_TABLES:
            keys = c.execute(text(f"SELECT DISTINCT group_key FROM {table}")).scalars()  # noqa: S608
            assert set(keys) == {"mwg"}, table
        numbers = c.execute(text("SELECT DISTINCT proposal_number FROM signups")).scalars()
        assert sorted(numbers) == [1, 2, 3]
        ledger = dict(
            c.execute(text("SELECT kind, group_key FROM activity WHERE actor_id = 'UBOB'")).all()
        )
        assert ledger == {"organization_set": None, "time_logged": "mwg"}
        assert set(
            c.execute(
                text("SELECT DISTINCT group_key FROM activity WHERE kind = 'proposed'")
            ).scalars()
        ) == {"mwg"}
        assert c.execute(text("SELECT group_key FROM meeting_skips")).scalar() == "mwg"
        numbering = dict(c.execute(text("SELECT key, next_number FROM groups")).all())
        assert numbering == {"mwg": 3, "edu": 0}
        welcomed = c.execute(
            text("SELECT group_key, user_id, welcomed_at IS NOT NULL FROM group_members")
        ).all()
        assert [tuple(w) for w in welcomed] == [("mwg", "UDANA", True)]


def test_the_upgraded_database_takes_mwgs_next_number_after_its_last(
    database_url: str, engine: Engine
) -> None:
    """The group's row is its numbering: the next proposal after #3 is #4, edu's first #1."""
    write_at_0003(database_url, engine)
    migrate.upgrade(database_url, groups=GROUPS)
    with engine.begin() as c:
        taken = [
            c.execute(
                text(
                    "UPDATE groups SET next_number = next_number + 1 WHERE key = :k "
                    "RETURNING next_number"
                ),
                {"k": key},
            ).scalar()
            for key in ("mwg", "edu")
        ]
    assert taken == [4, 1]


def test_the_downgrade_keeps_a_single_groups_data(database_url: str, engine: Engine) -> None:
    write_at_0003(database_url, engine)
    before = counts(engine)
    migrate.upgrade(database_url, groups=GROUPS)
    migrate.downgrade(database_url, "0003")
    assert counts(engine) == before
    with engine.connect() as c:
        member = c.execute(
            text("SELECT joined_channel_at IS NOT NULL FROM members WHERE user_id = 'UDANA'")
        ).scalar()
    assert member


def test_the_downgrade_refuses_while_two_groups_hold_data(
    database_url: str, engine: Engine
) -> None:
    migrate.upgrade(database_url, groups=GROUPS)
    with engine.begin() as c:
        for key in ("mwg", "edu"):
            _insert(
                c,
                "INSERT INTO proposals (group_key, number, title, description, proposer_id, "
                "stages, collects_leads, cobranded, state, created_at, closes_at, card_revision, "
                "card_synced_revision, first_proposal) VALUES (:k, 1, 't', '', 'UA', '', FALSE, "
                "FALSE, 'open', :at, :at, 0, 0, FALSE)",
                k=key,
                at=AT,
            )
    with pytest.raises(RuntimeError, match="several groups"):
        migrate.downgrade(database_url, "0003")
