"""An in-process fake of the Slack Web API, served over real HTTP on loopback.

``FakeSlack`` binds ``127.0.0.1`` on an ephemeral port and answers ``POST /api/<method>``
the way slack.com does, closely enough that an unmodified ``slack_sdk.WebClient`` (and so
slack-bolt) can talk to it::

    with FakeSlack(users={"U1": "Alice"}) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.messages("C1")[0]["text"] == "hi"

It keeps channel state (messages, thread replies, edits), ephemerals, views and channel
canvases, records every call (including failed ones), and can inject failures (HTTP 5xx, 429
with ``Retry-After``, ``ok: false`` errors, slow answers) and token-bucket rate limits (Slack's
documented tiers: ``rate_limit_tier``). It also refuses what Slack refuses an operator must
fix: a channel the bot was removed from (``kick_bot``), an archived or deleted channel, a
revoked token (``revoke_token``).  Standard library only: it
is used by the test-suite and by the offline demo console.

Layout: ``core`` (HTTP server, parsing, recording, injection, dispatch) and one module per
Web API family (``chat``, ``conversations``, ``reactions``, ``views``, ``team``,
``socket_mode``, ``canvases``), each a mixin of ``base.FakeSlackBase`` with a ``METHODS`` table.
"""

from mwgbot.fakeslack.base import RecordedCall
from mwgbot.fakeslack.core import FakeSlack

__all__ = ["FakeSlack", "RecordedCall"]
