"""Editing and extending an open proposal, fairly; pure rules.

Loomio, the ASF and rfcbot let a proposal's words be fixed and its discussion be given more
time; the group's rules for that:

- the proposer or a moderator may edit or extend, and only while the window is open;
- members always get a day to react to the words they are agreeing to: a change of title or
  description with less than `FAIR_NOTICE` left moves the close so that `FAIR_NOTICE` remains;
- an extension may not stretch the whole window (opened → closes) past `MAX_WINDOW`.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from mwgbot.domain.errors import NotAllowed, NotPossible
from mwgbot.domain.meetings import format_duration
from mwgbot.domain.proposals import MAX_WINDOW, Stage, State

FAIR_NOTICE = timedelta(hours=24)


class Field(enum.StrEnum):
    """The parts of a proposal an edit may change, in the order notes list them."""

    TITLE = "title"
    DESCRIPTION = "description"
    STAGES = "stages"
    COLLECTS_LEADS = "collects_leads"
    COBRANDED = "cobranded"


# Changing these changes what members agree to: they reset the fair-notice clock.
WORDS = frozenset({Field.TITLE, Field.DESCRIPTION})


@dataclass(frozen=True)
class Wording:
    """What an edit may change: the words, the adopter-journey stages and the two flags."""

    title: str
    description: str = ""
    stages: tuple[Stage, ...] = ()
    collects_leads: bool = False
    cobranded: bool = False

    def value(self, field: Field) -> str | bool | tuple[Stage, ...]:
        values: dict[Field, str | bool | tuple[Stage, ...]] = {
            Field.TITLE: self.title,
            Field.DESCRIPTION: self.description,
            Field.STAGES: self.stages,
            Field.COLLECTS_LEADS: self.collects_leads,
            Field.COBRANDED: self.cobranded,
        }
        return values[field]


@dataclass(frozen=True)
class FieldChange:
    field: Field
    old: str | bool | tuple[Stage, ...]
    new: str | bool | tuple[Stage, ...]


def journey_order(stages: Sequence[Stage]) -> tuple[Stage, ...]:
    """Stages without repeats, in the adopter journey's order (how they are stored and shown)."""
    order = list(Stage)
    return tuple(sorted(set(stages), key=order.index))


def changes(before: Wording, after: Wording) -> tuple[FieldChange, ...]:
    """Each field that differs, old and new; stages compare as sets in journey order."""
    before = _normalized(before)
    after = _normalized(after)
    return tuple(
        FieldChange(field, before.value(field), after.value(field))
        for field in Field
        if before.value(field) != after.value(field)
    )


def _normalized(wording: Wording) -> Wording:
    return Wording(
        title=wording.title,
        description=wording.description,
        stages=journey_order(wording.stages),
        collects_leads=wording.collects_leads,
        cobranded=wording.cobranded,
    )


def fingerprint(wording: Wording) -> str:
    """A short digest of what an edit form showed, to notice another edit saved meanwhile."""
    normal = _normalized(wording)
    data = json.dumps(
        [
            normal.title,
            normal.description,
            [s.value for s in normal.stages],
            normal.collects_leads,
            normal.cobranded,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(data.encode()).hexdigest()[:16]


class Change(enum.StrEnum):
    EDIT = "edit"
    EXTEND = "extend"


def check_may_change(
    change: Change,
    number: int,
    *,
    state: State,
    closes_at: datetime,
    now: datetime,
    proposer_id: str,
    actor_id: str,
    moderators: Collection[str],
) -> None:
    """The proposer or a moderator, on a proposal whose window is still open. The state is
    checked first: no one is told to ask someone who could not do it either."""
    if state is not State.OPEN:
        raise NotPossible(
            f"#{number} is {state.value}; only an open proposal can be {_done(change)}."
        )
    if closes_at <= now:
        raise NotPossible(f"#{number}'s window has closed; its outcome is being announced.")
    if actor_id != proposer_id and actor_id not in moderators:
        raise NotAllowed(
            f"Only the proposer of #{number} or a moderator can {change.value} it; nothing changed."
        )


def _done(change: Change) -> str:
    return "edited" if change is Change.EDIT else "extended"


def closes_after_edit(closes_at: datetime, now: datetime, changed: Collection[Field]) -> datetime:
    """New words with less than a day left: the window moves so that a day remains.

    This may take the window a little past MAX_WINDOW: the day to react is owed to members,
    and the cap is on extensions asked for, not on fairness.
    """
    if WORDS.isdisjoint(changed) or closes_at - now >= FAIR_NOTICE:
        return closes_at
    return now + FAIR_NOTICE


def extended_close(
    number: int, *, created_at: datetime, closes_at: datetime, by: timedelta
) -> datetime:
    """The new close of a window extended by `by`; the whole window stays within MAX_WINDOW.

    Checked before any date arithmetic, so no duration a member types can overflow it.
    """
    if by <= timedelta(0):
        raise NotPossible("An extension must be longer than zero.")
    room = MAX_WINDOW - (closes_at - created_at)
    if room < timedelta(minutes=1):
        raise NotPossible(
            f"#{number}'s window is already {format_duration(MAX_WINDOW)} long, the most a window "
            "may be; it cannot be extended further."
        )
    if by > room:
        raise NotPossible(
            f"#{number}'s whole window may be at most {format_duration(MAX_WINDOW)}; "
            f"it can be extended by at most {format_duration(_whole_minutes(room))}."
        )
    return closes_at + by


def _whole_minutes(delta: timedelta) -> timedelta:
    return timedelta(minutes=delta // timedelta(minutes=1))
