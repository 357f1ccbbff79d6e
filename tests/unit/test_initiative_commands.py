"""Parsing `/mwg update`, `/mwg done` and `/mwg drop`: pure, no Slack."""

from __future__ import annotations

import pytest

from mwgbot.slack import commands as c


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("update 3 Drafted two posts", c.Update(3, "Drafted two posts")),
        ("UPDATE #3   spaced   out  ", c.Update(3, "spaced out")),
        ("update 3 Tips &amp; tricks &lt;b&gt;", c.Update(3, "Tips & tricks <b>")),
        ("done 3", c.Done(3)),
        ("done #3 https://openedx.org/blog", c.Done(3, "https://openedx.org/blog")),
        (
            "done 3 https://openedx.org/blog Published, with thanks",
            c.Done(3, "https://openedx.org/blog", "Published, with thanks"),
        ),
        ("done 3 Shipped to the partners", c.Done(3, None, "Shipped to the partners")),
        # A colon in the note is not a link's scheme.
        ("done 3 Finally: it shipped", c.Done(3, None, "Finally: it shipped")),
        # A bare host name is a link missing its scheme, refused by the domain, never lost.
        ("done 3 example.org/webinars great", c.Done(3, "example.org/webinars", "great")),
        ("done 3 v1.2 is live", c.Done(3, None, "v1.2 is live")),
        # Anything that looks like an address is a link, for the domain to accept or refuse.
        ("done 3 ftp://example.org/x", c.Done(3, "ftp://example.org/x")),
        ("done 3 javascript:alert(1) ok", c.Done(3, "javascript:alert(1)", "ok")),
        ("done 3 www.example.org", c.Done(3, "www.example.org")),
        ("done 3 HTTPS://Example.org/A", c.Done(3, "HTTPS://Example.org/A")),
        # As the Slack client may format a pasted link (entities, as Slack sends them).
        (
            "done 3 &lt;https://example.org/a?b=1&amp;c=2|example.org&gt; Live",
            c.Done(3, "https://example.org/a?b=1&c=2", "Live"),
        ),
        ("done 3 &lt;https://example.org/a&gt;", c.Done(3, "https://example.org/a")),
        ("drop 3 The sponsor withdrew", c.Drop(3, "The sponsor withdrew")),
        ("drop #12 No one has time", c.Drop(12, "No one has time")),
    ],
)
def test_parses(text: str, expected: c.Command) -> None:
    assert c.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("update", "Which proposal?"),
        ("update 3", "What is the news?"),
        ("update three news", "not a proposal number"),
        ("update 3 " + "u" * 1001, "the most is 1,000"),
        ("done", "Which proposal?"),
        ("done 0", "start at #1"),
        ("done 3 https://example.org/" + "p" * 1000, "That link is"),
        ("done 3 https://example.org " + "n" * 1001, "the most is 1,000"),
        ("drop", "Which proposal?"),
        ("drop 3", "Please say why it is dropped"),
        ("drop 3 " + "r" * 501, "the most is 500"),
    ],
)
def test_refuses_with_a_clear_hint(text: str, hint: str) -> None:
    with pytest.raises(c.UsageError) as raised:
        c.parse(text)
    assert hint in str(raised.value)
    assert "\n" not in str(raised.value)


def test_help_lists_the_new_commands_with_escaped_placeholders() -> None:
    text = c.help_text()
    for usage in (
        "`/mwg update &lt;n&gt; &lt;text&gt;`",
        "`/mwg done &lt;n&gt; [&lt;link&gt;] [&lt;note&gt;]`",
        "`/mwg drop &lt;n&gt; &lt;reason&gt;`",
    ):
        assert usage in text
    assert "<" not in text


@pytest.mark.parametrize(
    "text",
    [
        "done 3 <",
        "done 3 &lt;",
        "done 3 &lt;&gt;",
        "done 3 &lt;https://x|",
        "done 3 |||",
        "done 3 \u202e https://x",
        "update 3 \x00",
        "drop 3 \u200b",
        "done 99999999999",
        "done -3",
    ],
)
def test_odd_text_parses_or_gets_a_usage_answer(text: str) -> None:
    parsed: object
    try:
        parsed = c.parse(text)
    except c.UsageError as refusal:
        parsed = refusal
    if isinstance(parsed, c.UsageError):
        assert str(parsed)
        return
    assert isinstance(parsed, (c.Update, c.Done, c.Drop))
    if isinstance(parsed, c.Done) and parsed.link is not None:
        assert not set(parsed.link) & set("<> ")
