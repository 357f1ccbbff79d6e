"""What Slack refuses right now, in words for the person who can fix it.

One object per running bot (wired in `runtime.py`), shared by the Slack notifier (which sees
every answer), the delivery and the reconciler (which hold back while the token is refused),
and `/healthz` (which reports it). Two kinds of refusal, each logged once when it starts and
once when it ends, never once per retry:

- the token (`invalid_auth`, `token_revoked`, …): nothing the bot sends can land, so the
  delivery and the reconciler stop calling Slack, except one probe call at growing intervals
  (10 s, 20 s, … up to 5 minutes); the first call Slack answers ends it;
- a channel (`not_in_channel`, `channel_not_found`, `is_archived`): posts to it wait, and the
  members whose posts wait are told, once each per outage; the first post that lands ends it.

The state lives in this process only: a restart starts afresh, and is told again by Slack.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

TOKEN_REFUSALS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
CHANNEL_REFUSALS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
FIRST_PROBE_SECONDS = 10.0
MAX_PROBE_SECONDS = 300.0


def channel_fix(code: str, channel_id: str, bot_name: str) -> str:
    """What an operator does about a channel refusal, in the log's words."""
    if code == "not_in_channel":
        return f"the bot is not a member of it: type /invite @{bot_name} in that channel"
    if code == "is_archived":
        return "the channel is archived: unarchive it, or set MWG_CHANNEL to another channel"
    return (
        f"Slack finds no channel {channel_id} the bot can see: check MWG_CHANNEL "
        f"(a private channel needs /invite @{bot_name} there)"
    )


class SlackStatus:
    def __init__(
        self,
        *,
        bot_name: str = "mwgbot",
        monotonic: Callable[[], float] = time.monotonic,
        first_probe: float = FIRST_PROBE_SECONDS,
        max_probe: float = MAX_PROBE_SECONDS,
    ) -> None:
        self.bot_name = bot_name
        self.monotonic = monotonic
        self.first_probe = first_probe
        self.max_probe = max_probe
        self._lock = threading.Lock()
        self._token_refusal: str | None = None
        self._probe_every = first_probe
        self._next_probe = 0.0
        self._channels: dict[str, str] = {}  # channel -> Slack's refusal
        self._told: dict[str, set[str]] = {}  # channel -> members told in this outage

    # --- the token -------------------------------------------------------------------------

    @property
    def token_refusal(self) -> str | None:
        with self._lock:
            return self._token_refusal

    def token_refused(self, code: str) -> None:
        """Slack refused the bot token: one ERROR line when that starts, DEBUG after."""
        with self._lock:
            started = self._token_refusal is None
            if not started:
                self._probe_every = min(self.max_probe, self._probe_every * 2)
            self._token_refusal = code
            self._next_probe = self.monotonic() + self._probe_every
            wait = self._probe_every
        if started:
            log.error(
                "Slack refuses SLACK_BOT_TOKEN (%s): the token no longer works. Reinstall the "
                "app in the workspace (Install App), put the new bot token (xoxb-…) in "
                "SLACK_BOT_TOKEN (.env), and restart mwgbot. Nothing is posted meanwhile; "
                "/healthz answers 503",
                code,
            )
        else:
            log.debug("Slack still refuses the token (%s); next try in %gs", code, wait)

    def answered(self) -> None:
        """Slack answered a call with the token: a refusal of it is over."""
        with self._lock:
            was = self._token_refusal
            if was is None:
                return
            self._token_refusal = None
            self._probe_every = self.first_probe
        log.info("Slack accepts SLACK_BOT_TOKEN again (it refused it with %s)", was)

    def may_call(self) -> bool:
        """Whether a pass of calls may run now: always while the token works; while it is
        refused, one probe per interval (the caller that gets True makes it)."""
        with self._lock:
            if self._token_refusal is None:
                return True
            now = self.monotonic()
            if now < self._next_probe:
                return False
            self._next_probe = now + self._probe_every  # one probe, whoever asks first
            return True

    # --- the channels ----------------------------------------------------------------------

    def channel_refusal(self, channel_id: str) -> str | None:
        with self._lock:
            return self._channels.get(channel_id)

    def channel_refused(self, channel_id: str, code: str, doing: str) -> None:
        """Slack refused `doing` ("post the card of #3") in `channel_id`: one line saying what
        to do when that starts (or changes), DEBUG after."""
        with self._lock:
            started = self._channels.get(channel_id) != code
            self._channels[channel_id] = code
        if started:
            log.error(
                "cannot %s in channel %s (Slack answered %s): %s. What waits for it is "
                "posted, in order, as soon as Slack takes it",
                doing,
                channel_id,
                code,
                channel_fix(code, channel_id, self.bot_name),
            )
        else:
            log.debug("cannot %s in %s, still (%s)", doing, channel_id, code)

    def channel_back(self, channel_id: str, why: str) -> bool:
        """Posting in `channel_id` works again (a post landed, the bot was added): one INFO line
        if it was refused. Whether it was."""
        with self._lock:
            was = self._channels.pop(channel_id, None)
            self._told.pop(channel_id, None)
        if was is not None:
            log.info(
                "channel %s takes posts again (%s); it had refused them (%s)", channel_id, why, was
            )
        return was is not None

    def first_to_tell(self, channel_id: str, user_id: str) -> bool:
        """True once per member and outage of a channel: whether to tell them now."""
        with self._lock:
            told = self._told.setdefault(channel_id, set())
            if user_id in told:
                return False
            told.add(user_id)
            return True

    # --- /healthz --------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, str]]:
        """Whether the bot can reach Slack at all (False while the token is refused), and the
        `slack` and `channel` fields of /healthz."""
        with self._lock:
            token, channels = self._token_refusal, dict(self._channels)
        slack = "ok"
        if token is not None:
            slack = f"Slack refuses SLACK_BOT_TOKEN ({token}): put a working bot token in it"
        channel = "ok"
        if channels:
            channel = "; ".join(
                f"{channel_id}: {code}: {channel_fix(code, channel_id, self.bot_name)}"
                for channel_id, code in sorted(channels.items())
            )
        return token is None, {"slack": slack, "channel": channel}
