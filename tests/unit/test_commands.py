"""Parsing `/mwg …` text: pure, no Slack."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mwgbot.domain.proposals import Stage, Verdict
from mwgbot.slack import commands as c


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", c.Help()),
        ("HELP", c.Help()),
        ("  list  ", c.ListProposals()),
        ("propose", c.Propose(title=None)),
        ("propose Blog series", c.Propose("Blog series")),
        ("propose Let's write 'how-to' videos", c.Propose("Let's write 'how-to' videos")),
        (
            "propose Webinar --close 4d --stage awareness,interest",
            c.Propose("Webinar", timedelta(days=4), (Stage.AWARENESS, Stage.INTEREST)),
        ),
        (
            "propose --stage action,awareness,action Case studies --close=1d12h",
            c.Propose("Case studies", timedelta(days=1, hours=12), (Stage.AWARENESS, Stage.ACTION)),
        ),
        # Slack clients turn `--` into an em dash.
        ("propose SEO audit —close 96h", c.Propose("SEO audit", timedelta(hours=96))),
        ("show 3", c.Show(3)),
        ("show #3", c.Show(3)),
        ("join #12", c.Join(12)),
        ("leave 12", c.Leave(12)),
        ("object 2 Too close to the conference", c.Object(2, "Too close to the conference")),
        ("unobject #2", c.Unobject(2)),
        ("withdraw 5", c.Withdraw(5)),
        ("resolve 4 adopt Fits the roadmap", c.Resolve(4, Verdict.ADOPT, "Fits the roadmap")),
        ("resolve #4 DECLINE Out of scope", c.Resolve(4, Verdict.DECLINE, "Out of scope")),
        ("org Abstract Technology", c.SetOrganization("Abstract Technology")),
        ("org", c.SetOrganization(None)),
        ("org none", c.SetOrganization(None, clear=True)),
        ("next", c.Next()),
        ("meeting skip 2027-01-06", c.MeetingSkip(date(2027, 1, 6), skip=True)),
        ("meeting unskip 2027-01-06", c.MeetingSkip(date(2027, 1, 6), skip=False)),
        ("propose Tabs\tand\nnewlines", c.Propose("Tabs and newlines")),
        ("propose Bell\x07 and null\x00 dropped", c.Propose("Bell and null dropped")),
    ],
)
def test_parses(text: str, expected: c.Command) -> None:
    assert c.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "needs a subcommand"),
        ("   ", "needs a subcommand"),
        ("frobnicate", "not a `/mwg` subcommand"),
        ("`rm -rf`", "not a `/mwg` subcommand"),
        ("show", "Which proposal?"),
        ("show three", "not a proposal number"),
        ("show 0", "start at #1"),
        ("show 3 4", "Too many words"),
        ("join 99999999999", "not a proposal number"),
        ("object 2", "give a reason"),
        ("resolve 2", "adopt` or `decline"),
        ("resolve 2 maybe because", "adopt` or `decline"),
        ("resolve 2 adopt", "needs a note"),
        ("propose Webinar --close", "needs a duration"),
        ("propose Webinar --close soon", "not a duration"),
        ("propose Webinar --close 0d", "not a duration"),
        ("propose Webinar --stage fame", "not an adopter-journey stage"),
        ("propose Webinar --stage ,", "needs a stage"),
        ("propose --close 4d", "needs a title"),
        ("propose " + "x" * 151, "the most is 150"),
        ("object 1 " + "y" * 501, "the most is 500"),
        ("x" * 5000, "at most 4,000"),
        ("meeting skip tomorrow", "not a date"),
        ("meeting reschedule 2027-01-06", "Usage"),
        # A new member's findings: the answer names what is wrong.
        ("meeting skp 2026-12-23", "Did you mean `skip`? Usage"),
        ("meeting skip 2026-02-30", "2026-02-30 is not a date on the calendar."),
        ("meeting skip 2026-12-09 holiday party", "takes the day alone, with nothing after it"),
        ("meeting skip", "Which meeting? Give its day."),
        ("help me", "takes no arguments"),
        ("org " + "o" * 81, "the most is 80"),
    ],
)
def test_refuses_with_a_clear_hint(text: str, hint: str) -> None:
    with pytest.raises(c.UsageError) as raised:
        c.parse(text)
    assert hint in str(raised.value)
    assert "\n" not in str(raised.value)


def test_help_has_one_line_per_subcommand() -> None:
    text = c.help_text()
    for usage, _ in c.HELP_LINES:
        assert f"`/mwg {usage}`" in text


def test_text_escaped_by_slack_is_read_as_typed() -> None:
    assert c.parse("propose Tips &amp; tricks &lt;b&gt;") == c.Propose("Tips & tricks <b>")


def test_placeholders_in_answers_survive_slack_formatting() -> None:
    # A bare `<reason>` would be read by Slack as a link and vanish.
    assert "<" not in c.help_text()
    with pytest.raises(c.UsageError) as raised:
        c.parse("object 2")
    assert "&lt;reason&gt;" in str(raised.value)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("propse x", "propose"), ("lsit", "list"), ("joni 3", "join"), ("shwo 1", "show")],
)
def test_a_mistyped_subcommand_suggests_the_nearest(typed: str, meant: str) -> None:
    with pytest.raises(c.UsageError, match=f"did you mean `{meant}`"):
        c.parse(typed)


def test_a_word_far_from_any_subcommand_gets_no_guess() -> None:
    with pytest.raises(c.UsageError) as refused:
        c.parse("frobnicate")
    assert "did you mean" not in str(refused.value)


@pytest.mark.parametrize("close", ["99999999999999d", "9" * 40 + "w", "100000000000000000s"])
def test_huge_windows_are_refused_before_any_arithmetic(close: str) -> None:
    with pytest.raises(c.UsageError, match="too long"):
        c.parse(f"propose x --close {close}")
