"""What a member reads when a fair limit stops them; pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from mwgbot.domain.limits import OpenLimitReached
from mwgbot.domain.meetings import format_duration
from mwgbot.slack.text import as_typed, date_token, truncate

# A field error under a form's title is plain text and should stay short.
FIELD_LISTED = 5
FIELD_TITLE = 40
FIELD_ERROR_LIMIT = 500
ANSWER_LISTED = 10
ANSWER_TITLE = 60


def open_limit_answer(refusal: OpenLimitReached) -> str:
    """The answer to `/mwg propose` from a member at the limit: their open proposals."""
    lines = [
        f"You already have {_open(len(refusal.open_ones))}, the most one member may "
        f"have at once ({refusal.limit}):"
    ]
    for proposal in refusal.open_ones[:ANSWER_LISTED]:
        title = as_typed(truncate(proposal.title, ANSWER_TITLE))
        lines.append(f"• #{proposal.number} *{title}* · closes {date_token(proposal.closes_at)}")
    more = len(refusal.open_ones) - ANSWER_LISTED
    if more > 0:
        lines.append(f"• and {more} more")
    lines.append(
        "Withdraw one (`/mwg withdraw &lt;n&gt;`) or wait for one to close, then propose again. "
        "Nothing was proposed."
    )
    return "\n".join(lines)


def open_limit_field_error(refusal: OpenLimitReached, now: datetime) -> str:
    """The same, as plain text under the form's title (no dates there: times are relative)."""
    listed = [
        f"#{p.number} {truncate(p.title, FIELD_TITLE)} (closes {_from_now(p.closes_at - now)})"
        for p in refusal.open_ones[:FIELD_LISTED]
    ]
    more = len(refusal.open_ones) - FIELD_LISTED
    if more > 0:
        listed.append(f"and {more} more")
    return truncate(
        f"You already have {_open(len(refusal.open_ones))}, the most one member may "
        f"have at once ({refusal.limit}): {'; '.join(listed)}. "
        "Withdraw one or wait for one to close.",
        FIELD_ERROR_LIMIT,
    )


def _open(count: int) -> str:
    return f"{count} open proposal" + ("" if count == 1 else "s")


def _from_now(delta: timedelta) -> str:
    minutes = delta // timedelta(minutes=1)
    if minutes < 1:
        return "in under a minute"
    if minutes >= 60 * 24:  # days and hours are enough
        minutes -= minutes % 60
    return "in " + format_duration(timedelta(minutes=minutes))


def slow_down(per_minute: int) -> str:
    return (
        f"Slow down: that is more than {per_minute} `/mwg` commands from you in a minute. "
        "Nothing was done; try again in a moment."
    )
