"""Slack's member directory (users.info) as the decision log's NameSource."""

from __future__ import annotations

from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from mwgbot.services.decisions import NamesUnavailable
from mwgbot.slack.text import clean_line

# Slack has no such member, or this bot may not see them: show the ID, keep asking others.
UNKNOWN_USER = frozenset({"user_not_found", "user_not_visible"})


class SlackDirectory:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def display_name(self, user_id: str) -> str | None:
        """profile.display_name, else the real name, else the username (Slack's own order)."""
        try:
            response = self.client.users_info(user=user_id)
        except SlackApiError as error:
            code = error.response.get("error")
            if code in UNKNOWN_USER:
                return None
            raise NamesUnavailable(
                f"Slack answered users.info with {error.response.status_code} {code}"
            ) from None
        except (URLError, TimeoutError, OSError) as error:
            raise NamesUnavailable(
                f"could not reach Slack at {self.client.base_url}: {error}"
            ) from None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        for candidate in (
            profile.get("display_name"),
            profile.get("real_name"),
            user.get("real_name"),
            user.get("name"),
        ):
            if isinstance(candidate, str) and clean_line(candidate):
                return clean_line(candidate)
        return None
