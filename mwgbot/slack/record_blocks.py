"""Block Kit builders of the group's record: a proposal's history, a member's own data, and the
forget-me confirmation; pure functions."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from mwgbot.domain.activity import Activity, ActivityKind, Via
from mwgbot.services.history import Timeline
from mwgbot.services.ports import Rendered
from mwgbot.slack import ids
from mwgbot.slack.block_kit import SECTION_LIMIT, Block, context, section
from mwgbot.slack.text import (
    as_typed,
    clean_line,
    date_token,
    escape,
    mention,
    truncate,
    truncate_mrkdwn,
)

# How much of one member-written text a history line quotes.
QUOTED = 300
# JSON per direct message: the code fence and its escaping must fit in one section.
DATA_CHUNK = SECTION_LIMIT - 100

VIA_WORDS = {
    Via.COMMAND: "with /mwg",
    Via.REACTION: "by reaction",
    Via.BUTTON: "with the card's button",
    Via.MODAL: "in a form",
    Via.SWEEP: "automatically",
    Via.CLI: "by an operator",
    Via.RECONCILE: "when the card's reactions were read back",
}


# --- /mwg history ---------------------------------------------------------------------------


def _detail(details: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = details.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _quote(text: str) -> str:
    return f"“{escape(truncate(clean_line(text), QUOTED))}”"


def _when(details: Mapping[str, Any], *keys: str) -> str | None:
    value = _detail(details, *keys)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return date_token(moment) if moment.tzinfo else None


def _moved_close(details: Mapping[str, Any]) -> str | None:
    """Where an edit or extension moved the close: details["closes_at"] = {"from", "to"}."""
    moved = details.get("closes_at")
    return _when(moved, "to") if isinstance(moved, Mapping) else None


def _minutes(details: Mapping[str, Any]) -> str | None:
    value = details.get("minutes")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    hours, minutes = divmod(value, 60)
    return " ".join(
        p for p in (f"{hours}h" if hours else "", f"{minutes}m" if minutes else "") if p
    )


_MEETING_KINDS = frozenset(
    {
        ActivityKind.MEETING_SKIPPED,
        ActivityKind.MEETING_RESTORED,
        ActivityKind.TOPIC_ADDED,
        ActivityKind.TOPIC_REMOVED,
        ActivityKind.TOPIC_CARRIED,
        ActivityKind.NOTES_ADDED,
    }
)


def _meeting_sentence(who: str, kind: ActivityKind, d: Mapping[str, Any]) -> str:
    """Meetings skipped or restored, agenda topics and meeting notes, in words."""
    meeting = _when(d, "meeting")
    if kind in (ActivityKind.MEETING_SKIPPED, ActivityKind.MEETING_RESTORED):
        verb = "skipped" if kind is ActivityKind.MEETING_SKIPPED else "restored"
        return f"{who} {verb} " + (f"the meeting of {meeting}" if meeting else "a meeting")
    of = f" of the meeting of {meeting}" if meeting else ""
    if kind is ActivityKind.NOTES_ADDED:
        link = _detail(d, "link")
        line = f"{who} attached notes" + (f" to the meeting of {meeting}" if meeting else "")
        return line + (f" ({escape(truncate(clean_line(link), QUOTED))})" if link else "")
    topic = d.get("topic")
    what = f"topic {topic}" if isinstance(topic, int) else "a topic"
    if kind is ActivityKind.TOPIC_ADDED:
        return f"{who} added {what} to the agenda{of}"
    if kind is ActivityKind.TOPIC_REMOVED:
        return f"{who} removed {what} from the agenda{of}"
    return f"{who} carried a topic over to the agenda{of}, as {what}"


def activity_sentence(activity: Activity) -> str:
    """What happened, in words; details written by members are quoted and escaped."""
    d = activity.details
    who = mention(activity.actor_id) if activity.actor_id else "The bot"
    kind = activity.kind
    if kind is ActivityKind.PROPOSED:
        closes = _when(d, "closes_at")
        return f"{who} proposed it" + (f", its window set to close {closes}" if closes else "")
    if kind is ActivityKind.JOINED:
        return f"{who} joined"
    if kind is ActivityKind.LEFT:
        return f"{who} left"
    if kind is ActivityKind.OBJECTED:
        reason = _detail(d, "reason")
        if d.get("revised"):
            return f"{who} changed the reason of their objection" + (
                f": {_quote(reason)}" if reason else ""
            )
        line = f"{who} objected" + (f": {_quote(reason)}" if reason else " (no reason given yet)")
        return line + (", which withdrew their join" if d.get("left") else "")
    if kind is ActivityKind.OBJECTION_WITHDRAWN:
        return f"{who} withdrew their objection"
    if kind is ActivityKind.CLOSED:
        outcome = _detail(d, "outcome")
        if outcome == "adopted":
            return "The consensus window closed with no standing objection: *adopted*"
        if outcome == "escalated":
            return "The consensus window closed with objections standing: *escalated*"
        return "The consensus window closed"
    if kind is ActivityKind.DECIDED:
        verdict = "*adopted*" if _detail(d, "verdict") == "adopt" else "*declined*"
        note = _detail(d, "note")
        role = "Organizer" if _detail(d, "as") == "organizer" else "Moderator"
        return f"{role} {who} {verdict} it" + (f": {_quote(note)}" if note else "")
    if kind is ActivityKind.ADOPTED_BY_CONSENSUS:
        last = _detail(d, "last_objection_withdrawn_by")
        by = f" ({mention(last)} withdrew it)" if last else ""
        return (
            f"Consensus found after the close: the last standing objection was withdrawn{by}, "
            "so it is *adopted*"
        )
    if kind is ActivityKind.WITHDRAWN:
        waiting = ", while it waited for a decision" if _detail(d, "was") == "escalated" else ""
        return f"{who} *withdrew* it{waiting}"
    if kind is ActivityKind.UPDATED:
        text = _detail(d, "text", "update")
        return f"{who} posted an update" + (f": {_quote(text)}" if text else "")
    if kind is ActivityKind.DELIVERED:
        link, note = _detail(d, "link", "delivery_link"), _detail(d, "note")
        line = f"{who} marked it *delivered*"
        line += f" ({escape(truncate(clean_line(link), QUOTED))})" if link else ""
        return line + (f": {_quote(note)}" if note else "")
    if kind is ActivityKind.DROPPED:
        reason = _detail(d, "reason", "note")
        return f"{who} *dropped* it" + (f": {_quote(reason)}" if reason else "")
    if kind is ActivityKind.EDITED:
        changes = d.get("changes")
        line = f"{who} edited it"
        if isinstance(changes, Mapping) and changes:
            line += f" ({', '.join(escape(str(field)) for field in list(changes)[:10])})"
        moved = _moved_close(d)
        return line + (
            f"; its window now closes {moved}, a day after the new words" if moved else ""
        )
    if kind is ActivityKind.EXTENDED:
        moved = _moved_close(d)
        return f"{who} extended its window" + (f" to {moved}" if moved else "")
    if kind is ActivityKind.TIME_LOGGED:
        spent = _minutes(d)
        return f"{who} logged " + (f"{spent} on it" if spent else "time on it")
    if kind is ActivityKind.TIME_REMOVED:
        return f"{who} removed time they had logged on it"
    if kind is ActivityKind.ORGANIZATION_SET:
        return f"{who} set their organization"
    if kind in _MEETING_KINDS:
        return _meeting_sentence(who, kind, d)
    if kind is ActivityKind.FORGOTTEN:
        return "A member asked to be forgotten; their part reads under a pseudonym"
    return f"{who}: {kind.value.replace('_', ' ')}"  # a kind added later, before its words


def activity_line(activity: Activity) -> str:
    return (
        f"• {date_token(activity.at)} · {activity_sentence(activity)} _({VIA_WORDS[activity.via]})_"
    )


def _sections(lines: Sequence[str]) -> list[Block]:
    """Lines packed into as few sections as fit Slack's 3,000 characters each."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for line in (truncate_mrkdwn(text, SECTION_LIMIT) for text in lines):
        if current and size + 1 + len(line) > SECTION_LIMIT:
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def history(timeline: Timeline) -> Rendered:
    """The ephemeral answer to `/mwg history <n>`."""
    title = as_typed(truncate(timeline.title, 150))
    count = f"{timeline.total} entr{'y' if timeline.total == 1 else 'ies'}"
    heading = f"*History of #{timeline.number} {title}* · {escape(timeline.state)} · {count}"
    blocks: list[Block] = [section(heading)]
    if not timeline.total:
        blocks.append(
            context("Nothing is recorded about it: it predates the group's activity record.")
        )
        return Rendered(f"History of #{timeline.number}: nothing recorded", blocks)
    blocks += _sections([activity_line(a) for a in timeline.first])
    if timeline.left_out:
        blocks.append(
            context(
                f"… {timeline.left_out} more entr{'y' if timeline.left_out == 1 else 'ies'} "
                f"left out here; the last {len(timeline.last)} follow."
            )
        )
        blocks += _sections([activity_line(a) for a in timeline.last])
    return Rendered(f"History of #{timeline.number}: {count}", blocks)


# --- /mwg mydata ----------------------------------------------------------------------------

DATA_INTRO = (
    "Everything the bot holds about you, as JSON. Put the parts together in order to read it "
    "as one document. `/mwg forget-me` erases it."
)


def data_messages(data: Mapping[str, Any]) -> list[Rendered]:
    """A member's data as numbered direct messages, each within one section's limit."""
    # A backtick would end the code block early; in JSON it can only sit inside a string.
    raw = json.dumps(data, indent=2, ensure_ascii=False).replace("`", "\\u0060") + "\n"
    chunks = list(_chunks(raw, DATA_CHUNK))
    total = len(chunks)
    messages = []
    for number, chunk in enumerate(chunks, start=1):
        title = f"What mwgbot holds about you, part {number} of {total}"
        blocks: list[Block] = [section(f"*{title}*")]
        if number == 1:
            blocks.append(context(DATA_INTRO))
        blocks.append(section(f"```\n{escape(chunk)}```"))
        messages.append(Rendered(title, blocks))
    return messages


def _chunks(raw: str, limit: int) -> Iterator[str]:
    """Pieces of `raw` whose escaped length is at most `limit`, cut between lines if it can."""
    current: list[str] = []
    size = 0
    for line in raw.splitlines(keepends=True):
        for piece in _pieces(line, limit):
            cost = len(escape(piece))
            if current and size + cost > limit:
                yield "".join(current)
                current, size = [], 0
            current.append(piece)
            size += cost
    if current:
        yield "".join(current)


def _pieces(line: str, limit: int) -> Iterator[str]:
    if len(escape(line)) <= limit:
        yield line
        return
    piece: list[str] = []
    size = 0
    for char in line:
        cost = len(escape(char))
        if piece and size + cost > limit:
            yield "".join(piece)
            piece, size = [], 0
        piece.append(char)
        size += cost
    if piece:
        yield "".join(piece)


# --- /mwg forget-me -------------------------------------------------------------------------

FORGET_ERASED = (
    "*Erased:* your organization and member record (when you were first seen and last active, "
    "when you joined the channel and were welcomed, your cached display name), the hours you "
    "logged, your reactions as the bot recorded them, your command counts, and every message "
    "the bot keeps for you alone."
)
FORGET_KEPT = (
    "*Kept under a pseudonym:* the proposals you made, the initiatives you joined, the "
    "objections you raised, the decisions you took, your updates and meeting changes stay in "
    "the group's record, so its decisions still read correctly. Your Slack ID there is replaced "
    "by a pseudonym such as “former member 3”; nothing links it back to you. The cards are "
    "updated."
)
FORGET_NOT_COVERED = (
    "Messages already in Slack's own history (notices and threads) are Slack's and stay as they "
    "are. So are your reactions on the cards: remove them first, or the bot, which reads the "
    "cards back, counts them as taking part again. This cannot be undone. `/mwg mydata` sends "
    "you a copy first, if you want one."
)


def _modal(blocks: list[Block], *, submit: str | None = None, close: str = "Close") -> Block:
    view: Block = {
        "type": "modal",
        "callback_id": ids.VIEW_FORGET,
        "title": {"type": "plain_text", "text": "Forget me"},
        "close": {"type": "plain_text", "text": close},
        "blocks": blocks,
    }
    if submit:
        view["submit"] = {"type": "plain_text", "text": submit}
    return view


def forget_modal() -> Block:
    """The confirmation `/mwg forget-me` opens; submitting it erases."""
    return _modal(
        [
            section("Erase what the bot holds about you? Here is what that means."),
            section(FORGET_ERASED),
            section(FORGET_KEPT),
            context(FORGET_NOT_COVERED),
        ],
        submit="Erase my data",
        close="Keep my data",
    )


def forgotten_view(pseudonym: str | None) -> Block:
    if pseudonym is None:
        text = "The bot held nothing about you, so there was nothing to erase."
    else:
        text = (
            "Done: your data is erased. Your part in the group's past decisions now reads as "
            f"*{escape(pseudonym)}*."
        )
    return _modal([section(text)])


def forget_failed_view() -> Block:
    return _modal(
        [
            section(
                "Something went wrong on our side and *nothing was erased*. "
                "Please try `/mwg forget-me` again in a moment."
            )
        ]
    )
