"""What Slack sends to the app, built exactly as Slack builds it.

The other half of the fake Slack (`fakeslack` answers the app's Web API calls): slash-command
forms, `event_callback` envelopes and interactivity payloads, used by the tests, the offline
console and the benchmark. Pure; signing is the caller's business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Team:
    """The workspace and app a payload comes from."""

    team_id: str = "T0MWG"
    team_domain: str = "openedx"
    app_id: str = "A0MWGBOT"
    bot_user_id: str = "UBOTMWG"
    token: str = "deprecated-verification-token"  # noqa: S105 - Slack's legacy field, not a secret


DEFAULT_TEAM = Team()


def slash_command(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    trigger_id: str,
    user_name: str | None = None,
    channel_name: str | None = None,
    command: str = "/mwg",
    response_url: str = "https://hooks.slack.com/commands/T0MWG/1/abc",
    team: Team = DEFAULT_TEAM,
) -> dict[str, str]:
    """The form fields of a slash command (sent form-encoded, or as a Socket Mode payload)."""
    default_channel_name = "marketing" if channel_id.startswith("C") else "directmessage"
    return {
        "token": team.token,
        "team_id": team.team_id,
        "team_domain": team.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name or default_channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": team.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def reaction_event(
    *,
    added: bool,
    user_id: str,
    reaction: str,
    channel_id: str,
    message_ts: str,
    event_ts: str,
    item_user: str,
) -> dict[str, Any]:
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user_id,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel_id, "ts": message_ts},
        "event_ts": event_ts,
    }


def member_joined_channel(
    *,
    user_id: str,
    channel_id: str,
    event_ts: str,
    inviter: str | None = None,
    channel_type: str = "C",
    team: Team = DEFAULT_TEAM,
) -> dict[str, Any]:
    """Someone joined a channel the bot is in (Slack's doc example, bolt-python's fixture).

    `inviter` is absent when the member joined by themselves.
    """
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user_id,
        "channel": channel_id,
        "channel_type": channel_type,
        "team": team.team_id,
        "event_ts": event_ts,
    }
    if inviter is not None:
        event["inviter"] = inviter
    return event


def app_home_opened(
    *,
    user_id: str,
    dm_channel: str,
    event_ts: str,
    tab: str = "home",
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A member opened the app's Home (tab "home") or Messages (tab "messages") tab.

    `view` is the Home view last published for them; Slack leaves it out the first time.
    """
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": dm_channel,
        "tab": tab,
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = view
    return event


def event_callback(
    event: dict[str, Any], *, event_id: str, event_time: int, team: Team = DEFAULT_TEAM
) -> dict[str, Any]:
    """The Events API envelope around one event."""
    return {
        "token": team.token,
        "team_id": team.team_id,
        "api_app_id": team.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team.team_id,
                "user_id": team.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def _actor(user_id: str, user_name: str | None, team: Team) -> dict[str, Any]:
    return {
        "team": {"id": team.team_id, "domain": team.team_domain},
        "user": {"id": user_id, "username": user_name or user_id.lower(), "team_id": team.team_id},
        "api_app_id": team.app_id,
        "token": team.token,
    }


def block_actions(
    action: dict[str, Any],
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    trigger_id: str,
    user_name: str | None = None,
    channel_name: str = "marketing",
    message_text: str = "card",
    response_url: str = "https://hooks.slack.com/actions/T0MWG/1/abc",
    team: Team = DEFAULT_TEAM,
) -> dict[str, Any]:
    """A button pressed on a message in a channel."""
    return {
        "type": "block_actions",
        **_actor(user_id, user_name, team),
        "trigger_id": trigger_id,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "channel": {"id": channel_id, "name": channel_name},
        "message": {"type": "message", "ts": message_ts, "text": message_text},
        "response_url": response_url,
        "actions": [action],
    }


def home_block_actions(
    action: dict[str, Any],
    *,
    user_id: str,
    view: dict[str, Any],
    trigger_id: str,
    user_name: str | None = None,
    team: Team = DEFAULT_TEAM,
) -> dict[str, Any]:
    """A button pressed in the app's Home tab: the view instead of a channel and a message,
    and no response URL (Slack's doc example of block_actions from a Home tab)."""
    return {
        "type": "block_actions",
        **_actor(user_id, user_name, team),
        "container": {"type": "view", "view_id": view.get("id", "")},
        "trigger_id": trigger_id,
        "view": view,
        "actions": [action],
    }


def view_submission(
    view: dict[str, Any],
    *,
    user_id: str,
    trigger_id: str,
    user_name: str | None = None,
    team: Team = DEFAULT_TEAM,
) -> dict[str, Any]:
    """A modal submitted; `view` carries id, callback_id, private_metadata and state."""
    return {
        "type": "view_submission",
        **_actor(user_id, user_name, team),
        "trigger_id": trigger_id,
        "view": {"team_id": team.team_id, "type": "modal", **view},
        "response_urls": [],
    }


def interactivity_body(payload: dict[str, Any]) -> str:
    """Slack posts interactivity as a form with one field, `payload`, holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def view_state(
    view: dict[str, Any], changes: dict[str, str | list[str] | None] | None = None
) -> dict[str, Any]:
    """The `state.values` Slack sends when a modal is submitted as it was opened, except for
    the inputs in `changes` (block_id → the new text, or the values of the options to select;
    None empties the input).

    Inputs keep their `initial_value` / `initial_options`. Slack only lets a member pick the
    options a view offers, so an unknown option value raises ValueError.
    """
    changes = changes or {}
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        kind, block_id = element.get("type"), block.get("block_id")
        if block.get("type") != "input" or not block_id:
            continue
        if kind == "plain_text_input":
            text = changes[block_id] if block_id in changes else element.get("initial_value")
            state: dict[str, Any] = {"type": kind, "value": text or None}
        elif kind in ("multi_static_select", "checkboxes"):
            if block_id in changes:
                wanted = list(changes[block_id] or [])
                offered = {option["value"]: option for option in element.get("options") or []}
                unknown = [value for value in wanted if value not in offered]
                if unknown:
                    raise ValueError(f"{', '.join(unknown)}: not among the options of {block_id}")
                chosen = [offered[value] for value in wanted]
            else:
                chosen = list(element.get("initial_options") or [])
            state = {"type": kind, "selected_options": chosen}
        else:
            continue
        values[block_id] = {element.get("action_id"): state}
    return values
