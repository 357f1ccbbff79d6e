"""Recovery across many cards: every card says which proposal it is (message metadata), and a
restart reads each channel's recent history back (`conversations.history`), calling
`reactions.get` only for the cards that history cannot show in full."""

from __future__ import annotations

from mwgbot.slack import ids
from tests.conftest import CHANNEL, RunningBot


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
