"""The checker every test's fake Slack runs on canvas documents refuses what Slack would refuse
or show wrongly, and accepts the markdown Slack documents and the page builder writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

from mwgbot.domain.proposals import Participant, ProgressUpdate, ProposalSnapshot, State
from mwgbot.fakeslack import FakeSlack
from mwgbot.services.page_models import AgendaTopic, GroupPage, PageMeeting, Topics
from mwgbot.services.read_models import Listing
from mwgbot.slack.canvas_page import page_markdown
from tests.canvas_checks import (
    MAX_MARKDOWN,
    assert_every_canvas_valid,
    assert_valid_canvas_markdown,
    canvas_problems,
    document_markdown,
)

DOCUMENTED = """# Marketing Working Group

_Kept by the bot._ Some **bold**, *italic*, _italic_, ~struck~, ~~struck~~, ***both*** and `code`.

## Next meeting

**Wed 2026-12-09 15:00 UTC** · [calendar](https://example.org/cal.ics?x=1#y)

- **1.** Budget \\*draft\\* by ![](@U0123ABCD) in ![](#CMARKETING)
  - a nested item
- [ ] a task
- [x] a done task
1. first
2. second

### Notes

> a quote with **bold**
> and a second line

---

```
<raw> **anything** [goes](javascript:x) here
```

| a | b |
| --- | :---: |
| 1 | **2** |

See [the guide][guide], a [wiki page](https://en.wikipedia.org/wiki/Foo_(bar)) :tada:
and a hard break\\
after it, snake\\_case, C:\\\\path, a \\<tag\\> and R&D.

[guide]: https://docs.example.org/guide
"""


def test_what_slack_documents_is_accepted() -> None:
    assert canvas_problems(DOCUMENTED) == []
    assert canvas_problems("") == []
    assert canvas_problems("x" * MAX_MARKDOWN) == []


@pytest.mark.parametrize(
    ("markdown", "why"),
    [
        ("#### Too deep", "headings of 1 to 3"),
        ("#hashtag", "must start a heading"),
        ("# ", "must start a heading"),
        ("A paragraph\n---", "heading (setext)"),
        ("A paragraph\n===", "heading (setext)"),
        ("- item\n---", "blank line above it"),
        ("<@U0123ABCD> said hi", "message mrkdwn"),
        ("<!channel> look", "message mrkdwn"),
        ("<https://x.org|a link>", "message mrkdwn"),
        ("<b>bold</b>", "raw HTML"),
        ("1 < 2", "raw HTML or an unescaped `<`"),
        ("**never closed", "never closed"),
        ("*never closed", "never closed"),
        ("~never closed", "never closed"),
        ("a *b** c*", "crosses"),
        ("**  spaced**", "neither opens nor closes"),
        ("snake_case", "neither opens nor closes"),
        ("a **** b", "4 `*` in a row"),
        ("`lone backtick", "opens no code span"),
        ("[x](javascript:alert(1))", "other than an http(s) address"),
        ("[x](ftp://x.org/file)", "other than an http(s) address"),
        ("[x](https://x.org/a b)", "other than an http(s) address"),
        ("[x](https://x.org/a(b)", "other than an http(s) address"),
        ("[](https://x.org)", "a link without text"),
        ("[x][nowhere]", "undefined label"),
        ("[just brackets]", "not a link"),
        ("a ] b", "closes no link"),
        ("[a [b](https://x.org)](https://y.org)", "a link inside a link"),
        ("[**open](https://x.org)", "never closed"),
        ("![image](https://x.org/a.png)", "an image or a malformed mention"),
        ("![](@alice)", "an image or a malformed mention"),
        ("> - a list in a quote", "Slack refuses a list in a quote"),
        ("> # a heading in a quote", "a quote holds text only"),
        ("- an item\nrunning on", "blank line after a list item"),
        ("> a quote\nrunning on", "blank line after a quote"),
        ("A paragraph\n3. not a list", "numbered list needs a blank line"),
        ("1) item", "written `1.`"),
        ("- ", "an empty list item"),
        ("- [ ]", "an empty list item"),
        ("- item\n   - odd nesting", "indented by 2 or 4"),
        ("    indented code", "indented text"),
        ("```\nnever closed", "never closed"),
        ("| [a](https://x.org) |\n| --- |", "links in table cells"),
        ("Text\n| a |", "a table needs a blank line"),
        ("[ref]: javascript:alert(1)", "other than an http(s) URL"),
        ("bell \x07", "control character U+0007"),
        ("\u202eright to left", "control character U+202E"),
        ("x" * (MAX_MARKDOWN + 1), "a canvas takes at most 1,048,576"),
    ],
)
def test_what_slack_refuses_or_shows_wrongly_fails(markdown: str, why: str) -> None:
    problems = canvas_problems(markdown)
    assert any(why in problem for problem in problems), problems
    with pytest.raises(AssertionError, match="canvas markdown Slack would refuse"):
        assert_valid_canvas_markdown(markdown)


def test_a_problem_names_its_line() -> None:
    [problem] = canvas_problems("# Fine\n\nfine\n\n#### not fine")
    assert problem.startswith("line 5: ")
    assert "'#### not fine'" in problem


@pytest.mark.parametrize(
    "content",
    [None, "text", {"type": "html", "markdown": "x"}, {"type": "markdown"}, {"markdown": "x"}],
)
def test_a_document_content_is_markdown_or_nothing(content: object) -> None:
    with pytest.raises(AssertionError):
        document_markdown(content)
    assert document_markdown({"type": "markdown", "markdown": "x"}) == "x"


def test_what_the_page_builder_writes_is_accepted() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    hostile = "# *odd* [title](https://evil) `x` <@U1> - snake_case ~x~ |"
    snapshot = ProposalSnapshot(
        number=7,
        title=hostile,
        proposer_id="UALICE",
        created_at=now,
        closes_at=now + timedelta(days=3),
        state=State.ADOPTED,
        joiners=(Participant("UBOB"),),
        latest_update=ProgressUpdate("UBOB", hostile, now),
        delivery_link="https://openedx.org/a_(b)",
        finished_at=now,
    )
    page = GroupPage(
        name=hostile,
        as_of=now,
        meetings=(
            PageMeeting(now, skipped=True),
            PageMeeting(
                now + timedelta(days=14), topics=Topics.of([AgendaTopic(1, hostile, "UB")])
            ),
        ),
        open=Listing.of([snapshot]),
        active=Listing((snapshot,), 40),
        decided=Listing.of([snapshot]),
        delivered=Listing.of([snapshot]),
    )
    assert_valid_canvas_markdown(page_markdown(page))
    assert_valid_canvas_markdown(page_markdown(GroupPage(name="", as_of=now)))


def markdown(text: str) -> dict[str, str]:
    return {"type": "markdown", "markdown": text}


def test_the_fake_slacks_record_is_checked_call_by_call() -> None:
    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        canvas_id = client.conversations_canvases_create(
            channel_id="CMARKETING", document_content=markdown("# Page\n")
        )["canvas_id"]
        client.canvases_edit(
            canvas_id=canvas_id,
            changes=[{"operation": "replace", "document_content": markdown("# Page\n\nBody\n")}],
        )
        client.canvases_edit(
            canvas_id=canvas_id, changes=[{"operation": "rename", "title_content": markdown("T")}]
        )
        assert assert_every_canvas_valid(fake) == 2  # a rename has no document
        fake.fail_next("canvases.edit", error="canvas_editing_locked")
        with pytest.raises(Exception, match="canvas_editing_locked"):
            client.canvases_edit(
                canvas_id=canvas_id,
                changes=[{"operation": "replace", "document_content": markdown("#### refused")}],
            )
        assert assert_every_canvas_valid(fake) == 2  # what Slack refused was never shown
        client.canvases_edit(
            canvas_id=canvas_id,
            changes=[{"operation": "insert_at_end", "document_content": markdown("<@U1> hi")}],
        )
        with pytest.raises(AssertionError, match="message mrkdwn"):
            assert_every_canvas_valid(fake)
