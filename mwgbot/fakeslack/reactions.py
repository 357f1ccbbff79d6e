"""The ``reactions.*`` family: emoji reactions on the channels' messages.

A message keeps its reactions in ``stored["reactions"]``: emoji name -> user ids, in the
order they reacted (``base.FakeSlackBase._api_message`` renders them the way Slack does).
"""

from __future__ import annotations

from typing import Any

from mwgbot.fakeslack.base import ApiError, ApiMethod, FakeSlackBase, truthy

#: How many users a reaction lists when ``full`` is not asked for (Slack: "X might change").
PARTIAL_USERS = 50


class ReactionsMethods(FakeSlackBase):
    """``reactions.*`` Web API methods, one ``_api_reactions_*`` each, listed in ``METHODS``
    below."""

    # ------------------------------------------------------------------ test helpers

    def add_reaction(self, channel: str, ts: str, name: str, user: str) -> None:
        """A member reacts on a message in Slack (no event is sent: the bot may be down)."""
        with self._changed:
            stored = self._find(channel, ts)
            if stored is None:
                raise KeyError(f"no message {ts} in {channel}")
            users: list[str] = stored["reactions"].setdefault(name, [])
            if user not in users:
                users.append(user)
            self._changed.notify_all()

    def remove_reaction(self, channel: str, ts: str, name: str, user: str) -> None:
        """A member takes a reaction back in Slack (no event is sent)."""
        with self._changed:
            stored = self._find(channel, ts)
            if stored is None:
                raise KeyError(f"no message {ts} in {channel}")
            users = stored["reactions"].get(name, [])
            if user in users:
                users.remove(user)
            if not users:
                stored["reactions"].pop(name, None)
            self._changed.notify_all()

    # ------------------------------------------------------------------ Web API methods

    def _api_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        stored = self._find(str(args.get("channel") or ""), args.get("timestamp"))
        if stored is None:
            raise ApiError("message_not_found")
        name = str(args.get("name") or "")
        if not name:
            raise ApiError("invalid_name")
        users: list[str] = stored["reactions"].setdefault(name, [])
        if self.bot_user_id in users:
            raise ApiError("already_reacted")
        users.append(self.bot_user_id)
        return {}

    def _api_reactions_get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The message with its reactions. Like Slack, without ``full`` each ``users`` list is
        cut to the first ``PARTIAL_USERS`` while ``count`` stays the whole number."""
        channel = str(args.get("channel") or "")
        timestamp = args.get("timestamp")
        if not channel or not timestamp:
            raise ApiError("no_item_specified")
        stored = self._find(channel, timestamp)
        if stored is None:
            raise ApiError("message_not_found")
        message = self._api_message(stored, include_metadata=False)
        if not truthy(args.get("full")):
            for reaction in message.get("reactions", []):
                reaction["users"] = reaction["users"][:PARTIAL_USERS]
        return {"type": "message", "channel": channel, "message": message}


METHODS: dict[str, ApiMethod[ReactionsMethods]] = {
    "reactions.add": ReactionsMethods._api_reactions_add,
    "reactions.get": ReactionsMethods._api_reactions_get,
}
