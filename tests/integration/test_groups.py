"""Several working groups, one bot, through signed requests: two groups from a file, each with
its own channel, numbers, rules and moderators; the channel decides the group."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mwgbot import decision_log
from mwgbot.db.models import SignupRow, TimeEntryRow
from mwgbot.domain.clock import ManualClock
from mwgbot.fakeslack import FakeSlack
from mwgbot.services import privacy
from mwgbot.services.decisions import DecisionLog
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.conftest import CHANNEL, START, RunningBot, card_as_text, start_bot
from tests.integration.member_support import dm_texts, home_of, home_text, open_home

EDU = "CEDUCATORS"
DM = "D0MEMBER"
GROUPS = f"""\
[[group]]
key = "mwg"
name = "Marketing Working Group"
channel = "{CHANNEL}"
moderators = ["UMWGMOD"]
organizers = ["UMWGORG"]

[[group]]
key = "edu"
name = "Educators Working Group"
channel = "{EDU}"
moderators = ["UEDUMOD"]
organizers = ["UEDUORG"]
consensus_window = "21d"
consensus_min = "14d"
about = "Educators share course design practice."
"""


@pytest.fixture
def groups_bot(database_url: str, fake_slack: FakeSlack, tmp_path: Path) -> Iterator[RunningBot]:
    path = tmp_path / "groups.toml"
    path.write_text(GROUPS, encoding="utf-8")
    clock = ManualClock(START)
    runtime, server, url = start_bot(
        database_url, fake_slack, clock, mwg_groups_file=str(path), mwg_channel=""
    )
    try:
        yield RunningBot(runtime, url, fake_slack, clock)
    finally:
        server.stop()
        runtime.close()


def card(bot: RunningBot, channel: str, number: int) -> dict[str, Any]:
    """Proposal n's card in a channel (waits for it to be posted)."""

    def found() -> dict[str, Any] | None:
        for message in bot.fake.messages(channel):
            if not message.get("thread_ts") and str(message.get("text", "")).startswith(
                f"#{number} "
            ):
                return message
        return None

    bot.fake.wait_until(lambda: found() is not None, timeout=10)
    message = found()
    assert message is not None
    return message


def react(bot: RunningBot, channel: str, number: int, user: str, emoji: str) -> None:
    ts = str(card(bot, channel, number)["ts"])
    bot.fake.add_reaction(channel, ts, emoji, user)
    event = sr.reaction_event(
        added=True,
        user_id=user,
        reaction=emoji,
        channel_id=channel,
        message_ts=ts,
        event_ts=f"{time.time():.6f}",
    )
    answer = bot.send(sr.event_callback(event, event_id=f"Ev{uuid.uuid4().hex[:12].upper()}"))
    assert answer.status == 200


def signups(bot: RunningBot) -> set[tuple[str, int, str]]:
    with bot.runtime.db.unit_of_work() as session:
        rows = session.execute(
            select(SignupRow.group_key, SignupRow.proposal_number, SignupRow.user_id)
        ).all()
    return {(g, n, u) for g, n, u in rows}


def propose_in_both(bot: RunningBot) -> None:
    assert bot.answer("propose Booth at the conference").startswith("Proposed #1")
    assert bot.answer("propose Course design clinic", channel=EDU).startswith("Proposed #1")
    bot.settle()


def test_each_group_numbers_from_one_and_posts_in_its_own_channel(groups_bot: RunningBot) -> None:
    propose_in_both(groups_bot)
    assert "Booth at the conference" in card_as_text(card(groups_bot, CHANNEL, 1))
    assert "Course design clinic" in card_as_text(card(groups_bot, EDU, 1))
    assert groups_bot.answer("propose Second booth").startswith("Proposed #2")
    groups_bot.settle()
    assert "Second booth" in card_as_text(card(groups_bot, CHANNEL, 2))
    assert all("Second booth" not in str(m.get("text")) for m in groups_bot.fake.messages(EDU))


def test_a_reaction_counts_for_its_own_cards_proposal(groups_bot: RunningBot) -> None:
    propose_in_both(groups_bot)
    react(groups_bot, CHANNEL, 1, "UBOB", "raised_hand")
    react(groups_bot, EDU, 1, "UCAROL", "raised_hand")
    groups_bot.settle()
    assert signups(groups_bot) == {("mwg", 1, "UBOB"), ("edu", 1, "UCAROL")}
    assert "UBOB" in card_as_text(card(groups_bot, CHANNEL, 1))
    assert "UCAROL" not in card_as_text(card(groups_bot, CHANNEL, 1))
    assert "UCAROL" in card_as_text(card(groups_bot, EDU, 1))


def test_a_button_on_a_card_joins_its_own_groups_proposal(groups_bot: RunningBot) -> None:
    propose_in_both(groups_bot)
    message = card(groups_bot, EDU, 1)
    _block, button = sr.find_button(message, ids.ACTION_JOIN)
    assert button["value"] == "edu#1"
    groups_bot.send(
        sr.block_action(
            ids.ACTION_JOIN,
            button["value"],
            user_id="UDANA",
            channel_id=EDU,
            message_ts=message["ts"],
        )
    )
    groups_bot.settle()
    assert signups(groups_bot) == {("edu", 1, "UDANA")}


def test_list_in_each_channel_shows_only_its_group(groups_bot: RunningBot) -> None:
    propose_in_both(groups_bot)
    marketing = groups_bot.answer("list")
    educators = groups_bot.answer("list", channel=EDU)
    assert "Booth at the conference" in marketing
    assert "Course design clinic" not in marketing
    assert "Course design clinic" in educators
    assert "Booth at the conference" not in educators


def test_each_groups_minimum_window_is_its_own(groups_bot: RunningBot) -> None:
    refused = groups_bot.answer("propose Short one --close 3d", channel=EDU)
    assert refused.startswith("A consensus window must be at least 14 days"), refused
    assert groups_bot.answer("propose Short one --close 3d").startswith("Proposed #1")


def test_each_groups_moderator_settles_only_their_groups_escalation(
    groups_bot: RunningBot,
) -> None:
    propose_in_both(groups_bot)
    assert "objection" in groups_bot.answer("object 1 not now", user="UBOB").lower()
    objected = groups_bot.answer("object 1 not yet", user="UCAROL", channel=EDU)
    assert "objection" in objected.lower()
    groups_bot.advance(timedelta(days=22))
    groups_bot.sweep()
    groups_bot.settle()
    # Each group's own moderator is told, with a command that works from the DM.
    (notice,) = dm_texts(groups_bot, "UEDUMOD")
    assert "edu#1" in notice, notice
    assert "/mwg resolve edu#1 adopt" in notice, notice
    assert "mwg#1" in " ".join(dm_texts(groups_bot, "UMWGMOD"))
    refused = groups_bot.answer("resolve 1 adopt go ahead", user="UEDUMOD")
    assert "moderator" in refused.lower(), refused
    assert "adopted" in groups_bot.answer("resolve 1 adopt go ahead", user="UMWGMOD").lower()
    refused = groups_bot.answer("resolve 1 decline no", user="UMWGMOD", channel=EDU)
    assert "moderator" in refused.lower(), refused
    declined = groups_bot.answer("resolve 1 decline no", user="UEDUMOD", channel=EDU)
    assert "declined" in declined.lower(), declined
    assert "Adopted" in groups_bot.answer("show mwg#1", channel=DM)
    assert "Declined" in groups_bot.answer("show edu#1", channel=DM)


def test_a_dm_names_the_group_and_a_bare_number_is_answered_with_the_choices(
    groups_bot: RunningBot,
) -> None:
    propose_in_both(groups_bot)
    assert "Course design clinic" in groups_bot.answer("show edu#1", channel=DM)
    assert "Course design clinic" in groups_bot.answer("show EDU#1", channel=DM)
    assert "Booth at the conference" in groups_bot.answer("show mwg#1", channel=DM)
    assert "joined" in groups_bot.answer("join edu#1", user="UDANA", channel=DM).lower()
    assert ("edu", 1, "UDANA") in signups(groups_bot)
    bare = groups_bot.answer("show 1", channel=DM)
    assert "`mwg#1`" in bare, bare
    assert "`edu#1`" in bare, bare
    unknown = groups_bot.answer("show data#1", channel=DM)
    assert "There is no group `data`" in unknown, unknown
    refused = groups_bot.answer("propose From a DM", channel=DM)
    assert f"<#{CHANNEL}>" in refused, refused
    assert f"<#{EDU}>" in refused, refused


def test_the_welcome_is_per_group_and_names_it(groups_bot: RunningBot) -> None:
    for channel in (CHANNEL, EDU, EDU):
        event = sr.member_joined("UNEWBIE", channel_id=channel)
        groups_bot.send(sr.event_callback(event, event_id=f"Ev{uuid.uuid4().hex[:12].upper()}"))
    groups_bot.settle()
    dm = groups_bot.fake.dm_channel("UNEWBIE")
    assert dm is not None
    texts = [card_as_text(m) for m in groups_bot.fake.messages(dm)]
    assert len(texts) == 2  # one per group, however often they join
    assert any("Educators Working Group" in t and "course design" in t for t in texts), texts


def test_each_group_has_its_calendar(groups_bot: RunningBot) -> None:
    for path in ("/calendar.ics", "/calendar/mwg.ics", "/calendar/edu.ics"):
        answer = sr.get(groups_bot.url, path)
        assert answer.status == 200, path
        assert "BEGIN:VCALENDAR" in answer.body
    assert sr.get(groups_bot.url, "/calendar/nope.ics").status == 404


def test_the_home_tab_shows_each_group_the_member_takes_part_in(groups_bot: RunningBot) -> None:
    propose_in_both(groups_bot)
    assert "joined" in groups_bot.answer("join 1", user="UDANA").lower()
    assert "joined" in groups_bot.answer("join 1", user="UDANA", channel=EDU).lower()
    groups_bot.settle()
    open_home(groups_bot, "UDANA")
    text = home_text(groups_bot, "UDANA")
    assert "Marketing Working Group" in text
    assert "Educators Working Group" in text
    assert text.index("Booth at the conference") < text.index("Educators Working Group")
    assert "Course design clinic" in text[text.index("Educators Working Group") :]
    view = home_of(groups_bot, "UDANA")
    assert view is not None
    ids_seen = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(ids_seen) == len(set(ids_seen))
    # Leave edu#1 from the Home tab: its button carries its group.
    groups_bot.send(sr.home_action(ids.ACTION_HOME_JOIN, user_id="UDANA", view=view, value="edu#1"))
    assert signups(groups_bot) == {("mwg", 1, "UDANA")}


def test_the_decision_export_names_each_rows_group_and_can_keep_to_one(
    groups_bot: RunningBot,
) -> None:
    propose_in_both(groups_bot)
    groups_bot.advance(timedelta(days=22))
    groups_bot.sweep()
    every = DecisionLog(groups_bot.runtime.db, now=groups_bot.clock.now(), use_names=False)
    assert [(r.group, r.number) for r in every.records()] == [("edu", 1), ("mwg", 1)]
    out = io.StringIO(newline="")
    assert decision_log.write_csv(out, every.records(), with_group=True) == 2
    header, *rows = out.getvalue().splitlines()
    assert header.startswith("group,number,title")
    assert [row.split(",")[:2] for row in rows] == [["edu", "1"], ["mwg", "1"]]
    edu = DecisionLog(
        groups_bot.runtime.db, now=groups_bot.clock.now(), use_names=False, group="edu"
    )
    assert [(r.group, r.title) for r in edu.records()] == [("edu", "Course design clinic")]
    assert edu.count() == 1


def test_mydata_covers_every_group(groups_bot: RunningBot) -> None:
    propose_in_both(groups_bot)
    groups_bot.answer("join 1", user="UDANA")
    groups_bot.answer("join 1", user="UDANA", channel=EDU)
    with groups_bot.runtime.db.unit_of_work() as session:
        data = privacy.member_data(session, "UDANA")
    assert [(j["group"], j["proposal"]) for j in data["joins"]] == [("mwg", 1), ("edu", 1)]


def test_time_logged_from_the_home_tab_goes_to_the_chosen_initiatives_group(
    groups_bot: RunningBot,
) -> None:
    propose_in_both(groups_bot)
    open_home(groups_bot, "UALICE")
    view = home_of(groups_bot, "UALICE")
    assert view is not None
    groups_bot.send(sr.home_action(ids.ACTION_HOME_LOG_TIME, user_id="UALICE", view=view))
    form = [v for v in groups_bot.fake.views if v["callback_id"] == ids.VIEW_LOG_TIME][-1]
    [initiative] = [b for b in form["blocks"] if b["block_id"] == ids.BLOCK_INITIATIVE]
    offered = {o["value"] for o in initiative["element"]["options"]}
    assert offered == {"mwg#1", "edu#1"}
    chosen = {"text": {"type": "plain_text", "text": "edu#1"}, "value": "edu#1"}
    state = {
        ids.BLOCK_DURATION: {ids.INPUT: {"type": "plain_text_input", "value": "1h"}},
        ids.BLOCK_INITIATIVE: {ids.INPUT: {"type": "static_select", "selected_option": chosen}},
        ids.BLOCK_WHAT: {ids.INPUT: {"type": "plain_text_input", "value": "course review"}},
        ids.BLOCK_DAY: {ids.INPUT: {"type": "datepicker", "selected_date": None}},
    }
    answer = groups_bot.send(sr.view_submission(ids.VIEW_LOG_TIME, state, user_id="UALICE"))
    assert answer.status == 200
    with groups_bot.runtime.db.unit_of_work() as session:
        entries = session.execute(
            select(TimeEntryRow.group_key, TimeEntryRow.proposal_number)
        ).all()
    assert [tuple(e) for e in entries] == [("edu", 1)]


def test_a_restart_reads_every_groups_cards_back_from_each_channels_history(
    groups_bot: RunningBot,
) -> None:
    """Recovery across groups: each channel's history is read once, each card counted for
    its own group's proposal (numbers repeat across groups), by its own group's rules."""
    from mwgbot.services.pacing import RateBudget
    from tests.integration.test_reconcile import fresh_reconciler

    for title in ("Booth", "Webinar"):
        assert groups_bot.answer(f"propose {title} --close 4d").startswith("Proposed #")
        assert groups_bot.answer(f"propose {title} clinic --close 15d", channel=EDU).startswith(
            "Proposed #"
        )
    groups_bot.settle()
    # While the bot is down: UBOB joins mwg#1, UCAROL joins edu#1, UDAVE objects to edu#2.
    groups_bot.fake.add_reaction(
        CHANNEL, str(card(groups_bot, CHANNEL, 1)["ts"]), "raised_hand", "UBOB"
    )
    groups_bot.fake.add_reaction(EDU, str(card(groups_bot, EDU, 1)["ts"]), "raised_hand", "UCAROL")
    groups_bot.fake.add_reaction(EDU, str(card(groups_bot, EDU, 2)["ts"]), "no_entry_sign", "UDAVE")
    groups_bot.fake.clear()
    reconciler = fresh_reconciler(groups_bot, RateBudget(rate=100, capacity=100))
    reconciler.groups = groups_bot.runtime.groups
    reconciler.group_keys = groups_bot.runtime.groups.keys
    reconciler.begin()
    assert reconciler.unread_since_start() == {("mwg", 1), ("mwg", 2), ("edu", 1), ("edu", 2)}

    report = reconciler.run_once()

    assert (report.cards, report.history_pages, report.full_reads) == (4, 2, 0)
    histories = [c.args["channel"] for c in groups_bot.fake.calls_to("conversations.history")]
    assert sorted(histories) == sorted([CHANNEL, EDU])
    assert signups(groups_bot) == {("mwg", 1, "UBOB"), ("edu", 1, "UCAROL")}
    assert reconciler.unread_since_start() == frozenset()


def test_an_answer_about_key_n_names_it_so_its_hints_act_on_the_same_group(
    groups_bot: RunningBot,
) -> None:
    """A new member's finding: `/mwg object mwg#1 …` typed in the educators' channel answered
    "`/mwg unobject 1` withdraws it", and that hint withdrew the educators' #1 objection."""
    propose_in_both(groups_bot)
    answer = groups_bot.answer("object mwg#1 no budget", user="UCAROL", channel=EDU)
    assert "Your objection to mwg#1 is recorded" in answer
    assert "`/mwg unobject mwg#1` withdraws it." in answer
    assert "You joined edu#1" in groups_bot.answer("join edu#1", user="UDANA")
    # A bare number in a group's channel is still that group's, and said so plainly.
    assert "Your objection to #1 is recorded" in groups_bot.answer(
        "object 1 survey first", user="UCAROL", channel=EDU
    )


def test_a_member_of_one_group_sees_that_groups_name_on_the_home_tab(
    groups_bot: RunningBot,
) -> None:
    propose_in_both(groups_bot)
    react(groups_bot, EDU, 1, "UGINA", "raised_hand")
    groups_bot.settle()
    open_home(groups_bot, "UGINA")
    groups_bot.fake.wait_until(lambda: home_of(groups_bot, "UGINA", required=False) is not None)
    text = home_text(groups_bot, "UGINA")
    assert ":house: *Your Educators Working Group*" in text
    assert "Marketing Working Group" not in text


def test_an_export_without_the_groups_file_still_tells_the_groups_apart(
    groups_bot: RunningBot, tmp_path: Path
) -> None:
    """A new member's finding: the console's two groups, exported with nothing but
    DATABASE_URL, came out in one table with two #1s, and `--group edu` was refused."""
    import os
    import subprocess
    import sys

    propose_in_both(groups_bot)
    groups_bot.advance(timedelta(days=22))  # both adopted
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DATABASE_URL": groups_bot.runtime.settings.database_url,
    }

    def export(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mwgbot.cli", "export", "decisions", "--ids", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    markdown = export()
    assert "| edu#1 | Course design clinic | adopted |" in markdown
    assert "| mwg#1 | Booth at the conference | adopted |" in markdown
    assert "## edu#1 Course design clinic" in markdown
    rows = export("--group", "EDU", "--format", "csv").strip().splitlines()
    assert len(rows) == 2
    assert rows[1].startswith("1,Course design clinic,adopted,")
