"""Pure builders of what the bot says about initiatives after adoption: update notes, delivered
and dropped announcements, nudges of quiet initiatives, and the lines cards, lists, agendas and
digests show about them. User-written text goes through escape(), people through mention(),
times through date_token(); a delivery's link goes into mrkdwn only through `link()`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from mwgbot.domain.initiatives import MAX_UPDATE
from mwgbot.domain.proposals import ProgressUpdate, ProposalSnapshot, State, outcome_time
from mwgbot.services.ports import Rendered
from mwgbot.slack.block_kit import MAX_LISTED, SECTION_LIMIT, fit_lines, one_section, title_ref
from mwgbot.slack.text import as_typed, date_token, escape, mention, truncate, truncate_mrkdwn

__all__ = [
    "CARD_UPDATE_LIMIT",
    "DELIVERED_EMOJI",
    "DROPPED_EMOJI",
    "active_line",
    "age_words",
    "delivered_line",
    "dropped_line",
    "finished_status",
    "initiative_finished",
    "link",
    "listing_text",
    "owners_text",
    "span_words",
    "stale_nudge",
    "stalled_line",
    "status_lines",
    "update_line",
    "update_posted",
    "updates_text",
]

DELIVERED_EMOJI = ":tada:"
DROPPED_EMOJI = ":end:"
ACTIVE_EMOJI = ":hammer_and_wrench:"
STALLED_EMOJI = ":zzz:"
# A card shows the latest update shortened; the thread and `/mwg show` have it whole.
CARD_UPDATE_LIMIT = 300
SHOWN_UPDATE_LIMIT = 500
LINE_TEXT_LIMIT = 200
LABEL_LIMIT = 60

# Anything that could end a `<url|label>` token or start another one early.
_UNSAFE_IN_URL = re.compile(r"[\s<>|\"`\\\x00-\x1f\x7f-\x9f]")
_WEB_SCHEME = re.compile(r"https?://", re.IGNORECASE)


def link(url: str, label: str | None = None) -> str:
    """`<url|label>`, or the address as inert text if it could break out of the token.

    The domain admits only http(s) addresses without spaces, `<`, `>` or `|`; this checks
    again, since a builder must never trust its input to be well formed.
    """
    scheme = _WEB_SCHEME.match(url)
    if scheme is None or _UNSAFE_IN_URL.search(url):
        return escape(truncate(url, LABEL_LIMIT))
    # `example.org/blog/post`: the address without its scheme reads as a label.
    shown = escape(truncate(label or url[scheme.end() :].rstrip("/") or url, LABEL_LIMIT))
    return f"<{url.replace('&', '&amp;')}|{shown}>"


_UNITS = (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60))


def age_words(delta: timedelta) -> str:
    """How long ago, in its largest unit, rounded down: `3 weeks`, `5 days`, `just now`."""
    seconds = int(delta.total_seconds())
    for name, size in _UNITS:
        # Weeks read better than days only from two weeks on.
        if seconds >= size * (2 if name == "week" else 1):
            amount = seconds // size
            return f"{amount} {name}" + ("s" if amount != 1 else "") + " ago"
    return "just now"


def span_words(delta: timedelta) -> str:
    """A quiet period in words: `3 weeks`, `10 days`, `36 hours`."""
    seconds = int(delta.total_seconds())
    if seconds >= 604_800 and seconds % 604_800 == 0:
        weeks = seconds // 604_800
        return f"{weeks} week" + ("s" if weeks != 1 else "")
    for name, size in _UNITS[1:]:
        if seconds >= size:
            amount = seconds // size
            return f"{amount} {name}" + ("s" if amount != 1 else "")
    return f"{seconds} second" + ("s" if seconds != 1 else "")


def owners_text(proposal: ProposalSnapshot, limit: int = MAX_LISTED) -> str:
    """The owners (proposer, then joiners) as mentions, at most `limit`, then `and N more`."""
    owners = list(dict.fromkeys([proposal.proposer_id, *(j.user_id for j in proposal.joiners)]))
    shown = " ".join(mention(o) for o in owners[:limit])
    # The joiners a snapshot lists are the first ones; the rest are counted.
    unlisted = proposal.joined_total - len(proposal.joiners)
    more = len(owners) + unlisted - min(limit, len(owners))
    return shown + (f" and {more} more" if more > 0 else "")


# --- the card and `/mwg show` -----------------------------------------------------------------


def update_line(update: ProgressUpdate, limit: int = CARD_UPDATE_LIMIT) -> str:
    return (
        f"{mention(update.author_id)} · {date_token(update.created_at)}: "
        f"{escape(truncate(update.text, limit))}"
    )


def finished_status(proposal: ProposalSnapshot) -> str:
    """The status line of a delivered or dropped initiative: who, when, the link or reason."""
    when = date_token(proposal.finished_at) if proposal.finished_at else ""
    by = f" by {mention(proposal.finished_by)}" if proposal.finished_by else ""
    if proposal.state is State.DELIVERED:
        line = f"{DELIVERED_EMOJI} *Delivered*{by} · {when}"
        if proposal.delivery_link:
            line += f" · {link(proposal.delivery_link)}"
        if proposal.finish_note:
            line += f"\n{escape(truncate(proposal.finish_note, CARD_UPDATE_LIMIT))}"
        return line
    reason = escape(truncate(proposal.finish_note or "", CARD_UPDATE_LIMIT))
    return f"{DROPPED_EMOJI} *Dropped*{by} · {when}" + (f": {reason}" if reason else "")


def status_lines(proposal: ProposalSnapshot, *, with_latest: bool = True) -> list[str]:
    """What the card says about the work beside its state line: an active initiative with its
    latest update (or how to post one); an open or escalated proposal's latest update. A
    delivered or dropped one says it all in its state line (`finished_status`)."""
    n = proposal.number
    if proposal.state not in (State.OPEN, State.ESCALATED, State.ADOPTED):
        return []
    lines = []
    if proposal.state is State.ADOPTED:
        lines.append(f"{ACTIVE_EMOJI} *Active initiative*")
    if proposal.latest_update is not None:
        if with_latest:
            lines.append(f"*Latest update:* {update_line(proposal.latest_update)}")
    elif proposal.state is State.ADOPTED:
        lines.append(
            f"_No update yet. Owners post progress with `/mwg update {n} &lt;text&gt;`, "
            f"and `/mwg done {n} [&lt;link&gt;]` once it is delivered._"
        )
    return lines


def updates_text(updates: Sequence[ProgressUpdate], earlier: int, budget: int) -> str:
    """Every update shown by `/mwg show`, with author and date, oldest first, within `budget`
    characters: older ones give way first, and the number left out is said."""
    total = len(updates) + earlier
    shown = list(updates)
    while True:
        omitted = total - len(shown)
        lines = [f"*Updates ({total}):*"]
        if omitted:
            lines.append(f"_{omitted} earlier update{'s' if omitted != 1 else ''} not shown_")
        lines += [f"• {update_line(u, SHOWN_UPDATE_LIMIT)}" for u in shown]
        text = "\n".join(lines)
        if len(text) <= budget or not shown:
            return truncate_mrkdwn(text, max(budget, 1))
        shown.pop(0)


def active_line(proposal: ProposalSnapshot, now: datetime | None) -> str:
    """One active initiative in `/mwg list`: how fresh its latest update is."""
    update = proposal.latest_update
    adopted_at = outcome_time(proposal)
    if update is not None:
        fresh = f"latest update {_when(update.created_at, now)}"
    elif adopted_at is not None:
        fresh = f"adopted {_when(adopted_at, now)}, no update yet"
    else:
        fresh = "no update yet"
    joined = proposal.joined_total
    line = (
        f"• #{proposal.number} {as_typed(truncate(proposal.title, 80))} · {fresh} · {joined} joined"
    )
    if proposal.seeking_partners:
        line += " · :handshake: seeking partners"
    return line


def _when(at: datetime, now: datetime | None) -> str:
    return age_words(now - at) if now is not None else date_token(at)


# --- thread replies and channel notices -------------------------------------------------------


def update_posted(proposal: ProposalSnapshot, update: ProgressUpdate) -> Rendered:
    """The note in the card's thread: "Update on #n from @member: …"."""
    text = (
        f":memo: Update on #{proposal.number} from {mention(update.author_id)}: "
        f"{escape(truncate(update.text, MAX_UPDATE))}"
    )
    return one_section(text)


def initiative_finished(proposal: ProposalSnapshot) -> Rendered:
    """The thread reply, also sent to the channel, that an initiative is delivered or dropped."""
    by = mention(proposal.finished_by) if proposal.finished_by else "its owners"
    note = escape(truncate(proposal.finish_note or "", 1000))
    title = title_ref(proposal.number, proposal.title)
    if proposal.state is State.DELIVERED:
        text = f"{DELIVERED_EMOJI} {title} is *delivered* by {by}"
        text += f": {link(proposal.delivery_link)}" if proposal.delivery_link else "."
        if note:
            text += f"\n{note}"
        text += f"\nThanks to everyone who took part: {owners_text(proposal)}."
    else:
        text = f"{DROPPED_EMOJI} {title} is *dropped* by {by}: no longer pursued."
        if note:
            text += f"\n*Reason:* {note}"
    return one_section(text)


def stale_nudge(proposal: ProposalSnapshot, quiet_for: timedelta) -> Rendered:
    """The thread reply nudging a quiet initiative's owners."""
    n = proposal.number
    since = date_token(proposal.last_activity_at) if proposal.last_activity_at else "adoption"
    text = (
        f"{STALLED_EMOJI} {title_ref(proposal.number, proposal.title)} has been quiet for "
        f"{span_words(quiet_for)}: "
        f"no update and no new join since {since}.\n"
        f"{owners_text(proposal)}: how is it going? Post progress with "
        f"`/mwg update {n} &lt;text&gt;`, mark it delivered with `/mwg done {n} [&lt;link&gt;]`, "
        f"or `/mwg drop {n} &lt;reason&gt;` if it is no longer pursued."
    )
    return one_section(text)


# --- lines of lists, agendas and digests ------------------------------------------------------


def stalled_line(proposal: ProposalSnapshot) -> str:
    since = date_token(proposal.last_activity_at) if proposal.last_activity_at else "adoption"
    return (
        f"• {title_ref(proposal.number, proposal.title)} · no update or new join since {since} · "
        f"`/mwg update {proposal.number} &lt;text&gt;`"
    )


def delivered_line(proposal: ProposalSnapshot) -> str:
    line = f"• {title_ref(proposal.number, proposal.title)} · *delivered*"
    if proposal.finished_by:
        line += f" by {mention(proposal.finished_by)}"
    if proposal.finished_at:
        line += f" {date_token(proposal.finished_at)}"
    if proposal.delivery_link:
        line += f" · {link(proposal.delivery_link)}"
    return line


def dropped_line(proposal: ProposalSnapshot) -> str:
    reason = escape(truncate(proposal.finish_note or "", LINE_TEXT_LIMIT))
    return f"• {title_ref(proposal.number, proposal.title)} · *dropped*" + (
        f": {reason}" if reason else ""
    )


def listing_text(header: str, lines: Sequence[str], more: int, limit: int = SECTION_LIMIT) -> str:
    """A header and as many whole lines as fit in `limit` characters, then how many were left
    out (`more` already were): a cut never splits a mention, date or link token."""
    reserve = len("\n• and 1,000,000 more")
    kept, cut = fit_lines(list(lines), limit - len(header) - reserve)
    left_out = more + cut
    tail = [f"• and {left_out:,} more"] if left_out > 0 else []
    return "\n".join([header, *kept, *tail])
