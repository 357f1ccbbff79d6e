"""The Notifier port over slack-sdk's WebClient, mapping failures to DeliveryError."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.web import SlackResponse

from mwgbot.services.ports import (
    Account,
    CardTag,
    DeliveryError,
    HistoryPage,
    Rendered,
    SeenMessage,
    SeenReaction,
)
from mwgbot.services.slack_status import TOKEN_REFUSALS, SlackStatus
from mwgbot.slack import ids

log = logging.getLogger(__name__)
T = TypeVar("T")
HISTORY_PAGES = 5


def make_web_client(token: str | None, base_url: str, *, timeout: int = 10) -> WebClient:
    """A WebClient at SLACK_API_URL that rides out connection blips and 5xx answers.

    A 429 is not slept through inside the call (that would hold the one delivery thread for
    up to twice Retry-After): it surfaces as a DeliveryError with `retry_after`, and the
    outbox, the card updates and the reconciler each wait that long themselves."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


class SlackNotifier:
    """Every call goes through `_call`, which tells `status` whether Slack took the token."""

    def __init__(self, client: WebClient, status: SlackStatus | None = None) -> None:
        self.client = client
        self.status = status or SlackStatus()

    def _call(self, request: Callable[[], T]) -> T:
        try:
            response = _call(request)
        except DeliveryError as error:
            if error.code in TOKEN_REFUSALS:
                self.status.token_refused(error.code)
            raise
        self.status.answered()
        return response

    def post(
        self,
        channel: str,
        message: Rendered,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
        marker: str | None = None,
        card: CardTag | None = None,
    ) -> str:
        kwargs: dict[str, Any] = {
            "channel": channel,
            "text": message.text,
            "blocks": message.blocks or None,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
            kwargs["reply_broadcast"] = broadcast
        if card is not None:
            kwargs["metadata"] = card_metadata(card, marker)
        elif marker:
            kwargs["metadata"] = {
                "event_type": ids.METADATA_EVENT_TYPE,
                "event_payload": {"marker": marker},
            }
        response = self._call(lambda: self.client.chat_postMessage(**kwargs))
        return str(response["ts"])

    def update(
        self, channel: str, ts: str, message: Rendered, *, card: CardTag | None = None
    ) -> None:
        kwargs: dict[str, Any] = {
            "channel": channel,
            "ts": ts,
            "text": message.text,
            "blocks": message.blocks or None,
        }
        if card is not None:
            # A card posted before cards carried metadata gets it at its next redraw.
            kwargs["metadata"] = card_metadata(card, None)
        self._call(lambda: self.client.chat_update(**kwargs))

    def post_ephemeral(self, channel: str, user: str, message: Rendered) -> None:
        self._call(
            lambda: self.client.chat_postEphemeral(
                channel=channel, user=user, text=message.text, blocks=message.blocks or None
            )
        )

    def channel_canvas(self, channel: str) -> str | None:
        """`channel.properties.canvas.file_id`; without a canvas Slack sends no `properties`."""
        response = self._call(lambda: self.client.conversations_info(channel=channel))
        info: dict[str, Any] = response.get("channel") or {}
        canvas = (info.get("properties") or {}).get("canvas") or {}
        file_id = canvas.get("file_id")
        return str(file_id) if file_id else None

    def create_channel_canvas(self, channel: str, markdown: str) -> str:
        response = self._call(
            lambda: self.client.conversations_canvases_create(
                channel_id=channel, document_content={"type": "markdown", "markdown": markdown}
            )
        )
        return str(response["canvas_id"])

    def replace_canvas(self, canvas_id: str, markdown: str) -> None:
        change = {
            "operation": "replace",
            "document_content": {"type": "markdown", "markdown": markdown},
        }
        self._call(lambda: self.client.canvases_edit(canvas_id=canvas_id, changes=[change]))

    def reactions(self, channel: str, ts: str) -> dict[str, list[str]]:
        """`reactions.get` with `full`: without it Slack may cut each list of users short."""
        response = self._call(
            lambda: self.client.reactions_get(channel=channel, timestamp=ts, full=True)
        )
        message = response.get("message") or {}
        return {
            str(reaction["name"]): [str(user) for user in reaction.get("users") or []]
            for reaction in message.get("reactions") or []
        }

    def history(
        self, channel: str, *, oldest: str, latest: str, limit: int, cursor: str | None = None
    ) -> HistoryPage:
        """`conversations.history` between two messages (both included), with metadata: each
        message with its reactions (`name`, `users`, `count`; Slack may cut `users` short)."""
        response = self._call(
            lambda: self.client.conversations_history(
                channel=channel,
                oldest=oldest,
                latest=latest,
                inclusive=True,
                include_all_metadata=True,
                limit=limit,
                cursor=cursor,
            )
        )
        messages = tuple(
            SeenMessage(
                ts=str(message["ts"]),
                card=card_of(message),
                reactions=tuple(
                    _seen_reaction(reaction) for reaction in message.get("reactions") or []
                ),
            )
            for message in response.get("messages") or []
            if message.get("ts")
        )
        next_cursor = (response.get("response_metadata") or {}).get("next_cursor")
        more = bool(response.get("has_more")) and bool(next_cursor)
        return HistoryPage(messages, str(next_cursor) if more else None)

    def find_posted(self, channel: str, marker: str, thread_ts: str | None = None) -> str | None:
        if thread_ts is not None:
            messages: Iterator[dict[str, Any]] = iter(self._replies(channel, thread_ts))
        else:
            messages = self._history(channel)
        for message in messages:
            if _marker_of(message) == marker:
                return str(message["ts"])
        return None

    def open_dm(self, user: str) -> str:
        # conversations.open (im:write) gives the app's own DM: chat.postMessage to a bare
        # user ID is documented both ways (app DM or Slackbot), the D… ID is unambiguous.
        response = self._call(lambda: self.client.conversations_open(users=[user]))
        return str((response.get("channel") or {})["id"])

    def account(self, user: str) -> Account:
        response = self._call(lambda: self.client.users_info(user=user))
        info: dict[str, Any] = response.get("user") or {}
        if info.get("deleted"):
            return Account.DEACTIVATED
        # Slackbot is special: Slack reports is_bot false for it.
        if info.get("is_bot") or info.get("is_workflow_bot") or info.get("id") == "USLACKBOT":
            return Account.BOT
        return Account.PERSON

    def _history(self, channel: str) -> Iterator[dict[str, Any]]:
        """The newest messages, newest first; an uncertain post is recent, so a few pages do."""
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            response = self._call(partial(self._history_page, channel, cursor))
            yield from response.get("messages", [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def _history_page(self, channel: str, cursor: str | None) -> SlackResponse:
        return self.client.conversations_history(
            channel=channel, include_all_metadata=True, limit=200, cursor=cursor
        )

    def _replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        response = self._call(
            lambda: self.client.conversations_replies(
                channel=channel, ts=ts, include_all_metadata=True, limit=1000
            )
        )
        return list(response.get("messages", []))


def card_metadata(card: CardTag, marker: str | None) -> dict[str, Any]:
    """A card's message metadata: which proposal it is (and the outbox marker it was posted
    with, so an uncertain post of it can be found too)."""
    payload: dict[str, Any] = {"group": card.group, "number": card.number}
    if marker:
        payload["marker"] = marker
    return {"event_type": ids.CARD_METADATA_EVENT_TYPE, "event_payload": payload}


def card_of(message: dict[str, Any]) -> CardTag | None:
    """The proposal a message of Slack's is the card of, by its metadata; None if it says none."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != ids.CARD_METADATA_EVENT_TYPE:
        return None
    payload = metadata.get("event_payload") or {}
    group, number = payload.get("group"), payload.get("number")
    if not isinstance(group, str) or isinstance(number, bool) or not isinstance(number, int):
        return None
    return CardTag(group, number)


def _seen_reaction(reaction: dict[str, Any]) -> SeenReaction:
    users = tuple(str(user) for user in reaction.get("users") or [])
    count = reaction.get("count")
    return SeenReaction(
        name=str(reaction.get("name") or ""),
        users=users,
        count=count if isinstance(count, int) and not isinstance(count, bool) else len(users),
    )


def _marker_of(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") not in (ids.METADATA_EVENT_TYPE, ids.CARD_METADATA_EVENT_TYPE):
        return None
    marker = (metadata.get("event_payload") or {}).get("marker")
    return str(marker) if marker else None


def _call(request: Callable[[], T]) -> T:
    try:
        return request()
    except SlackApiError as error:
        status = error.response.status_code
        retry_after = error.response.headers.get("Retry-After") if status == 429 else None
        code = error.response.get("error")
        raise DeliveryError(
            f"Slack answered {status} {code}",
            retry_after=float(retry_after) if retry_after else None,
            code=str(code) if code else None,
            status=status,
        ) from error
    except TimeoutError as error:
        raise DeliveryError(f"Slack did not answer in time: {error}", uncertain=True) from error
    except (URLError, ConnectionError, OSError) as error:
        # The request may have reached Slack before the connection broke.
        raise DeliveryError(f"could not reach Slack: {error}", uncertain=True) from error
