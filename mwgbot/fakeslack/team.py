"""The workspace and its people: ``auth.test`` (who the bot is) and ``users.info``."""

from __future__ import annotations

from typing import Any

from mwgbot.fakeslack.base import DEFAULT_TS_BASE, ApiError, ApiMethod, FakeSlackBase


class TeamMethods(FakeSlackBase):
    """``auth.*`` and ``users.*`` Web API methods, one ``_api_*`` each, listed in ``METHODS``
    below."""

    def add_user(self, user_id: str, display_name: str) -> None:
        with self._lock:
            self._users[user_id] = display_name

    def add_bot(self, user_id: str, display_name: str) -> None:
        """A bot user of another app: `users.info` answers `is_bot: true` for it."""
        with self._lock:
            self._users[user_id] = display_name
            self._bots.add(user_id)

    # ------------------------------------------------------------------ helpers (lock held)

    def _user_object(self, user_id: str) -> dict[str, Any]:
        is_bot = user_id == self.bot_user_id or user_id in self._bots
        if user_id == self.bot_user_id:
            display = self.bot_name
        elif user_id in self._users:
            display = self._users[user_id]
        elif user_id[:1] in {"U", "W"} and user_id[1:].isalnum() and user_id.isupper():
            display = f"user-{user_id.lower()}"
        else:
            raise ApiError("user_not_found")
        name = display.lower().replace(" ", ".") or user_id.lower()
        profile: dict[str, Any] = {
            "real_name": display,
            "real_name_normalized": display,
            "display_name": display,
            "display_name_normalized": display,
            "team": self.team_id,
        }
        if is_bot:
            own = user_id == self.bot_user_id
            profile.update(
                bot_id=self.bot_id if own else "B" + user_id[1:],
                api_app_id=self.app_id if own else "A" + user_id[1:],
            )
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": display,
            "tz": "America/New_York",
            "tz_label": "Eastern Standard Time",
            "tz_offset": -18000,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": DEFAULT_TS_BASE,
        }

    # ------------------------------------------------------------------ Web API methods

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user": self._user_object(str(args.get("user") or ""))}


METHODS: dict[str, ApiMethod[TeamMethods]] = {
    "auth.test": TeamMethods._api_auth_test,
    "users.info": TeamMethods._api_users_info,
}
