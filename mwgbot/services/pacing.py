"""Pacing calls to Slack's rate-limited methods (Tier 3: about 50 calls a minute per method
and workspace). A token bucket of about twenty lines; no library needed for that."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateBudget:
    """A token bucket over a monotonic clock: `rate` tokens a second, at most `capacity`."""

    def __init__(
        self, rate: float, capacity: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self._monotonic = monotonic
        self._tokens = capacity
        self._last = monotonic()
        self._paused_until = 0.0

    def available(self) -> int:
        now = self._monotonic()
        if now < self._paused_until:
            return 0
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        return int(self._tokens)

    def spend(self) -> None:
        self._tokens -= 1

    def pause(self, seconds: float) -> None:
        """Slack said to wait (429 Retry-After): no tokens until then."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
        self._tokens = 0
        self._last = self._paused_until  # tokens accrue again from the pause's end
