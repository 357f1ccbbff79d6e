"""Fair limits: how many proposals one member may have open, how many commands a minute; pure."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from mwgbot.domain.errors import NotPossible


@dataclass(frozen=True)
class OpenProposal:
    number: int
    title: str
    closes_at: datetime


class OpenLimitReached(NotPossible):
    """A member has as many open proposals as they may; the answer lists them."""

    def __init__(self, limit: int, open_ones: Sequence[OpenProposal]) -> None:
        numbers = ", ".join(f"#{p.number}" for p in open_ones)
        super().__init__(
            f"You already have {len(open_ones)} open proposal{'' if len(open_ones) == 1 else 's'} "
            f"({numbers}); the most one member "
            f"may have at once is {limit}. Withdraw one or wait for one to close."
        )
        self.limit = limit
        self.open_ones = tuple(open_ones)


def check_open_limit(
    proposer_id: str,
    open_ones: Sequence[OpenProposal],
    limit: int,
    moderators: Collection[str],
) -> None:
    """A new proposal must leave the member within the limit; moderators are exempt."""
    if proposer_id in moderators:
        return
    if len(open_ones) >= limit:
        raise OpenLimitReached(limit, open_ones)


def minute_of(now: datetime) -> datetime:
    """The one-minute window a command is counted in."""
    return now.replace(second=0, microsecond=0)


def over_rate(count_this_minute: int, per_minute: int) -> bool:
    """The command that makes the count exceed the limit, and every one after it, is refused."""
    return count_this_minute > per_minute
