"""The group's page, its channel canvas, as canvas markdown (docs/slack-canvases.md); pure.

Every list shows a bounded number of items and says how many it leaves out, every text is cut
to a length, so the page stays valid and far below Slack's 1 MiB (1,048,576 characters) at any
history: at most about `PAGE_BUDGET` characters, whatever the group did. User text never
starts a line and is escaped (`canvas_text`), members are mentioned the canvas way
(`![](@U…)`), times are UTC text (canvases document no date element), proposals are `#n`
(the page lives in its group's channel).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from mwgbot.domain.proposals import FINISHED_STATES, MAX_TITLE, ProposalSnapshot, State
from mwgbot.services.page_models import AgendaTopic, GroupPage, PageMeeting
from mwgbot.services.read_models import Listing

__all__ = [
    "PAGE_BUDGET",
    "canvas_link",
    "canvas_mention",
    "canvas_text",
    "page_markdown",
    "utc_text",
]

NAME_LIMIT = 100
TITLE_LIMIT = MAX_TITLE
TOPIC_LIMIT = 300  # the agenda's own limit
UPDATE_LIMIT = 200
LINK_LIMIT = 1000
MEETINGS_SHOWN = 3
TOPICS_SHOWN = 20  # a meeting takes 20 topics
OPEN_SHOWN = 25
ACTIVE_SHOWN = 25
DECIDED_SHOWN = 15
DELIVERED_SHOWN = 15
OWNERS_SHOWN = 5
# The longest page the limits above allow, every text at its longest and every character
# escaped: far below the 1,048,576 characters Slack takes (tests/unit/test_canvas_page.py).
PAGE_BUDGET = 128 * 1024

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# Inline markup a character can start or end; a backslash makes each one plain.
_MARKUP = re.compile(r"([\\`*_~\[\]<])")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_URL = re.compile(r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d+)?(?:[/?#][^\s<>\"`\\\[\]]*)?")


def canvas_text(text: str, limit: int) -> str:
    """User text as canvas markdown: one line of at most ``limit`` characters (cut before
    escaping), every inline markup character escaped. Put after the page's own text on a line,
    as the page always puts it, no `#`, `- `, `>`, `*`, `[…](`, backtick or `<@U…>` in it
    makes markup: the line-level ones only mean something at a line's start."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return _MARKUP.sub(r"\\\1", text)


def canvas_mention(user_id: str) -> str:
    """A member as a canvas shows one (`<@U…>` is message mrkdwn, plain text in a canvas)."""
    if _USER_ID.fullmatch(user_id):
        return f"![](@{user_id})"
    return canvas_text(user_id, 40)


def _balanced(url: str) -> bool:
    depth = 0
    for char in url:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def canvas_link(url: str) -> str:
    """A link labelled with its site; an address a link cannot hold is shown as text."""
    if len(url) <= LINK_LIMIT and _URL.fullmatch(url) and _balanced(url):
        site = (urlsplit(url).hostname or "link").removeprefix("www.")
        return f"[{canvas_text(site, 80)}]({url})"
    return canvas_text(url, 200)


def utc_text(when: datetime) -> str:
    """An instant as every reader can read it: "Wed 2026-12-09 15:00 UTC"."""
    return when.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")


def _ref(proposal: ProposalSnapshot) -> str:
    return f"**#{proposal.number}** {canvas_text(proposal.title, TITLE_LIMIT)}"


def _more(more: int, command: str) -> list[str]:
    return [f"- and {more} more: `{command}`"] if more > 0 else []


def _section(title: str, lines: Sequence[str]) -> str:
    return "\n".join([f"## {title}", "", *lines])


def _topic(topic: AgendaTopic) -> str:
    carried = " · carried over" if topic.carried_over else ""
    return (
        f"- **{topic.number}.** {canvas_text(topic.text, TOPIC_LIMIT)}"
        f" · added by {canvas_mention(topic.added_by)}{carried}"
    )


def _meeting(meeting: PageMeeting) -> list[str]:
    when = utc_text(meeting.starts_at)
    lines = [f"~~{when}~~ skipped" if meeting.skipped else f"**{when}**"]
    topics = meeting.topics
    if topics:
        shown = topics.items[:TOPICS_SHOWN]
        lines += ["", *map(_topic, shown), *_more(topics.total - len(shown), "/mwg agenda")]
    elif not meeting.skipped:
        lines += ["", "No topics yet: `/mwg agenda add <topic>` puts one on the agenda."]
    return lines


def _meetings(meetings: Sequence[PageMeeting]) -> str:
    if not meetings:
        return _section("Next meeting", ["No meeting is scheduled."])
    lines: list[str] = []
    for meeting in meetings[:MEETINGS_SHOWN]:
        lines += [*([""] if lines else []), *_meeting(meeting)]
    return _section("Next meeting", lines)


def _open_line(proposal: ProposalSnapshot) -> str:
    if proposal.state is State.ESCALATED:
        closed = proposal.closed_at or proposal.closes_at
        status = f"escalated {utc_text(closed)}, waiting for a decision"
    else:
        status = f"closes {utc_text(proposal.closes_at)}"
    return (
        f"- {_ref(proposal)} · {status} · {proposal.joined_total} joined, "
        f"{proposal.objection_total} objecting"
    )


def _owners(proposal: ProposalSnapshot) -> str:
    owners = list(dict.fromkeys([proposal.proposer_id, *(j.user_id for j in proposal.joiners)]))
    total = max(len(owners), 1 + proposal.joined_total)
    shown = ", ".join(canvas_mention(owner) for owner in owners[:OWNERS_SHOWN])
    rest = total - min(len(owners), OWNERS_SHOWN)
    return f"{shown} and {rest} more" if rest > 0 else shown


def _active_line(proposal: ProposalSnapshot) -> str:
    update = proposal.latest_update
    if update is None:
        news = "no update yet"
    else:
        news = (
            f"latest update {utc_text(update.created_at)} by {canvas_mention(update.author_id)}:"
            f" {canvas_text(update.text, UPDATE_LIMIT)}"
        )
    return f"- {_ref(proposal)} · owners {_owners(proposal)} · {news}"


def _decided_line(proposal: ProposalSnapshot) -> str:
    adopted = proposal.state is State.ADOPTED or proposal.state in FINISHED_STATES
    words = "adopted" if adopted else proposal.state.value
    settled = proposal.decision.decided_at if proposal.decision else proposal.closed_at
    if settled is not None:
        words += f" {utc_text(settled)}"
    if proposal.state in FINISHED_STATES:
        words += f", since {proposal.state.value}"
    return f"- {_ref(proposal)} · {words}"


def _delivered_line(proposal: ProposalSnapshot) -> str:
    words = "delivered"
    if proposal.finished_at is not None:
        words += f" {utc_text(proposal.finished_at)}"
    if proposal.delivery_link:
        words += f" · {canvas_link(proposal.delivery_link)}"
    return f"- {_ref(proposal)} · {words}"


def _listing(
    title: str,
    found: Listing,
    shown: int,
    line: Callable[[ProposalSnapshot], str],
    empty: str,
) -> str:
    if not found:
        return _section(title, [empty])
    items = found.items[:shown]
    more = _more(found.total - len(items), "/mwg list")
    return _section(f"{title} ({found.total})", [*map(line, items), *more])


def page_markdown(page: GroupPage) -> str:
    """The whole page, for one `replace` of the canvas's document."""
    name = canvas_text(page.name, NAME_LIMIT) or "Working group"
    parts = [
        f"# {name}",
        f"_Kept by the bot, updated {utc_text(page.as_of)}. Edits made here are replaced._",
        _meetings(page.meetings),
        _listing(
            "Open proposals",
            page.open,
            OPEN_SHOWN,
            _open_line,
            "None open. `/mwg propose <title>` proposes one.",
        ),
        _listing("Active initiatives", page.active, ACTIVE_SHOWN, _active_line, "None active."),
        _listing(
            f"Decided in the last {page.decided_days} days",
            page.decided,
            DECIDED_SHOWN,
            _decided_line,
            "Nothing decided.",
        ),
        _listing(
            "Delivered", page.delivered, DELIVERED_SHOWN, _delivered_line, "Nothing delivered yet."
        ),
    ]
    return "\n\n".join(parts) + "\n"
