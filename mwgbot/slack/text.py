"""Making user-written text safe and readable in Slack mrkdwn; pure."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """Slack's three control characters; afterwards no `<!channel>` or `<@U…>` can form."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Slack's mrkdwn has no escape for its formatting characters (only `&`, `<` and `>` have
# entities), so a title's own `*`, `_`, `~` or backtick pairs with another one, or with the bold
# a message puts around the title, and the layout breaks. Each is shown as a lookalike that no
# Slack client reads as formatting. A zero-width space beside it would keep the character, but
# Slack reads that space as a word boundary, which lets formatting start rather than stopping
# it (jsx-slack's "exact mode" relies on this); and a plain_text or rich_text block holds a
# whole block, not a title inside a line of a list.
# The asterisk operator, the modifier letters low macron and grave accent, the tilde operator.
AS_TYPED = {"*": "\u2217", "_": "\u02cd", "`": "\u02cb", "~": "\u223c"}
_LOOKALIKES = str.maketrans(AS_TYPED)
# An emoji shortcode keeps its underscores, so `:white_check_mark:` still shows the emoji.
_SHORTCODE = re.compile(r"(:[a-z0-9_+'-]+:)")


def as_typed(text: str) -> str:
    """User text set inside mrkdwn formatting (a title in bold, a line of a list), shown as
    typed: escaped, and its formatting characters replaced by lookalikes (see AS_TYPED)."""
    parts = _SHORTCODE.split(escape(text))
    return "".join(part if i % 2 else part.translate(_LOOKALIKES) for i, part in enumerate(parts))


def clean_line(text: str) -> str:
    """One line of user input: control and direction characters dropped, spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text.replace("\t", " ").replace("\n", " ").replace("\r", " "))
    return " ".join(text.split())


def clean_block(text: str) -> str:
    """Multi-line user input (descriptions): keeps line breaks, drops other controls."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\t", " ")
    lines = [_CONTROL.sub("", line).rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def mention(user_id: str) -> str:
    """A mention built only from a user ID; anything else is shown as escaped text."""
    if _USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return escape(user_id)


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>" if re.fullmatch(r"[CG][A-Z0-9]{2,}", channel_id) else "the channel"


def date_token(when: datetime, *, with_weekday: bool = False) -> str:
    """`<!date^…>`: each reader sees their own zone; the fallback is UTC."""
    stamp = int(when.timestamp())
    fmt = "{date_long_pretty} at {time}" if with_weekday else "{date_short_pretty} at {time}"
    fallback = when.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{fmt}|{fallback}>"


def truncate(text: str, limit: int) -> str:
    """Plain or raw text cut to `limit` characters, "…" last when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def truncate_mrkdwn(text: str, limit: int) -> str:
    """Composed mrkdwn (escaped text, tokens) cut like `truncate`, but never inside an entity
    (`&amp;`) or a `<…>` token: a split one would show as a bare `&` or `<` in Slack."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for opener, closer in (("&", ";"), ("<", ">")):
        start = cut.rfind(opener)
        if start != -1 and closer not in cut[start:]:
            cut = cut[:start]
    return cut.rstrip() + "…"


def permalink(team_url: str | None, channel_id: str, ts: str) -> str | None:
    if not team_url:
        return None
    return f"{team_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"
