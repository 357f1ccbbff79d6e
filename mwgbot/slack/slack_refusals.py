"""What a member reads when Slack refuses the bot's posts in the group's channel; pure."""

from __future__ import annotations

from mwgbot.services.ports import Rendered
from mwgbot.slack.block_kit import section
from mwgbot.slack.text import channel_link, escape


def why_and_fix(code: str, channel_id: str, bot_name: str) -> str:
    """Why the bot cannot post in the channel, and what a member does about it."""
    channel = channel_link(channel_id)
    invite = f"`/invite @{escape(bot_name)}`"
    if code == "not_in_channel":
        return f"I am not in {channel}: type {invite} there (anyone in it can)"
    if code == "is_archived":
        return f"{channel} is archived: someone who can must unarchive it (channel settings)"
    return (
        f"Slack does not let me see {channel}: if it is private, type {invite} there; "
        "otherwise ask whoever runs the bot to check MWG_CHANNEL"
    )


def post_refused(channel_id: str, code: str, bot_name: str, number: int | None) -> Rendered:
    """The direct message to a member whose post waits because the channel refuses it."""
    what = f"What you did on #{number} is" if number is not None else "What you did is"
    text = (
        f":warning: {what} saved, but I could not post it in {channel_link(channel_id)}. "
        f"{why_and_fix(code, channel_id, bot_name)}. Everything waiting is posted, in order, "
        "as soon as I can post there again."
    )
    return Rendered(text=text, blocks=[section(text)])


def card_waits(code: str, channel_id: str, bot_name: str) -> str:
    """The end of `/mwg propose`'s answer when its card cannot be posted yet."""
    return (
        f" The card is not posted yet. {why_and_fix(code, channel_id, bot_name)}; "
        "the card will be posted as soon as I can post there again."
    )


CARD_WAITS_FOR_SLACK = (
    " The card is not posted yet: Slack refuses the bot's token. Ask whoever runs the bot to "
    "reinstall the app and set its new token; the card is posted then."
)
