"""Enqueueing messages for delivery; the Delivery service sends them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mwgbot.db.models import OutboxRow
from mwgbot.db.queries import insert_ignoring_duplicates
from mwgbot.services.ports import Rendered

KIND_CARD = "card"
KIND_POST = "post"
KIND_THREAD = "thread"
KIND_EPHEMERAL = "ephemeral"
# A direct message to `user_id`, in the app's Messages tab; to people only, never to bots.
KIND_DM = "dm"
# Posts in a channel (not to one person): the kinds a channel's refusal holds back.
CHANNEL_KINDS = (KIND_CARD, KIND_POST, KIND_THREAD)
# A row that is never to be sent (a DM due to a bot); its dedupe key still counts.
STATE_SKIPPED = "skipped"

# The member whose request is being handled (set around each Slack request, see
# `slack/app.py`). A channel post queued meanwhile names them (`payload["actor"]`), so that
# if Slack refuses it, they are the one told; the sweep's posts name no one.
_acting_member: ContextVar[str | None] = ContextVar("mwgbot_acting_member", default=None)


@contextmanager
def acting_member(user_id: str | None) -> Iterator[None]:
    """Channel posts queued inside this block were caused by `user_id`."""
    token = _acting_member.set(user_id)
    try:
        yield
    finally:
        _acting_member.reset(token)


# Keys are looked up in chunks, so a long IN list never reaches the database.
_KEY_CHUNK = 500


def queued_keys(session: Session, group_key: str, keys: Sequence[str]) -> set[str]:
    """Which of these dedupe keys are in the group's outbox already, in any state."""
    found: set[str] = set()
    for start in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[start : start + _KEY_CHUNK]
        rows = session.scalars(
            select(OutboxRow.dedupe_key).where(
                OutboxRow.group_key == group_key, OutboxRow.dedupe_key.in_(chunk)
            )
        )
        found.update(key for key in rows if key is not None)
    return found


def enqueue(
    session: Session,
    *,
    kind: str,
    now: datetime,
    group_key: str,
    message: Rendered | None = None,
    channel_id: str | None = None,
    user_id: str | None = None,
    proposal_number: int | None = None,
    broadcast: bool = False,
    dedupe_key: str | None = None,
    thread_ts: str | None = None,
) -> bool:
    """Queue a message; with a dedupe_key, a second enqueue of the same notice in the same
    group is a no-op. `group_key` is the group the message belongs to ('' for none).

    A thread reply names its proposal (the thread of its card) or, for any other message the
    bot posted (a meeting's reminder), the parent's ``thread_ts``."""
    payload = asdict(message) if message is not None else {}
    payload["broadcast"] = broadcast
    if thread_ts is not None:
        payload["thread_ts"] = thread_ts
    actor = _acting_member.get()
    if actor and kind in CHANNEL_KINDS:
        payload["actor"] = actor
    values = {
        "kind": kind,
        "group_key": group_key,
        "dedupe_key": dedupe_key,
        "proposal_number": proposal_number,
        "channel_id": channel_id,
        "user_id": user_id,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "uncertain": False,
        "available_at": now,
        "created_at": now,
    }
    if dedupe_key is None:
        session.add(OutboxRow(**values))
        session.flush()
        return True
    return insert_ignoring_duplicates(session, OutboxRow, values)
