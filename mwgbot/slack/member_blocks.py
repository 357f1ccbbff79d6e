"""Pure builders of what the bot says to and about members: the welcome, and the answers about
time given (`/mwg log`, `hours`, `unlog`, `hours team`, the line `/mwg show` adds).

User-written text goes through escape(), people only through mention(), instants through
date_token(); days of time entries are calendar dates and are shown as such (YYYY-MM-DD).
"""

from __future__ import annotations

from mwgbot.domain.time_log import SUGGESTION, Band, format_minutes
from mwgbot.services.member_models import (
    HoursGiven,
    MonthHours,
    MonthTotal,
    TeamHours,
    TimeEntry,
    TimeLogged,
    Welcome,
)
from mwgbot.services.ports import Rendered
from mwgbot.slack.block_kit import SECTION_LIMIT, fit_lines, person, section
from mwgbot.slack.meeting_blocks import in_words, meeting_token
from mwgbot.slack.text import as_typed, channel_link, escape, mention, truncate

__all__ = [
    "band_words",
    "hours_answer",
    "hours_given_line",
    "log_example",
    "logged_answer",
    "team_answer",
    "unlogged_answer",
    "welcome",
]

GROUP = "Open edX Marketing Working Group"
WHAT_LIMIT = 120
TITLE_LIMIT = 60
ENTRIES_LISTED = 25
# Of a `hours team` answer's 2,900 characters: the member lines; organizations get the rest.
MEMBERS_BUDGET = 1800


def _more(count: int) -> list[str]:
    return [f"• and {count} more"] if count else []


def _people(user_ids: tuple[str, ...], none: str) -> str:
    if not user_ids:
        return none
    named = [mention(u) for u in user_ids]
    if len(named) == 1:
        return named[0]
    return ", ".join(named[:-1]) + " and " + named[-1]


def log_example(number: int | None) -> str:
    """`/mwg log` as a member would type it: on their own initiative #n, or on none."""
    on = f"#{number} " if number is not None else ""
    return f"`/mwg log 2h {on}what you did`"


# --- the welcome ------------------------------------------------------------------------------


def welcome(w: Welcome) -> Rendered:
    """The one direct message a newcomer to the channel gets, in the app's Messages tab."""
    channel = channel_link(w.channel_id)
    moderators = _people(w.moderators, "the AXIM representatives")
    intro = (
        f":wave: *Welcome to {channel}, {mention(w.user_id)}!* The {GROUP} brings Open edX "
        "providers and AXIM together to raise the platform's visibility and adoption around "
        "the world. Anyone who takes part is a member."
    )
    if w.group_name is not None:  # a group of its own, from the groups file
        about = f" {escape(w.about)}" if w.about else ""
        intro = (
            f":wave: *Welcome to {channel}, {mention(w.user_id)}!* This is the channel of the "
            f"{escape(w.group_name)}.{about} Anyone who takes part is a member."
        )
    decide = (
        "*How we decide:* by lazy consensus. Every proposal has a consensus window of at least "
        f"{in_words(w.consensus_min)}, so every time zone gets a fair chance. When it closes "
        "with no standing objection, the proposal is adopted: silence is assent. When "
        f"objections stand, the moderators ({moderators}) settle it."
    )
    take_part = (
        "*How to take part:*\n"
        "• `/mwg list` shows the open proposals\n"
        f"• react :{w.join_emoji}: on a proposal's card in {channel} to join it\n"
        "• `/mwg propose &lt;title&gt;` starts your own: contributions from new members "
        "are especially valued\n"
        "• `/mwg help` lists the rest; this app's Home tab shows what you are part of"
    )
    time = (
        f"*Time:* the group suggests {SUGGESTION}, in line with the Open edX Core Contributor "
        "program. It is a suggestion, not a requirement: everyone is welcome to contribute. "
        f"If you like, {log_example(w.log_example)} keeps track of yours."
    )
    meeting = (
        f":calendar: *Join our next session:* {meeting_token(w.next_meeting)} (in your time "
        "zone). Everyone is welcome."
    )
    if w.organizers:
        meeting += f" The organizers are {_people(w.organizers, '')}: ask them anything."
    if w.calendar_url:
        meeting += f" Add the meetings to your calendar: <{w.calendar_url}|the meeting feed>."
    text = (
        f"Welcome to the {GROUP}, {mention(w.user_id)}! We decide by lazy consensus; "
        f"`/mwg list` shows what is open. Next meeting: {meeting_token(w.next_meeting)}."
    )
    return Rendered(
        text=text, blocks=[section(part) for part in (intro, decide, take_part, time, meeting)]
    )


# --- time given -------------------------------------------------------------------------------


def band_words(band: Band) -> str:
    if band is Band.UNDER:
        return f"under the suggested {SUGGESTION} (only a suggestion)"
    if band is Band.IN:
        return f"within the suggested {SUGGESTION}"
    return f"over the suggested {SUGGESTION} (thank you!)"


def _total(total: MonthTotal) -> str:
    return (
        f"Your total for {total.month.label}: *{format_minutes(total.minutes)}*, "
        f"{band_words(total.band)}."
    )


def _on(entry: TimeEntry) -> str:
    if entry.proposal_number is None:
        return ""
    title = as_typed(truncate(entry.proposal_title or "", TITLE_LIMIT))
    return f" on #{entry.proposal_number} *{title}*"


def logged_answer(logged: TimeLogged) -> str:
    entry = logged.entry
    return (
        f"Logged {format_minutes(entry.minutes)}{_on(entry)} for "
        f"{entry.worked_on.isoformat()}: {escape(truncate(entry.what, WHAT_LIMIT))} "
        f"(entry {entry.id}). {_total(logged.total)} `/mwg unlog {entry.id}` removes it."
    )


def unlogged_answer(removed: TimeLogged) -> str:
    entry = removed.entry
    return (
        f"Removed entry {entry.id} ({format_minutes(entry.minutes)}{_on(entry)} for "
        f"{entry.worked_on.isoformat()}). {_total(removed.total)}"
    )


def _entry_line(entry: TimeEntry) -> str:
    on = f" · #{entry.proposal_number}" if entry.proposal_number is not None else ""
    return (
        f"• entry {entry.id} · {entry.worked_on.isoformat()} · {format_minutes(entry.minutes)}"
        f"{on} · {escape(truncate(entry.what, WHAT_LIMIT))}"
    )


def hours_answer(hours: MonthHours) -> str:
    total = hours.total
    if not hours.entries:
        return (
            f"You logged no time in {total.month.label}. Logging is optional: "
            f"{log_example(hours.log_example)} adds an entry."
        )
    count = len(hours.entries) + hours.more
    head = (
        f"*Your time in {total.month.label}:* {format_minutes(total.minutes)} in {count} "
        f"entr{'ies' if count != 1 else 'y'}, {band_words(total.band)}."
    )
    tail = "`/mwg unlog &lt;entry&gt;` removes one of yours."
    shown, cut = fit_lines(
        [_entry_line(e) for e in hours.entries[:ENTRIES_LISTED]],
        SECTION_LIMIT - len(head) - len(tail) - 40,
    )
    more = hours.more + cut + max(0, len(hours.entries) - ENTRIES_LISTED)
    return "\n".join([head, *shown, *_more(more), tail])


def team_answer(team: TeamHours) -> str:
    if not team.members:
        return f"No one logged time in {team.month.label}."
    lines = [
        f"*The team's time in {team.month.label}:* {format_minutes(team.minutes)} from "
        f"{team.members} member{'s' if team.members != 1 else ''} who logged time.",
        f"*Against the suggested {SUGGESTION}:* {team.within} within · {team.under} under · "
        f"{team.over} over",
        "*By member:*",
    ]
    shown, cut = fit_lines(
        [
            f"• {person(m.user_id, m.organization)}: {format_minutes(m.minutes)}, {m.band.value}"
            for m in team.top
        ],
        MEMBERS_BUDGET,
    )
    lines += [*shown, *_more(team.more_members + cut), "*By organization:*"]
    organizations = []
    for org in team.organizations:
        name = escape(org.organization) if org.organization else "_no organization set_"
        organizations.append(
            f"• {name}: {format_minutes(org.minutes)} from {org.members} "
            f"member{'s' if org.members != 1 else ''}"
        )
    budget = SECTION_LIMIT - len("\n".join(lines)) - 40
    shown, cut = fit_lines(organizations, budget)
    lines += [*shown, *_more(team.more_organizations + cut)]
    return "\n".join(lines)


def hours_given_line(given: HoursGiven) -> str:
    """What `/mwg show <n>` says about the time logged on #n."""
    if not given.members:
        return (
            f"*Time given:* none logged yet (`/mwg log 2h #{given.number} what you did` logs some)."
        )
    members = f"{given.members} member{'s' if given.members != 1 else ''}"
    return f"*Time given:* {format_minutes(given.minutes)} by {members}."
