"""Helpers for the tests of the group's record: the text of blocks, and ledger rows written
directly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from mwgbot.db.session import Database
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.services import ledger


def blocks_text(blocks: Sequence[dict[str, Any]]) -> str:
    parts = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def record_activity(
    db: Database,
    kind: ActivityKind,
    at: datetime,
    *,
    actor: str | None,
    number: int | None,
    via: Via = Via.COMMAND,
    **details: Any,
) -> None:
    """A ledger row as the features of other branches (updates, delivery, time) write it."""
    with db.unit_of_work() as session:
        ledger.record(
            session,
            kind=kind,
            at=at,
            via=via,
            actor_id=actor,
            group_key=None if number is None and kind is ActivityKind.ORGANIZATION_SET else "mwg",
            proposal_number=number,
            details=details,
        )


def traces(engine: Engine, needle: str) -> list[str]:
    """Every `table.column` whose text (or JSON as text) holds `needle`, across the whole
    database as the inspector sees it, not as the models declare it."""
    found = []
    with engine.connect() as connection:
        inspector = inspect(connection)
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                type_name = str(column["type"]).upper()
                if not any(t in type_name for t in ("CHAR", "TEXT", "JSON", "CLOB")):
                    continue
                name = column["name"]
                hits = connection.execute(
                    text(
                        f'SELECT COUNT(*) FROM "{table}" '  # noqa: S608 - names from the inspector
                        f'WHERE CAST("{name}" AS TEXT) LIKE :needle'
                    ),
                    {"needle": f"%{needle}%"},
                ).scalar_one()
                if hits:
                    found.append(f"{table}.{name}")
    return found
