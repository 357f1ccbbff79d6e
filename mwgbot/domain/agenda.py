"""Agenda topics members put on a meeting, and the notes attached after it: pure rules.

A topic belongs to one meeting (its UTC start), numbered 1, 2, … within it. Once the meeting
has started its topics count as discussed; nothing needs to mark them. Refusals say what the
member can do instead.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from mwgbot.domain.errors import NotAllowed, NotPossible

__all__ = [
    "MAX_NOTE_SUMMARY",
    "MAX_TOPIC",
    "MAX_TOPICS",
    "check_room",
    "check_topic",
    "discussed",
    "may_add_notes",
    "may_carry",
    "may_remove",
]

MAX_TOPIC = 300
MAX_TOPICS = 20
MAX_NOTE_SUMMARY = 500


def check_topic(text: str) -> str:
    """A topic as typed: one line, 1 to MAX_TOPIC characters."""
    topic = " ".join(text.split())
    if not topic:
        raise NotPossible("A topic needs some words: `/mwg agenda add <topic>`.")
    if len(topic) > MAX_TOPIC:
        raise NotPossible(
            f"That topic is {len(topic):,} characters; the most is {MAX_TOPIC}. "
            "Shorten it, and put the details in the channel."
        )
    return topic


def check_room(count: int, meeting_words: str) -> None:
    """A meeting holds at most MAX_TOPICS topics."""
    if count >= MAX_TOPICS:
        raise NotPossible(
            f"The meeting of {meeting_words} already has {MAX_TOPICS} topics, the most one "
            "meeting can hold; nothing changed. Make room by removing one of yours with "
            "`/mwg agenda remove <n>` (organizers can remove any), or add it once this "
            "meeting has started: it then goes to the next one."
        )


def may_remove(actor_id: str, added_by: str, organizers: Collection[str]) -> None:
    if actor_id != added_by and actor_id not in organizers:
        raise NotAllowed(
            "Only the member who added a topic, or an organizer, can remove it; nothing "
            "changed. Ask them in the channel."
        )


def may_carry(actor_id: str, organizers: Collection[str]) -> None:
    if actor_id not in organizers:
        raise NotAllowed(
            "Only an organizer can carry a topic over to the next meeting; nothing changed. "
            "You can add it again with `/mwg agenda add <topic>`."
        )


def may_add_notes(
    actor_id: str,
    organizers: Collection[str],
    moderators: Collection[str],
    topic_authors: Collection[str],
) -> None:
    if actor_id in organizers or actor_id in moderators or actor_id in topic_authors:
        return
    raise NotAllowed(
        "Only organizers, moderators and members who added a topic to the meeting can attach "
        "its notes; nothing changed. Send the link to an organizer."
    )


def discussed(meeting: datetime, now: datetime) -> bool:
    """A meeting's topics count as discussed once it has started."""
    return meeting <= now
