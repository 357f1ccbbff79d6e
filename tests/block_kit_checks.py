"""What Slack would refuse, checked with slack_sdk.models, plus the limits slack_sdk does not
check itself (50 blocks a message, 100 a view, 2,000 characters a section field)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from mwgbot.fakeslack import FakeSlack

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
FIELD_TEXT = 2000
MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update")
VIEW_METHODS = ("views.open", "views.push", "views.update", "views.publish")


def assert_valid_blocks(blocks: list[dict[str, Any]], *, limit: int = MESSAGE_BLOCKS) -> None:
    assert len(blocks) <= limit, f"{len(blocks)} blocks; Slack takes at most {limit}"
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, f"not a Block Kit block: {block}"
        parsed.validate_json()
        for field in block.get("fields") or []:
            assert len(field.get("text", "")) <= FIELD_TEXT


def assert_valid_message(message: Any) -> None:
    """A Rendered (text and blocks) or a message dict as the fake recorded it."""
    blocks = message.blocks if hasattr(message, "blocks") else message.get("blocks")
    text = message.text if hasattr(message, "text") else message.get("text")
    assert text or blocks, "a message needs text or blocks"
    assert_valid_blocks(list(blocks or []))


def assert_valid_view(view: dict[str, Any]) -> None:
    blocks = view.get("blocks") or []
    assert 1 <= len(blocks) <= VIEW_BLOCKS, f"{len(blocks)} blocks in a view"
    View(**view).validate_json()
    assert_valid_blocks(blocks, limit=VIEW_BLOCKS)


def assert_every_payload_valid(fake: FakeSlack) -> int:
    """Validate every message and view the bot sent the fake Slack; how many were checked."""
    checked = 0
    for call in fake.calls:
        if call.method in MESSAGE_METHODS:
            assert_valid_blocks(list(call.args.get("blocks") or []))
            checked += 1
        elif call.method in VIEW_METHODS:
            assert_valid_view(call.args["view"])
            checked += 1
    return checked
