"""Pure builders of a member's Home tab and of the "Log time" form it opens.

The Home view stays valid Block Kit whatever the data: at most 10 escalations waiting for the
viewer's decision (a section and a row of Adopt and Decline each), at most 10 open proposals
(one section each, with its Join or Leave button), every other list fitted into one section
between lines, with "and N more" (below Slack's 100 blocks and 3,000 characters a section).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from mwgbot.domain import time_log
from mwgbot.domain.proposals import ProposalSnapshot, State
from mwgbot.domain.time_log import format_minutes
from mwgbot.services.member_models import HomeView, InitiativeChoice, InitiativeLine, ObjectionLine
from mwgbot.slack import escalation_blocks, ids, meeting_blocks
from mwgbot.slack.block_kit import (
    SECTION_LIMIT,
    Block,
    context,
    fit_lines,
    option,
    quoted,
    section,
    title_ref,
)
from mwgbot.slack.blocks import STATE_EMOJI
from mwgbot.slack.meeting_blocks import meeting_token
from mwgbot.slack.member_blocks import band_words, log_example
from mwgbot.slack.text import date_token, escape, truncate

__all__ = ["home_view", "log_time_modal"]

REASON_LIMIT = 200
OPTION_TEXT_LIMIT = 75
DIVIDER: Block = {"type": "divider"}
LIVE_STATES = frozenset({State.OPEN, State.ESCALATED, State.ADOPTED})


def _listing(header: str, lines: Sequence[str], total: int, empty: str) -> Block:
    """A header and as many lines as fit in one section, then how many more there are."""
    if not lines:
        return section(f"{header}\n{empty}")
    shown, cut = fit_lines(list(lines), SECTION_LIMIT - len(header) - 40)
    more = total - len(lines) + cut
    tail = [f"• and {more} more"] if more > 0 else []
    return section("\n".join([header, *shown, *tail]))


def _state_words(state: State, closes_at: datetime) -> str:
    emoji = STATE_EMOJI.get(state, "")
    if state is State.OPEN:
        return f"{emoji} open, closes {date_token(closes_at)}"
    if state is State.ESCALATED:
        return f"{emoji} escalated, waiting for a decision"
    if state is State.ADOPTED:
        return f"{emoji} adopted, active"
    return f"{emoji} {state.value}".strip()


def _mine_line(line: InitiativeLine) -> str:
    role = "you proposed it" if line.proposed else "you joined"
    state = _state_words(line.state, line.closes_at)
    return f"• {title_ref(line.number, line.title)} · {state} · {role}"


def _objection_line(line: ObjectionLine) -> str:
    """The member's own objection: their reason, quoted as theirs, after the proposal's state
    (a state, never a verdict)."""
    if line.reason:
        reason = f"your reason: {quoted(line.reason, REASON_LIMIT)}"
    else:
        reason = f"_you gave no reason yet_: `/mwg object {line.number} &lt;reason&gt;`"
    state = _state_words(line.state, line.closes_at)
    return f"• {title_ref(line.number, line.title)} · {state} · {reason}"


def _open_proposal(proposal: ProposalSnapshot, view: HomeView) -> Block:
    facts = (
        f"closes {date_token(proposal.closes_at)} · {proposal.joined_total} joined, "
        f"{proposal.objection_total} objecting"
    )
    joined = proposal.number in view.joined_closing
    text = f"{title_ref(proposal.number, proposal.title)}\n{facts}"
    block: Block = {
        "type": "section",
        "block_id": f"home-open-{proposal.number}",
        "text": {"type": "mrkdwn", "text": text},
    }
    # One stance per member: no Join beside the viewer's own proposal or their objection.
    if proposal.proposer_id == view.user_id:
        block["text"]["text"] += " · *you proposed it*"
        return block
    if proposal.number in view.objecting_closing:
        block["text"]["text"] += " · *you object*"
        return block
    if joined:
        block["text"]["text"] += " · *you joined*"
    button: Block = {
        "type": "button",
        "action_id": ids.ACTION_HOME_JOIN,
        "text": {"type": "plain_text", "text": "Leave" if joined else "Join"},
        "value": f"{proposal.group_key}#{proposal.number}",
    }
    if not joined:
        button["style"] = "primary"
    block["accessory"] = button
    return block


def _meeting(view: HomeView) -> Block:
    if view.next_meeting_skipped:
        text = (
            f":calendar: *Next meeting:* the meeting of {meeting_token(view.next_meeting)} is "
            f"*skipped*; the next one is {meeting_token(view.next_held_meeting)} "
            "(your time zone)."
        )
    else:
        text = (
            f":calendar: *Next meeting:* {meeting_token(view.next_meeting)} (your time zone). "
            "Everyone is welcome."
        )
    if view.calendar_url:
        text += f" <{view.calendar_url}|Add the meetings to your calendar>."
    return section(text)


HOME_TOPICS = 10


def _topics(view: HomeView) -> Block:
    """The next meeting's topics, their start only; `/mwg agenda` has them whole."""
    lines = meeting_blocks.topic_lines(view.topics, excerpt=meeting_blocks.TOPIC_EXCERPT)
    return _listing(
        f":speech_balloon: *Topics for the next meeting* ({view.topics.total})",
        lines[:HOME_TOPICS],
        view.topics.total,
        "_None yet: add one with `/mwg agenda add &lt;topic&gt;`._",
    )


def home_view(
    view: HomeView, notice: str | None = None, group_name: str = "Marketing Working Group"
) -> dict[str, Any]:
    """The viewer's Home tab; ``notice`` (mrkdwn built by the bot) answers a button press."""
    blocks: list[Block] = [section(f":house: *Your {escape(group_name)}*")]
    if notice:
        blocks.append(section(f":information_source: {notice}"))
    blocks.append(
        {
            "type": "actions",
            "block_id": "home-actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.ACTION_HOME_PROPOSE,
                    "text": {"type": "plain_text", "text": "Propose an initiative"},
                    "style": "primary",
                },
                {
                    "type": "button",
                    "action_id": ids.ACTION_HOME_LOG_TIME,
                    "text": {"type": "plain_text", "text": "Log time"},
                },
            ],
        }
    )
    blocks.append(DIVIDER)
    if view.waiting:
        blocks += escalation_blocks.waiting_blocks(view.waiting, view.waiting_total, view.as_of)
        blocks.append(DIVIDER)
    # The topics show once there are some: an empty list would cost a block of the view's 100.
    blocks += [_meeting(view), *([_topics(view)] if view.topics else []), DIVIDER]
    if view.closing:
        blocks.append(
            section(
                ":hourglass_flowing_sand: *Open proposals closing soonest* "
                f"({len(view.closing)} of {view.open_total}): join before they close."
            )
        )
        blocks += [_open_proposal(p, view) for p in view.closing]
        more = view.open_total - len(view.closing)
        if more > 0:
            blocks.append(context(f"And {more} more: `/mwg list` shows them all."))
    else:
        blocks.append(
            section(
                ":hourglass_flowing_sand: *Open proposals:* none right now. "
                "Press *Propose an initiative* to start one."
            )
        )
    blocks.append(DIVIDER)
    blocks.append(
        _listing(
            f":busts_in_silhouette: *Your proposals and initiatives* ({view.mine_total})",
            [_mine_line(line) for line in view.mine],
            view.mine_total,
            "Nothing yet: join an open proposal above, or propose your own.",
        )
    )
    blocks.append(
        _listing(
            f":no_entry_sign: *Your standing objections* ({view.objections_total})",
            [_objection_line(line) for line in view.objections],
            view.objections_total,
            "None.",
        )
    )
    blocks.append(DIVIDER)
    month = view.month
    blocks.append(
        section(
            f":stopwatch: *Your time in {month.month.label}:* {format_minutes(month.minutes)}, "
            f"{band_words(month.band)}. `/mwg hours` lists your entries."
        )
    )
    blocks.append(
        context(f"Logging time is optional and self-reported: *Log time* or {_log_example(view)}.")
    )
    return {"type": "home", "blocks": blocks}


# Slack's limit on a Home view's blocks.
MAX_HOME_BLOCKS = 100


def groups_home_view(
    sections: Sequence[tuple[str, str, HomeView]], notice: str | None = None
) -> dict[str, Any]:
    """The Home tab with several working groups: the member's part in each group, in its own
    section under the group's name (`sections`: key, name, view), then their time given, once.
    With one group it is exactly `home_view`."""
    if len(sections) == 1:
        return home_view(sections[0][2], notice, group_name=sections[0][1])
    first = home_view(sections[0][2], notice)["blocks"]
    start = next(i for i, b in enumerate(first) if b.get("block_id") == "home-actions") + 2
    blocks: list[Block] = [section(":house: *Your working groups*"), *first[1:start]]
    time_given = first[-2:]
    for key, name, view in sections:
        body = home_view(view)["blocks"]
        begin = next(i for i, b in enumerate(body) if b.get("block_id") == "home-actions") + 2
        part = [_in_group(block, key) for block in body[begin:-2]]
        blocks += [section(f":busts_in_silhouette: *{escape(name)}*"), *part]
    room = MAX_HOME_BLOCKS - len(time_given) - 1
    if len(blocks) > room + 1:
        blocks = [
            *blocks[:room],
            context("More than the Home tab holds: `/mwg list` in each group's channel."),
        ]
    return {"type": "home", "blocks": [*blocks, *time_given]}


def _in_group(block: Block, key: str) -> Block:
    """A block of one group's section: its ID names the group (IDs are unique in a view)."""
    if "block_id" not in block:
        return block
    return {**block, "block_id": f"{key}-{block['block_id']}"}


def _log_example(view: HomeView) -> str:
    """The example quotes the member's newest live initiative (`mine` lists those first,
    newest first), or none: no query of its own."""
    live = (line.number for line in view.mine if line.state in LIVE_STATES)
    return log_example(next(live, None))


def log_time_modal(choices: Sequence[InitiativeChoice], today: date) -> dict[str, Any]:
    """The form behind the Home tab's "Log time": duration, initiative, what, day."""
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": ids.BLOCK_DURATION,
            "label": {"type": "plain_text", "text": "How long"},
            "hint": {
                "type": "plain_text",
                "text": "Hours and minutes: at least 15 minutes, at most 24 hours.",
            },
            "element": {
                "type": "plain_text_input",
                "action_id": ids.INPUT,
                "max_length": 20,
                "placeholder": {"type": "plain_text", "text": "e.g. 45m, 2h, 1h30m"},
            },
        }
    ]
    if choices:
        blocks.append(
            {
                "type": "input",
                "block_id": ids.BLOCK_INITIATIVE,
                "optional": True,
                "label": {"type": "plain_text", "text": "Initiative"},
                "element": {
                    "type": "static_select",
                    "action_id": ids.INPUT,
                    "placeholder": {"type": "plain_text", "text": "Choose one (optional)"},
                    "options": [
                        option(
                            truncate(f"{c.group_key}#{c.number} {c.title}", OPTION_TEXT_LIMIT),
                            f"{c.group_key}#{c.number}" if c.group_key else str(c.number),
                        )
                        for c in choices[:100]
                    ],
                },
            }
        )
    blocks += [
        {
            "type": "input",
            "block_id": ids.BLOCK_WHAT,
            "label": {"type": "plain_text", "text": "What you did"},
            "element": {
                "type": "plain_text_input",
                "action_id": ids.INPUT,
                "max_length": time_log.MAX_WHAT,
                "placeholder": {"type": "plain_text", "text": "e.g. drafted the case study"},
            },
        },
        {
            "type": "input",
            "block_id": ids.BLOCK_DAY,
            "label": {"type": "plain_text", "text": "Day"},
            "hint": {
                "type": "plain_text",
                "text": f"Not in the future, at most {time_log.MAX_DAYS_BACK} days back.",
            },
            "element": {
                "type": "datepicker",
                "action_id": ids.INPUT,
                "initial_date": today.isoformat(),
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.VIEW_LOG_TIME,
        "title": {"type": "plain_text", "text": "Log time"},
        "submit": {"type": "plain_text", "text": "Log"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
