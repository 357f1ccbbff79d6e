"""What the fake Slack adds for the member features: other apps' bot users, and the app's
1:1 DMs it can be asked about; driven by a real slack_sdk WebClient over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from mwgbot.fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users={"U1": "Alice Smith"}) as f:
        yield f


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=5)


def test_a_bot_user_of_another_app_is_a_bot(fake: FakeSlack, client: WebClient) -> None:
    fake.add_bot("UZAPIER", "Zapier")
    zapier = client.users_info(user="UZAPIER")["user"]
    assert zapier["is_bot"] is True
    assert zapier["profile"]["bot_id"] == "BZAPIER"
    assert zapier["real_name"] == "Zapier"
    assert client.users_info(user="U1")["user"]["is_bot"] is False
    assert client.users_info(user="UBOTMWG")["user"]["profile"]["bot_id"] == "BBOTMWG"


def test_the_dm_a_member_was_opened_is_known_both_ways(fake: FakeSlack, client: WebClient) -> None:
    assert fake.dm_channel("U1") is None
    channel = client.conversations_open(users=["U1"])["channel"]["id"]
    assert channel.startswith("D")
    assert client.conversations_open(users="U1")["channel"]["id"] == channel
    assert fake.dm_channel("U1") == channel
    assert fake.dm_user(channel) == "U1"
    group = client.conversations_open(users=["U1", "U2"])["channel"]["id"]
    assert fake.dm_user(group) is None  # a group DM is no one's own
    assert fake.dm_user("CMARKETING") is None
