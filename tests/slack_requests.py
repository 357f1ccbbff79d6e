"""Requests built exactly as Slack sends them, signed with the signing secret.

Slack signs `v0:<timestamp>:<raw body>` with HMAC-SHA256 and sends the result in
`X-Slack-Signature`, the timestamp in `X-Slack-Request-Timestamp`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from mwgbot import fakeslack_payloads as payloads

SIGNING_SECRET = "test-signing-secret"


@dataclass(frozen=True)
class SlackRequest:
    body: bytes
    content_type: str
    extra_headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slash_command(
    text: str,
    *,
    user_id: str = "UALICE",
    channel_id: str = "CMARKETING",
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
) -> SlackRequest:
    form = payloads.slash_command(
        text, user_id=user_id, channel_id=channel_id, trigger_id=trigger_id
    )
    return SlackRequest(urllib.parse.urlencode(form).encode(), payloads.FORM)


def event_callback(
    event: dict[str, Any], *, event_id: str, retry_num: int | None = None
) -> SlackRequest:
    event_time = int(float(event.get("event_ts", time.time())))
    payload = payloads.event_callback(event, event_id=event_id, event_time=event_time)
    headers: tuple[tuple[str, str], ...] = ()
    if retry_num is not None:
        headers = (("X-Slack-Retry-Num", str(retry_num)), ("X-Slack-Retry-Reason", "http_timeout"))
    return SlackRequest(json.dumps(payload).encode(), payloads.JSON, headers)


def reaction_event(
    *,
    added: bool,
    user_id: str,
    reaction: str,
    channel_id: str,
    message_ts: str,
    event_ts: str,
    item_user: str = "UBOTMWG",
) -> dict[str, Any]:
    return payloads.reaction_event(
        added=added,
        user_id=user_id,
        reaction=reaction,
        channel_id=channel_id,
        message_ts=message_ts,
        event_ts=event_ts,
        item_user=item_user,
    )


def url_verification(challenge: str) -> SlackRequest:
    payload = {"token": "deprecated", "challenge": challenge, "type": "url_verification"}
    return SlackRequest(json.dumps(payload).encode(), payloads.JSON)


def interactivity(payload: dict[str, Any]) -> SlackRequest:
    return SlackRequest(payloads.interactivity_body(payload).encode(), payloads.FORM)


def block_action(
    action_id: str, value: str, *, user_id: str, channel_id: str, message_ts: str
) -> SlackRequest:
    action = {
        "action_id": action_id,
        "block_id": f"card-{value}",
        "text": {"type": "plain_text", "text": "button"},
        "value": value,
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }
    return interactivity(
        payloads.block_actions(
            action,
            user_id=user_id,
            channel_id=channel_id,
            message_ts=message_ts,
            trigger_id="13345224609.738474920.button",
        )
    )


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    user_id: str,
    private_metadata: str = "",
) -> SlackRequest:
    view = {
        "id": "V0MWG",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "state": {"values": values},
        "hash": "1699999999.abc",
    }
    return interactivity(
        payloads.view_submission(view, user_id=user_id, trigger_id="13345224609.738474920.submit")
    )


def send(
    base_url: str,
    request: SlackRequest,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
    timeout: float = 10.0,
) -> HttpAnswer:
    """POST to /slack/events over real HTTP, signed unless a signature is given."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": request.content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature
        if signature is not None
        else sign(request.body, timestamp, secret),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    headers.update(dict(request.extra_headers))
    http_request = urllib.request.Request(
        base_url.rstrip("/") + "/slack/events", data=request.body, headers=headers, method="POST"
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        status = error.code
    return HttpAnswer(status, body, time.perf_counter() - started)


def get(base_url: str, path: str, timeout: float = 10.0) -> HttpAnswer:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(base_url.rstrip("/") + path, timeout=timeout) as response:
            return HttpAnswer(
                response.status, response.read().decode(), time.perf_counter() - started
            )
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read().decode(), time.perf_counter() - started)


def member_joined(user_id: str, *, channel_id: str, event_ts: str | None = None) -> dict[str, Any]:
    return payloads.member_joined_channel(
        user_id=user_id, channel_id=channel_id, event_ts=event_ts or f"{time.time():.6f}"
    )


def app_home_opened(
    user_id: str, *, tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    return payloads.app_home_opened(
        user_id=user_id,
        dm_channel=f"D{user_id[1:]}",
        event_ts=f"{time.time():.6f}",
        tab=tab,
        view=view,
    )


def home_action(
    action_id: str, *, user_id: str, view: dict[str, Any], value: str | None = None
) -> SlackRequest:
    """A press of a button that the published Home `view` shows (it must be there)."""
    block_id, button = find_button(view, action_id, value)
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "text": button["text"],
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }
    if "value" in button:
        action["value"] = button["value"]
    return interactivity(
        payloads.home_block_actions(
            action, user_id=user_id, view=view, trigger_id="13345224609.738474920.home"
        )
    )


def find_button(
    view: dict[str, Any], action_id: str, value: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The block ID and the button with this action (and value) in a view. A value `1` finds
    the button of proposal #1 whatever its group (the value is `mwg#1`)."""
    for block in view.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("action_id") == action_id and (
                value is None
                or element.get("value") == value
                or str(element.get("value", "")).endswith(f"#{value}")
            ):
                return str(block.get("block_id") or ""), element
    raise AssertionError(f"no {action_id} button (value {value}) in the view")
