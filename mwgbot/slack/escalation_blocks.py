"""Pure builders of conflict resolution: who decides an escalated proposal, in words; the
direct message each decider gets and its reminders; how long an escalation has waited; the
Home tab's "Waiting for your decision" section and the form a decision is written in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from mwgbot.domain.escalation import DeciderRole, Deciders
from mwgbot.domain.proposals import MAX_NOTE, ProposalSnapshot, Verdict
from mwgbot.services.ports import Rendered
from mwgbot.slack import ids
from mwgbot.slack.block_kit import (
    Block,
    context,
    heading,
    objection_list,
    section,
    title_ref,
)
from mwgbot.slack.initiative_blocks import age_words, span_words
from mwgbot.slack.text import date_token, escape, mention, truncate, truncate_mrkdwn

__all__ = [
    "decided_by",
    "deciders_words",
    "escalated_text",
    "escalation_notice",
    "no_decider_help",
    "resolve_modal",
    "waiting_blocks",
    "waiting_words",
]

ESCALATED_EMOJI = ":warning:"
# The Home tab lists this many escalations waiting for the viewer, one section and one row
# of buttons each.
HOME_OBJECTIONS_LISTED = 5
HOME_REASON_LIMIT = 150


def _mentions(user_ids: Sequence[str]) -> str:
    shown = [mention(u) for u in user_ids]
    if len(shown) <= 2:
        return " or ".join(shown)
    return ", ".join(shown[:-1]) + f" or {shown[-1]}"


def deciders_words(deciders: Deciders) -> str:
    """Who decides, for a sentence: `@dana`, `@dana or @eve`, `the organizers (@eden)`."""
    if not deciders:
        return "no one"
    if deciders.role is DeciderRole.ORGANIZERS:
        return f"the organizers ({_mentions(deciders.user_ids)})"
    return _mentions(deciders.user_ids)


def decided_by(decider_id: str, deciders: Deciders) -> str:
    """`moderator @dana` or `organizer @eden`: the role the decider decided in."""
    role = "organizer" if deciders.role is DeciderRole.ORGANIZERS else "moderator"
    return f"{role} {mention(decider_id)}"


def no_decider_help(number: int) -> str:
    """What to do when no one can decide an escalation."""
    return (
        "No one can decide it: there is no moderator or organizer who neither proposed it nor "
        "objects to it. "
        "An operator sets `MWG_MODERATORS` (the AXIM representatives) and restarts the bot. "
        f"Meanwhile it is adopted once every objection is withdrawn (`/mwg unobject {number}`), "
        f"and its proposer may withdraw it (`/mwg withdraw {number}`)."
    )


def _how_to_decide(number: int | str) -> str:
    return (
        f"`/mwg resolve {number} adopt|decline &lt;note&gt;`, or Adopt or Decline in the "
        "bot's Home tab"
    )


def escalated_text(proposal: ProposalSnapshot, deciders: Deciders) -> str:
    """The notice, in the card's thread and the channel, that a proposal is escalated."""
    n = proposal.number
    title = title_ref(n, proposal.title)
    objections = "\n".join(objection_list(proposal))
    if not deciders:
        return (
            f"{ESCALATED_EMOJI} {title} is *escalated*: objections stood when its window "
            f"closed.\n{objections}\n{no_decider_help(n)}"
        )
    one = len(deciders.user_ids) == 1
    who = deciders_words(deciders)
    why = (
        ", and no moderator who neither proposed it nor objects to it can decide it"
        if deciders.role is DeciderRole.ORGANIZERS
        else ""
    )
    decides = f"{mention(deciders.user_ids[0])} decides" if one else "One of them decides"
    return (
        f"{ESCALATED_EMOJI} {title} is *escalated* to {who}: objections stood when its window "
        f"closed{why}.\n{objections}\n"
        f"{decides} with {_how_to_decide(n)}. If every objection is withdrawn first, it is "
        "adopted by consensus. It is on the next meeting's agenda."
    )


def waiting_words(proposal: ProposalSnapshot, deciders: Deciders, now: datetime | None) -> str:
    """`escalated 9 days ago, waiting for @dana`, for `/mwg list`."""
    since = proposal.closed_at
    if since is None:
        escalated = "escalated"
    elif now is None:
        escalated = f"escalated {date_token(since)}"
    else:
        escalated = f"escalated {age_words(now - since)}"
    if not deciders:
        return f"{escalated}, and no one can decide it (`/mwg show {proposal.number}`)"
    return f"{escalated}, waiting for {deciders_words(deciders)}"


def escalation_notice(
    proposal: ProposalSnapshot, deciders: Deciders, waited: timedelta, *, qualified: bool = False
) -> Rendered:
    """The direct message telling a decider what waits for them (`waited`: zero for the first
    notice, the time it has waited in a reminder). `qualified`: several groups use the bot,
    so the proposal is named `key#n`, as a command typed in the DM must name it."""
    n: int | str = f"{proposal.group_key}#{proposal.number}" if qualified else proposal.number
    title = (
        f"{proposal.group_key}{title_ref(proposal.number, proposal.title)}"
        if qualified
        else title_ref(proposal.number, proposal.title)
    )
    since = date_token(proposal.closed_at) if proposal.closed_at else "its close"
    if waited > timedelta(0):
        opening = (
            f":alarm_clock: *Reminder:* {title} has waited {span_words(waited)} for your "
            f"decision, since it was escalated {since}."
        )
    else:
        opening = (
            f"{ESCALATED_EMOJI} {title} waits for your decision: objections stood when its "
            f"window closed, so it was escalated {since}."
        )
    why = (
        "You are asked as an organizer: no moderator who neither proposed it nor objects to it "
        "can decide it."
        if deciders.role is DeciderRole.ORGANIZERS
        else "You are asked as a moderator who neither proposed it nor objects to it."
    )
    lines = [
        opening,
        *objection_list(proposal, limit=10),
        f"Decide it with {_how_to_decide(n)}; a note for the group is required. {why} "
        "If every objection is withdrawn first, it is adopted by consensus and nothing is "
        "left to decide.",
    ]
    text = "\n".join(lines)
    return Rendered(text=truncate_mrkdwn(text, 2900), blocks=[section(text)])


# --- the Home tab and the decision form ---------------------------------------------------------


def _waiting_item(proposal: ProposalSnapshot, now: datetime) -> list[Block]:
    n = proposal.number
    since = proposal.closed_at or now
    reasons = objection_list(proposal, limit=HOME_OBJECTIONS_LISTED, reason_limit=HOME_REASON_LIMIT)
    text = "\n".join(
        [
            f"{title_ref(n, proposal.title)} · escalated {age_words(now - since)} "
            f"({date_token(since)})",
            *reasons,
        ]
    )
    return [
        {"type": "section", "block_id": f"home-decide-{n}", "text": _mrkdwn(text)},
        {
            "type": "actions",
            "block_id": f"home-decide-actions-{n}",
            "elements": [
                _button(ids.ACTION_HOME_ADOPT, "Adopt", proposal, "primary"),
                _button(ids.ACTION_HOME_DECLINE, "Decline", proposal, "danger"),
            ],
        },
    ]


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": truncate_mrkdwn(text, 2900)}


def _button(action_id: str, label: str, proposal: ProposalSnapshot, style: str) -> Block:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": f"{proposal.group_key}#{proposal.number}",
        "style": style,
    }


def waiting_blocks(waiting: Sequence[ProposalSnapshot], total: int, now: datetime) -> list[Block]:
    """The Home tab's "Waiting for your decision": the longest waiting first, each with its
    objections and Adopt and Decline; how many more there are."""
    blocks: list[Block] = [
        section(
            f"{ESCALATED_EMOJI} *Waiting for your decision* ({total}): objections stood at the "
            "close; adopt or decline each, with a note for the group."
        )
    ]
    for proposal in waiting:
        blocks += _waiting_item(proposal, now)
    more = total - len(waiting)
    if more > 0:
        blocks.append(context(f"And {more} more: `/mwg list` shows every escalation."))
    return blocks


def resolve_modal(proposal: ProposalSnapshot, verdict: Verdict) -> dict[str, Any]:
    """The form behind Adopt and Decline: the proposal, its objections, a required note."""
    verb = "Adopt" if verdict is Verdict.ADOPT else "Decline"
    outcome = (
        "It becomes an active initiative."
        if verdict is Verdict.ADOPT
        else "It is declined; its proposer may bring it back changed."
    )
    objections = "\n".join(objection_list(proposal, limit=10))
    return {
        "type": "modal",
        "callback_id": ids.VIEW_RESOLVE,
        "private_metadata": f"{proposal.group_key}#{proposal.number}:{verdict.value}",
        "title": {"type": "plain_text", "text": truncate(f"{verb} #{proposal.number}", 24)},
        "submit": {"type": "plain_text", "text": verb},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"*{escape(heading(proposal))}*\n{objections}"),
            context(f"{outcome} Your note is posted with the decision, in the channel."),
            {
                "type": "input",
                "block_id": ids.BLOCK_NOTE,
                "label": {"type": "plain_text", "text": "Your note to the group"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.INPUT,
                    "multiline": True,
                    "max_length": MAX_NOTE,
                },
            },
        ],
    }


def read_resolve_metadata(metadata: str) -> tuple[int, Verdict] | None:
    """The proposal and verdict a decision form is about; None if the metadata is not ours."""
    reference, _, verdict = metadata.partition(":")
    number = reference.rpartition("#")[2]  # `mwg#3` (before groups: `3`)
    if not number.isdigit() or len(number) > 9 or int(number) < 1:
        return None
    try:
        return int(number), Verdict(verdict)
    except ValueError:
        return None
