"""manifest.yml matches the code: the command and events the app handles, and the least OAuth
scopes that cover every Web API method the code calls."""

from __future__ import annotations

import ast
import inspect
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import slack_sdk.web.client
import yaml

from mwgbot.slack import ids
from mwgbot.slack.app import SUBSCRIBED_EVENTS
from tests import slack_requests as sr
from tests.conftest import CHANNEL, RunningBot

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "manifest.yml"
SOURCE = ROOT / "mwgbot"

# Bot-token scopes each Web API method needs, from Slack's method reference
# (docs.slack.dev/reference/methods/<method>, "Required scopes"). A method the code starts
# calling must be added here, which forces a look at its scopes and at the manifest.
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),  # no scope required
    "views.open": frozenset(),  # no scope required (needs a trigger_id)
    "views.update": frozenset(),
    "views.push": frozenset(),
    "views.publish": frozenset(),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),
    # The relevant *:history scope for the conversation's type. The bot reads a group's
    # channel (MWG_CHANNEL, public or private) for two things: the cards' reactions after a
    # restart (services/reconcile.py: one call reads up to 200 cards with their reactions,
    # where reactions.get reads one, both Tier 3), and a post whose sending was uncertain (so
    # it is never posted twice); its own DM with a newcomer only for an uncertain welcome. It
    # reads no group DMs, so mpim:history is not asked for.
    "conversations.history": frozenset({"channels:history", "groups:history", "im:history"}),
    "conversations.replies": frozenset({"channels:history", "groups:history"}),
    # The group's channel (public or private): its own canvas, reused as the group's page.
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    # MWG_CANVAS=on: the group's page is its channel canvas, made once and kept current with
    # one whole-document `replace` (docs/slack-canvases.md); canvases:read is not needed, as
    # the bot never reads a canvas back (canvases.sections.lookup is not called).
    "conversations.canvases.create": frozenset({"canvases:write"}),
    "canvases.edit": frozenset({"canvases:write"}),
    # The app's 1:1 DM with a newcomer, for the welcome (im:write; mpim:write is for groups).
    "conversations.open": frozenset({"im:write"}),
    # Is a newcomer a person or a bot (before their welcome, or a DM)? Display names in
    # `mwgbot export decisions` (mwgbot/slack/directory.py).
    "users.info": frozenset({"users:read"}),
    "reactions.get": frozenset({"reactions:read"}),
    "reactions.add": frozenset({"reactions:write"}),
}

# Scopes the bot's events need (docs.slack.dev/reference/events/<event>, "Required scopes").
EVENT_SCOPES: dict[str, frozenset[str]] = {
    "reaction_added": frozenset({"reactions:read"}),
    "reaction_removed": frozenset({"reactions:read"}),
    "message": frozenset({"channels:history", "groups:history"}),
    "app_mention": frozenset({"app_mentions:read"}),
    # channels:read for a public MWG_CHANNEL, groups:read for a private one.
    "member_joined_channel": frozenset({"channels:read", "groups:read"}),
    # No scope; the Home tab needs a bot user and any scope, the Messages tab chat:write.
    "app_home_opened": frozenset(),
}

# A slash command needs `commands`; interactivity and Socket Mode need no bot scope
# (Socket Mode's apps.connections.open uses the app-level token and its connections:write).
COMMAND_SCOPES = frozenset({"commands"})

# Events a Slack app commonly subscribes to: those the manifest does not list must get
# Bolt's 404 (no listener), so the app cannot quietly handle an event nobody sends it.
PROBED_EVENTS = (
    "app_mention",
    "app_home_opened",
    "message",
    "member_joined_channel",
    "member_left_channel",
    "channel_created",
    "channel_rename",
    "team_join",
    "user_change",
    "pin_added",
    "star_added",
    "reaction_added",
    "reaction_removed",
)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def manifest_scopes(manifest: dict[str, Any]) -> set[str]:
    return set(manifest["oauth_config"]["scopes"]["bot"])


# --- what the code calls ------------------------------------------------------------------


def web_client_methods() -> dict[str, str]:
    """WebClient's Python method names → Slack methods, read from slack_sdk's own source
    (each method is a `self.api_call("chat.postMessage", ...)`)."""
    tree = ast.parse(inspect.getsource(slack_sdk.web.client))
    methods: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name == "WebClient"):
            continue
        for function in node.body:
            if not isinstance(function, ast.FunctionDef):
                continue
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "api_call"
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                ):
                    methods[function.name] = str(call.args[0].value)
                    break
    return methods


def python_sources() -> Iterator[Path]:
    for path in sorted(SOURCE.rglob("*.py")):
        # The fake is the other side of the wire: it answers methods, it does not call them.
        if SOURCE / "fakeslack" not in path.parents:
            yield path


def called_methods() -> dict[str, list[str]]:
    """Slack method → where in mwgbot/ it is called (file:line)."""
    known = web_client_methods()
    found: dict[str, list[str]] = {}
    for path in python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            attr = node.func.attr
            method: str | None = None
            if attr in known:
                method = known[attr]
            elif (
                attr in {"api_call", "api_call_async"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                method = node.args[0].value
            if method is not None:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(method, []).append(where)
    return found


def test_the_scanner_finds_the_calls_we_know_about() -> None:
    found = called_methods()
    for method in ("auth.test", "chat.postMessage", "chat.update", "conversations.history"):
        assert method in found, f"the AST scan missed {method}; found {sorted(found)}"


def test_the_history_scopes_serve_the_recovery_and_say_so() -> None:
    """channels:history and groups:history are asked for to read the cards back after a
    restart (and to find an uncertain post): both uses call conversations.history, and the
    manifest's comment names both."""
    places = called_methods()["conversations.history"]
    assert any(place.startswith("mwgbot/slack/notifier.py") for place in places), places
    notifier = (ROOT / "mwgbot" / "slack" / "notifier.py").read_text()
    reconcile = (ROOT / "mwgbot" / "services" / "reconcile.py").read_text()
    assert "def history(" in notifier
    assert "self.reader.history(" in reconcile
    lines = MANIFEST.read_text().splitlines()
    comment = " ".join(line.split("#", 1)[1].strip() for line in lines if "#" in line)
    assert "reactions back after a restart" in comment
    assert "uncertain" in comment


def test_every_called_method_has_a_known_scope(manifest: dict[str, Any]) -> None:
    scopes = manifest_scopes(manifest)
    for method, places in sorted(called_methods().items()):
        assert method in METHOD_SCOPES, (
            f"{method} (called at {', '.join(places)}) is not in METHOD_SCOPES: look up its "
            "required bot scopes in Slack's method reference and add it"
        )
        missing = METHOD_SCOPES[method] - scopes
        assert not missing, (
            f"{method} (called at {', '.join(places)}) needs {sorted(missing)}, "
            "which manifest.yml does not ask for"
        )


def test_every_event_has_a_known_scope(manifest: dict[str, Any]) -> None:
    scopes = manifest_scopes(manifest)
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert event in EVENT_SCOPES, f"add {event}'s required scopes to EVENT_SCOPES"
        assert EVENT_SCOPES[event] <= scopes, f"{event} needs {sorted(EVENT_SCOPES[event])}"


def test_the_manifest_asks_for_no_scope_it_does_not_need(manifest: dict[str, Any]) -> None:
    needed: set[str] = set(COMMAND_SCOPES)
    for method in called_methods():
        needed |= METHOD_SCOPES.get(method, frozenset())
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        needed |= EVENT_SCOPES.get(event, frozenset())
    extra = manifest_scopes(manifest) - needed
    assert not extra, f"manifest.yml asks for {sorted(extra)}, which no call or event needs"
    assert not manifest["oauth_config"].get("scopes", {}).get("user"), "no user scopes"


# --- the app's shape ----------------------------------------------------------------------


def test_the_manifest_declares_a_socket_mode_bot(manifest: dict[str, Any]) -> None:
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}
    assert manifest["display_information"]["name"] == "mwgbot"
    assert len(manifest["display_information"]["description"]) <= 140  # Slack's limit
    assert manifest["features"]["bot_user"] == {"display_name": "mwgbot", "always_online": True}
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_the_app_home_has_a_home_tab_and_a_read_only_messages_tab(
    manifest: dict[str, Any],
) -> None:
    """The Home tab shows each member their own view (views.publish answers `not_enabled`
    without it); the welcome arrives in the Messages tab (chat.postMessage answers
    `messages_tab_disabled` without it). The bot reads no DMs, so members cannot type there."""
    assert manifest["features"]["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,
    }


def test_the_manifest_command_is_the_one_the_app_registers(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [ids.COMMAND]
    command = commands[0]
    assert command["should_escape"] is False  # the bot escapes user text itself
    assert len(command["description"]) <= 100
    assert len(command["usage_hint"]) <= 100


def test_the_usage_hint_shows_only_real_subcommands(manifest: dict[str, Any]) -> None:
    from mwgbot.slack import commands

    filled = {"<title>": "A title", "<n>": "1", "<reason>": "a reason"}
    for usage in manifest["features"]["slash_commands"][0]["usage_hint"].split("|"):
        text = usage.strip()
        for placeholder, value in filled.items():
            text = text.replace(placeholder, value)
        commands.parse(text)  # raises UsageError for a subcommand that does not exist


def test_the_manifest_events_are_the_ones_the_app_subscribes(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == list(SUBSCRIBED_EVENTS)


def _event(event_type: str) -> dict[str, Any]:
    now = f"{time.time():.6f}"
    if event_type == "member_joined_channel":
        return sr.member_joined("UALICE", channel_id=CHANNEL, event_ts=now)
    if event_type == "app_home_opened":
        return sr.app_home_opened("UALICE", tab="messages")
    if event_type in ("reaction_added", "reaction_removed"):
        return sr.reaction_event(
            added=event_type == "reaction_added",
            user_id="UALICE",
            reaction="raised_hand",
            channel_id=CHANNEL,
            message_ts="1767800000.000100",  # no proposal's card: handled, changes nothing
            event_ts=now,
        )
    return {"type": event_type, "user": "UALICE", "channel": CHANNEL, "event_ts": now}


def test_every_subscribed_event_has_a_listener_and_no_other_does(bot: RunningBot) -> None:
    """Slack retries an event that gets a non-2xx answer, so a subscribed event without a
    listener (Bolt's 404) would be delivered again and again."""
    answered = {}
    for number, event_type in enumerate(dict.fromkeys((*SUBSCRIBED_EVENTS, *PROBED_EVENTS))):
        request = sr.event_callback(_event(event_type), event_id=f"EvManifest{number}")
        answered[event_type] = bot.send(request).status
    handled = {event for event, status in answered.items() if status == 200}
    assert handled == set(SUBSCRIBED_EVENTS), answered
    assert set(answered.values()) <= {200, 404}, answered


def test_the_app_answers_its_command_and_only_that(bot: RunningBot) -> None:
    assert bot.command("help").status == 200
    other = sr.slash_command("help")
    body = urllib.parse.parse_qs(other.body.decode())
    body["command"] = ["/not-mwg"]
    other = sr.SlackRequest(urllib.parse.urlencode(body, doseq=True).encode(), other.content_type)
    assert bot.send(other).status == 404
