"""Members: anyone who has taken part. Services flush; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mwgbot.db import queries
from mwgbot.db.models import MemberRow


def touch(session: Session, user_id: str, now: datetime) -> None:
    """Record that a member took part now: first seen once, last active every time."""
    queries.upsert(
        session,
        MemberRow,
        {
            "user_id": user_id,
            "organization": None,
            "updated_at": now,
            "first_seen_at": now,
            "last_active_at": now,
        },
        update=("last_active_at",),
    )
