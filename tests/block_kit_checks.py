"""What Slack would refuse is a defect even if the fake accepts it. Every message and view is
checked with slack_sdk.models, plus the limits slack_sdk does not check itself: 50 blocks a
message, 2,000 characters a section field, 3,000 a context element, 40,000 a message's text.

What Slack would garble is a defect too: in every mrkdwn text, each `<` opens a markup token
the bot means (a mention, a channel, a link, a date), and every other `<`, `>` and `&` is
written as an entity. A bare `<` or `>` vanishes in Slack, with the text around it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.metadata import Metadata
from slack_sdk.models.views import View

from mwgbot.fakeslack import FakeSlack

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
FIELD_TEXT = 2000
CONTEXT_TEXT = 3000
MESSAGE_TEXT = 40_000
MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update")
VIEW_METHODS = ("views.open", "views.push", "views.update", "views.publish")

# The markup the bot writes on purpose; a label (after `|`) is text, checked like the rest.
_MARKUP = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#[CG][A-Z0-9]+|!date\^\d+\^[^|<>]*|https?://[^\s|<>]+|mailto:[^\s|<>]+)"
    r"(?:\|(?P<label>[^<>]*))?>"
)
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
# Message metadata: Slack's event_type is a short alphanumeric name (underscores allowed), its
# payload an object of strings, numbers, booleans, objects and arrays of them.
_EVENT_TYPE = re.compile(r"[A-Za-z0-9_]{1,255}")


def mrkdwn_problems(text: str) -> list[str]:
    """What Slack would not show as the bot wrote it; empty when the text is sound."""
    plain = _MARKUP.sub(lambda m: m.group("label") or "", text)
    problems = []
    for found in re.finditer(r"[<>]", plain):
        start = max(0, found.start() - 30)
        problems.append(f"a bare {found.group()!r} in …{plain[start : found.end() + 30]}…")
    for found in _BARE_AMPERSAND.finditer(plain):
        start = max(0, found.start() - 30)
        problems.append(f"a bare '&' in …{plain[start : found.end() + 30]}…")
    return problems


def assert_mrkdwn(text: str) -> None:
    problems = mrkdwn_problems(text)
    assert not problems, f"{'; '.join(problems)} in {text[:300]!r}"


def _mrkdwn_texts(value: Any) -> Iterable[str]:
    """Every mrkdwn text object's text, however deep in the blocks."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for inner in value.values():
            yield from _mrkdwn_texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _mrkdwn_texts(inner)


def assert_valid_blocks(blocks: Iterable[dict[str, Any]], *, limit: int = MESSAGE_BLOCKS) -> int:
    """Validate a message's (or a view's) blocks; how many there were."""
    blocks = list(blocks)
    assert len(blocks) <= limit, f"{len(blocks)} blocks; Slack takes at most {limit}"
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None, f"not a Block Kit block: {raw}"
        parsed.validate_json()
        for field in raw.get("fields") or []:
            assert len(field.get("text", "")) <= FIELD_TEXT, f"a field of {len(field['text'])}"
        for element in raw.get("elements") or []:
            text = element.get("text")
            if element.get("type") == "mrkdwn" and isinstance(text, str):
                assert len(text) <= CONTEXT_TEXT, f"context text of {len(text)} characters"
    return len(blocks)


def assert_valid_message(message: Any) -> None:
    """A Rendered (text and blocks) or a message dict as the fake recorded it."""
    blocks = message.blocks if hasattr(message, "blocks") else message.get("blocks")
    text = message.text if hasattr(message, "text") else message.get("text")
    assert text or blocks, "a message needs text or blocks"
    assert len(str(text or "")) <= MESSAGE_TEXT, f"a message text of {len(str(text))}"
    assert_valid_blocks(list(blocks or []))
    for mrkdwn in [str(text or ""), *_mrkdwn_texts(list(blocks or []))]:
        assert_mrkdwn(mrkdwn)
    metadata = None if hasattr(message, "blocks") else message.get("metadata")
    if metadata:
        assert_valid_metadata(metadata)


def assert_valid_metadata(metadata: Any) -> None:
    """Message metadata as Slack takes it (`event_type`, `event_payload`)."""
    assert isinstance(metadata, dict), f"metadata must be an object: {metadata!r}"
    parsed = Metadata(**metadata)
    assert set(parsed.to_dict()) <= {"event_type", "event_payload"}, metadata
    assert _EVENT_TYPE.fullmatch(str(parsed.event_type)), f"event_type {parsed.event_type!r}"
    assert isinstance(parsed.event_payload, dict), f"event_payload {parsed.event_payload!r}"
    _assert_payload_values(parsed.event_payload)


def _assert_payload_values(value: Any) -> None:
    if isinstance(value, dict):
        for inner in value.values():
            _assert_payload_values(inner)
    elif isinstance(value, list):
        for inner in value:
            _assert_payload_values(inner)
    else:
        assert isinstance(value, (str, int, float, bool)), f"metadata value {value!r}"


def assert_valid_view(view: dict[str, Any]) -> None:
    blocks = view.get("blocks") or []
    assert 1 <= len(blocks) <= VIEW_BLOCKS, f"{len(blocks)} blocks in a view"
    View(**view).validate_json()
    assert_valid_blocks(blocks, limit=VIEW_BLOCKS)
    for mrkdwn in _mrkdwn_texts(blocks):
        assert_mrkdwn(mrkdwn)


def assert_every_payload_valid(fake: FakeSlack) -> int:
    """Validate every message and view the bot sent the fake Slack; how many were checked."""
    checked = 0
    for call in fake.calls:
        if call.failed:
            continue
        if call.method in MESSAGE_METHODS:
            assert_valid_message(call.args)
            checked += 1
        elif call.method in VIEW_METHODS:
            assert_valid_view(dict(call.args["view"]))
            checked += 1
    return checked
