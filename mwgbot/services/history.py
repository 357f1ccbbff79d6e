"""A proposal's story, read back from the activity ledger (`/mwg history <n>`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mwgbot.db.models import ActivityRow, ProposalRow
from mwgbot.domain.activity import Activity
from mwgbot.domain.errors import no_such_proposal
from mwgbot.services.ledger import as_activity

# A long story shows how it began and how it stands now; the middle is counted, not shown.
HEAD = 10
TAIL = 30


@dataclass(frozen=True)
class Timeline:
    number: int
    title: str
    state: str
    first: tuple[Activity, ...]
    last: tuple[Activity, ...]
    left_out: int

    @property
    def total(self) -> int:
        return len(self.first) + self.left_out + len(self.last)


def timeline(
    session: Session, group_key: str, number: int, *, head: int = HEAD, tail: int = TAIL
) -> Timeline:
    """The first `head` and last `tail` rows about the group's proposal `number`, and how many
    lie between."""
    proposal = session.get(ProposalRow, (group_key, number))
    if proposal is None:
        raise no_such_proposal(number)
    about = (ActivityRow.group_key == group_key) & (ActivityRow.proposal_number == number)
    total = int(session.scalar(select(func.count()).select_from(ActivityRow).where(about)) or 0)
    if total <= head + tail:
        rows = session.scalars(select(ActivityRow).where(about).order_by(ActivityRow.id)).all()
        first, last = [as_activity(r) for r in rows], []
    else:
        first_rows = session.scalars(
            select(ActivityRow).where(about).order_by(ActivityRow.id).limit(head)
        ).all()
        last_rows = session.scalars(
            select(ActivityRow).where(about).order_by(ActivityRow.id.desc()).limit(tail)
        ).all()
        first = [as_activity(r) for r in first_rows]
        last = [as_activity(r) for r in reversed(last_rows)]
    return Timeline(
        number=number,
        title=proposal.title,
        state=proposal.state,
        first=tuple(first),
        last=tuple(last),
        left_out=total - len(first) - len(last),
    )
