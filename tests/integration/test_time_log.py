"""Time members give, through `/mwg log`, `hours`, `unlog` and `hours team`, as signed slash
commands: every log and unlog is one ledger row; every bad input gets one clear answer and
changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import RunningBot
from tests.integration.member_support import entries, ledger_rows


def test_log_hours_and_unlog(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    before = len(ledger_rows(bot))

    reply = bot.answer("log 2h30m #1 drafted the case study")
    assert reply == (
        "Logged 2h30m on #1 *Case-study series* for 2026-12-01: drafted the case study "
        "(entry 1). Your total for December 2026: *2h30m*, under the suggested 10–20 h a "
        "month (only a suggestion). `/mwg unlog 1` removes it."
    )
    assert ledger_rows(bot)[before:] == [
        (
            "time_logged",
            "command",
            "UALICE",
            1,
            {
                "entry": 1,
                "minutes": 150,
                "worked_on": "2026-12-01",
                "what": "drafted the case study",
            },
        )
    ]
    november = bot.answer("log 8h blog post &amp; review --date 2026-11-30")
    assert "Logged 8h for 2026-11-30: blog post &amp; review (entry 2)." in november
    assert "Your total for November 2026: *8h*" in november
    within = bot.answer("log 8h —date=2026-12-01 outreach calls")  # Slack's em dash
    assert "(entry 3). Your total for December 2026: *10h30m*, within the suggested" in within
    assert len(ledger_rows(bot)) == before + 3

    hours = bot.answer("hours")
    assert hours.startswith(
        "*Your time in December 2026:* 10h30m in 2 entries, within the suggested 10–20 h a month."
    )
    assert "• entry 1 · 2026-12-01 · 2h30m · #1 · drafted the case study" in hours
    assert "• entry 3 · 2026-12-01 · 8h · outreach calls" in hours
    assert "entry 2" not in hours
    assert "• entry 2 · 2026-11-30 · 8h · blog post &amp; review" in bot.answer("hours 2026-11")
    assert "You logged no time in October 2026" in bot.answer("hours 2026-10")

    removed = bot.answer("unlog 3")
    assert removed == (
        "Removed entry 3 (8h for 2026-12-01). Your total for December 2026: *2h30m*, under "
        "the suggested 10–20 h a month (only a suggestion)."
    )
    assert ledger_rows(bot)[-1] == (
        "time_removed",
        "command",
        "UALICE",
        None,
        {"entry": 3, "minutes": 480, "worked_on": "2026-12-01"},
    )
    assert "entry 3" not in bot.answer("hours")
    assert entries(bot) == 2
    assert len(ledger_rows(bot)) == before + 4


def test_over_the_band_is_thanked(bot: RunningBot) -> None:
    bot.answer("log 10h30m workshop")
    reply = bot.answer("log 10h30m workshop")
    assert "*21h*, over the suggested 10–20 h a month (thank you!)." in reply
    assert "21h in 2 entries, over the suggested" in bot.answer("hours")


def test_show_gives_the_hours_given_to_an_initiative(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    bot.answer("propose Booth --close 4d")
    bot.answer("log 2h #1 interviews")
    bot.answer("log 1h30m #1 outline", user="UBOB")
    bot.answer("log 1h #1 edits")
    bot.answer("log 45m booth thoughts")  # on no initiative
    assert "*Time given:* 4h30m by 2 members." in bot.answer("show 1")
    assert "*Time given:* none logged yet" in bot.answer("show 2")


def test_team_totals_per_member_and_organization(bot: RunningBot) -> None:
    bot.answer("org Abstract")
    bot.answer("org abstract", user="UBOB")  # one organization, however it is typed
    for _ in range(2):
        bot.answer("log 6h planning")
        bot.answer("log 11h event", user="UBOB")
    bot.answer("log 3h review", user="UCAROL")
    bot.answer("log 4h old work --date 2026-11-20", user="UDAVE")

    team = bot.answer("hours team", user="UORGANIZER")
    assert team.startswith(
        "*The team's time in December 2026:* 37h from 3 members who logged time.\n"
        "*Against the suggested 10–20 h a month:* 1 within · 1 under · 1 over\n"
        "*By member:*\n"
        "• <@UBOB> (abstract): 22h, over\n"
        "• <@UALICE> (Abstract): 12h, in\n"
        "• <@UCAROL>: 3h, under\n"
        "*By organization:*\n"
    )
    assert "• Abstract: 34h from 2 members" in team
    assert "• _no organization set_: 3h from 1 member" in team
    # Moderators see it too; another month is asked for by name.
    november = bot.answer("hours team 2026-11", user="UMODERATOR")
    assert "4h from 1 member who logged time" in november
    assert "<@UDAVE>: 4h, under" in november
    assert bot.answer("hours team 2026-10", user="UMODERATOR") == (
        "No one logged time in October 2026."
    )


def test_team_totals_are_bounded(bot: RunningBot) -> None:
    for n in range(40):
        user = f"UMEMBER{n:02d}"
        bot.answer(f"org Organization number {n:02d} with a long name", user=user)
        bot.answer(f"log {1 + n % 20}h work", user=user)
    team = bot.answer("hours team", user="UORGANIZER")
    assert "from 40 members who logged time" in team
    assert "• and 15 more" in team  # 25 members listed
    assert "• and 30 more" in team  # 10 organizations listed
    assert len(team) < 3000


REFUSALS = [
    ("log 0m wrote things", "zero time is not an entry"),
    ("log 0h wrote things", "zero time is not an entry"),
    ("log -2h wrote things", "cannot be negative"),
    ("log 10m wrote things", "under the smallest entry, 15m"),
    ("log 25h wrote things", "at most 24h"),
    ("log 24h1m wrote things", "at most 24h"),
    ("log 99999999999h wrote things", "at most 24h"),
    ("log 2h wrote things --date 2026-12-03", "2026-12-03 is in the future"),
    ("log 2h wrote things --date 2027-01-01", "is in the future"),
    ("log 2h wrote things --date 2026-09-29", "the earliest day you can log is 2026-09-30"),
    ("log 2h wrote things --date 2026-02-30", "not a date on the calendar"),
    ("log 2h wrote things --date soon", "write it as YYYY-MM-DD"),
    ("log 2h #99 wrote things", "There is no proposal #99"),
    ("log 2h #99999999999 wrote things", "is not a proposal number"),
    ("log 2h", "Say what you did"),
    ("log", "How long, and on what?"),
    ("log two hours of work", "is not a duration"),
    ("unlog 1", "Entry 1 is not yours"),
    ("unlog 999", "There is no time entry 999"),
    ("unlog 99999999999", "is not an entry number"),
    ("unlog", "Which entry?"),
    ("hours 2026-13", "not a month"),
    ("hours team", "Only the organizers and the moderators can see the team's hours"),
    ("hours yesterday", "not a month"),
]


@pytest.mark.parametrize(("text", "hint"), REFUSALS)
def test_bad_input_gets_one_clear_answer_and_changes_nothing(
    bot: RunningBot, text: str, hint: str
) -> None:
    bot.answer("log 1h bob's own entry", user="UBOB")  # entry 1, not alice's
    rows, logged = len(ledger_rows(bot)), entries(bot)
    answer = bot.answer(text)
    assert hint in answer
    assert "\n" not in answer
    assert (len(ledger_rows(bot)), entries(bot)) == (rows, logged)
