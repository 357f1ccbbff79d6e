"""Parsing `/mwg log`, `hours`, `hours team` and `unlog`: pure, no Slack."""

from __future__ import annotations

import random
from datetime import date

import pytest

from mwgbot.domain.time_log import Month
from mwgbot.slack import commands as c


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "log 2h30m #4 drafted the case study",
            c.LogTime(150, "drafted the case study", 4, None),
        ),
        (
            "log 45m blog post --date 2026-11-30",
            c.LogTime(45, "blog post", None, date(2026, 11, 30)),
        ),
        ("log --date=2026-11-30 1h review", c.LogTime(60, "review", None, date(2026, 11, 30))),
        ("LOG 1H #12 calls —date 2026-11-02", c.LogTime(60, "calls", 12, date(2026, 11, 2))),
        ("log 1h 3 blog posts", c.LogTime(60, "3 blog posts", None, None)),
        ("log 2h #4 fixes &amp; &lt;tests&gt;", c.LogTime(120, "fixes & <tests>", 4, None)),
        ("log 24h event day", c.LogTime(1440, "event day", None, None)),
        ("hours", c.Hours(None)),
        ("hours 2026-11", c.Hours(Month(2026, 11))),
        ("hours team", c.HoursTeam(None)),
        ("hours TEAM 2026-11", c.HoursTeam(Month(2026, 11))),
        ("unlog 12", c.Unlog(12)),
        ("unlog #12", c.Unlog(12)),
    ],
)
def test_parses(text: str, expected: c.Command) -> None:
    assert c.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("log", "How long, and on what?"),
        ("log 2h", "Say what you did"),
        ("log 2h #4", "Say what you did"),
        ("log 0m nothing", "zero time"),
        ("log -1h backwards", "cannot be negative"),
        ("log 25h marathon", "at most 24h"),
        ("log 99999999999h forever", "at most 24h"),
        ("log 1.5h decimals", "not a duration"),
        ("log 2h #x what", "is not a proposal number"),
        ("log 2h #0 what", "is not a proposal number"),
        ("log 2h #99999999999 what", "is not a proposal number"),
        ("log 2h what --date", "`--date` needs a day"),
        ("log 2h what --date 2026-11-01 --date 2026-11-02", "Give `--date` once"),
        ("log 2h what --date 30/11/2026", "write it as YYYY-MM-DD"),
        ("log 2h what --date 2026-02-30", "not a date on the calendar"),
        ("log 2h " + "w" * 301, "the most is 300"),
        ("hours 2026-13", "not a month"),
        ("hours november", "not a month"),
        ("hours team 2026-11 extra", "Too many words"),
        ("hours 2026-11 2026-12", "Too many words"),
        ("unlog", "Which entry?"),
        ("unlog 1 2", "Which entry?"),
        ("unlog one", "is not an entry number"),
        ("unlog 0", "start at 1"),
        # What is echoed back cannot mention anyone.
        ("log &lt;!channel&gt; x", "`??channel?` is not a duration"),
        ("log 2h #&lt;!here&gt; x", "`#&lt;!here&gt;` is not a proposal number"),
        ("unlog &lt;@U1&gt;", "`&lt;@U1&gt;` is not an entry number"),
        ("hours &lt;!here&gt;", "`??here?` is not a month"),
        ("log 2h x --date &lt;!here&gt;", "`??here?` is not a date"),
    ],
)
def test_refuses_with_a_clear_hint(text: str, hint: str) -> None:
    with pytest.raises(c.UsageError) as raised:
        c.parse(text)
    assert hint in str(raised.value)
    assert "\n" not in str(raised.value)


def test_help_lists_the_time_subcommands() -> None:
    text = c.help_text()
    for usage in ("log &lt;duration&gt;", "hours [YYYY-MM]", "hours team", "unlog &lt;entry&gt;"):
        assert f"`/mwg {usage}" in text
    assert "<" not in text


WORDS = [
    "log", "hours", "unlog", "team", "#", "#4", "#-1", "2h", "45m", "1h30m", "0m", "-2h", "25h",
    "99999999999h", "--date", "—date", "--date=", "2026-11-30", "2026-13-40", "9999-99",
    "2026-11", "&lt;", "&amp;", "<!channel>", "`", "x" * 400, "1" * 30, "h", "m", "",
]  # fmt: skip


def test_any_mix_of_these_words_parses_or_is_refused_with_usage() -> None:
    """A property test without a library: thousands of random word mixes, none raises."""
    pick = random.Random(9)
    refusals: list[str] = []
    for _ in range(5000):
        text = " ".join(pick.choice(WORDS) for _ in range(pick.randint(1, 6)))
        try:
            c.parse(text)
        except c.UsageError as refusal:
            refusals.append(str(refusal))
    assert refusals
    assert all(refusals)  # every refusal says something
