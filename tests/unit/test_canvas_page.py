"""The group's page as canvas markdown: its sections, user text that cannot make markup, the
canvas forms of mentions and links, and a size bounded at any history."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mwgbot.domain.proposals import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    Decision,
    Participant,
    ProgressUpdate,
    ProposalSnapshot,
    State,
    Verdict,
)
from mwgbot.services.page_models import AgendaTopic, GroupPage, PageMeeting, Topics
from mwgbot.services.read_models import Listing
from mwgbot.slack.canvas_page import (
    ACTIVE_SHOWN,
    DECIDED_SHOWN,
    DELIVERED_SHOWN,
    OPEN_SHOWN,
    PAGE_BUDGET,
    TOPICS_SHOWN,
    canvas_link,
    canvas_mention,
    canvas_text,
    page_markdown,
    utc_text,
)
from tests.canvas_checks import MAX_MARKDOWN, assert_valid_canvas_markdown

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MEETING = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


def proposal(number: int, title: str = "Webinar series", **fields: object) -> ProposalSnapshot:
    values: dict[str, object] = {
        "number": number,
        "title": title,
        "proposer_id": "UALICE",
        "created_at": NOW - timedelta(days=10),
        "closes_at": NOW + timedelta(days=3),
        "state": State.OPEN,
    }
    values.update(fields)
    return ProposalSnapshot(**values)  # type: ignore[arg-type]


def page(**fields: object) -> GroupPage:
    values: dict[str, object] = {"name": "Marketing Working Group", "as_of": NOW}
    values.update(fields)
    return GroupPage(**values)  # type: ignore[arg-type]


def sections(markdown: str) -> dict[str, str]:
    """Each `## ` section's body, by its heading."""
    found: dict[str, str] = {}
    for part in markdown.split("\n## ")[1:]:
        heading, _, body = part.partition("\n")
        found[heading] = body.strip()
    return found


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_a_full_page_has_every_section_in_canvas_markdown() -> None:
    markdown = page_markdown(
        page(
            meetings=(
                PageMeeting(
                    MEETING,
                    topics=Topics.of(
                        [
                            AgendaTopic(1, "Budget for 2027", "UBOB"),
                            AgendaTopic(3, "Conference booth", "UCAROL", carried_over=True),
                        ]
                    ),
                ),
            ),
            open=Listing.of(
                [
                    proposal(12, joiners=(Participant("UBOB"),)),
                    proposal(9, "Stuck", state=State.ESCALATED, closed_at=NOW - timedelta(days=1)),
                ]
            ),
            active=Listing.of(
                [
                    proposal(
                        5,
                        "Case studies",
                        state=State.ADOPTED,
                        joiners=(Participant("UBOB"),),
                        latest_update=ProgressUpdate("UBOB", "Two drafted", NOW - timedelta(1)),
                    )
                ]
            ),
            decided=Listing.of(
                [
                    proposal(4, "Newsletter", state=State.ADOPTED, closed_at=NOW - timedelta(2)),
                    proposal(
                        3,
                        "Swag",
                        state=State.DECLINED,
                        decision=Decision("UMOD", Verdict.DECLINE, "no", NOW - timedelta(3)),
                    ),
                ]
            ),
            delivered=Listing.of(
                [
                    proposal(
                        2,
                        "Blog post",
                        state=State.DELIVERED,
                        finished_at=NOW - timedelta(days=1),
                        delivery_link="https://www.openedx.org/blog/post",
                    )
                ]
            ),
        )
    )
    assert_valid_canvas_markdown(markdown)
    assert markdown.startswith("# Marketing Working Group\n\n_Kept by the bot, updated ")
    found = sections(markdown)
    assert list(found) == [
        "Next meeting",
        "Open proposals (2)",
        "Active initiatives (1)",
        "Decided in the last 30 days (2)",
        "Delivered (1)",
    ]
    assert found["Next meeting"].splitlines() == [
        "**Wed 2026-12-09 15:00 UTC**",
        "",
        "- **1.** Budget for 2027 · added by ![](@UBOB)",  # the topic's own number, not a list's
        "- **3.** Conference booth · added by ![](@UCAROL) · carried over",
    ]
    assert found["Open proposals (2)"].splitlines() == [
        "- **#12** Webinar series · closes Fri 2026-12-04 12:00 UTC · 1 joined, 0 objecting",
        "- **#9** Stuck · escalated Mon 2026-11-30 12:00 UTC, waiting for a decision"
        " · 0 joined, 0 objecting",
    ]
    assert found["Active initiatives (1)"] == (
        "- **#5** Case studies · owners ![](@UALICE), ![](@UBOB) · latest update"
        " Mon 2026-11-30 12:00 UTC by ![](@UBOB): Two drafted"
    )
    assert found["Decided in the last 30 days (2)"].splitlines() == [
        "- **#4** Newsletter · adopted Sun 2026-11-29 12:00 UTC",
        "- **#3** Swag · declined Sat 2026-11-28 12:00 UTC",
    ]
    assert found["Delivered (1)"] == (
        "- **#2** Blog post · delivered Mon 2026-11-30 12:00 UTC"
        " · [openedx.org](https://www.openedx.org/blog/post)"
    )
    assert "<@" not in markdown  # message mentions are plain text in a canvas


def test_an_empty_group_has_a_valid_page_that_says_so() -> None:
    markdown = page_markdown(page(name="   "))
    assert_valid_canvas_markdown(markdown)
    assert markdown.startswith("# Working group\n")
    assert sections(markdown) == {
        "Next meeting": "No meeting is scheduled.",
        "Open proposals": "None open. `/mwg propose <title>` proposes one.",
        "Active initiatives": "None active.",
        "Decided in the last 30 days": "Nothing decided.",
        "Delivered": "Nothing delivered yet.",
    }


def test_a_skipped_meeting_is_struck_and_the_next_held_one_has_the_topics() -> None:
    later = MEETING + timedelta(days=14)
    markdown = page_markdown(
        page(
            meetings=(
                PageMeeting(MEETING, skipped=True),
                PageMeeting(later, topics=Topics(), skipped=False),
            ),
            decided_days=14,
        )
    )
    assert_valid_canvas_markdown(markdown)
    assert sections(markdown)["Next meeting"].splitlines() == [
        "~~Wed 2026-12-09 15:00 UTC~~ skipped",
        "",
        "**Wed 2026-12-23 15:00 UTC**",
        "",
        "No topics yet: `/mwg agenda add <topic>` puts one on the agenda.",
    ]
    assert "## Decided in the last 14 days" in markdown


HOSTILE = [
    "# Not a heading",
    "## Nor this",
    "- not an item",
    "1. not a numbered item",
    "> not a quote",
    "---",
    "**not bold** and *not italic* and _not either_",
    "~not struck~ ~~nor this~~",
    "[not a link](https://evil.example)",
    "a ]( in the middle",
    "`not code` and ``` fences",
    "<@U0123ABCD> <!channel> <b>html</b> <https://x.org|x>",
    "![](@U0123ABCD) ![image](https://x.org/a.png)",
    "snake_case_name and C:\\path\\ end\\",
    "| a | table |",
    "line one\n# line two\n\n- line three",
    "\u202eevil direction\u200b and a\x07bell",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_user_text_never_becomes_markup(title: str) -> None:
    markdown = page_markdown(
        page(
            name=title,
            meetings=(PageMeeting(MEETING, topics=Topics.of([AgendaTopic(1, title, "UBOB")])),),
            open=Listing.of([proposal(7, title)]),
            active=Listing.of(
                [
                    proposal(
                        8,
                        title,
                        state=State.ADOPTED,
                        latest_update=ProgressUpdate("UBOB", title, NOW),
                    )
                ]
            ),
        )
    )
    assert_valid_canvas_markdown(markdown)
    # Every line starts with the page's own text, never with the member's.
    for line in markdown.splitlines():
        assert line == "" or line.startswith(
            ("# ", "## ", "_Kept", "**Wed", "- **", "None", "Nothing", "No ")
        ), line
    # Only mentions the page wrote itself, and only links it wrote itself (none here).
    mentions = re.findall(r"(?<!\\)!\[\]\(([@#][A-Z0-9]+)\)", markdown)
    assert mentions == ["@UBOB", "@UALICE", "@UBOB"]  # topic, owner, update: all the page's
    assert re.search(r"(?<![\\!])\[[^\]]*(?<!\\)\]\(", markdown) is None


@pytest.mark.parametrize("text", HOSTILE)
def test_escaping_loses_nothing_but_line_breaks_and_controls(text: str) -> None:
    escaped = canvas_text(text, 1000)
    assert "\n" not in escaped
    cleaned = " ".join(re.sub(r"[\x07\u200b\u202e]", "", text).split())
    assert unescaped(escaped) == cleaned


def test_text_is_cut_to_its_limit_before_it_is_escaped() -> None:
    assert canvas_text("a" * 20, 10) == "a" * 9 + "…"
    assert canvas_text("*" * 20, 10) == "\\*" * 9 + "…"  # never half an escape
    assert canvas_text("ends with a star*" + "x" * 10, 17) == "ends with a star…"
    assert canvas_text("  spaced \t out \n ", 100) == "spaced out"


def test_mentions_and_links_take_the_canvas_forms() -> None:
    assert canvas_mention("U0123ABCD") == "![](@U0123ABCD)"
    assert canvas_mention("W0123ABCD") == "![](@W0123ABCD)"
    assert canvas_mention("alice](https://evil") == "alice\\](https://evil"
    assert canvas_link("https://openedx.org/a_(b)?q=1#x") == (
        "[openedx.org](https://openedx.org/a_(b)?q=1#x)"
    )
    for unsafe in (
        "javascript:alert(1)",
        "https://x.org/a)b",
        "https://x.org/<script>",
        "https://x.org/a b",
        "ftp://x.org/file",
        "https://x.org/[x]",
    ):
        shown = canvas_link(unsafe)
        assert "](" not in shown.replace("\\]", ""), shown
        assert_valid_canvas_markdown(f"- {shown}")


def test_times_are_utc_text_whatever_zone_they_come_in() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert utc_text(datetime(2026, 12, 9, 10, 0, tzinfo=eastern)) == "Wed 2026-12-09 15:00 UTC"


def test_owners_are_bounded_and_counted() -> None:
    joiners = tuple(Participant(f"UJOIN{i:04d}") for i in range(25))
    markdown = page_markdown(
        page(
            active=Listing.of([proposal(5, state=State.ADOPTED, joiners=joiners, joiner_count=140)])
        )
    )
    line = sections(markdown)["Active initiatives (1)"]
    assert line.count("![](@") == 5
    assert "![](@UJOIN0003) and 136 more · no update yet" in line  # 141 owners in all


def worst_title(char: str, length: int = MAX_TITLE) -> str:
    return char * length


@pytest.mark.parametrize("char", ["*", "\U0001f680", "a"])  # most escapes; most bytes; plain
def test_the_largest_history_gives_a_valid_page_far_below_a_mebibyte(char: str) -> None:
    """Hundreds of proposals, every text at its longest: the page shows what its bounds allow
    and counts the rest."""
    long_update = ProgressUpdate("UBOB", char * 1000, NOW)
    joiners = tuple(Participant(f"UJOIN{i:04d}") for i in range(25))
    link = "https://example.org/" + "a" * 970

    def many(state: State, total: int, **fields: object) -> Listing:
        items = tuple(
            proposal(
                n,
                worst_title(char),
                state=state,
                description="DESCRIBED" + char * (MAX_DESCRIPTION - 9),
                joiners=joiners,
                joiner_count=400,
                objection_count=99,
                **fields,
            )
            for n in range(1000, 1100)  # more than any section shows
        )
        return Listing(items, total)

    topics = Topics(
        tuple(AgendaTopic(n, char * 300, "UCAROL", carried_over=True) for n in range(1, 40)), 39
    )
    markdown = page_markdown(
        page(
            name=char * 500,
            meetings=tuple(
                PageMeeting(MEETING + timedelta(days=14 * i), topics=topics) for i in range(5)
            ),
            open=many(State.OPEN, 900),
            active=many(State.ADOPTED, 700, latest_update=long_update),
            decided=many(State.DECLINED, 300, closed_at=NOW),
            delivered=many(State.DELIVERED, 500, finished_at=NOW, delivery_link=link),
        )
    )
    assert_valid_canvas_markdown(markdown)
    assert len(markdown) < PAGE_BUDGET <= MAX_MARKDOWN // 8
    assert len(markdown.encode("utf-8")) < MAX_MARKDOWN // 2  # bytes too, whatever Slack counts
    found = sections(markdown)
    assert f"- and {900 - OPEN_SHOWN} more: `/mwg list`" in found["Open proposals (900)"]
    assert f"- and {700 - ACTIVE_SHOWN} more" in found["Active initiatives (700)"]
    assert f"- and {300 - DECIDED_SHOWN} more" in found["Decided in the last 30 days (300)"]
    assert f"- and {500 - DELIVERED_SHOWN} more" in found["Delivered (500)"]
    assert found["Next meeting"].count(f"- and {39 - TOPICS_SHOWN} more: `/mwg agenda`") == 3
    assert markdown.count("**Wed ") == 3  # three meetings at most
    assert "DESCRIBED" not in markdown  # descriptions are never shown
    assert "…" in found["Active initiatives (700)"]  # the long updates are cut
