"""What the services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mwgbot.domain.proposals import ProposalSnapshot


@dataclass(frozen=True)
class Rendered:
    """A message ready for Slack: fallback text plus Block Kit blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


class DeliveryError(Exception):
    """A Slack call failed. `uncertain` when Slack may have acted anyway (timeout)."""

    def __init__(self, message: str, *, uncertain: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.uncertain = uncertain
        self.retry_after = retry_after


class Notifier(Protocol):
    """Posts to Slack; raises DeliveryError on failure."""

    def post(
        self,
        channel: str,
        message: Rendered,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
        marker: str | None = None,
    ) -> str: ...

    def update(self, channel: str, ts: str, message: Rendered) -> None: ...

    def post_ephemeral(self, channel: str, user: str, message: Rendered) -> None: ...

    def find_posted(self, channel: str, marker: str, since: datetime) -> str | None:
        """The ts of a message posted with this marker since then, if Slack has one."""
        ...


class Renderer(Protocol):
    """Pure builders of the messages the services send."""

    def card(self, proposal: ProposalSnapshot, join_emoji: str, object_emoji: str) -> Rendered: ...

    def outcome(self, proposal: ProposalSnapshot, moderators: Sequence[str]) -> Rendered: ...

    def ask_reason(self, proposal: ProposalSnapshot) -> Rendered: ...

    def note(self, text: str) -> Rendered: ...

    def closing_soon(self, proposal: ProposalSnapshot, object_emoji: str) -> Rendered: ...
