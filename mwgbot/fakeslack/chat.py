"""The ``chat.*`` family: messages the bot posts, edits and deletes, ephemerals, permalinks;
and the test-side view of the channels' messages."""

from __future__ import annotations

import copy
from typing import Any

from mwgbot.fakeslack.base import ApiError, ApiMethod, FakeSlackBase, as_list, truthy


class ChatMethods(FakeSlackBase):
    """``chat.*`` Web API methods, one ``_api_chat_*`` each, listed in ``METHODS`` below."""

    def _reset_state(self) -> None:
        super()._reset_state()
        self._ephemerals: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ state views

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages in ``channel``, oldest first, thread replies included.

        Each has ``channel, ts, user, text, blocks, attachments, thread_ts, reply_broadcast,
        metadata, updates`` (``None``/``[]`` when absent) and ``reactions``.
        """
        with self._lock:
            return [self._public_message(m) for m in self._channels.get(channel, [])]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self._find(channel, ts)
            return None if stored is None else self._public_message(stored)

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """``chat.postEphemeral`` calls: ``channel, user, text, blocks, thread_ts, message_ts``."""
        with self._lock:
            return copy.deepcopy(self._ephemerals)

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Put a message from ``user`` (e.g. a human) into ``channel``; return its ts."""
        with self._lock:
            stored = self._store_message(
                channel,
                {"text": text, "blocks": blocks, "thread_ts": thread_ts, "metadata": metadata},
                user=user,
                bot=False,
            )
            self._changed.notify_all()
            return str(stored["ts"])

    def set_metadata(self, channel: str, ts: str, metadata: dict[str, Any] | None) -> None:
        """Give a stored message other metadata (or none: a message an older release posted)."""
        with self._lock:
            stored = self._find(channel, ts)
            if stored is None:
                raise KeyError(f"no message {ts} in {channel}")
            stored["metadata"] = copy.deepcopy(metadata)

    # ------------------------------------------------------------------ message store (lock held)

    def _store_message(
        self, channel: str, args: dict[str, Any], *, user: str, bot: bool
    ) -> dict[str, Any]:
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None:
            thread_ts = str(thread_ts)
            parent = self._find(channel, thread_ts)
            if parent is not None and parent["thread_ts"] is not None:
                thread_ts = parent["thread_ts"]  # replying to a reply threads under the parent
        stored: dict[str, Any] = {
            "channel": channel,
            "ts": self._next_ts(),
            "user": user,
            "bot": bot,
            "text": str(args.get("text") or ""),
            "blocks": as_list(args.get("blocks")),
            "attachments": as_list(args.get("attachments")),
            "thread_ts": thread_ts,
            "reply_broadcast": thread_ts is not None and truthy(args.get("reply_broadcast")),
            "metadata": args.get("metadata") or None,
            "updates": 0,
            "edited_ts": None,
            "reactions": {},
        }
        self._channels.setdefault(channel, []).append(stored)
        return stored

    def _public_message(self, stored: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in stored.items() if k not in {"bot", "edited_ts"}}
        out["reactions"] = {name: list(users) for name, users in stored["reactions"].items()}
        return out

    # ------------------------------------------------------------------ Web API methods

    def _api_chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            raise ApiError("channel_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise ApiError("no_text")
        _check_metadata(args.get("metadata"))
        stored = self._store_message(channel, args, user=self.bot_user_id, bot=True)
        message = self._api_message(stored, include_metadata=True)
        return {"channel": channel, "ts": stored["ts"], "message": message}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        stored = self._find(channel, args.get("ts"))
        if stored is None:
            raise ApiError("message_not_found" if channel else "channel_not_found")
        if not stored["bot"]:
            raise ApiError("cant_update_message")
        _check_metadata(args.get("metadata"))
        if "text" in args:
            stored["text"] = str(args["text"] or "")
        if "blocks" in args:
            stored["blocks"] = as_list(args["blocks"])
        if "attachments" in args:
            stored["attachments"] = as_list(args["attachments"])
        if args.get("metadata"):
            stored["metadata"] = args["metadata"]
        stored["updates"] += 1
        stored["edited_ts"] = self._next_ts()
        message = self._api_message(stored, include_metadata=True)
        return {"channel": channel, "ts": stored["ts"], "text": stored["text"], "message": message}

    def _api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        stored = self._find(channel, args.get("ts"))
        if stored is None:
            raise ApiError("message_not_found")
        if not stored["bot"]:
            raise ApiError("cant_delete_message")
        self._channels[channel].remove(stored)
        return {"channel": channel, "ts": stored["ts"]}

    def _api_chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        user = str(args.get("user") or "")
        if not channel:
            raise ApiError("channel_not_found")
        if not user:
            raise ApiError("user_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise ApiError("no_text")
        message_ts = self._next_ts()
        self._ephemerals.append(
            {
                "channel": channel,
                "user": user,
                "text": str(args.get("text") or ""),
                "blocks": as_list(args.get("blocks")),
                "thread_ts": args.get("thread_ts") or None,
                "message_ts": message_ts,
            }
        )
        return {"message_ts": message_ts}

    def _api_chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        stored = self._find(channel, args.get("message_ts"))
        if stored is None:
            raise ApiError("message_not_found")
        link = (
            f"https://{self.team_domain}.slack.com/archives/{channel}/"
            f"p{str(stored['ts']).replace('.', '')}"
        )
        if stored["thread_ts"] is not None:
            link += f"?thread_ts={stored['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}


def _check_metadata(metadata: Any) -> None:
    if metadata in (None, "", {}):
        return
    if not isinstance(metadata, dict) or not metadata.get("event_type"):
        raise ApiError("invalid_metadata_format")
    if not isinstance(metadata.get("event_payload", {}), dict):
        raise ApiError("invalid_metadata_format")


METHODS: dict[str, ApiMethod[ChatMethods]] = {
    "chat.postMessage": ChatMethods._api_chat_post_message,
    "chat.update": ChatMethods._api_chat_update,
    "chat.delete": ChatMethods._api_chat_delete,
    "chat.postEphemeral": ChatMethods._api_chat_post_ephemeral,
    "chat.getPermalink": ChatMethods._api_chat_get_permalink,
}
