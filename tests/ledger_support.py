"""Reading the activity ledger in tests: the rows each step added, in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mwgbot.db.models import ActivityRow
from tests.conftest import RunningBot


@dataclass(frozen=True)
class Row:
    kind: str
    via: str
    actor: str | None
    proposal: int | None
    details: dict[str, Any]


class Ledger:
    """The ledger rows each step added, in order."""

    def __init__(self, bot: RunningBot) -> None:
        self.bot = bot
        self.seen = 0
        self.new()

    def new(self) -> list[Row]:
        with self.bot.runtime.db.unit_of_work() as session:
            rows = session.scalars(
                select(ActivityRow).where(ActivityRow.id > self.seen).order_by(ActivityRow.id)
            ).all()
            if rows:
                self.seen = rows[-1].id
            return [
                Row(r.kind, r.via, r.actor_id, r.proposal_number, dict(r.details)) for r in rows
            ]

    def one(self) -> Row:
        """The one row the last step added."""
        rows = self.new()
        assert len(rows) == 1, rows
        return rows[0]
