"""Pure builders of the welcome, the time answers, the Home tab and the Log time form: what
they say, that user text is inert, and that they stay valid Block Kit at their largest."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from mwgbot.domain.proposals import Objection, Participant, ProposalSnapshot, State
from mwgbot.domain.time_log import MAX_WHAT, Month
from mwgbot.services.member_models import (
    HomeView,
    HoursGiven,
    InitiativeChoice,
    InitiativeLine,
    MemberTotal,
    MonthHours,
    MonthTotal,
    ObjectionLine,
    OrganizationTotal,
    TeamHours,
    TimeEntry,
    TimeLogged,
    Welcome,
)
from mwgbot.services.read_models import Digest
from mwgbot.slack import home_blocks, ids, meeting_blocks, member_blocks
from mwgbot.slack.renderer import BlockKitRenderer
from tests.block_kit_checks import assert_valid_message, assert_valid_view

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MEETING = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U0ADMIN> <https://evil.example|docs> &amp; <!here>"
DECEMBER = Month(2026, 12)


def welcome(**overrides: object) -> Welcome:
    values: dict[str, object] = {
        "user_id": "UDANA",
        "channel_id": "CMARKETING",
        "next_meeting": MEETING,
        "organizers": ("UEDEN", "UNICOLE"),
        "moderators": ("UMOD",),
        "consensus_min": timedelta(hours=72),
    }
    values.update(overrides)
    return Welcome(**values)  # type: ignore[arg-type]


def inert(payload: object) -> None:
    text = json.dumps(payload)
    for token in ("<!channel>", "<!here>", "<@U0ADMIN>", "<https://evil"):
        assert token not in text


def test_the_welcome_says_what_the_issue_asks() -> None:
    message = BlockKitRenderer().welcome(welcome(calendar_url="https://mwg.example.org/f.ics"))
    assert_valid_message(message)
    text = "\n".join(b["text"]["text"] for b in message.blocks)
    for expected in (
        "raise the platform's visibility and adoption",  # what the group does, in one line
        "lazy consensus",
        "at least 3 days",
        "moderators (<@UMOD>)",
        "`/mwg list`",
        "react :raised_hand:",
        "`/mwg propose &lt;title&gt;`",
        "10–20 h a month",
        "a suggestion, not a requirement",
        f"<!date^{int(MEETING.timestamp())}^{{date_long_pretty}} at {{time}}|",
        "The organizers are <@UEDEN> and <@UNICOLE>",
        "<https://mwg.example.org/f.ics|the meeting feed>",
    ):
        assert expected in text, expected
    assert "<@UDANA>" in message.text


def test_the_welcome_without_moderators_organizers_or_feed() -> None:
    message = member_blocks.welcome(welcome(organizers=(), moderators=(), join_emoji="wave"))
    assert_valid_message(message)
    text = json.dumps(message.blocks)
    assert "the AXIM representatives" in text
    assert "organizers" not in text
    assert "meeting feed" not in text
    assert "react :wave:" in text


def test_the_welcome_stays_valid_with_many_moderators() -> None:
    many = tuple(f"UMOD{n:04d}" for n in range(100))
    assert_valid_message(member_blocks.welcome(welcome(moderators=many, organizers=many)))


def entry(n: int, what: str = "drafted the case study", number: int | None = 4) -> TimeEntry:
    return TimeEntry(n, "UALICE", 90, what, date(2026, 12, 1), number, HOSTILE)


def test_time_answers_escape_what_members_wrote() -> None:
    logged = TimeLogged(entry(7, HOSTILE), MonthTotal(DECEMBER, 90))
    answer = member_blocks.logged_answer(logged)
    assert answer.startswith("Logged 1h30m on #4 *&lt;!channel&gt;")
    assert "(entry 7)" in answer
    assert "*1h30m*, under the suggested 10–20 h a month" in answer
    inert(answer)
    inert(member_blocks.unlogged_answer(logged))


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0, "under the suggested 10–20 h a month (only a suggestion)"),
        (600, "within the suggested 10–20 h a month"),
        (1200, "within the suggested"),
        (1201, "over the suggested 10–20 h a month (thank you!)"),
    ],
)
def test_the_month_is_told_against_the_band(minutes: int, words: str) -> None:
    hours = MonthHours(MonthTotal(DECEMBER, minutes), (entry(1),))
    assert words in member_blocks.hours_answer(hours)


def test_a_long_month_is_cut_between_lines_with_its_count() -> None:
    listed = tuple(entry(n, HOSTILE * 5 + "x" * MAX_WHAT) for n in range(25))
    answer = member_blocks.hours_answer(MonthHours(MonthTotal(DECEMBER, 9000), listed, more=475))
    assert len(answer) <= 2900
    assert "500 entries" in answer
    assert answer.count("• entry ") < 25
    assert "• and " in answer
    inert(answer)


def test_the_team_answer_is_bounded() -> None:
    team = TeamHours(
        month=DECEMBER,
        minutes=60_000,
        members=400,
        under=300,
        within=80,
        over=20,
        top=tuple(MemberTotal(f"UMEMBER{n:03d}", 1500 - n, HOSTILE * 2) for n in range(25)),
        organizations=tuple(OrganizationTotal(HOSTILE * 2, 900, 12) for _ in range(10)),
        more_organizations=90,
    )
    answer = member_blocks.team_answer(team)
    assert len(answer) <= 2900
    assert "from 400 members who logged time" in answer
    assert "80 within · 300 under · 20 over" in answer
    assert "• and " in answer
    inert(answer)


def test_hours_given_to_an_initiative() -> None:
    assert member_blocks.hours_given_line(HoursGiven(4, 270, 2)) == (
        "*Time given:* 4h30m by 2 members."
    )
    assert member_blocks.hours_given_line(HoursGiven(4, 60, 1)).endswith("by 1 member.")
    assert "none logged yet" in member_blocks.hours_given_line(HoursGiven(4))


def proposal(n: int, viewer_joined: bool) -> ProposalSnapshot:
    joiners = tuple(Participant(f"U{k:05d}", HOSTILE) for k in range(300))
    if viewer_joined:
        joiners += (Participant("UDANA"),)
    return ProposalSnapshot(
        number=n,
        title=HOSTILE + " " + "t" * 150,
        proposer_id="UBOB",
        created_at=NOW,
        closes_at=NOW + timedelta(days=3),
        state=State.OPEN,
        joiners=joiners,
        objections=tuple(Objection(f"U{k:05d}", HOSTILE * 20) for k in range(50)),
    )


def home(**overrides: object) -> HomeView:
    values: dict[str, object] = {
        "user_id": "UDANA",
        "as_of": NOW,
        "next_meeting": MEETING,
        "next_meeting_skipped": False,
        "next_held_meeting": MEETING,
        "month": MonthTotal(DECEMBER, 0),
    }
    values.update(overrides)
    return HomeView(**values)  # type: ignore[arg-type]


def test_a_new_members_home() -> None:
    view = home_blocks.home_view(home())
    assert_valid_view(view)
    text = json.dumps(view)
    assert "none right now" in text
    assert ids.ACTION_HOME_PROPOSE in text
    assert ids.ACTION_HOME_LOG_TIME in text


def test_the_busiest_home_stays_within_every_limit() -> None:
    view = home_blocks.home_view(
        home(
            closing=tuple(proposal(n, n % 2 == 0) for n in range(1, 11)),
            joined_closing=frozenset(n for n in range(1, 11) if n % 2 == 0),
            open_total=500,
            mine=tuple(
                InitiativeLine(n, HOSTILE + "m" * 200, State.ADOPTED, NOW, n % 2 == 0)
                for n in range(15)
            ),
            mine_total=900,
            objections=tuple(
                ObjectionLine(n, HOSTILE * 3, State.OPEN, NOW, HOSTILE * 20) for n in range(10)
            ),
            objections_total=400,
            month=MonthTotal(DECEMBER, 100_000),
            calendar_url="https://mwg.example.org/feed.ics",
            waiting=tuple(escalated(n) for n in range(20, 30)),
            waiting_total=40,
        ),
        notice=member_blocks.logged_answer(TimeLogged(entry(9, HOSTILE), MonthTotal(DECEMBER, 1))),
    )
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert [b["text"]["text"] for b in buttons] == ["Join", "Leave"] * 5
    assert {b["action_id"] for b in buttons} == {ids.ACTION_HOME_JOIN}
    text = json.dumps(view)
    assert "And 490 more" in text
    assert "(900)" in text
    assert "(400)" in text
    assert "*Waiting for your decision* (40)" in text
    assert "And 30 more: `/mwg list` shows every escalation." in text
    decisions = [
        element["action_id"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert decisions.count(ids.ACTION_HOME_ADOPT) == decisions.count(ids.ACTION_HOME_DECLINE) == 10
    inert(view)


def escalated(n: int) -> ProposalSnapshot:
    return ProposalSnapshot(
        number=n,
        title=HOSTILE + " " + "e" * 150,
        proposer_id="UBOB",
        created_at=NOW - timedelta(days=20),
        closes_at=NOW - timedelta(days=9),
        closed_at=NOW - timedelta(days=9),
        state=State.ESCALATED,
        objections=tuple(Objection(f"U{k:05d}", HOSTILE * 20, HOSTILE) for k in range(50)),
    )


def test_one_stance_per_member_on_the_home_tab() -> None:
    own = replace(proposal(1, False), proposer_id="UDANA")
    objected = proposal(2, False)
    view = home_blocks.home_view(
        home(
            closing=(own, objected, proposal(3, False)),
            objecting_closing=frozenset({2}),
            open_total=3,
            objections=(
                ObjectionLine(2, "Booth", State.OPEN, NOW + timedelta(days=3), "no"),
                ObjectionLine(9, "Escalate me", State.ESCALATED, NOW - timedelta(days=9), "no"),
                ObjectionLine(10, "Quiet", State.OPEN, NOW + timedelta(days=3), None),
            ),
            objections_total=3,
        )
    )
    assert_valid_view(view)
    sections = {b.get("block_id"): b for b in view["blocks"]}
    # No Join beside the viewer's own proposal, nor beside one they object to.
    assert "accessory" not in sections["home-open-1"]
    assert sections["home-open-1"]["text"]["text"].endswith(" · *you proposed it*")
    assert "accessory" not in sections["home-open-2"]
    assert sections["home-open-2"]["text"]["text"].endswith(" · *you object*")
    assert sections["home-open-3"]["accessory"]["text"]["text"] == "Join"
    text = json.dumps(view, ensure_ascii=False)
    # Her reason reads as hers, after the state: never as the moderators' verdict.
    assert (
        "• #9 *Escalate me* · :warning: escalated, waiting for a decision · your reason: “no”"
    ) in text
    assert "escalated to the moderators: no" not in text
    assert "• #10 *Quiet* · :hourglass_flowing_sand: open, closes <!date^" in text
    assert "· _you gave no reason yet_: `/mwg object 10 &lt;reason&gt;`" in text


def test_a_skipped_meeting_on_the_home_tab() -> None:
    after = MEETING + timedelta(days=14)
    view = home_blocks.home_view(home(next_meeting_skipped=True, next_held_meeting=after))
    text = json.dumps(view)
    assert "*skipped*; the next one is <!date^" + str(int(after.timestamp())) in text


@pytest.mark.parametrize("count", [0, 1, 100])
def test_the_log_time_form(count: int) -> None:
    choices = [InitiativeChoice(n, HOSTILE + "c" * 200) for n in range(1, count + 1)]
    form = home_blocks.log_time_modal(choices, date(2026, 12, 1))
    assert_valid_view(form)
    blocks = {b["block_id"]: b for b in form["blocks"]}
    assert (ids.BLOCK_INITIATIVE in blocks) == (count > 0)
    assert blocks[ids.BLOCK_DAY]["element"]["initial_date"] == "2026-12-01"
    assert all(b["type"] == "input" for b in form["blocks"])
    assert form["callback_id"] == ids.VIEW_LOG_TIME


def test_the_digest_welcomes_who_joined_and_a_newcomer_is_news() -> None:
    newcomer = meeting_blocks.digest(Digest(as_of=NOW, since=NOW, new_members=("UDANA",)))
    assert_valid_message(newcomer)
    assert [b["text"]["text"][:5] for b in newcomer.blocks][:2] == [":news", ":wave"]
    assert "*Joined the channel (1):* welcome, <@UDANA>!" in newcomer.blocks[1]["text"]["text"]
    assert "nothing new" not in newcomer.text
    crowd = tuple(f"UNEW{n:04d}" for n in range(500))
    busy = meeting_blocks.digest(Digest(as_of=NOW, since=None, new_members=crowd))
    assert_valid_message(busy)
    assert "and 475 more!" in json.dumps(busy.blocks)
    assert "Joined the channel" not in json.dumps(meeting_blocks.digest(Digest(NOW, NOW)).blocks)
