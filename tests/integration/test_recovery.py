"""Recovery across many cards: every card says which proposal it is (message metadata), and a
restart reads each channel's recent history back (`conversations.history`), calling
`reactions.get` only for the cards that history cannot show in full."""

from __future__ import annotations

from mwgbot.fakeslack import RecordedCall
from mwgbot.services.pacing import RateBudget
from mwgbot.services.reconcile import Reconciler
from mwgbot.slack import ids
from tests.conftest import CHANNEL, RunningBot
from tests.integration.test_reconcile import fresh_reconciler, joined, objecting, reconciled


def card_metadata(bot: RunningBot, number: int) -> object:
    message = bot.fake.message(CHANNEL, bot.card_ts(number))
    assert message is not None
    return message["metadata"]


def test_every_card_carries_its_group_and_number(bot: RunningBot) -> None:
    for i in range(1, 4):
        assert f"Proposed #{i}" in bot.answer(f"propose Idea {i} --close 4d", user=f"UPROP{i}")
    bot.settle()
    for number in (1, 2, 3):
        metadata = card_metadata(bot, number)
        assert isinstance(metadata, dict)
        assert metadata["event_type"] == ids.CARD_METADATA_EVENT_TYPE == "mwg_proposal"
        payload = metadata["event_payload"]
        assert (payload["group"], payload["number"]) == ("mwg", number)
        assert str(payload["marker"]).startswith("mwgbot-outbox-")  # uncertain posts: found
    # A redraw keeps it, and gives it to a card posted before cards carried metadata.
    bot.fake.set_metadata(CHANNEL, bot.card_ts(2), None)
    bot.fake.clear()
    bot.react(2, "UBOB")
    bot.settle()
    [redraw] = [c for c in bot.fake.calls_to("chat.update") if not c.failed]
    assert redraw.args["metadata"] == {
        "event_type": "mwg_proposal",
        "event_payload": {"group": "mwg", "number": 2},
    }
    assert card_metadata(bot, 2) == redraw.args["metadata"]


# --- the restart ---------------------------------------------------------------------------


def in_slack(bot: RunningBot, number: int) -> tuple[set[str], set[str]]:
    """Who Slack shows joined and objecting on a card (the bot's own reactions aside)."""
    message = bot.fake.message(CHANNEL, bot.card_ts(number))
    assert message is not None
    reactions = message["reactions"]
    people = set(reactions.get("raised_hand", [])), set(reactions.get("no_entry_sign", []))
    return people[0] - {bot.fake.bot_user_id}, people[1] - {bot.fake.bot_user_id}


def stored(bot: RunningBot, number: int) -> tuple[set[str], set[str]]:
    return joined(bot, number), objecting(bot, number)


def cards(bot: RunningBot, count: int) -> list[str]:
    for i in range(1, count + 1):
        assert f"Proposed #{i}" in bot.answer(f"propose Idea {i} --close 4d", user=f"UPROP{i}")
    bot.settle()
    return [bot.card_ts(n) for n in range(1, count + 1)]


def restart(bot: RunningBot, **options: int) -> Reconciler:
    """The reconciler of a bot that has just started (the running one's is held back), with
    budget enough for the test: what is counted is its calls, not the pacing."""
    reconciler = fresh_reconciler(bot, RateBudget(rate=100, capacity=100), **options)
    reconciler.begin()
    return reconciler


def reads(bot: RunningBot, method: str) -> list[RecordedCall]:
    return [c for c in bot.fake.calls_to(method) if not c.failed]


def test_one_restart_reads_many_cards_back_from_the_history(bot: RunningBot) -> None:
    timestamps = cards(bot, 10)
    for number in range(1, 11):
        bot.react(number, "UBOB")  # joined while the bot ran: stored
    bot.settle()
    # While the bot is down, on every card: UCAROL joins, UBOB leaves, UDAVE objects on
    # every other one; #5 gets more joiners than the history lists.
    for number, ts in enumerate(timestamps, start=1):
        bot.fake.add_reaction(CHANNEL, ts, "raised_hand", "UCAROL")
        bot.fake.remove_reaction(CHANNEL, ts, "raised_hand", "UBOB")
        if number % 2 == 0:
            bot.fake.add_reaction(CHANNEL, ts, "no_entry_sign", "UDAVE")
    for i in range(6):
        bot.fake.add_reaction(CHANNEL, timestamps[4], "raised_hand", f"UJOINER{i}")
    bot.fake.history_reaction_users = 3
    bot.fake.clear()

    reconciler = restart(bot)
    assert reconciler.unread_since_start() == frozenset(
        ("mwg", n) for n in range(1, 11)
    )  # their closes wait
    report = reconciler.run_once()

    assert (report.cards, report.history_pages, report.full_reads) == (10, 1, 1)
    [history] = reads(bot, "conversations.history")
    assert history.args["channel"] == CHANNEL
    assert str(history.args["include_all_metadata"]).lower() in ("1", "true")
    assert int(history.args["limit"]) == 200
    assert (history.args["oldest"], history.args["latest"]) == (timestamps[0], timestamps[-1])
    [full] = reads(bot, "reactions.get")  # only the card the history showed cut short
    assert full.args["timestamp"] == timestamps[4]
    for number in range(1, 11):
        assert stored(bot, number) == in_slack(bot, number), f"#{number}"
    assert joined(bot, 5) == {"UCAROL", *(f"UJOINER{i}" for i in range(6))}
    assert objecting(bot, 4) == {"UDAVE"}
    assert reconciler.unread_since_start() == frozenset()  # the closes may go
    kinds = [kind for kind, _actor, _n in reconciled(bot)]
    assert (kinds.count("joined"), kinds.count("left"), kinds.count("objected")) == (16, 10, 5)
    # A second pass within the interval reads nothing.
    bot.fake.clear()
    assert reconciler.run_once().cards == 0
    assert bot.fake.calls_to("conversations.history") == []


def test_a_card_older_than_the_history_read_is_read_with_reactions_get(bot: RunningBot) -> None:
    timestamps = cards(bot, 6)
    for i in range(3):  # members talk in the channel between the cards
        bot.fake.add_message(CHANNEL, f"chatter {i}", user="UERIN")
    for ts in timestamps:
        bot.fake.add_reaction(CHANNEL, ts, "raised_hand", "UCAROL")
    bot.fake.add_reaction(CHANNEL, timestamps[0], "no_entry_sign", "UDAVE")
    bot.fake.clear()

    # Two pages of two messages: the read stops before #1 and #2.
    report = restart(bot, history_limit=2, history_pages=2).run_once()

    assert (report.cards, report.history_pages, report.full_reads) == (6, 2, 2)
    assert sorted(c.args["timestamp"] for c in reads(bot, "reactions.get")) == timestamps[:2]
    pages = reads(bot, "conversations.history")
    assert pages[1].args["cursor"]  # the second page follows the first's cursor
    for number in range(1, 7):
        assert stored(bot, number) == in_slack(bot, number), f"#{number}"
    assert objecting(bot, 1) == {"UDAVE"}


def test_cards_are_matched_by_their_metadata_or_else_by_ts(bot: RunningBot) -> None:
    timestamps = cards(bot, 3)
    # #1 was posted by a release before cards carried metadata: matched by its ts.
    bot.fake.set_metadata(CHANNEL, timestamps[0], None)
    bot.fake.add_reaction(CHANNEL, timestamps[0], "raised_hand", "UCAROL")
    bot.fake.add_reaction(CHANNEL, timestamps[2], "raised_hand", "UBOB")
    # A message saying it is #2's card that is not the card the bot knows: it counts nowhere,
    # as an event on it would not.
    copy = bot.fake.add_message(
        CHANNEL,
        "#2 a copy",
        user=bot.fake.bot_user_id,
        metadata={"event_type": "mwg_proposal", "event_payload": {"group": "mwg", "number": 2}},
    )
    bot.fake.add_reaction(CHANNEL, copy, "no_entry_sign", "UMALLORY")
    # Another group's card in the channel says so: not ours.
    other = bot.fake.add_message(
        CHANNEL,
        "#3 of edu",
        user=bot.fake.bot_user_id,
        metadata={"event_type": "mwg_proposal", "event_payload": {"group": "edu", "number": 3}},
    )
    bot.fake.add_reaction(CHANNEL, other, "no_entry_sign", "UMALLORY")
    bot.fake.clear()

    report = restart(bot).run_once()

    assert (report.cards, report.full_reads) == (3, 0)
    assert stored(bot, 1) == ({"UCAROL"}, set())
    assert stored(bot, 2) == (set(), set())
    assert stored(bot, 3) == ({"UBOB"}, set())
    assert "UMALLORY" not in {actor for _kind, actor, _n in reconciled(bot)}


def test_a_channel_that_refuses_the_bot_holds_no_close_and_is_not_read_at_every_tick(
    bot: RunningBot,
) -> None:
    cards(bot, 3)
    bot.fake.kick_bot(CHANNEL)
    bot.fake.clear()
    reconciler = restart(bot)

    report = reconciler.run_once()

    assert (report.cards, report.failed) == (0, 1)
    assert reconciler.unread_since_start() == frozenset()  # the closes wait no longer
    assert reconciler.run_once().failed == 0  # read again after the interval, not now
    assert len(bot.fake.calls_to("conversations.history")) == 1
    assert bot.fake.calls_to("reactions.get") == []
    assert reconciler.status.channel_refusal(CHANNEL) == "not_in_channel"  # said once


def test_when_the_history_cannot_be_read_each_card_is_read_on_its_own(bot: RunningBot) -> None:
    timestamps = cards(bot, 3)
    bot.fake.add_reaction(CHANNEL, timestamps[1], "no_entry_sign", "UDAVE")
    bot.fake.fail_next("conversations.history", error="missing_scope")
    bot.fake.clear()

    report = restart(bot).run_once()

    assert (report.cards, report.failed, report.full_reads) == (3, 1, 3)
    assert objecting(bot, 2) == {"UDAVE"}


def test_two_instances_reading_the_same_history_apply_each_card_once(bot: RunningBot) -> None:
    timestamps = cards(bot, 4)
    for ts in timestamps:
        bot.fake.add_reaction(CHANNEL, ts, "raised_hand", "UCAROL")
    bot.fake.add_reaction(CHANNEL, timestamps[3], "no_entry_sign", "UDAVE")
    one, two = restart(bot), restart(bot)
    reports = []

    def while_one_reads(call: RecordedCall) -> None:
        # The second instance reads and applies everything while the first one's page of
        # history is on its way back to it.
        if call.method == "conversations.history":
            bot.fake.on_call = None
            reports.append(two.run_once())

    bot.fake.on_call = while_one_reads
    reports.append(one.run_once())

    assert [r.cards for r in reports] == [4, 0]  # the first one's claims found them taken
    assert len(reads(bot, "conversations.history")) == 2
    kinds = sorted(kind for kind, _actor, _n in reconciled(bot))
    assert kinds == ["joined"] * 4 + ["objected"]
    bot.settle()
    assert len([e for e in bot.fake.ephemerals if e["user"] == "UDAVE"]) == 1
