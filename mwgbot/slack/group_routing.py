"""Which working group a command acts in: the channel decides.

In a group's channel, `#n` is that group's. Anywhere else (a DM, another channel) a proposal is
named `key#n`; a bare number there is answered with the groups to choose from, unless the
workspace has one group. A member's own things (their organization, hours, data) belong to no
group and work anywhere.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any

from mwgbot.domain.errors import NotFound, NotPossible
from mwgbot.services.policy import Groups, Policy
from mwgbot.slack import commands
from mwgbot.slack.text import channel_link, escape

# A member's own things: no group needed (their hours and data cover every group).
MEMBER_WIDE: tuple[type, ...] = (
    commands.Help,
    commands.SetOrganization,
    commands.Hours,
    commands.Unlog,
    commands.MyData,
    commands.ForgetMe,
)


def proposal_number_of(command: commands.Command) -> int | None:
    """The proposal a command is about, if it names one."""
    number = getattr(command, "number", None)
    if number is None:
        number = getattr(command, "proposal_number", None)
    return number if isinstance(number, int) else None


def channels_line(groups: Groups) -> str:
    """Every group's channel, for a refusal that says where to go (plain text: the key)."""
    return ", ".join(f"#{g.key}" for g in groups)


class SayItInAChannel(NotPossible):
    """Refused outside any group's channel: the answer links each group's channel."""

    def __init__(self, lead: str, groups: Groups) -> None:
        super().__init__(f"{lead}{channels_line(groups)}.")
        self.lead = lead
        self.groups = groups


def say_it_in_a_channel(refusal: SayItInAChannel) -> str:
    """The refusal as mrkdwn: the lead escaped, each group's channel a link."""
    channels = ", ".join(f"{channel_link(g.channel_id)} ({escape(g.name)})" for g in refusal.groups)
    return f"{escape(refusal.lead)}{channels}."


def group_for(
    groups: Groups,
    command: commands.Command,
    named: str | None,
    channel_id: str,
    user_id: str,
) -> Policy | None:
    """The group `command` acts in; None for a member's own command in no group's channel.

    Raises a refusal when the group cannot be told (a bare number outside any group's channel
    with several groups, say) or names no group.
    """
    if named is not None:
        found = groups.by_key(named)
        if found is None:
            keys = ", ".join(f"`{key}`" for key in groups.keys)
            raise NotFound(f"There is no group `{named}`; the groups are {keys}.")
        return found
    here = groups.by_channel(channel_id)
    if here is not None:
        return here
    if groups.only is not None:
        return groups.only
    if isinstance(command, MEMBER_WIDE):
        return None
    number = proposal_number_of(command)
    if number is not None:
        choices = " or ".join(f"`{key}#{number}`" for key in groups.keys)
        raise NotPossible(
            f"Which group's #{number}? Outside a group's channel, say which: {choices}."
        )
    if isinstance(command, commands.HoursTeam):
        theirs = [g for g in groups if user_id in g.organizers or user_id in g.moderators]
        if len(theirs) == 1:
            return theirs[0]
    if isinstance(command, commands.Propose):
        raise SayItInAChannel("Propose in the channel of the group it is for: ", groups)
    raise SayItInAChannel(
        "Several working groups use this bot: say it in the channel of the group it is about: ",
        groups,
    )


_REF = re.compile(r"(?:([A-Za-z0-9]{1,16})#|#)?([1-9]\d{0,8})")


def ref(group_key: str, number: int) -> str:
    """A proposal as a button value or a form's metadata carries it: `mwg#3`."""
    return f"{group_key}#{number}"


def parse_ref(value: object) -> tuple[str | None, int | None]:
    """`mwg#3` as (group key, number); `3` and `#3` (values posted before groups) as
    (None, 3); anything else (None, None)."""
    match = _REF.fullmatch(str(value or ""))
    if match is None:
        return None, None
    key = match.group(1)
    return (key.lower() if key else None), int(match.group(2))


def group_of_request(groups: Groups, body: Mapping[str, Any]) -> Policy | None:
    """The group a Slack request (event, button, form) acts in, if it can be told: a group key
    the button or form carries, else the group of the channel it came from."""
    named: list[object] = [action.get("value") for action in body.get("actions") or ()]
    view = body.get("view") or {}
    metadata = str(view.get("private_metadata") or "")
    named.append(metadata.partition(":")[0])
    if metadata.startswith("{"):
        with contextlib.suppress(ValueError, AttributeError):
            named.append(f"{json.loads(metadata).get('group', '')}#1")
    for value in named:
        key, _number = parse_ref(value)
        if key is not None and (found := groups.by_key(key)) is not None:
            return found
    event = body.get("event") or {}
    channels = (
        (event.get("item") or {}).get("channel"),
        event.get("channel"),
        (body.get("container") or {}).get("channel_id"),
        (body.get("channel") or {}).get("id"),
        metadata,
    )
    for channel in channels:
        if isinstance(channel, str) and (found := groups.by_channel(channel)) is not None:
            return found
    return None
