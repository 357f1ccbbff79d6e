"""Block Kit builders of proposals: cards, outcomes, answers and forms; pure functions from
domain snapshots to Slack messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from mwgbot.domain.escalation import Deciders, Roles
from mwgbot.domain.meetings import format_duration
from mwgbot.domain.proposals import (
    MAX_DESCRIPTION,
    MAX_REASON,
    MAX_TITLE,
    ProgressUpdate,
    ProposalSnapshot,
    Stage,
    State,
    Verdict,
)
from mwgbot.services.ports import Rendered
from mwgbot.services.read_models import Listing
from mwgbot.slack import escalation_blocks, ids, initiative_blocks
from mwgbot.slack.block_kit import (
    MAX_LISTED,
    SECTION_LIMIT,
    Block,
    context,
    heading,
    objection_list,
    one_section,
    option,
    people,
    person,
    section,
    stages_text,
)
from mwgbot.slack.text import as_typed, date_token, escape, mention, truncate, truncate_mrkdwn

LEADS_REMINDER = (
    ":lock: This initiative collects marketing leads. Leads are AXIM's property; "
    "AXIM uses them under its own policies."
)
FIRST_PROPOSAL = ":seedling: Their first proposal: welcome!"
BRANDING_REMINDER = (
    ":art: Co-branded with a sponsor: Open edX branding follows AXIM's trademark guidelines, "
    "and the sponsor's brand is shown clearly as a sponsor or contributor."
)
STATE_EMOJI = {
    State.OPEN: ":hourglass_flowing_sand:",
    State.ADOPTED: ":white_check_mark:",
    State.ESCALATED: ":warning:",
    State.DECLINED: ":x:",
    State.WITHDRAWN: ":leftwards_arrow_with_hook:",
    State.DELIVERED: initiative_blocks.DELIVERED_EMOJI,
    State.DROPPED: initiative_blocks.DROPPED_EMOJI,
}
# `/mwg list` shows this many active initiatives; the digest and `/mwg show` tell the rest.
ACTIVE_LISTED = 15
# The most room `/mwg list` keeps for its active initiatives and for its recent outcomes.
_ACTIVE_SHARE = 900
_OUTCOMES_SHARE = 1200


def state_line(proposal: ProposalSnapshot) -> str:
    state = proposal.state
    if state is State.OPEN:
        return f"{STATE_EMOJI[state]} *Open* · closes {date_token(proposal.closes_at)}"
    if state is State.ADOPTED and proposal.decision is None:
        if proposal.consensus_found_at is not None:
            return (
                f"{STATE_EMOJI[state]} *Adopted* by consensus after the close: the last "
                f"objection was withdrawn · {date_token(proposal.consensus_found_at)}"
            )
        closed = date_token(proposal.closed_at or proposal.closes_at)
        return f"{STATE_EMOJI[state]} *Adopted* by lazy consensus · {closed}"
    if proposal.decision is not None and state in (State.ADOPTED, State.DECLINED):
        verb = "Adopted" if proposal.decision.verdict is Verdict.ADOPT else "Declined"
        return (
            f"{STATE_EMOJI[state]} *{verb}* after escalation, decided by "
            f"{mention(proposal.decision.moderator_id)}"
            f" · {date_token(proposal.decision.decided_at)}"
        )
    if state is State.ESCALATED:
        since = f" · since {date_token(proposal.closed_at)}" if proposal.closed_at else ""
        return (
            f"{STATE_EMOJI[state]} *Escalated*: objections stood at close, so it waits for a "
            f"decision{since}"
        )
    if state in (State.DELIVERED, State.DROPPED):
        return initiative_blocks.finished_status(proposal)
    return f"{STATE_EMOJI[state]} *Withdrawn*"


def objection_lines(proposal: ProposalSnapshot) -> str:
    return "\n".join(objection_list(proposal))


def card(proposal: ProposalSnapshot, join_emoji: str, object_emoji: str) -> Rendered:
    blocks: list[Block] = [
        # A mrkdwn heading, not a plain_text header, so the title goes through escape();
        # as_typed keeps its own `*` or `_` from ending the bold early.
        section(f"*{as_typed(heading(proposal))}*"),
        section(
            f"Proposed by {person(proposal.proposer_id, proposal.proposer_organization)}\n"
            + state_line(proposal)
        ),
    ]
    if status := initiative_blocks.status_lines(proposal):
        blocks.append(section("\n".join(status)))
    # A welcome while the group decides; once decided, the card tells the outcome alone.
    if proposal.first_proposal and proposal.state is State.OPEN:
        blocks.append(context(FIRST_PROPOSAL))
    if proposal.description:
        blocks.append(section(escape(truncate(proposal.description, MAX_DESCRIPTION))))
    if proposal.stages:
        blocks.append(context(f"Adopter journey: {stages_text(proposal.stages)}"))
    joined = people(
        [(j.user_id, j.organization) for j in proposal.joiners], "no one yet", proposal.joined_total
    )
    orgs = len(proposal.organizations)
    blocks.append(
        section(f"*Joined ({proposal.joined_total}):* {joined}\n*Organizations engaged:* {orgs}")
    )
    if proposal.objection_total:
        blocks.append(
            section(
                f"*Standing objections ({proposal.objection_total}):*\n" + objection_lines(proposal)
            )
        )
    if proposal.seeking_partners:
        blocks.append(section(":handshake: *Seeking partners from another organization.*"))
    if proposal.decision is not None and proposal.decision.note:
        blocks.append(section(f"*Decision note:* {escape(proposal.decision.note)}"))
    if proposal.collects_leads:
        blocks.append(context(LEADS_REMINDER))
    if proposal.cobranded:
        blocks.append(context(BRANDING_REMINDER))
    if proposal.state in (State.OPEN, State.ADOPTED, State.ESCALATED):
        how = f"React :{join_emoji}: or press Join to take part."
        if proposal.state is State.OPEN:
            how += (
                f" React :{object_emoji}: or press Object to object, with a reason. "
                "Silence is assent: with no standing objection at close, it is adopted."
            )
        elif proposal.state is State.ESCALATED:
            how += (
                f" Objectors who are satisfied remove their :{object_emoji}: (or "
                f"`/mwg unobject {proposal.number}`): once no objection stands, it is adopted."
            )
        blocks.append(context(how))
        buttons: list[Block] = [
            {
                "type": "button",
                "action_id": ids.ACTION_JOIN,
                "text": {"type": "plain_text", "text": "Join / leave"},
                "value": f"{proposal.group_key}#{proposal.number}",
                "style": "primary",
            }
        ]
        if proposal.state is State.OPEN:
            buttons.append(
                {
                    "type": "button",
                    "action_id": ids.ACTION_OBJECT,
                    "text": {"type": "plain_text", "text": "Object"},
                    "value": f"{proposal.group_key}#{proposal.number}",
                }
            )
        blocks.append(
            {"type": "actions", "block_id": f"card-{proposal.number}", "elements": buttons}
        )
    text = f"{heading(proposal)}: {proposal.state.value}"
    return Rendered(text=escape(text), blocks=blocks)


def outcome(proposal: ProposalSnapshot, deciders: Deciders) -> Rendered:
    """The outcome, in the card's thread and the channel; `deciders` are who may decide the
    proposal's escalation (who did, for a decision). The title sits in bold: shown as typed."""
    title = as_typed(truncate(proposal.title, MAX_TITLE))
    n = proposal.number
    state = proposal.state
    if state is State.ADOPTED and proposal.decision is None:
        if proposal.consensus_found_at is not None:
            return consensus_found(proposal, None)
        text = (
            f"{STATE_EMOJI[state]} #{n} *{title}* is *adopted* by lazy consensus: "
            "no objection stood when its window closed."
        )
        text += _seeking(proposal)
    elif state is State.ESCALATED:
        text = escalation_blocks.escalated_text(proposal, deciders)
    elif proposal.decision is not None:
        verb = "adopted" if proposal.decision.verdict is Verdict.ADOPT else "declined"
        by = escalation_blocks.decided_by(proposal.decision.moderator_id, deciders)
        text = (
            f"{STATE_EMOJI[state]} #{n} *{title}* is *{verb}* by {by}: "
            f"{escape(proposal.decision.note)}"
        )
    else:
        text = f"{STATE_EMOJI[state]} #{n} *{title}* is *withdrawn*"
        withdrawer = proposal.withdrawn_by
        # A moderator withdrawing a member's proposal is said in the channel, not only the log.
        if withdrawer and withdrawer != proposal.proposer_id:
            text += f" by moderator {mention(withdrawer)}."
        else:
            text += "."
    return one_section(text)


def _seeking(proposal: ProposalSnapshot) -> str:
    if not proposal.seeking_partners:
        return ""
    n = proposal.number
    return (
        f"\n:handshake: #{n} is *seeking partners from another organization*: "
        f"join it with `/mwg join {n}`."
    )


def consensus_found(proposal: ProposalSnapshot, withdrawn_by: str | None) -> Rendered:
    """An escalated proposal adopted because its last standing objection was withdrawn."""
    title = as_typed(truncate(proposal.title, MAX_TITLE))
    by = f" by {mention(withdrawn_by)}" if withdrawn_by else ""
    text = (
        f"{STATE_EMOJI[State.ADOPTED]} #{proposal.number} *{title}* is *adopted* by consensus: "
        f"its last standing objection was withdrawn{by} after the window closed, so there is "
        "nothing left to decide. It is an active initiative now."
    )
    return one_section(text + _seeking(proposal))


def ask_reason(n: int, *, withdrew_join: bool = False) -> Rendered:
    left = (
        " Objecting withdrew your join: a member either joins a proposal or objects to it."
        if withdrew_join
        else ""
    )
    return note(
        f"You object to #{n}.{left} Please say why, so the group can address it: "
        f"`/mwg object {n} &lt;reason&gt;`, or press Object on the card. "
        f"Remove your reaction to withdraw the objection."
    )


def note(text: str) -> Rendered:
    return Rendered(text=text, blocks=[section(text)])


def closing_soon(proposal: ProposalSnapshot, object_emoji: str, deciders: Deciders) -> Rendered:
    """A day before the close: what will really happen then."""
    n = proposal.number
    closes = f":alarm_clock: #{n} closes {date_token(proposal.closes_at)}."
    standing = proposal.objection_total
    if not standing:
        return note(
            f"{closes} Object now (:{object_emoji}: or `/mwg object {n} &lt;reason&gt;`), "
            "or it will be adopted by lazy consensus."
        )
    objections = f"{standing} objection stands" if standing == 1 else f"{standing} objections stand"
    if deciders:
        goes = f"it goes to {escalation_blocks.deciders_words(deciders)} to decide"
    else:
        goes = (
            "it is escalated, and no moderator or organizer who neither proposed it nor objects "
            "to it can decide it (an operator sets `MWG_MODERATORS`)"
        )
    return note(
        f"{closes} {objections}, so at the close {goes}, unless "
        f"{'it is' if standing == 1 else 'they are'} withdrawn by then "
        f"(`/mwg unobject {n}`, or remove the :{object_emoji}:); with none left, it is "
        "adopted by lazy consensus."
    )


def proposal_details(
    proposal: ProposalSnapshot,
    updates: Sequence[ProgressUpdate] = (),
    earlier_updates: int = 0,
    more: Sequence[str] = (),
) -> str:
    """The `/mwg show` answer; `updates` are the newest progress notes, oldest first, and
    `earlier_updates` how many older ones are left out; `more` are lines other features add
    (the time given), kept whole before the updates."""
    lines = [
        f"*{as_typed(heading(proposal))}*",
        state_line(proposal),
        *initiative_blocks.status_lines(proposal, with_latest=False),
        f"Proposed by {person(proposal.proposer_id, proposal.proposer_organization)}"
        f" · window {date_token(proposal.created_at)} → {date_token(proposal.closes_at)}",
    ]
    if proposal.description:
        lines.append(escape(truncate(proposal.description, 800)))
    if proposal.stages:
        lines.append(f"Adopter journey: {stages_text(proposal.stages)}")
    joined = people(
        [(j.user_id, j.organization) for j in proposal.joiners], "no one yet", proposal.joined_total
    )
    lines.append(f"*Joined ({proposal.joined_total}):* {joined}")
    orgs = ", ".join(escape(o) for o in proposal.organizations) or "none set"
    lines.append(f"*Organizations:* {orgs}")
    if proposal.objection_total:
        lines.append(f"*Objections ({proposal.objection_total}):*\n{objection_lines(proposal)}")
    else:
        lines.append("*Objections:* none")
    if proposal.decision is not None:
        lines.append(
            f"*Decision:* {proposal.decision.verdict.value} by "
            f"{mention(proposal.decision.moderator_id)}: {escape(proposal.decision.note)}"
        )
    if proposal.seeking_partners:
        lines.append(":handshake: Seeking partners from another organization.")
    if proposal.collects_leads:
        lines.append(LEADS_REMINDER)
    if proposal.cobranded:
        lines.append(BRANDING_REMINDER)
    lines.extend(more)
    text = "\n".join(lines)
    if updates or earlier_updates:
        budget = SECTION_LIMIT - len(text) - 1
        text += "\n" + initiative_blocks.updates_text(updates, earlier_updates, budget)
    return truncate_mrkdwn(text, SECTION_LIMIT)


def proposal_list(
    open_ones: Listing | Sequence[ProposalSnapshot],
    outcomes: Sequence[ProposalSnapshot],
    active: Listing | None = None,
    now: datetime | None = None,
    roles: Roles | None = None,
) -> str:
    """The `/mwg list` answer: open and escalated proposals (each escalation with how long it
    has waited, and for whom among `roles`), active initiatives with the age of their latest
    update (as of `now`), recent outcomes. Each part keeps whole lines within its share of the
    section and counts what it leaves out, so none crowds out the next."""
    if not isinstance(open_ones, Listing):
        open_ones = Listing.of(open_ones)
    roles = roles or Roles()
    open_lines = []
    for p in open_ones.items[:MAX_LISTED]:
        if p.state is State.ESCALATED:
            objectors = [o.user_id for o in p.objections]
            deciders = roles.deciders(p.proposer_id, objectors)
            status = escalation_blocks.waiting_words(p, deciders, now)
        else:
            status = f"closes {date_token(p.closes_at)}"
        open_lines.append(
            f"• #{p.number} {as_typed(truncate(p.title, 80))} · {status}"
            f" · {p.joined_total} joined, {p.objection_total} objecting"
        )
    if not open_lines:
        open_lines.append("None. Propose one with `/mwg propose &lt;title&gt;`.")
    outcome_lines = []
    for p in outcomes:
        outcome_words = p.state.value
        if p.state is State.DELIVERED and p.delivery_link:
            outcome_words += f" · {initiative_blocks.link(p.delivery_link)}"
        outcome_lines.append(f"• #{p.number} {as_typed(truncate(p.title, 80))} · {outcome_words}")
    # Room is kept for the parts after the open proposals: what they need, up to a share.
    active_lines = [initiative_blocks.active_line(p, now) for p in (active or Listing()).items]
    later_active = min(_needs(active_lines), _ACTIVE_SHARE) if active else 0
    later_outcomes = min(_needs(outcome_lines), _OUTCOMES_SHARE)
    parts = [
        initiative_blocks.listing_text(
            "*Open proposals*",
            open_lines,
            open_ones.total - len(open_lines) if open_ones.total else 0,
            SECTION_LIMIT - later_active - later_outcomes,
        )
    ]
    used = len(parts[0]) + 1
    if active:  # None or empty: nothing active
        shown = active_lines[:ACTIVE_LISTED]
        parts.append(
            initiative_blocks.listing_text(
                f"*Active initiatives ({active.total})*",
                shown,
                active.total - len(shown),
                SECTION_LIMIT - used - later_outcomes,
            )
        )
        used += len(parts[-1]) + 1
    if outcomes:
        parts.append(
            initiative_blocks.listing_text(
                "*Recent outcomes*", outcome_lines, 0, SECTION_LIMIT - used
            )
        )
    return truncate_mrkdwn("\n".join(parts), SECTION_LIMIT)


def _needs(lines: Sequence[str]) -> int:
    """The room a part of `/mwg list` takes: its lines, a header and a count of the rest."""
    return sum(len(line) + 1 for line in lines) + 60 if lines else 0


STAGE_OPTIONS = [option(s.value.capitalize(), s.value) for s in Stage]
FLAG_OPTIONS = {
    ids.FLAG_LEADS: option("Collects marketing leads", ids.FLAG_LEADS),
    ids.FLAG_COBRANDED: option("Co-branded with a sponsor", ids.FLAG_COBRANDED),
}


def _text_element(max_length: int, initial: str | None, *, multiline: bool = False) -> Block:
    """A plain-text input, prefilled when there is something to show."""
    element: Block = {"type": "plain_text_input", "action_id": ids.INPUT, "max_length": max_length}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    return element


def title_input(initial: str | None = None) -> Block:
    return {
        "type": "input",
        "block_id": ids.BLOCK_TITLE,
        "label": {"type": "plain_text", "text": "Title"},
        "element": _text_element(MAX_TITLE, initial),
    }


def description_input(initial: str | None = None) -> Block:
    return {
        "type": "input",
        "block_id": ids.BLOCK_DESCRIPTION,
        "optional": True,
        "label": {"type": "plain_text", "text": "Description"},
        "element": _text_element(MAX_DESCRIPTION, initial, multiline=True),
    }


def stages_input(initial: Sequence[Stage] = ()) -> Block:
    element: Block = {
        "type": "multi_static_select",
        "action_id": ids.INPUT,
        "options": STAGE_OPTIONS,
    }
    if initial:
        # Slack wants the very option objects of `options`.
        element["initial_options"] = [o for o in STAGE_OPTIONS if Stage(o["value"]) in initial]
    return {
        "type": "input",
        "block_id": ids.BLOCK_STAGES,
        "optional": True,
        "label": {"type": "plain_text", "text": "Adopter-journey stages it serves"},
        "element": element,
    }


def flags_input(*, collects_leads: bool = False, cobranded: bool = False) -> Block:
    element: Block = {
        "type": "checkboxes",
        "action_id": ids.INPUT,
        "options": list(FLAG_OPTIONS.values()),
    }
    chosen = [
        FLAG_OPTIONS[flag]
        for flag, on in ((ids.FLAG_LEADS, collects_leads), (ids.FLAG_COBRANDED, cobranded))
        if on
    ]
    if chosen:
        element["initial_options"] = chosen
    return {
        "type": "input",
        "block_id": ids.BLOCK_FLAGS,
        "optional": True,
        "label": {"type": "plain_text", "text": "Flags"},
        "element": element,
    }


def window_hint(default: timedelta, shortest: timedelta) -> str:
    """The propose form's hint under the consensus window."""
    return f"Default {format_duration(default)}; at least {format_duration(shortest)}."


def propose_modal(channel_id: str, window_hint: str) -> dict[str, Any]:
    """The form `/mwg propose` opens when no title is given."""
    return {
        "type": "modal",
        "callback_id": ids.VIEW_PROPOSE,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "Propose an initiative"},
        "submit": {"type": "plain_text", "text": "Propose"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            title_input(),
            description_input(),
            stages_input(),
            {
                "type": "input",
                "block_id": ids.BLOCK_WINDOW,
                "optional": True,
                "label": {"type": "plain_text", "text": "Consensus window"},
                "hint": {"type": "plain_text", "text": window_hint},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.INPUT,
                    "placeholder": {"type": "plain_text", "text": "e.g. 7d, 96h, 2w"},
                },
            },
            flags_input(),
        ],
    }


def edit_modal(proposal: ProposalSnapshot, private_metadata: str) -> dict[str, Any]:
    """The form `/mwg edit <n>` opens: the proposal's words, stages and flags, prefilled."""
    return {
        "type": "modal",
        "callback_id": ids.VIEW_EDIT,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": truncate(f"Edit #{proposal.number}", 24)},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context(
                f"{state_line(proposal)}. Changing the title or description with less than a "
                "day left moves the close so that everyone gets a day to react to the new words."
            ),
            title_input(proposal.title),
            description_input(proposal.description),
            stages_input(proposal.stages),
            flags_input(collects_leads=proposal.collects_leads, cobranded=proposal.cobranded),
        ],
    }


def object_modal(proposal: ProposalSnapshot, current_reason: str | None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.VIEW_OBJECT,
        "private_metadata": f"{proposal.group_key}#{proposal.number}",
        "title": {"type": "plain_text", "text": f"Object to #{proposal.number}"},
        "submit": {"type": "plain_text", "text": "Object"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(
                f"*{as_typed(heading(proposal))}*\n"
                "An objection blocks adoption until it is withdrawn."
            ),
            {
                "type": "input",
                "block_id": ids.BLOCK_REASON,
                "label": {"type": "plain_text", "text": "Why do you object?"},
                "element": _text_element(MAX_REASON, current_reason, multiline=True),
            },
        ],
    }
