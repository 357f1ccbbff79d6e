"""Block Kit primitives every builder shares: sections, people, proposal headings; pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mwgbot.domain.proposals import MAX_REASON, MAX_TITLE, ProposalSnapshot, Stage
from mwgbot.services.ports import Rendered
from mwgbot.slack.text import as_typed, escape, mention, truncate, truncate_mrkdwn

Block = dict[str, Any]

# Slack refuses a section text over 3,000 characters; leave room for a closing "…".
SECTION_LIMIT = 2900
MAX_LISTED = 25
# Titles in lists and notices are cut to this many characters.
TITLE_LIMIT = 80


def section(text: str) -> Block:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, SECTION_LIMIT)},
    }


def one_section(text: str) -> Rendered:
    """A message of one section, its fallback text cut as the section's."""
    return Rendered(text=truncate_mrkdwn(text, SECTION_LIMIT), blocks=[section(text)])


def option(text: str, value: str) -> Block:
    """One choice of a select menu or of checkboxes."""
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate_mrkdwn(text, 2900)}],
    }


def fit_lines(lines: list[str], budget: int) -> tuple[list[str], int]:
    """The leading lines whose joined length stays within ``budget``, and how many are left
    out: a list is cut between lines, never inside a mention or a date token."""
    shown: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        shown.append(line)
        used += len(line) + 1
    return shown, len(lines) - len(shown)


def person(user_id: str, organization: str | None) -> str:
    return f"{mention(user_id)} ({escape(organization)})" if organization else mention(user_id)


def people(entries: Sequence[tuple[str, str | None]], empty: str, total: int | None = None) -> str:
    """The first people listed, then "and N more" of `total` (default: all were given)."""
    if not entries:
        return empty
    shown = [person(u, o) for u, o in entries[:MAX_LISTED]]
    more = (len(entries) if total is None else total) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def title_ref(number: int, title: str) -> str:
    """`#n *title*` for lists and notices: the title as typed (`as_typed`), cut to
    TITLE_LIMIT."""
    return f"#{number} *{as_typed(truncate(title, TITLE_LIMIT))}*"


def heading(proposal: ProposalSnapshot) -> str:
    return f"#{proposal.number} {truncate(proposal.title, MAX_TITLE)}"


def objection_list(
    proposal: ProposalSnapshot,
    *,
    bullet: str = "•",
    limit: int = MAX_LISTED,
    reason_limit: int = MAX_REASON,
    missing: str = "_no reason given yet_",
) -> list[str]:
    """One line per standing objection (who, from where, and their reason, quoted as theirs),
    bounded to `limit`."""
    lines = []
    for objection in proposal.objections[:limit]:
        reason = quoted(objection.reason, reason_limit) if objection.reason else missing
        lines.append(f"{bullet} {person(objection.user_id, objection.organization)}: {reason}")
    more = proposal.objection_total - limit
    if more > 0:
        lines.append(f"{bullet} and {more} more")
    return lines


def quoted(text: str, limit: int) -> str:
    """A member's words, escaped and in quotation marks: read as theirs, never the bot's."""
    return f"“{escape(truncate(text, limit))}”"


def stages_text(stages: Sequence[Stage]) -> str:
    return ", ".join(s.value.capitalize() for s in stages)
