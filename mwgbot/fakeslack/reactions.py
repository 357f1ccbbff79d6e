"""The ``reactions.*`` family: emoji reactions on the channels' messages.

A message keeps its reactions in ``stored["reactions"]``: emoji name -> user ids, in the
order they reacted (``base.FakeSlackBase._api_message`` renders them the way Slack does).
"""

from __future__ import annotations

from typing import Any

from mwgbot.fakeslack.base import ApiError, ApiMethod, FakeSlackBase


class ReactionsMethods(FakeSlackBase):
    """``reactions.*`` Web API methods, one ``_api_reactions_*`` each, listed in ``METHODS``
    below."""

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


METHODS: dict[str, ApiMethod[ReactionsMethods]] = {
    "reactions.add": ReactionsMethods._api_reactions_add,
}
