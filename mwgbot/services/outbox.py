"""Enqueueing messages for delivery; the Delivery service sends them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session

from mwgbot.db.models import OutboxRow
from mwgbot.db.queries import insert_ignoring_duplicates
from mwgbot.services.ports import Rendered

KIND_CARD = "card"
KIND_POST = "post"
KIND_THREAD = "thread"
KIND_EPHEMERAL = "ephemeral"
# A direct message to one member: channel_id and user_id are both their user ID.
KIND_DIRECT = "direct"


def enqueue(
    session: Session,
    *,
    kind: str,
    now: datetime,
    message: Rendered | None = None,
    channel_id: str | None = None,
    user_id: str | None = None,
    proposal_number: int | None = None,
    broadcast: bool = False,
    dedupe_key: str | None = None,
) -> bool:
    """Queue a message; with a dedupe_key, a second enqueue of the same notice is a no-op."""
    payload = asdict(message) if message is not None else {}
    payload["broadcast"] = broadcast
    values = {
        "kind": kind,
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
