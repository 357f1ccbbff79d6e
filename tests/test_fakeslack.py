"""The fake Slack Web API, driven by a real slack_sdk WebClient over loopback HTTP."""

from __future__ import annotations

import json
import threading
import time
import types
from collections.abc import Callable, Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from mwgbot.fakeslack import FakeSlack, RecordedCall

METADATA = {"event_type": "mwg_proposal", "event_payload": {"proposal_id": 7}}
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users={"U1": "Alice Smith"}) as f:
        yield f


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=5)


def test_url_and_auth_test(fake: FakeSlack, client: WebClient) -> None:
    assert fake.url == f"http://127.0.0.1:{fake.port}/api/"
    resp = client.auth_test()
    assert resp["user_id"] == "UBOTMWG"
    assert resp["bot_id"] == "BBOTMWG"
    assert resp["team_id"] == "T0MWG"
    assert resp["is_enterprise_install"] is False
    [call] = fake.calls_to("auth.test")
    assert call.token == "xoxb-test"
    assert not call.failed


def test_post_update_and_history(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hello", blocks=BLOCKS, metadata=METADATA)
    assert first["channel"] == "C1"
    assert first["message"]["user"] == "UBOTMWG"
    assert first["message"]["bot_id"] == "BBOTMWG"
    assert first["message"]["blocks"] == BLOCKS
    assert first["message"]["metadata"] == METADATA
    second = client.chat_postMessage(channel="C1", text="plain")
    assert float(second["ts"]) > float(first["ts"])
    assert first["ts"] == "1767800000.000100"

    upd = client.chat_update(channel="C1", ts=first["ts"], text="edited")
    assert upd["ts"] == first["ts"]
    assert upd["text"] == "edited"
    assert upd["message"]["text"] == "edited"
    assert upd["message"]["blocks"] == BLOCKS  # omitted blocks are retained

    [m1, m2] = fake.messages("C1")
    assert (m1["text"], m1["updates"], m1["metadata"]) == ("edited", 1, METADATA)
    assert (m2["text"], m2["updates"], m2["thread_ts"]) == ("plain", 0, None)

    hist = client.conversations_history(channel="C1")
    assert [m["text"] for m in hist["messages"]] == ["plain", "edited"]  # newest first
    assert hist["has_more"] is False
    assert all("metadata" not in m for m in hist["messages"])

    hist = client.conversations_history(channel="C1", include_all_metadata=True, limit=1)
    assert [m["text"] for m in hist["messages"]] == ["plain"]
    assert hist["has_more"] is True
    hist = client.conversations_history(
        channel="C1", include_all_metadata=True, latest=second["ts"]
    )
    assert [m["ts"] for m in hist["messages"]] == [first["ts"]]
    assert hist["messages"][0]["metadata"] == METADATA
    hist = client.conversations_history(channel="C1", oldest=first["ts"])
    assert [m["ts"] for m in hist["messages"]] == [second["ts"]]

    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts="1.000000", text="x")
    assert err.value.response["error"] == "message_not_found"


def test_history_lists_reactions_as_slack_does_with_the_users_capped(
    fake: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="C1", text="card", metadata=METADATA)["ts"]
    for user in ("UA", "UB", "UC", "UD"):
        fake.add_reaction("C1", posted, "raised_hand", user)
    fake.add_reaction("C1", posted, "tada", "UA")

    [message] = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert message["metadata"] == METADATA
    assert message["reactions"] == [
        {"name": "raised_hand", "users": ["UA", "UB", "UC", "UD"], "count": 4},
        {"name": "tada", "users": ["UA"], "count": 1},
    ]

    fake.history_reaction_users = 2  # Slack lists a few users; `count` stays the whole number
    [message] = client.conversations_history(channel="C1")["messages"]
    assert message["reactions"] == [
        {"name": "raised_hand", "users": ["UA", "UB"], "count": 4},
        {"name": "tada", "users": ["UA"], "count": 1},
    ]
    # reactions.get with `full` still lists everyone; the stored message is untouched.
    full = client.reactions_get(channel="C1", timestamp=posted, full=True)["message"]
    assert full["reactions"][0]["users"] == ["UA", "UB", "UC", "UD"]
    assert fake.messages("C1")[0]["reactions"]["raised_hand"] == ["UA", "UB", "UC", "UD"]


def test_form_encoded_blocks_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    client.api_call(
        "chat.postMessage",
        params={"channel": "C2", "text": "t", "blocks": json.dumps(BLOCKS)},
    )
    [call] = fake.calls_to("chat.postMessage")
    assert call.args["blocks"] == BLOCKS
    assert fake.messages("C2")[0]["blocks"] == BLOCKS


def test_thread_reply(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    client.chat_postMessage(channel="C1", text="loud", thread_ts=parent["ts"], reply_broadcast=True)
    msgs = fake.messages("C1")
    assert [(m["text"], m["thread_ts"], m["reply_broadcast"]) for m in msgs] == [
        ("parent", None, False),
        ("reply", parent["ts"], False),
        ("loud", parent["ts"], True),
    ]
    hist = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in hist] == ["loud", "parent"]  # plain replies stay in the thread
    assert hist[1]["reply_count"] == 2


def test_ephemeral_views_and_users(fake: FakeSlack, client: WebClient) -> None:
    eph = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert eph["message_ts"]
    assert fake.ephemerals == [
        {
            "channel": "C1",
            "user": "U1",
            "text": "only you",
            "blocks": [],
            "thread_ts": None,
            "message_ts": eph["message_ts"],
        }
    ]

    view = {
        "type": "modal",
        "callback_id": "propose",
        "private_metadata": "C1",
        "title": {"type": "plain_text", "text": "Propose"},
        "blocks": BLOCKS,
    }
    opened = client.views_open(trigger_id="123.456.abc", view=view)["view"]
    assert opened["callback_id"] == "propose"
    assert opened["private_metadata"] == "C1"
    assert opened["state"] == {"values": {}}
    assert opened["id"].startswith("V")
    updated = client.views_update(view_id=opened["id"], view={**view, "callback_id": "v2"})
    assert updated["view"]["callback_id"] == "v2"
    [stored] = fake.views
    assert (stored["id"], stored["callback_id"], stored["updates"]) == (opened["id"], "v2", 1)
    assert stored["trigger_id"] == "123.456.abc"

    user = client.users_info(user="U1")["user"]
    assert user["profile"]["display_name"] == "Alice Smith"
    assert user["tz"] == "America/New_York"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="nobody")
    assert err.value.response["error"] == "user_not_found"


def test_socket_mode_connection_url(fake: FakeSlack) -> None:
    fake.socket_mode_url = "ws://127.0.0.1:9/link"
    app_client = WebClient(base_url=fake.url)
    assert app_client.apps_connections_open(app_token="xapp-1-test")["url"] == fake.socket_mode_url
    assert fake.calls_to("apps.connections.open")[0].token == "xapp-1-test"


def test_fail_next_500_raises(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 500
    client.chat_postMessage(channel="C1", text="y")  # only the next call fails
    calls = fake.calls_to("chat.postMessage")
    assert [(c.failed, c.status) for c in calls] == [(True, 500), (False, 200)]
    assert [m["text"] for m in fake.messages("C1")] == ["y"]


def test_fail_next_error(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "channel_not_found"


def test_fail_next_429_is_retried(fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", types.SimpleNamespace(sleep=slept.append))
    monkeypatch.setattr(builtin_handlers, "random", types.SimpleNamespace(random=lambda: 0.0))
    client = WebClient(
        token="xoxb-test",
        base_url=fake.url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake.fail_next("chat.postMessage", status=429, retry_after=3)
    resp = client.chat_postMessage(channel="C1", text="eventually")
    assert resp["ok"] is True
    assert slept == [3]  # the client honoured Retry-After
    calls = fake.calls_to("chat.postMessage")
    assert [(c.failed, c.status, c.error) for c in calls] == [
        (True, 429, "ratelimited"),
        (False, 200, None),
    ]
    assert len(fake.messages("C1")) == 1


def test_rate_limit(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit("chat.update", per_second=1.0)
    ts = client.chat_postMessage(channel="C1", text="a")["ts"]
    client.chat_update(channel="C1", ts=ts, text="b")
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts=ts, text="c")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert fake.rate_limited_count == 1
    assert fake.messages("C1")[0]["text"] == "b"


def test_invalid_token_and_unknown_method(fake: FakeSlack) -> None:
    bad = WebClient(token="not-a-token", base_url=fake.url)
    with pytest.raises(SlackApiError) as err:
        bad.chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=fake.url).auth_test()
    assert err.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-x", base_url=fake.url).api_call("nope.never")
    assert err.value.response["error"] == "unknown_method"
    assert [(c.method, c.failed) for c in fake.calls] == [
        ("chat.postMessage", True),
        ("auth.test", True),
        ("nope.never", True),
    ]
    assert fake.messages("C1") == []


def error_of(call: Callable[[], object]) -> str:
    """Slack's error code for a call the fake refused (SlackApiError), else ''."""
    try:
        call()
    except SlackApiError as error:
        return str(error.response["error"])
    return ""


def test_a_channel_the_bot_was_removed_from_refuses_it_and_keeps_its_messages(
    fake: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="C1", text="before")["ts"]
    client.reactions_add(channel="C1", timestamp=posted, name="wave")
    fake.kick_bot("C1")
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="hi")) == "not_in_channel"
    assert error_of(lambda: client.chat_update(channel="C1", ts=posted, text="x")) == (
        "not_in_channel"
    )
    assert error_of(lambda: client.conversations_history(channel="C1")) == "not_in_channel"
    assert error_of(lambda: client.reactions_get(channel="C1", timestamp=posted)) == (
        "not_in_channel"
    )
    assert error_of(lambda: client.chat_postEphemeral(channel="C1", user="U1", text="x")) == (
        "not_in_channel"
    )
    client.chat_postMessage(channel="C2", text="elsewhere")  # other channels are unaffected
    dm = client.conversations_open(users="U1")["channel"]["id"]
    client.chat_postMessage(channel=dm, text="a DM still goes")
    assert [m["text"] for m in fake.messages("C1")] == ["before"]  # Slack keeps them
    assert fake.calls_to("chat.postMessage")[1].error == "not_in_channel"

    fake.invite_bot("C1")
    client.chat_postMessage(channel="C1", text="after")
    assert [m["text"] for m in fake.messages("C1")] == ["before", "after"]


def test_an_archived_channel_is_read_but_not_written(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="before")["ts"]
    fake.archive("C1")
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="hi")) == "is_archived"
    assert error_of(lambda: client.chat_update(channel="C1", ts=posted, text="x")) == (
        "is_archived"
    )
    assert error_of(lambda: client.reactions_add(channel="C1", timestamp=posted, name="x")) == (
        "is_archived"
    )
    assert [m["text"] for m in client.conversations_history(channel="C1")["messages"]] == ["before"]
    fake.unarchive("C1")
    client.chat_postMessage(channel="C1", text="after")


def test_a_deleted_channel_is_not_found_and_its_messages_are_gone(
    fake: FakeSlack, client: WebClient
) -> None:
    client.chat_postMessage(channel="C1", text="before")
    fake.delete_channel("C1")
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="hi")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.conversations_history(channel="C1")) == "channel_not_found"
    assert fake.messages("C1") == []


@pytest.mark.parametrize("code", ["token_revoked", "account_inactive", "invalid_auth"])
def test_a_revoked_token_is_refused_everywhere_until_restored(
    fake: FakeSlack, client: WebClient, code: str
) -> None:
    client.chat_postMessage(channel="C1", text="before")
    fake.revoke_token("xoxb-test", error=code)
    assert error_of(client.auth_test) == code
    assert error_of(lambda: client.chat_postMessage(channel="C1", text="hi")) == code
    other = WebClient(token="xoxb-other", base_url=fake.url, timeout=5)
    assert other.auth_test()["ok"]  # only that token
    assert [m["text"] for m in fake.messages("C1")] == ["before"]
    fake.restore_token("xoxb-test")
    assert client.auth_test()["ok"]


def test_wait_for_and_on_call(fake: FakeSlack, client: WebClient) -> None:
    seen: list[RecordedCall] = []
    fake.on_call = seen.append

    def later() -> None:
        time.sleep(0.05)
        client.chat_postMessage(channel="C1", text="async")

    worker = threading.Thread(target=later)
    worker.start()
    [call] = fake.wait_for("chat.postMessage", timeout=2.0)
    worker.join()
    assert call.args["text"] == "async"
    assert seen == [call]
    fake.wait_until(lambda: len(fake.messages("C1")) == 1, timeout=1.0)

    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"2 call\(s\) to 'chat.postMessage'; got 1"):
        fake.wait_for("chat.postMessage", count=2, timeout=0.1)
    assert time.monotonic() - started < 1.0
    with pytest.raises(AssertionError, match="timed out"):
        fake.wait_until(lambda: False, timeout=0.05)

    fake.clear()
    assert fake.calls == []
    assert len(fake.messages("C1")) == 1  # clear() keeps channel state


def test_delay_then_serve(fake: FakeSlack) -> None:
    slow = WebClient(token="xoxb-test", base_url=fake.url, timeout=1)
    fake.fail_next("chat.postMessage", delay=0.2)
    started = time.monotonic()
    slow.chat_postMessage(channel="C1", text="late")
    assert time.monotonic() - started >= 0.2
    assert [m["text"] for m in fake.messages("C1")] == ["late"]


# --- the member features: other apps' bot users, and the app's 1:1 DMs -----------------


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
