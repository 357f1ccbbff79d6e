"""Card updates are paced for the whole workspace: chat.update is Tier 3 (about 50 a minute),
whichever cards change; a 429 pauses them for its Retry-After."""

from __future__ import annotations

from datetime import timedelta

from mwgbot.services.delivery import Delivery
from mwgbot.services.pacing import RateBudget
from tests.conftest import RunningBot


def test_many_stale_cards_are_updated_within_the_budget(bot: RunningBot) -> None:
    for i in range(8):
        assert "Proposed" in bot.answer(f"propose Idea {i} --close 4d", user=f"UPROPOSER{i}")
    bot.settle()
    running = bot.runtime.bot.delivery
    running.card_updates.pause(3600)  # the bot's own delivery holds back: this one acts alone
    now = [0.0]
    delivery = Delivery(
        running.db,
        running.notifier,
        running.renderer,
        running.policy,
        running.clock,
        card_update_interval=timedelta(0),
        card_updates=RateBudget(rate=1.0, capacity=3, monotonic=lambda: now[0]),
    )
    for i in range(8):
        bot.answer(f"join {i + 1}", user="UBOB")
    before = len(bot.fake.calls_to("chat.update"))

    assert delivery.run_once().cards_updated == 3
    assert delivery.run_once().cards_updated == 0
    now[0] += 2
    bot.fake.fail_next("chat.update", status=429, retry_after=20)
    assert delivery.run_once().cards_updated == 0
    now[0] += 19
    assert delivery.run_once().cards_updated == 0  # paused for Retry-After
    now[0] += 30
    assert delivery.run_once().cards_updated == 3
    now[0] += 5
    assert delivery.run_once().cards_updated == 2  # the rest, the failed one included
    updated = {c.args["ts"] for c in bot.fake.calls_to("chat.update")[before:] if not c.failed}
    assert len(updated) == 8
    for i in range(8):
        assert "<@UBOB>" in bot.card_text(i + 1)
