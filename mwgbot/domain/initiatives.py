"""Initiatives after adoption, as pure rules: who may post progress and close them, which
links a delivery may carry, and when a quiet initiative is nudged.

adopted (active initiative) ──owners or a moderator──▶ delivered | dropped

Owners are the proposer and every member who joined; moderators may act on any initiative.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from mwgbot.domain.errors import NotAllowed, NotPossible
from mwgbot.domain.proposals import FINISHED_STATES, State

MAX_UPDATE = 1000
MAX_LINK = 1000
MAX_FINISH_NOTE = 1000
MAX_DROP_REASON = 500

# Progress notes are welcome while the work is alive: before, during and after the decision.
UPDATABLE_STATES = frozenset({State.OPEN, State.ESCALATED, State.ADOPTED})

LINK_SCHEMES = frozenset({"http", "https"})
# A link goes into mrkdwn as `<url|label>`: none of these may appear in it.
_NOT_IN_A_LINK = re.compile(
    r"[\s<>|\"`\\\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NUDGE_PREFIX = "stale:"

_OWNERS = "its owners (the proposer and the members who joined) or a moderator"


def may_act(
    actor_id: str, proposer_id: str, joiner_ids: Collection[str], moderators: Collection[str]
) -> bool:
    """Owners (proposer, joiners) and moderators may post updates and close an initiative."""
    return actor_id == proposer_id or actor_id in joiner_ids or actor_id in moderators


def check_update(
    number: int,
    state: State,
    actor_id: str,
    proposer_id: str,
    joiner_ids: Collection[str],
    moderators: Collection[str],
    *,
    objects: bool = False,
) -> None:
    if state not in UPDATABLE_STATES:
        raise NotPossible(
            f"#{number} is {state.value}: updates are for open, escalated and active "
            "initiatives, from their owners or a moderator. Nothing changed."
        )
    if not may_act(actor_id, proposer_id, joiner_ids, moderators):
        # Only a next step that will work: an objector cannot join before unobjecting.
        how = (
            f"You object to it: `/mwg unobject {number}`, then `/mwg join {number}`, to take part."
            if objects
            else f"`/mwg join {number}` to take part."
        )
        raise NotAllowed(
            f"Only {_OWNERS} can post updates on #{number}, while it is open, escalated or "
            f"an active initiative; nothing changed. {how}"
        )


def finish(
    number: int,
    state: State,
    outcome: State,
    actor_id: str,
    proposer_id: str,
    joiner_ids: Collection[str],
    moderators: Collection[str],
) -> State:
    """An active initiative becomes delivered or dropped, by an owner or a moderator."""
    if outcome not in FINISHED_STATES:
        raise ValueError(f"an initiative finishes delivered or dropped, not {outcome.value}")
    verb = "mark it delivered" if outcome is State.DELIVERED else "drop it"
    if not may_act(actor_id, proposer_id, joiner_ids, moderators):
        raise NotAllowed(
            f"Only {_OWNERS} can {verb}, once #{number} is an active initiative; nothing changed."
        )
    if state is outcome:
        raise NotPossible(f"#{number} is already {state.value}; nothing changed.")
    if state is not State.ADOPTED:
        raise NotPossible(
            f"#{number} is {state.value}: only an active initiative (an adopted proposal) can "
            f"be {outcome.value}, by {_OWNERS}. Nothing changed."
        )
    return outcome


def validate_link(text: str) -> str:
    """A delivery's link: a whole http(s) address that cannot break out of `<url|label>`."""
    if len(text) > MAX_LINK:
        raise NotPossible(f"That link is {len(text):,} characters; the most is {MAX_LINK:,}.")
    scheme = _SCHEME.match(text)
    if scheme is None and not _NOT_IN_A_LINK.search(text):
        raise NotPossible(
            f"A link starts with https:// (or http://): write `https://{text}`. Nothing changed."
        )
    if scheme is None or scheme.group(1).lower() not in LINK_SCHEMES:
        raise NotPossible(
            "Only web links starting with http:// or https:// are accepted; nothing changed."
        )
    if _NOT_IN_A_LINK.search(text):
        raise NotPossible(
            "That link has characters a web address cannot contain (spaces, <, >, |, quotes); "
            "paste the address itself, starting with https://. Nothing changed."
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # an unreadable port raises here
    except ValueError:
        raise NotPossible("That is not a readable web address; nothing changed.") from None
    if not host or not parts.netloc:
        raise NotPossible("That link names no website after its http(s)://; nothing changed.")
    if "." not in host.strip("."):
        # `https://exa mple.org` arrives cut at the space as `https://exa`; `localhost` is no
        # one else's: a link the group can open names a public site.
        raise NotPossible(
            f"That link's site, `{host[:40]}`, is not a public web address (like example.org); "
            "check it for a space or a typo. Nothing changed."
        )
    return text


def quiet_period(last_activity: datetime, stale_after: timedelta, now: datetime) -> int | None:
    """The quiet period `now` falls in: k ≥ 1 once `k × stale_after` has passed since the last
    activity (adoption, latest update, latest new join); None before the first."""
    if stale_after <= timedelta(0) or now < last_activity:
        return None
    period = (now - last_activity) // stale_after
    return period if period >= 1 else None


def nudge_key(number: int, last_activity: datetime, period: int) -> str:
    """The outbox dedupe key of one nudge: one per initiative, last activity and quiet period,
    so each period is nudged once, and a new update or join starts a fresh series."""
    micros = (last_activity - _EPOCH) // timedelta(microseconds=1)
    return f"{NUDGE_PREFIX}{number}:{micros}:{period}"
