"""The Home tab: published with views.publish on `app_home_opened`, for a new member and for a
busy one (always valid Block Kit, at most 100 blocks), its Join, Propose and Log time buttons,
and the Log time form (errors shown on its fields, a valid submit logged)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from mwgbot.db.models import ObjectionRow, ProposalRow, SignupRow, TimeEntryRow
from mwgbot.domain.proposals import State
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.block_kit_checks import assert_valid_view
from tests.conftest import START, RunningBot
from tests.integration.meeting_support import Launcher, launcher_fixture  # noqa: F401
from tests.integration.member_support import (
    all_valid,
    entries,
    home_of,
    home_text,
    ledger_rows,
    open_home,
    publishes,
)

HOSTILE = "<!channel> & <@UADMIN> <https://evil.example|click>"


def test_a_new_member_sees_their_home(bot: RunningBot) -> None:
    answer = open_home(bot, "UDANA")
    assert answer.status == 200
    assert answer.seconds < 3
    assert publishes(bot, "UDANA") == 1
    text = home_text(bot, "UDANA")
    for expected in (
        "Your Marketing Working Group",
        "\nPropose an initiative\nLog time\n",  # the two buttons
        "*Next meeting:* <!date^1796828400^",  # Wednesday 2026-12-09 15:00 UTC
        "*Open proposals:* none right now",
        "*Your proposals and initiatives* (0)",
        "Nothing yet: join an open proposal above",
        "*Your standing objections* (0)",
        "*Your time in December 2026:* 0h, under the suggested 10–20 h a month",
    ):
        assert expected in text, expected
    view = home_of(bot, "UDANA")
    assert view is not None
    assert view["type"] == "home"
    all_valid(bot)


def test_opening_the_messages_tab_publishes_nothing(bot: RunningBot) -> None:
    assert open_home(bot, "UDANA", tab="messages").status == 200
    assert publishes(bot, "UDANA") == 0


def test_every_open_sees_the_current_state(bot: RunningBot) -> None:
    open_home(bot, "UALICE")
    bot.answer("propose Case-study series --close 4d", user="UBOB")
    bot.answer("object 1 the budget is not agreed yet")
    bot.answer("log 2h #1 review")
    open_home(bot, "UALICE")
    assert publishes(bot, "UALICE") == 2
    text = home_text(bot, "UALICE")
    assert "#1 *Case-study series*" in text
    assert "0 joined, 1 objecting" in text
    assert "*Your standing objections* (1)" in text
    # Her reason, quoted as hers: never where it reads as a verdict.
    assert "· :hourglass_flowing_sand: open, closes <!date^" in text
    assert " · your reason: “the budget is not agreed yet”" in text
    assert "*Your time in December 2026:* 2h" in text


def test_a_skipped_next_meeting_is_said_with_the_one_after(bot: RunningBot) -> None:
    bot.answer("meeting skip 2026-12-09", user="UORGANIZER")
    open_home(bot, "UDANA")
    text = home_text(bot, "UDANA")
    assert "the meeting of <!date^1796828400^" in text
    assert "is *skipped*; the next one is <!date^1798038000^" in text  # 2026-12-23


def test_the_calendar_feed_is_offered_when_set(launcher: Launcher) -> None:
    bot = launcher.start(mwg_calendar_url="https://mwg.example.org/feed.ics")
    open_home(bot, "UDANA")
    assert "<https://mwg.example.org/feed.ics|Add the meetings to your calendar>" in home_text(
        bot, "UDANA"
    )


def seed_busy_member(bot: RunningBot, user: str) -> None:
    """Hundreds of proposals joined, proposed and objected to (a member joins or objects,
    never both: the objections stand on 120 escalated proposals of bob's), and hundreds of
    entries."""
    with bot.runtime.db.unit_of_work() as session:
        for n in range(301, 421):
            session.add(
                ProposalRow(
                    group_key="mwg",
                    number=n,
                    title=f"{HOSTILE} escalation {n}",
                    proposer_id="UBOB",
                    state=State.ESCALATED.value,
                    created_at=START - timedelta(days=30),
                    closes_at=START - timedelta(days=20, minutes=n),
                    closed_at=START - timedelta(days=20, minutes=n),
                    channel_id="CMARKETING",
                    card_revision=0,
                    card_synced_revision=0,
                )
            )
        for n in range(1, 301):
            state = State.OPEN if n <= 150 else State.ADOPTED if n <= 250 else State.WITHDRAWN
            session.add(
                ProposalRow(
                    group_key="mwg",
                    number=n,
                    title=f"{HOSTILE} initiative {n} " + "x" * 100,
                    proposer_id=user if n > 150 else "UBOB",
                    state=state.value,
                    created_at=START - timedelta(days=1),
                    closes_at=START + timedelta(days=3, minutes=n),
                    channel_id="CMARKETING",
                    card_revision=0,
                    card_synced_revision=0,
                )
            )
        session.flush()
        for n in range(1, 151):
            session.add(
                SignupRow(group_key="mwg", proposal_number=n, user_id=user, joined_at=START)
            )
            session.add(
                SignupRow(group_key="mwg", proposal_number=n, user_id="UCAROL", joined_at=START)
            )
        session.flush()
        for n in range(301, 421):
            session.add(
                ObjectionRow(
                    group_key="mwg",
                    proposal_number=n,
                    user_id=user,
                    reason=HOSTILE * 10,
                    made_at=START,
                )
            )
        for n in range(151, 161):  # joined some of their own too: each still counts once
            session.add(
                SignupRow(group_key="mwg", proposal_number=n, user_id=user, joined_at=START)
            )
        for n in range(500):
            session.add(
                TimeEntryRow(
                    group_key="mwg",
                    user_id=user,
                    proposal_number=1 + n % 300,
                    minutes=15,
                    what=f"{HOSTILE} {n}",
                    worked_on=date(2026, 12, 1),
                    created_at=START,
                )
            )


def test_a_busy_member_gets_a_bounded_valid_home(bot: RunningBot) -> None:
    seed_busy_member(bot, "UDANA")
    open_home(bot, "UDANA")
    view = home_of(bot, "UDANA")
    assert view is not None
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100
    text = home_text(bot, "UDANA")
    assert "*Open proposals closing soonest* (10 of 150)" in text
    assert "And 140 more: `/mwg list` shows them all." in text
    assert text.count("Leave") == 10  # one button per listed proposal, all joined
    assert "*Your proposals and initiatives* (300)" in text
    assert "*Your standing objections* (120)" in text
    assert "*Your time in December 2026:* 125h, over the suggested 10–20 h a month" in text
    assert "• and " in text  # the long lists are cut between lines, with their count
    assert "<!channel>" not in json.dumps(view)
    assert "<@UADMIN>" not in json.dumps(view)
    all_valid(bot)


def test_joining_and_leaving_from_the_home_tab(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d", user="UBOB")
    bot.settle()
    open_home(bot, "UALICE")
    view = home_of(bot, "UALICE")
    assert view is not None
    press = sr.home_action(ids.ACTION_HOME_JOIN, user_id="UALICE", view=view, value="1")
    answer = bot.send(press)
    assert answer.status == 200
    assert answer.seconds < 3
    text = home_text(bot, "UALICE")
    assert "You joined #1 *Case-study series*." in text
    assert "*you joined*" in text
    assert "Leave" in text
    bot.settle()
    assert "<@UALICE>" in bot.card_text(1)  # the card in the channel shows it
    assert ledger_rows(bot)[-1][:3] == ("joined", "button", "UALICE")

    view = home_of(bot, "UALICE")
    assert view is not None
    bot.send(sr.home_action(ids.ACTION_HOME_JOIN, user_id="UALICE", view=view, value="1"))
    assert "You left #1." in home_text(bot, "UALICE")
    all_valid(bot)


def test_a_stale_home_button_is_answered_in_the_home_tab(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d", user="UBOB")
    open_home(bot, "UALICE")
    view = home_of(bot, "UALICE")
    assert view is not None
    bot.answer("withdraw 1", user="UBOB")  # the Home still shows #1 as open
    answer = bot.send(sr.home_action(ids.ACTION_HOME_JOIN, user_id="UALICE", view=view))
    assert answer.status == 200
    assert "#1 is withdrawn; it takes no new participants." in home_text(bot, "UALICE")
    # A forged value is answered too, without a crash.
    view = home_of(bot, "UALICE")
    assert view is not None
    forged = json.loads(json.dumps(view))
    forged["blocks"].append(
        {
            "type": "section",
            "block_id": "forged",
            "text": {"type": "mrkdwn", "text": "x"},
            "accessory": {
                "type": "button",
                "action_id": ids.ACTION_HOME_JOIN,
                "text": {"type": "plain_text", "text": "Join"},
                "value": "not-a-number",
            },
        }
    )
    press = sr.home_action(
        ids.ACTION_HOME_JOIN, user_id="UALICE", view=forged, value="not-a-number"
    )
    assert bot.send(press).status == 200
    assert "That button is out of date" in home_text(bot, "UALICE")


def test_propose_from_the_home_tab_opens_the_proposal_form(bot: RunningBot) -> None:
    open_home(bot, "UALICE")
    view = home_of(bot, "UALICE")
    assert view is not None
    assert bot.send(sr.home_action(ids.ACTION_HOME_PROPOSE, user_id="UALICE", view=view)).status
    [opened] = [v for v in bot.fake.views if v["opened_by"] == "views.open"]
    assert opened["callback_id"] == ids.VIEW_PROPOSE
    assert opened["private_metadata"] == "CMARKETING"
    all_valid(bot)


def log_form(bot: RunningBot, user: str) -> dict[str, Any]:
    open_home(bot, user)
    view = home_of(bot, user)
    assert view is not None
    answer = bot.send(sr.home_action(ids.ACTION_HOME_LOG_TIME, user_id=user, view=view))
    assert answer.status == 200
    forms = [v for v in bot.fake.views if v["callback_id"] == ids.VIEW_LOG_TIME]
    return forms[-1]


def test_the_log_time_form_offers_at_most_100_initiatives_the_members_own_first(
    bot: RunningBot,
) -> None:
    seed_busy_member(bot, "UDANA")
    form = log_form(bot, "UDANA")
    assert_valid_view(form)
    [select] = [b for b in form["blocks"] if b["block_id"] == ids.BLOCK_INITIATIVE]
    options = select["element"]["options"]
    assert len(options) == 100
    assert options[0]["value"] == "250"  # live and their own, newest first
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    [day] = [b for b in form["blocks"] if b["block_id"] == ids.BLOCK_DAY]
    assert day["element"]["initial_date"] == "2026-12-01"
    all_valid(bot)


def values(
    duration: str, what: str, day: str | None, initiative: str | None = None
) -> dict[str, Any]:
    chosen = None
    if initiative is not None:
        chosen = {"text": {"type": "plain_text", "text": f"#{initiative}"}, "value": initiative}
    return {
        ids.BLOCK_DURATION: {ids.INPUT: {"type": "plain_text_input", "value": duration}},
        ids.BLOCK_INITIATIVE: {ids.INPUT: {"type": "static_select", "selected_option": chosen}},
        ids.BLOCK_WHAT: {ids.INPUT: {"type": "plain_text_input", "value": what or None}},
        ids.BLOCK_DAY: {ids.INPUT: {"type": "datepicker", "selected_date": day}},
    }


def submit(bot: RunningBot, user: str, state: dict[str, Any]) -> sr.HttpAnswer:
    return bot.send(sr.view_submission(ids.VIEW_LOG_TIME, state, user_id=user))


def test_the_log_time_form_shows_errors_on_its_fields_and_logs_nothing(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    log_form(bot, "UALICE")
    rows = len(ledger_rows(bot))
    answer = submit(bot, "UALICE", values("0m", "", "2026-12-25"))
    assert answer.status == 200
    body = answer.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {ids.BLOCK_DURATION, ids.BLOCK_WHAT, ids.BLOCK_DAY}
    assert "zero time" in body["errors"][ids.BLOCK_DURATION]
    assert "Say what you did" in body["errors"][ids.BLOCK_WHAT]
    assert "in the future" in body["errors"][ids.BLOCK_DAY]
    assert all(len(e) <= 150 for e in body["errors"].values())

    cases = [
        (values("25h", "work", "2026-12-01"), ids.BLOCK_DURATION, "at most 24h"),
        (values("2 hours", "work", "2026-12-01"), ids.BLOCK_DURATION, "not a duration"),
        (values("2h", "work", "2026-09-01"), ids.BLOCK_DAY, "earliest day you can log"),
        (values("2h", "w" * 301, "2026-12-01"), ids.BLOCK_WHAT, "the most is 300"),
        (values("2h", "work", "2026-12-01", "99"), ids.BLOCK_INITIATIVE, "no proposal #99"),
        (values("2h", "work", None, "x"), ids.BLOCK_INITIATIVE, "Choose an initiative"),
    ]
    for state, block, hint in cases:
        body = submit(bot, "UALICE", state).json()
        assert body["response_action"] == "errors", state
        assert list(body["errors"]) == [block], body
        assert hint in body["errors"][block], body
    assert entries(bot) == 0
    assert len(ledger_rows(bot)) == rows


def test_a_valid_log_time_form_logs_and_answers_in_the_home_tab(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    log_form(bot, "UALICE")
    rows = len(ledger_rows(bot))
    answer = submit(bot, "UALICE", values("1h30m", "drafted the <b>outline</b>", "2026-11-30", "1"))
    assert answer.status == 200
    assert answer.body == ""  # the form closes
    assert entries(bot) == 1
    assert len(ledger_rows(bot)) == rows + 1
    assert ledger_rows(bot)[-1] == (
        "time_logged",
        "modal",
        "UALICE",
        1,
        {
            "entry": 1,
            "minutes": 90,
            "worked_on": "2026-11-30",
            "what": "drafted the <b>outline</b>",
        },
    )
    text = home_text(bot, "UALICE")
    assert "Logged 1h30m on #1 *Case-study series* for 2026-11-30" in text
    assert "drafted the &lt;b&gt;outline&lt;/b&gt;" in text
    # No day chosen: today (UTC).
    submit(bot, "UALICE", values("45m", "calls", None))
    assert "Logged 45m for 2026-12-01: calls (entry 2)." in home_text(bot, "UALICE")
    all_valid(bot)
