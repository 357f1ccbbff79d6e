"""Editing and extending open proposals. Services flush; the caller's unit of work commits.

Each edit or extension is one ledger row and one thread note, in the change's unit of work; the
card is marked stale (the delivery updates it in place); a moved closing time takes the close
and the closing-soon notice with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import OutboxRow, ProposalRow
from mwgbot.domain import editing as rules
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.domain.editing import Change, Field, FieldChange, Wording
from mwgbot.domain.errors import NotPossible, no_such_proposal
from mwgbot.domain.proposals import ProposalSnapshot, State
from mwgbot.services import outbox
from mwgbot.services.policy import Policy
from mwgbot.services.ports import Rendered
from mwgbot.services.proposals import closing_soon_key, legacy_closing_soon_key
from mwgbot.services.use_case import UseCase

# An outbox row that will never be sent, because what it said is no longer true.
CANCELLED = "cancelled"


class EditNotes(Protocol):
    """The thread notes of edits and extensions (implemented by the Slack builders)."""

    def edited(
        self,
        proposal: ProposalSnapshot,
        actor_id: str,
        changes: Sequence[FieldChange],
        was_closing: datetime | None,
    ) -> Rendered: ...

    def extended(
        self, proposal: ProposalSnapshot, actor_id: str, by: timedelta, was_closing: datetime
    ) -> Rendered: ...


class EditConflict(NotPossible):
    """Someone saved another edit after this member's form was opened."""


@dataclass(frozen=True)
class Edited:
    proposal: ProposalSnapshot
    changes: tuple[FieldChange, ...]
    # The closing time before the edit, when new words late in the window moved it.
    was_closing: datetime | None = None


@dataclass(frozen=True)
class Extended:
    proposal: ProposalSnapshot
    by: timedelta
    was_closing: datetime


def wording_of(proposal: ProposalSnapshot) -> Wording:
    return Wording(
        title=proposal.title,
        description=proposal.description,
        stages=proposal.stages,
        collects_leads=proposal.collects_leads,
        cobranded=proposal.cobranded,
    )


class EditingService(UseCase):
    def __init__(
        self, session: Session, policy: Policy, notes: EditNotes, now: datetime, via: Via
    ) -> None:
        super().__init__(session, policy, now, via)
        self.notes = notes

    def editable(self, number: int, actor_id: str) -> ProposalSnapshot:
        """The proposal as an edit form shows it; refused for anyone who may not edit it."""
        row = self.session.get(ProposalRow, (self.group_key, number))
        if row is None:
            raise no_such_proposal(number)
        self._check(Change.EDIT, row, actor_id)
        return queries.snapshot(self.session, row)

    def edit(
        self, number: int, actor_id: str, wording: Wording, *, seen: str | None = None
    ) -> Edited:
        """Save a new wording; `seen` is the fingerprint of what the member's form showed."""
        row = self._locked_proposal(number)
        self._check(Change.EDIT, row, actor_id)
        before = Wording(  # what wording_of(snapshot) gives, without a snapshot's queries
            title=row.title,
            description=row.description,
            stages=queries.parse_stages(row.stages),
            collects_leads=row.collects_leads,
            cobranded=row.cobranded,
        )
        if seen is not None and rules.fingerprint(before) != seen:
            raise EditConflict(
                f"#{number} was edited by someone else after this form opened; nothing changed. "
                f"Close the form and run `/mwg edit {number}` again to see the new version."
            )
        changes = rules.changes(before, wording)
        if not changes:
            return Edited(queries.snapshot(self.session, row), ())
        after = {change.field: change.new for change in changes}
        if Field.TITLE in after:
            row.title = str(after[Field.TITLE])
        if Field.DESCRIPTION in after:
            row.description = str(after[Field.DESCRIPTION])
        if Field.STAGES in after:
            row.stages = queries.format_stages(rules.journey_order(wording.stages))
        if Field.COLLECTS_LEADS in after:
            row.collects_leads = wording.collects_leads
        if Field.COBRANDED in after:
            row.cobranded = wording.cobranded
        details: dict[str, Any] = {
            "changes": {
                c.field.value: {"old": _plain(c.old), "new": _plain(c.new)} for c in changes
            }
        }
        was_closing = None
        closes_at = rules.closes_after_edit(row.closes_at, self.now, after.keys())
        if closes_at != row.closes_at:
            was_closing = row.closes_at
            self._move_close(row, closes_at)
            details["closes_at"] = {"from": was_closing.isoformat(), "to": closes_at.isoformat()}
        proposal = self._stale_card(row)
        self._record(ActivityKind.EDITED, number, actor_id, **details)
        self._thread_note(
            number,
            self.notes.edited(proposal, actor_id, changes, was_closing),
            # New words late in the window concern everyone who stayed silent: say it in the
            # channel too.
            broadcast=was_closing is not None,
        )
        return Edited(proposal, changes, was_closing)

    def extend(self, number: int, actor_id: str, by: timedelta) -> Extended:
        row = self._locked_proposal(number)
        self._check(Change.EXTEND, row, actor_id)
        was_closing = row.closes_at
        closes_at = rules.extended_close(
            number, created_at=row.created_at, closes_at=row.closes_at, by=by
        )
        self._move_close(row, closes_at)
        proposal = self._stale_card(row)
        self._record(
            ActivityKind.EXTENDED,
            number,
            actor_id,
            by_seconds=int(by.total_seconds()),
            closes_at={"from": was_closing.isoformat(), "to": closes_at.isoformat()},
        )
        self._thread_note(number, self.notes.extended(proposal, actor_id, by, was_closing))
        return Extended(proposal, by, was_closing)

    # --- helpers ---------------------------------------------------------------------------

    def _check(self, change: Change, row: ProposalRow, actor_id: str) -> None:
        rules.check_may_change(
            change,
            row.number,
            state=State(row.state),
            closes_at=row.closes_at,
            now=self.now,
            proposer_id=row.proposer_id,
            actor_id=actor_id,
            moderators=self.policy.moderators,
        )

    def _move_close(self, row: ProposalRow, closes_at: datetime) -> None:
        """The close follows `closes_at` (the sweep reads it); so does the closing-soon notice,
        whose key names the closing time: the sweep queues the one of the new time."""
        was = row.closes_at
        row.closes_at = closes_at
        number = row.number
        legacy = legacy_closing_soon_key(number)
        # A notice of an earlier time that has not gone out yet would now be wrong.
        self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.group_key == self.group_key,
                OutboxRow.proposal_number == number,
                OutboxRow.state == "pending",
                (OutboxRow.dedupe_key == legacy)
                | OutboxRow.dedupe_key.startswith(legacy + ":", autoescape=True),
            )
            .values(state=CANCELLED, last_error="the closing time moved before it was sent")
        )
        # A notice queued under the old one-per-proposal key announced the old time: give it
        # that time's key, so that the new time gets its own notice.
        old_form = self.session.scalars(
            select(OutboxRow).where(
                OutboxRow.group_key == self.group_key, OutboxRow.dedupe_key == legacy
            )
        ).one_or_none()
        if old_form is not None:
            key = closing_soon_key(number, was)
            taken = self.session.scalar(
                select(OutboxRow.id).where(
                    OutboxRow.group_key == self.group_key, OutboxRow.dedupe_key == key
                )
            )
            # Both forms for one time (an older instance ran alongside): keep both rows.
            old_form.dedupe_key = key if taken is None else f"{key}:also-{old_form.id}"
        self.session.flush()

    def _stale_card(self, row: ProposalRow) -> ProposalSnapshot:
        row.card_revision += 1
        self.session.flush()
        return queries.snapshot(self.session, row)

    def _thread_note(self, number: int, message: Rendered, *, broadcast: bool = False) -> None:
        outbox.enqueue(
            self.session,
            kind=outbox.KIND_THREAD,
            now=self.now,
            group_key=self.group_key,
            message=message,
            channel_id=self.policy.channel_id,
            proposal_number=number,
            broadcast=broadcast,
        )


def _plain(value: str | bool | tuple[Any, ...]) -> Any:
    """A ledger-friendly (JSON) value: stages as a list of names."""
    if isinstance(value, tuple):
        return [str(v) for v in value]
    return value
