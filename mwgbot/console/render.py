"""Block Kit and mrkdwn as a terminal shows them; pure.

What a member reads in Slack, as plain lines: sections, fields, context, headers and the
inputs of a form become lines; buttons become ``[Join / leave] [Object]``. Slack's special
tokens are resolved the way the Slack client resolves them: ``<@U…>`` becomes ``@name``,
``<#C…>`` becomes ``#channel``, ``<!channel>`` becomes ``@channel``, a date token shows its
fallback and a link shows its label. Only then are ``&lt;`` ``&gt;`` ``&amp;`` unescaped, so
user-written text that spells ``<!channel>`` prints as that text, never as a mention.
``*bold*`` and ``_italic_`` markers are dropped; ``code`` keeps its backticks. A title's
formatting characters, sent as lookalikes (`mwgbot.slack.text.as_typed`), print as typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from mwgbot.slack.text import AS_TYPED

NameOf = Callable[[str], str]

__all__ = ["Names", "blocks_to_lines", "mrkdwn_to_text", "view_to_lines"]

# An innermost Slack token: no angle bracket inside.
_TOKEN = re.compile(r"<([^<>]*)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")
_SPECIAL = {"channel": "@channel", "here": "@here", "everyone": "@everyone"}
_TYPED = str.maketrans({lookalike: typed for typed, lookalike in AS_TYPED.items()})


class Names:
    """How IDs read in the terminal: user and channel IDs to names; unknown IDs stay IDs."""

    def __init__(
        self, users: dict[str, str] | None = None, channels: dict[str, str] | None = None
    ) -> None:
        self.users = users if users is not None else {}
        self.channels = channels if channels is not None else {}

    def user(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return self.channels.get(channel_id, channel_id)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(inner: str, names: Names) -> str:
    head, _, label = inner.partition("|")
    if head.startswith("@"):
        return "@" + (names.user(head[1:]) if head[1:] in names.users or not label else label)
    if head.startswith("#"):
        return "#" + (names.channel(head[1:]) if head[1:] in names.channels or not label else label)
    if head.startswith("!subteam^"):
        return "@" + (label.lstrip("@") or head[len("!subteam^") :])
    if head.startswith("!date^"):
        return label or head
    if head.startswith("!"):
        name = head[1:]
        return label or _SPECIAL.get(name, "@" + name)
    # A link: <url> or <url|label>.
    return label or head


def mrkdwn_to_text(text: str, names: Names | None = None) -> str:
    """One mrkdwn string as plain text (see the module docstring)."""
    names = names or Names()
    # Innermost first: `<url|in <#C1>>` (a link whose label holds a token) resolves too.
    for _ in range(4):
        replaced = _TOKEN.sub(lambda m: _token(m.group(1), names), text)
        if replaced == text:
            break
        text = replaced
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    return unescape(text.translate(_TYPED))


def _text_of(obj: Any, names: Names) -> str:
    """A text object (mrkdwn or plain_text), or a bare string."""
    if isinstance(obj, str):
        return mrkdwn_to_text(obj, names)
    if not isinstance(obj, dict):
        return ""
    value = str(obj.get("text") or "")
    if obj.get("type") == "plain_text":
        return unescape(value)
    return mrkdwn_to_text(value, names)


def _element(element: Any, names: Names) -> str:
    """An interactive or context element as one short piece of text."""
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "button":
        return f"[{_text_of(element.get('text'), names)}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text_of(element, names)
    if kind == "image":
        alt = str(element.get("alt_text") or "")
        return f"({alt})" if alt else ""
    if kind == "plain_text_input" and element.get("initial_value"):
        text = " ".join(str(element["initial_value"]).split())
        return f"[{text if len(text) <= 60 else text[:59] + '…'}]"
    chosen = {str(o.get("value")) for o in element.get("initial_options") or []}
    if kind == "multi_static_select" and chosen:
        picked = [o for o in element.get("options") or [] if str(o.get("value")) in chosen]
        return "[" + ", ".join(_text_of(o.get("text"), names) for o in picked) + " ▾]"
    if kind in ("static_select", "multi_static_select", "overflow", "datepicker", "timepicker"):
        placeholder = _text_of(element.get("placeholder"), names)
        return f"[{placeholder or 'choose'} ▾]"
    if kind == "users_select":
        return "[choose a member ▾]"
    if kind == "checkboxes":
        options = element.get("options") or []
        return " ".join(
            f"[{'x' if str(o.get('value')) in chosen else ' '}] {_text_of(o.get('text'), names)}"
            for o in options
        )
    return ""


def _rich_text(element: Any, names: Names) -> str:
    """Best effort for rich_text blocks (messages the bot does not build, mostly)."""
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text") or "")
    if kind == "user":
        return "@" + names.user(str(element.get("user_id") or ""))
    if kind == "channel":
        return "#" + names.channel(str(element.get("channel_id") or ""))
    if kind == "link":
        return str(element.get("text") or element.get("url") or "")
    if kind == "emoji":
        return f":{element.get('name')}:"
    if kind == "broadcast":
        return "@" + str(element.get("range") or "")
    return "".join(_rich_text(e, names) for e in element.get("elements") or [])


def _block(block: Any, names: Names) -> list[str]:
    if not isinstance(block, dict):
        return []
    kind = block.get("type")
    lines: list[str] = []
    if kind in ("section", "header"):
        text = _text_of(block.get("text"), names)
        if text:
            lines += text.split("\n")
        for field in block.get("fields") or []:
            lines += _text_of(field, names).split("\n")
        accessory = _element(block.get("accessory"), names)
        if accessory:
            if lines:
                lines[-1] += "  " + accessory
            else:
                lines.append(accessory)
    elif kind == "context":
        pieces = (_element(e, names) for e in block.get("elements") or [])
        text = " ".join(p for p in pieces if p)
        if text:
            lines += text.split("\n")
    elif kind == "actions":
        pieces = (_element(e, names) for e in block.get("elements") or [])
        text = " ".join(p for p in pieces if p)
        if text:
            lines.append(text)
    elif kind == "divider":
        lines.append("─" * 20)
    elif kind == "image":
        title = _text_of(block.get("title"), names) or str(block.get("alt_text") or "")
        lines.append(f"(image: {title})" if title else "(image)")
    elif kind == "input":
        label = _text_of(block.get("label"), names)
        optional = " (optional)" if block.get("optional") else ""
        shown = _element(block.get("element"), names) or "[____________]"
        lines.append(f"{label}{optional}: {shown}")
        hint = _text_of(block.get("hint"), names)
        if hint:
            lines.append(f"  {hint}")
    elif kind == "rich_text":
        text = "".join(_rich_text(e, names) for e in block.get("elements") or [])
        lines += text.split("\n")
    return lines


def blocks_to_lines(
    blocks: Iterable[Any] | None, text: str = "", names: Names | None = None
) -> list[str]:
    """A message as lines: its blocks if it has any, else its fallback text."""
    names = names or Names()
    lines: list[str] = []
    for block in blocks or []:
        lines += _block(block, names)
    if not lines and text:
        lines = mrkdwn_to_text(text, names).split("\n")
    return [line.rstrip() for line in lines if line.strip()]


def view_to_lines(view: dict[str, Any], names: Names | None = None) -> list[str]:
    """A modal or App Home: its title, then its blocks, then its submit button."""
    names = names or Names()
    lines = []
    title = _text_of(view.get("title"), names)
    if title:
        lines.append(title)
    lines += blocks_to_lines(view.get("blocks"), "", names)
    submit = _text_of(view.get("submit"), names)
    if submit:
        lines.append(f"[{submit}]")
    return lines
