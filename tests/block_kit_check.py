"""What Slack would refuse is a defect even if the fake accepts it: every Block Kit message a
test produces is checked with slack_sdk.models, and against Slack's published limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slack_sdk.models.blocks import Block

from mwgbot.fakeslack import FakeSlack

MAX_BLOCKS = 50
MAX_TEXT = 3000  # a section's text, a context element's text
MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")


def check_blocks(blocks: Iterable[dict[str, Any]]) -> int:
    """Validate a message's blocks; how many there were."""
    blocks = list(blocks)
    assert len(blocks) <= MAX_BLOCKS, f"{len(blocks)} blocks; Slack takes {MAX_BLOCKS}"
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, f"not a Block Kit block: {raw}"
        block.validate_json()
        for element in raw.get("elements") or []:
            text = element.get("text")
            if element.get("type") == "mrkdwn" and isinstance(text, str):
                assert len(text) <= MAX_TEXT, f"context text of {len(text)} characters"
    return len(blocks)


def check_sent(fake: FakeSlack) -> int:
    """Validate every message the bot sent or updated so far; how many there were."""
    checked = 0
    for call in fake.calls:
        if call.method in MESSAGE_METHODS and not call.failed:
            check_blocks(call.args.get("blocks") or [])
            assert len(str(call.args.get("text") or "")) <= 40_000
            checked += 1
    return checked
