"""The token bucket that paces reads of Slack (reactions.get is Tier 3, about 50 a minute)."""

from __future__ import annotations

from mwgbot.services.pacing import RateBudget


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = Monotonic()
    budget = RateBudget(rate=0.5, capacity=3, monotonic=clock)
    assert budget.available() == 3
    for _ in range(3):
        budget.spend()
    assert budget.available() == 0
    clock.now += 1.9
    assert budget.available() == 0
    clock.now += 0.2
    assert budget.available() == 1
    clock.now += 100
    assert budget.available() == 3  # never more than the burst


def test_a_pause_holds_every_token_until_it_ends() -> None:
    clock = Monotonic()
    budget = RateBudget(rate=10, capacity=5, monotonic=clock)
    budget.pause(30)
    clock.now += 29.5
    assert budget.available() == 0
    clock.now += 0.75
    assert budget.available() == 2  # refilled from the pause's end only (0.25 s at 10/s)
    budget.pause(5)
    budget.pause(1)  # a shorter pause does not cut a longer one short
    clock.now += 2
    assert budget.available() == 0
