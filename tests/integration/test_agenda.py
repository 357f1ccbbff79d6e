"""Agenda topics end to end, through signed requests to the served app: `/mwg agenda add`,
the list, removal and carry-over, with their limits and refusals, and the topics shown in the
meeting's reminder, in `/mwg next` and on the Home tab."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from mwgbot.console.session import Console
from mwgbot.domain.agenda import MAX_TOPIC, MAX_TOPICS
from tests.conftest import CHANNEL, RunningBot
from tests.integration.meeting_support import advance, reminders, tokens
from tests.integration.member_support import home_of, home_text, open_home
from tests.ledger_support import Ledger

ORGANIZER = "UORGANIZER"
# START is Tuesday 2026-12-01 12:00 UTC; the group meets on Wednesdays at 15:00 UTC.
DEC_9 = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
DEC_23 = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
HOSTILE = "Budget <!channel> & *bold* _it_ <@UEVE> `code`"
HOSTILE_SHOWN = "Budget &lt;!channel&gt; &amp;"


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(
        str(b.get("text", {}).get("text", ""))
        if b["type"] == "section"
        else " ".join(str(e.get("text", "")) for e in b.get("elements", []))
        for b in blocks
    )


def full_answer(bot: RunningBot, text: str, user: str = "UALICE") -> str:
    """The ephemeral answer's fallback text and every block's text."""
    response = bot.command(text, user=user)
    assert response.status == 200
    body = response.json()
    return str(body["text"]) + "\n" + blocks_text(body.get("blocks") or [])


def kinds(rows: list[Any]) -> list[str]:
    return [r.kind for r in rows]


def test_a_topic_shows_in_the_reminder_in_next_and_on_home(bot: RunningBot) -> None:
    ledger = Ledger(bot)
    answer = bot.answer(f"agenda add {HOSTILE}")
    assert "Topic *1*" in answer
    assert tokens(answer)[0][0] == DEC_9
    assert HOSTILE_SHOWN in answer
    assert "<!channel>" not in answer
    assert "<@UEVE>" not in answer
    [row] = ledger.new()
    assert (row.kind, row.via, row.actor) == ("topic_added", "command", "UALICE")
    assert row.details == {"meeting": DEC_9.isoformat(), "topic": 1}

    listed = full_answer(bot, "agenda")
    assert HOSTILE_SHOWN in listed
    assert "<@UALICE>" in listed
    assert "*1.*" in listed
    assert "<!channel>" not in listed

    shown = full_answer(bot, "next")
    assert HOSTILE_SHOWN in shown
    assert "added by <@UALICE>" in shown
    assert "Agenda as it stands" in shown

    open_home(bot, "UBOB")
    home = home_text(bot, "UBOB")
    assert "Topics for the next meeting" in home
    assert HOSTILE_SHOWN in home
    assert "<@UALICE>" in home
    assert "<!channel>" not in home

    advance(bot, DEC_9 - timedelta(hours=24) - bot.clock.now())
    [reminder] = reminders(bot.fake)
    assert "Topics members added" in reminder
    assert HOSTILE_SHOWN in reminder
    assert "added by <@UALICE>" in reminder
    assert "<!channel>" not in reminder
    assert "<@UEVE>" not in reminder


def test_only_the_author_or_an_organizer_removes_a_topic(bot: RunningBot) -> None:
    bot.answer("agenda add First topic")
    bot.answer("agenda add Second topic", user="UBOB")
    ledger = Ledger(bot)
    refused = bot.answer("agenda remove 1", user="UBOB")
    assert "Only the member who added a topic, or an organizer" in refused
    assert ledger.new() == []
    assert "First topic" in full_answer(bot, "agenda")

    assert "is off the agenda" in bot.answer("agenda remove 1")
    assert "is off the agenda" in bot.answer("agenda remove 2", user=ORGANIZER)
    rows = ledger.new()
    assert kinds(rows) == ["topic_removed", "topic_removed"]
    assert [r.actor for r in rows] == ["UALICE", ORGANIZER]
    assert [r.details["topic"] for r in rows] == [1, 2]
    assert "No topics yet" in full_answer(bot, "agenda")

    # Numbers are never reused; an unknown number is a clear refusal.
    assert "Topic *3*" in bot.answer("agenda add Third topic")
    assert "has no topic 1" in bot.answer("agenda remove 1")
    assert "has no topic 9" in bot.answer("agenda remove 9", user=ORGANIZER)
    assert kinds(ledger.new()) == ["topic_added"]


def test_an_organizer_carries_a_topic_over_to_the_next_meeting(bot: RunningBot) -> None:
    bot.answer("agenda add Website refresh")
    bot.answer("agenda add Conference booth", user="UBOB")
    advance(bot, DEC_9 + timedelta(minutes=5) - bot.clock.now())
    # The meeting has started: the next one (23 December) has no topics yet.
    assert "No topics yet" in full_answer(bot, "agenda")
    ledger = Ledger(bot)
    refused = bot.answer("agenda carry 2", user="UBOB")
    assert "Only an organizer can carry a topic" in refused
    assert ledger.new() == []

    answer = bot.answer("agenda carry 2", user=ORGANIZER)
    assert "carried over" in answer
    assert "as topic *1*" in answer
    assert [t for t, _ in tokens(answer)] == [DEC_9, DEC_23]
    [row] = ledger.new()
    assert (row.kind, row.actor) == ("topic_carried", ORGANIZER)
    assert row.details == {
        "meeting": DEC_23.isoformat(),
        "topic": 1,
        "from_meeting": DEC_9.isoformat(),
        "from_topic": 2,
        "added_by": "UBOB",
    }
    listed = full_answer(bot, "agenda")
    assert "Conference booth" in listed
    assert "carried over" in listed
    assert "added by <@UBOB>" in listed
    assert "Website refresh" not in listed
    # Carrying it again says where it went, and changes nothing.
    again = bot.answer("agenda carry 2", user=ORGANIZER)
    assert "Topic 2 is already carried over to the meeting of" in again
    assert "2026-12-23" in again
    assert "has no topic 9: `/mwg meetings` lists" in bot.answer("agenda carry 9", user=ORGANIZER)
    assert ledger.new() == []
    # The meeting's record keeps both topics as discussed, the carried one marked so.
    body = bot.command("meetings").json()
    meetings = blocks_text(body["blocks"])
    assert "Website refresh" in meetings
    assert "discussed" in meetings
    [booth] = [line for line in meetings.splitlines() if "Conference booth" in line]
    assert "discussed, carried over to the meeting of <!date^" in booth
    assert [t for t, _ in tokens(booth)] == [DEC_23]


def test_limits_and_usage_are_refused_with_no_ledger_row(bot: RunningBot) -> None:
    ledger = Ledger(bot)
    assert "Usage: `/mwg agenda add &lt;topic&gt;`" in bot.answer("agenda add")
    assert "Usage" in bot.answer("agenda frobnicate")
    assert "is not a topic number" in bot.answer("agenda remove x")
    too_long = bot.answer("agenda add " + "x" * (MAX_TOPIC + 1))
    assert f"the most is {MAX_TOPIC}" in too_long
    assert ledger.new() == []
    for i in range(MAX_TOPICS):
        assert f"Topic *{i + 1}*" in bot.answer(f"agenda add topic {i + 1}", user=f"UMEMBER{i}")
    full = bot.answer("agenda add one too many")
    assert f"already has {MAX_TOPICS} topics" in full
    # The way out it names works: remove a topic of yours, then the topic goes on.
    assert "`/mwg agenda remove &lt;n&gt;`" in full
    assert "carry" not in full
    assert "is off the agenda" in bot.answer("agenda remove 3", user="UMEMBER2")
    assert "Topic *21*" in bot.answer("agenda add one too many")
    assert kinds(ledger.new()) == ["topic_added"] * MAX_TOPICS + ["topic_removed", "topic_added"]


def test_agenda_typos_get_a_hint_and_list_lists(bot: RunningBot) -> None:
    ledger = Ledger(bot)
    assert "did you mean `add`?" in bot.answer("agenda ad typo topic")
    assert "did you mean `list`?" in bot.answer("agenda lst")
    assert "did you mean `remove`?" in bot.answer("agenda remov 1")
    assert "did you mean" not in bot.answer("agenda frobnicate")
    bot.answer("agenda add Real topic")
    assert "Real topic" in full_answer(bot, "agenda list")
    several = bot.answer("agenda remove 1 2")
    assert "Give one topic number" in several
    assert "Which topic?" not in several
    assert "Which topic?" in bot.answer("agenda remove")
    assert kinds(ledger.new()) == ["topic_added"]


def test_a_topic_goes_to_the_meeting_after_a_skipped_one(bot: RunningBot) -> None:
    assert "is skipped" in bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    answer = bot.answer("agenda add After the holidays")
    assert tokens(answer)[0][0] == DEC_23
    assert tokens(full_answer(bot, "agenda"))[0][0] == DEC_23


def test_twenty_long_topics_make_a_valid_reminder(bot: RunningBot) -> None:
    """20 topics of 300 characters, the worst for escaping: the reminder stays within 50
    blocks and 3,000 characters a section (the fake checks every payload at teardown)."""
    text = ("&<>*_ " * 60)[:MAX_TOPIC]
    for i in range(MAX_TOPICS):
        assert "Topic" in bot.answer(f"agenda add {text}", user=f"UMEMBER{i}")
    response = bot.command("next")
    body = response.json()
    assert len(body["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"] if b["type"] == "section")
    assert blocks_text(body["blocks"]).count("added by <@UMEMBER") == MAX_TOPICS
    advance(bot, DEC_9 - timedelta(minutes=15) - bot.clock.now())
    posted = [
        m
        for m in bot.fake.messages(CHANNEL)
        if "starts in" in str(m.get("text", "")) and not m.get("thread_ts")
    ]
    assert posted
    last = posted[-1]
    assert len(last["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in last["blocks"] if b["type"] == "section")
    assert blocks_text(last["blocks"]).count("added by <@UMEMBER") == MAX_TOPICS
    assert open_home(bot, "UALICE").status == 200
    assert len(home_of(bot, "UALICE")["blocks"]) <= 100


def test_the_console_shows_topics_in_next_and_the_reminder(
    console_session: tuple[Console, io.StringIO],
) -> None:
    running, out = console_session
    running.handle("/mwg agenda add Plan the <!here> newsletter")
    running.handle("/mwg next")
    running.handle("clock +7d")
    text = out.getvalue()
    assert "Topic 1 is on the agenda" in text
    assert text.count("Plan the <!here> newsletter") >= 3  # the answer, /mwg next, a reminder
    assert "Topics members added" in text


def test_skipping_a_meeting_carries_its_topics_to_the_next_one_held(bot: RunningBot) -> None:
    bot.answer("agenda add Sponsor list")
    bot.answer("agenda add Newsletter", user="UBOB")
    ledger = Ledger(bot)
    answer = bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    assert "is skipped" in answer
    rows = ledger.new()
    assert kinds(rows) == ["meeting_skipped", "topic_carried", "topic_carried"]
    assert [(r.details["from_topic"], r.details["topic"]) for r in rows[1:]] == [(1, 1), (2, 2)]
    assert {r.details["meeting"] for r in rows[1:]} == {DEC_23.isoformat()}
    listed = full_answer(bot, "agenda")
    assert tokens(listed)[0][0] == DEC_23
    assert "Sponsor list" in listed
    assert "Newsletter" in listed
    assert listed.count("carried over") == 4  # both topics, in the fallback and the blocks
    bot.settle()
    notice = [m for m in bot.fake.messages(CHANNEL) if "*skipped*" in str(m.get("text", ""))]
    assert "2 agenda topics are carried over" in str(notice[-1]["text"])
    # Restoring the meeting brings them back, under their own numbers, one ledger row each.
    bot.answer("meeting unskip 2026-12-09", user=ORGANIZER)
    rows = ledger.new()
    assert kinds(rows) == ["meeting_restored", "topic_carried", "topic_carried"]
    assert [
        (
            r.details["meeting"],
            r.details["topic"],
            r.details["from_meeting"],
            r.details["from_topic"],
        )
        for r in rows[1:]
    ] == [
        (DEC_9.isoformat(), 1, DEC_23.isoformat(), 1),
        (DEC_9.isoformat(), 2, DEC_23.isoformat(), 2),
    ]
    back = full_answer(bot, "agenda")
    assert tokens(back)[0][0] == DEC_9
    assert "Sponsor list" in back
    assert "Newsletter" in back
    assert "carried over" not in back
    bot.settle()
    restored = [m for m in bot.fake.messages(CHANNEL) if "*back on*" in str(m.get("text", ""))]
    assert "The 2 agenda topics its skip carried over are back on it" in str(restored[-1]["text"])
    # 23 December has none of them left; a new topic goes to 9 December, numbered after them.
    back_on = bot.answer("agenda add Back on")
    assert tokens(back_on)[0][0] == DEC_9
    assert "Topic *3*" in back_on
    advance(bot, DEC_9 + timedelta(minutes=5) - bot.clock.now())
    assert "No topics yet" in full_answer(bot, "agenda")


def test_unskip_brings_topics_back_over_two_skips(bot: RunningBot) -> None:
    bot.answer("agenda add Topic for Dec 9")
    bot.answer("meeting skip 2026-12-09", user=ORGANIZER)
    bot.answer("meeting skip 2026-12-23", user=ORGANIZER)
    assert "Topic for Dec 9" in full_answer(bot, "agenda")  # on 6 January now
    ledger = Ledger(bot)
    bot.answer("meeting unskip 2026-12-09", user=ORGANIZER)
    [restored, carried] = ledger.new()
    assert restored.kind == "meeting_restored"
    assert carried.kind == "topic_carried"
    assert carried.details["meeting"] == DEC_9.isoformat()
    assert carried.details["from_meeting"] == datetime(2027, 1, 6, 15, tzinfo=UTC).isoformat()
    listed = full_answer(bot, "agenda")
    assert tokens(listed)[0][0] == DEC_9
    assert "Topic for Dec 9" in listed
    # Restoring 23 December as well finds nothing to bring back; 6 January has nothing left,
    # and the record of 23 December shows no copy of it.
    bot.answer("meeting unskip 2026-12-23", user=ORGANIZER)
    assert kinds(ledger.new()) == ["meeting_restored"]
    advance(bot, DEC_23 + timedelta(minutes=5) - bot.clock.now())
    assert "No topics yet" in full_answer(bot, "agenda")
    record = full_answer(bot, "meetings")
    assert record.count("Topic for Dec 9") == 2  # 9 December only, in the text and its block
