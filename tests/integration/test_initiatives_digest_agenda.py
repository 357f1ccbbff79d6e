"""Where initiatives show after adoption: the digest ("Delivered since the last digest" with
links, "Stalled"), the meeting agenda (stalled initiatives, deliveries since the previous
meeting), and neither counts a delivered or dropped initiative as live work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mwgbot.domain.activity import Via
from mwgbot.slack.renderer import BlockKitRenderer
from tests.block_kit_checks import assert_every_payload_valid, assert_valid_blocks
from tests.conftest import RunningBot
from tests.integration.meeting_support import digests, reminders

WINDOW = timedelta(days=4, minutes=1)
# START is Tuesday 2026-12-01 12:00 UTC; digests go out on Mondays at 14:00 UTC, the group
# meets on Wednesdays at 15:00 UTC: 9 and 23 December, 6 January.
MONDAY_DEC_7 = datetime(2026, 12, 7, 14, 0, 5, tzinfo=UTC)
MONDAY_DEC_14 = datetime(2026, 12, 14, 14, 0, 5, tzinfo=UTC)
MONDAY_DEC_28 = datetime(2026, 12, 28, 14, 0, 5, tzinfo=UTC)
DEC_9 = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
DEC_23 = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)


def to(bot: RunningBot, when: datetime) -> None:
    bot.advance(when - bot.clock.now())


def section(text: str, title: str) -> str:
    """The part of a digest or agenda under a title, up to the next blank line."""
    assert title in text, f"{title!r} not in {text}"
    return text.split(title, 1)[1].split("\n\n", 1)[0]


def test_the_digest_shows_deliveries_drops_and_stalled_initiatives(bot: RunningBot) -> None:
    bot.sweep()  # the bot's first start: no digest for the Monday before it
    bot.answer("propose Case studies --close 4d --stage consideration")
    bot.answer("propose Booth --close 4d --stage awareness")
    bot.answer("propose Video series --close 4d --stage action")
    bot.advance(WINDOW)  # Sat 5 Dec: all three adopted
    bot.answer("done 1 https://openedx.org/case-studies?a=1&b=2 Three published")
    bot.answer("drop 2 The sponsor withdrew")
    to(bot, MONDAY_DEC_7)
    [digest] = digests(bot.fake)
    delivered = section(digest, ":tada: *Delivered since the last digest* (1)")
    assert "#1 *Case studies* · *delivered* by <@UALICE> <!date^" in delivered
    assert "<https://openedx.org/case-studies?a=1&amp;b=2|openedx.org/case-studies?a=1" in delivered
    dropped = section(digest, ":end: *Dropped since the last digest* (1)")
    assert "#2 *Booth* · *dropped*: The sponsor withdrew" in dropped
    assert "Stalled" not in digest  # #3 was adopted only two days ago
    outcomes = section(digest, "*Outcomes (3)*")
    assert "#1 *Case studies* · *adopted* by lazy consensus, since delivered" in outcomes
    assert "#3 *Video series* · *adopted* by lazy consensus" in outcomes
    # Only #3 is live work: delivered and dropped initiatives cover no stage.
    uncovered = section(digest, "*Adopter-journey stages no open or adopted initiative covers:*")
    assert uncovered.splitlines()[0].strip() == (
        "Awareness, Interest, Consideration, Intent, Evaluation"
    )

    to(bot, MONDAY_DEC_28)  # #3 has had no update and no new join for over three weeks
    latest = digests(bot.fake)[-1]
    assert "Delivered since the last digest" not in latest  # told once, last time
    stalled = section(latest, ":zzz: *Stalled: active initiatives with no update or new join")
    assert "#3 *Video series* · no update or new join since <!date^" in stalled
    assert_every_payload_valid(bot.fake)


def test_a_delivered_initiative_no_longer_seeks_partners(bot: RunningBot) -> None:
    bot.sweep()
    bot.answer("org Abstract")
    bot.answer("propose Translations --close 4d --stage interest")
    bot.advance(WINDOW)
    to(bot, MONDAY_DEC_7)
    partners = section(digests(bot.fake)[-1], "*Adopted, seeking partners (1)*")
    assert "#1 *Translations*" in partners
    bot.answer("done 1 https://example.org/translations")
    to(bot, MONDAY_DEC_14)
    bot.clock.set(datetime(2027, 12, 13, 9, 0, tzinfo=UTC))  # a year later, a Monday
    bot.answer("propose Webinar --close 7d --stage awareness")  # live work, so no quiet digest
    bot.clock.set(datetime(2027, 12, 13, 14, 0, 5, tzinfo=UTC))
    bot.sweep()
    bot.settle()
    later = digests(bot.fake)[-1]
    assert "seeking partners" not in later
    assert "Translations" not in later
    assert "Every adopter-journey stage" not in later
    assert "Interest" in section(
        later, "*Adopter-journey stages no open or adopted initiative covers:*"
    )
    assert "seeking partners" not in bot.answer("next")
    assert "seeking partners" not in bot.answer("show 1")


def test_the_agenda_shows_deliveries_since_the_last_meeting_and_stalled_ones(
    bot: RunningBot,
) -> None:
    bot.answer("propose Case studies --close 4d")
    bot.answer("propose Podcast --close 4d")
    bot.advance(WINDOW)  # Sat 5 Dec: both adopted
    to(bot, DEC_9 + timedelta(hours=2))  # after the meeting of 9 December
    bot.answer("done 1 https://openedx.org/case-studies A series of three")
    agenda = bot.answer("next")  # for 23 December
    delivered = section(agenda, ":tada: *Delivered since the last meeting* (1)")
    assert "#1 *Case studies* · *delivered* by <@UALICE>" in delivered
    assert "<https://openedx.org/case-studies|openedx.org/case-studies>" in delivered
    assert "Stalled" not in agenda

    to(bot, DEC_23 - timedelta(hours=23))  # the day-before reminder of 23 December
    [reminder] = reminders(bot.fake)[-1:]
    assert "#1 *Case studies* · *delivered*" in reminder
    assert "Stalled" not in reminder  # #2 was adopted on 5 December: 17 days ago

    to(bot, datetime(2026, 12, 27, 12, 0, tzinfo=UTC))  # three weeks and a day after
    agenda = bot.answer("next")  # for 6 January
    assert "Delivered since the last meeting" not in agenda  # old news since 23 December
    stalled = section(agenda, ":zzz: *Stalled: active initiatives with no update or new join")
    assert "#2 *Podcast* · no update or new join since <!date^" in stalled
    bot.answer("update 2 Recorded the first episode")
    assert "Stalled" not in bot.answer("next")
    assert_every_payload_valid(bot.fake)


def test_digests_and_agendas_with_dozens_of_initiatives_are_valid(bot: RunningBot) -> None:
    bot.sweep()
    with bot.runtime.db.unit_of_work() as session:
        proposals = bot.runtime.bot.proposals(session, via=Via.COMMAND)
        for i in range(90):
            proposals.propose(
                f"U{i:04d}", f"Initiative {i:02d} <!channel> " + "t" * 100, window=WINDOW
            )
    bot.advance(WINDOW)  # Sat 5 Dec: all 90 adopted
    to(bot, DEC_23 + timedelta(hours=1))  # after the meeting of 23 December
    bot.clock.advance(timedelta(minutes=1))  # after the digest that sweep caught up with
    with bot.runtime.db.unit_of_work() as session:
        initiatives = bot.runtime.bot.initiatives(session, via=Via.COMMAND)
        for n in range(1, 41):
            initiatives.deliver(n, f"U{n - 1:04d}", f"https://example.org/{'d' * 300}/{n}", None)
        for n in range(41, 61):
            initiatives.drop(n, f"U{n - 1:04d}", "r" * 500)
    to(bot, MONDAY_DEC_28)  # the other 30 have been quiet since 5 December
    digest = digests(bot.fake)[-1]
    for header in (
        ":tada: *Delivered since the last digest* (40)",
        ":end: *Dropped since the last digest* (20)",
        ":zzz: *Stalled: active initiatives with no update or new join lately* (30)",
    ):
        assert header in digest
    renderer = BlockKitRenderer()
    with bot.runtime.db.unit_of_work() as session:
        agenda = bot.runtime.bot.meetings(session, via=Via.COMMAND).next_meetings().agenda
    assert (agenda.delivered.total, agenda.dropped.total, agenda.stalled.total) == (40, 20, 30)
    assert len(agenda.delivered.items) == 25  # bounded; the rest counted
    message = renderer.meeting_reminder(agenda)
    assert_valid_blocks(message.blocks)
    text = "\n".join(b["text"]["text"] for b in message.blocks)
    assert "<!channel>" not in text
    assert "more" in text
    assert "<!channel>" not in digest
    assert "• and " in section(digest, ":tada: *Delivered since the last digest* (40)")
    assert len(bot.answer("next")) <= 2900
    assert len(bot.answer("list")) <= 2900
    assert_every_payload_valid(bot.fake)
