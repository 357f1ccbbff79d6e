"""The ``conversations.*`` family: a channel's history, a thread's replies, opening a DM, what
a conversation is (``conversations.info``: its ``properties.canvas`` once it has one); and the
channels themselves as Slack keeps them for the bot: a channel the bot was removed from
(``kick_bot``, as ``conversations.kick`` does), an archived one, one that is gone."""

from __future__ import annotations

import math
from typing import Any

from mwgbot.fakeslack.base import (
    CONVERSATION_ID,
    DEFAULT_TS_BASE,
    ApiError,
    ApiMethod,
    FakeSlackBase,
    as_int,
    truthy,
    ts_key,
)

_HISTORY_DEFAULT_LIMIT = 100
#: How many users each reaction of a history message lists, unless set otherwise (Slack lists
#: a few and gives the whole number in ``count``; ``reactions.get`` with ``full`` lists all).
HISTORY_REACTION_USERS = 50
_HISTORY_MAX_LIMIT = 999
#: Methods that act in a channel, and so need the bot in it (Slack: ``not_in_channel``).
IN_CHANNEL_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.delete",
        "chat.getPermalink",
        "conversations.history",
        "conversations.replies",
        "reactions.get",
        "reactions.add",
        "reactions.remove",
    }
)
#: The ones that change a channel: an archived channel refuses them (``is_archived``) and
#: can still be read.
CHANNEL_WRITES = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.delete",
        "reactions.add",
        "reactions.remove",
    }
)


class ConversationsMethods(FakeSlackBase):
    """``conversations.*`` Web API methods, one ``_api_conversations_*`` each, listed in
    ``METHODS`` below."""

    def _reset_state(self) -> None:
        super()._reset_state()
        #: The cap on the users each reaction lists in ``conversations.history`` (``count``
        #: is always the whole number); a test lowers it to see what a reader does with a
        #: cut list.
        self.history_reaction_users = HISTORY_REACTION_USERS
        self._dm_channels: dict[str, str] = {}
        self._without_bot: set[str] = set()
        self._archived: set[str] = set()
        self._gone: set[str] = set()

    # ------------------------------------------------------------------ channels (test side)

    def kick_bot(self, channel: str) -> None:
        """Someone removed the bot from ``channel`` (``/remove @bot``, ``conversations.kick``):
        its calls there answer ``not_in_channel``. The channel keeps its messages."""
        with self._lock:
            self._without_bot.add(channel)

    def invite_bot(self, channel: str) -> None:
        """Someone invited the bot (back) to ``channel`` (``/invite @bot``). Slack then sends
        ``member_joined_channel`` for the bot itself; the test or the console sends that."""
        with self._lock:
            self._without_bot.discard(channel)

    def archive(self, channel: str) -> None:
        """Writing in ``channel`` answers ``is_archived``; reading it still works."""
        with self._lock:
            self._archived.add(channel)

    def unarchive(self, channel: str) -> None:
        with self._lock:
            self._archived.discard(channel)

    def delete_channel(self, channel: str) -> None:
        """The channel is deleted, with its messages: every call answers
        ``channel_not_found`` (as for a private channel the bot cannot see)."""
        with self._lock:
            self._gone.add(channel)
            self._channels.pop(channel, None)

    def _channel_refusal(self, method: str, args: dict[str, Any]) -> str | None:
        """Slack's answer when the channel does not let the bot do this (lock held)."""
        if method not in IN_CHANNEL_METHODS:
            return None
        channel = str(args.get("channel") or "")
        if channel in self._gone:
            return "channel_not_found"
        if channel in self._without_bot:
            return "not_in_channel"
        if channel in self._archived and method in CHANNEL_WRITES:
            return "is_archived"
        return None

    def dm_channel(self, user_id: str) -> str | None:
        """The 1:1 DM channel `conversations.open` gave for a member, if it was opened."""
        with self._lock:
            return self._dm_channels.get(user_id)

    def dm_user(self, channel: str) -> str | None:
        """The member a 1:1 DM channel (from `conversations.open`) is with, if any."""
        with self._lock:
            for users, dm in self._dm_channels.items():
                if dm == channel and "," not in users:
                    return users
        return None

    # ------------------------------------------------------------------ Web API methods

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            raise ApiError("channel_not_found")
        inclusive = truthy(args.get("inclusive"))
        oldest = ts_key(args.get("oldest") or 0)
        latest = ts_key(args["latest"]) if args.get("latest") else math.inf
        cursor = str(args.get("cursor") or "")
        if cursor.startswith("before:"):
            latest, inclusive_latest = ts_key(cursor[len("before:") :]), False
        else:
            inclusive_latest = inclusive
        limit = as_int(args.get("limit"), _HISTORY_DEFAULT_LIMIT)
        limit = min(max(limit, 1), _HISTORY_MAX_LIMIT) if limit > 0 else _HISTORY_DEFAULT_LIMIT

        def in_range(ts: float) -> bool:
            above = ts >= oldest if inclusive else ts > oldest
            below = ts <= latest if inclusive_latest else ts < latest
            return above and below

        visible = [
            m
            for m in self._channels.get(channel, [])
            if (m["thread_ts"] is None or m["reply_broadcast"]) and in_range(ts_key(m["ts"]))
        ]
        visible.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
        page, has_more = visible[:limit], len(visible) > limit
        include_metadata = truthy(args.get("include_all_metadata"))
        messages = [self._api_message(m, include_metadata=include_metadata) for m in page]
        for message in messages:
            for reaction in message.get("reactions", []):
                reaction["users"] = reaction["users"][: max(self.history_reaction_users, 0)]
        return {
            "messages": messages,
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": f"before:{page[-1]['ts']}" if has_more else ""},
        }

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        parent = self._find(channel, args.get("ts"))
        if parent is None:
            raise ApiError("thread_not_found")
        root = parent["thread_ts"] or parent["ts"]
        thread = [
            m for m in self._channels.get(channel, []) if m["ts"] == root or m["thread_ts"] == root
        ]
        include_metadata = truthy(args.get("include_all_metadata"))
        return {
            "messages": [self._api_message(m, include_metadata=include_metadata) for m in thread],
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users")
        if args.get("channel"):
            return {"channel": {"id": str(args["channel"])}}
        if not users:
            raise ApiError("users_list_not_supplied")
        key = ",".join(sorted(str(users).split(",")))
        created = key not in self._dm_channels
        if created:
            self._dm_channels[key] = self._next_id("D")
        return {
            "no_op": not created,
            "already_open": not created,
            "channel": {"id": self._dm_channels[key]},
        }

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not CONVERSATION_ID.fullmatch(channel):
            raise ApiError("channel_not_found")
        if channel.startswith("D"):
            info: dict[str, Any] = {
                "id": channel,
                "created": DEFAULT_TS_BASE,
                "is_im": True,
                "is_org_shared": False,
                "user": self.dm_user(channel) or "",
                "is_open": True,
            }
        else:
            name = channel.lower()
            info = {
                "id": channel,
                "name": name,
                "name_normalized": name,
                "is_channel": channel.startswith("C"),
                "is_group": channel.startswith("G"),
                "is_im": False,
                "is_mpim": False,
                "is_private": channel.startswith("G"),
                "created": DEFAULT_TS_BASE,
                "is_archived": False,
                "is_general": False,
                "is_shared": False,
                "is_ext_shared": False,
                "is_org_shared": False,
                "context_team_id": self.team_id,
                "is_member": True,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
            }
        # As Slack: no `properties` at all while the conversation has none (no canvas yet).
        properties = self._conversation_properties(channel)
        if properties:
            info["properties"] = properties
        return {"channel": info}


METHODS: dict[str, ApiMethod[ConversationsMethods]] = {
    "conversations.history": ConversationsMethods._api_conversations_history,
    "conversations.replies": ConversationsMethods._api_conversations_replies,
    "conversations.open": ConversationsMethods._api_conversations_open,
    "conversations.info": ConversationsMethods._api_conversations_info,
}
