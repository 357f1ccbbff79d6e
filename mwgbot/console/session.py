"""The console session: the real bot, wired by `build_runtime`, against an in-process Slack.

Every line becomes what Slack would send the app (a slash-command form, a `reaction_added`
event, a `block_actions` or `view_submission` payload) and goes through `App.dispatch`, as in
Socket Mode. The background scheduler is never started: after each line the sweep and the
delivery run here, on this thread, so what the channel shows prints in the order it happened.
Every Web API call the bot makes is recorded by the fake Slack (`FakeSlack.on_call`) and printed
as a member would see it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO
from urllib.parse import urlencode

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from slack_bolt import BoltResponse
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.engine import make_url

from mwgbot import fakeslack_payloads as payloads
from mwgbot.config import ConfigError, Settings, parse_duration
from mwgbot.console.people import BadName, Directory, normalize
from mwgbot.console.render import Names, blocks_to_lines, view_to_lines
from mwgbot.console.stepping import Stops
from mwgbot.db.models import ActivityRow, MemberRow, ProposalRow
from mwgbot.domain.clock import ManualClock
from mwgbot.fakeslack import FakeSlack, RecordedCall
from mwgbot.runtime import Runtime, build_runtime
from mwgbot.services.pacing import RateBudget
from mwgbot.services.policy import Groups, Policy
from mwgbot.slack import ids
from mwgbot.slack.bolt_request import bolt_request

log = logging.getLogger(__name__)

#: Where every console session starts: a Monday morning, so a first `clock +3d` crosses the
#: Monday digest (14:00 UTC), a meeting's reminders (the group meets Wednesday 9 December,
#: 15:00 UTC) and the close of a 72-hour window.
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CHANNEL_ID = "CMARKETING"
CHANNEL_NAME = "marketing"
# The second working group the console serves, as examples/groups.toml has it: each group its
# own channel, numbers, windows and meetings (one bot for the workspace's groups).
SECOND_CHANNEL_ID = "CEDUCATORS"
SECOND_CHANNEL_NAME = "wg-educators"
CHANNEL_NAMES = {CHANNEL_ID: CHANNEL_NAME, SECOND_CHANNEL_ID: SECOND_CHANNEL_NAME}
FIRST_MEMBER = "alice"
MODERATOR = "dana"
ORGANIZER = "eden"
TIME_FORMAT = "%a %Y-%m-%d %H:%M UTC"
#: The longest single `clock` move: a move is a sweep at least every hour (`stepping`).
MAX_MOVE = timedelta(weeks=8)
SETTLE_ROUNDS = 20

COMMANDS = (
    "as",
    "in",
    "/mwg",
    "react",
    "unreact",
    "click",
    "edit",
    "enter",
    "home",
    "submit",
    "page",
    "kick",
    "invite",
    "clock",
    "help",
    "quit",
)
ONE_LINE_HELP = (
    "lines: as <name> · /mwg … · react|unreact <emoji> #<n> · "
    "click join|object|adopt|decline #<n> [because <text>] · edit #<n> <field> <value> · "
    "enter · home · submit [<text>] · page · "
    "kick · invite · clock [+<duration>] · help · quit"
)
#: How long `home` waits for the bot to publish the Home tab.
HOME_WAIT_SECONDS = 5.0

_NUMBER = re.compile(r"#?([1-9]\d{0,8})")
_EMOJI = re.compile(r"[a-z0-9_+'-]+(?:::skin-tone-[2-6])?")


def when(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime(TIME_FORMAT)


class ConsoleSettings(Settings):
    """Settings from the console's own values only: no environment, no `.env`."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class LineError(Exception):
    """A line the console cannot run; the message is one line of help."""


def _nothing() -> None:
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


EDIT_FIELDS = ("title", "description", "stages", "leads", "cobranded")
_EDIT_FLAGS = {"leads": ids.FLAG_LEADS, "cobranded": ids.FLAG_COBRANDED}


def _edit_change(view: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    """The one input an `edit` line changes, as `payloads.view_state` takes it."""
    if field == "title":
        return {ids.BLOCK_TITLE: value}
    if field == "description":
        return {ids.BLOCK_DESCRIPTION: None if value in ("", "-") else value}
    if field == "stages":
        names = [] if value in ("-", "none") else [v.strip().lower() for v in value.split(",")]
        return {ids.BLOCK_STAGES: [name for name in names if name]}
    if value.lower() not in ("on", "off"):
        raise LineError(f"say on or off: edit #<n> {field} on|off")
    flags = next(
        (
            b.get("element") or {}
            for b in view.get("blocks") or []
            if b.get("block_id") == ids.BLOCK_FLAGS
        ),
        {},
    )
    chosen = [str(o.get("value")) for o in flags.get("initial_options") or []]
    flag = _EDIT_FLAGS[field]
    chosen = [v for v in chosen if v != flag] + ([flag] if value.lower() == "on" else [])
    return {ids.BLOCK_FLAGS: chosen}


def _number(word: str, usage: str) -> int:
    match = _NUMBER.fullmatch(word)
    if match is None:
        raise LineError(f"{word!r} is not a proposal number like #1; {usage}")
    return int(match.group(1))


class Console:
    """One session: start it, feed it lines with `handle`, close it."""

    def __init__(
        self,
        database_url: str,
        out: TextIO,
        *,
        log_level: str = "WARNING",
        temporary: bool = False,
    ) -> None:
        self.database_url = database_url
        self.temporary = temporary  # the database goes when the session ends
        self.out = out
        self.log_level = log_level
        self.clock = ManualClock(START)
        self.people = Directory()
        self.moderator_id = self.people.id_of(MODERATOR)
        self.organizer_id = self.people.id_of(ORGANIZER)
        self.actor = FIRST_MEMBER
        self.actor_id = self.people.id_of(FIRST_MEMBER)
        self.names = Names(self.people.names, dict(CHANNEL_NAMES))
        # Where the member speaks: slash commands, reactions and `enter` happen in this channel.
        self.channel_id = CHANNEL_ID
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._seq = 0
        self._last_event_us = 0
        self._fake: FakeSlack | None = None
        self._runtime: Runtime | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def fake(self) -> FakeSlack:
        assert self._fake is not None, "the console is not started"
        return self._fake

    @property
    def team(self) -> payloads.Team:
        """The workspace the payloads come from: the fake Slack's."""
        return payloads.Team(
            team_id=self.fake.team_id,
            team_domain=self.fake.team_domain,
            app_id=self.fake.app_id,
            bot_user_id=self.fake.bot_user_id,
            token="console",  # noqa: S106 - Slack's legacy field, not a secret
        )

    @property
    def runtime(self) -> Runtime:
        assert self._runtime is not None, "the console is not started"
        return self._runtime

    def start(self) -> None:
        """Start the fake Slack and the real bot, and run the bot's start-up sweep."""
        self._fake = FakeSlack(
            users=dict(self.people.names), clock=lambda: self.clock.now().timestamp()
        )
        self._fake.start()
        self._fake.on_call = self._record
        self.people.names.setdefault(self._fake.bot_user_id, self._fake.bot_name)
        settings = ConsoleSettings(
            slack_bot_token="xoxb-mwgbot-console",  # noqa: S106 - the fake accepts any xoxb-
            slack_api_url=self._fake.url,
            database_url=self.database_url,
            mwg_channel=CHANNEL_ID,
            mwg_moderators=[self.moderator_id],
            mwg_organizers=[self.organizer_id],
            log_level=self.log_level,
            mwg_canvas=True,  # the stand-in keeps the channel's canvas: `page` prints it
        )
        self._runtime = build_runtime(
            settings, clock=self.clock, http=False, groups=console_groups(settings)
        )
        bot = self._runtime.bot
        bot.wake = _nothing  # delivery runs after each line, here, in order
        bot.delivery.card_update_interval = timedelta(0)  # show every change of a card
        # The stand-in has no rate limits, and the console's time is not the wall clock's.
        bot.delivery.card_updates = RateBudget(rate=1000, capacity=1000)
        if bot.delivery.pages is not None:  # the group's page too: redrawn after every line
            bot.delivery.pages.gap = timedelta(0)
            bot.delivery.pages.edits = RateBudget(rate=1000, capacity=1000)
            bot.delivery.pages.creates = RateBudget(rate=1000, capacity=1000)
        self._drain()  # auth.test
        self.emit(self._settle())  # the catch-up sweep every start does

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
        if self._fake is not None:
            self._fake.on_call = None
            self._fake.stop()
            self._fake = None

    def banner(self) -> list[str]:
        if self.temporary:
            data = (
                "Its data is in a temporary database, gone when the console ends "
                "(export DATABASE_URL=sqlite:///console.db to keep it)."
            )
        else:
            shown = make_url(self.database_url).render_as_string(hide_password=True)
            data = f"Its data is kept in {shown}."
        return [
            "mwgbot console: the real bot, with a stand-in Slack in this process; "
            f"nothing leaves this machine. {data}",
            f"Two working groups: #{CHANNEL_NAME} (Marketing, `mwg`) and #{SECOND_CHANNEL_NAME} "
            f"(Educators, `edu`); you speak in #{CHANNEL_NAME}, `in #{SECOND_CHANNEL_NAME}` to "
            f"speak there. The clock reads {when(self.clock.now())} and moves only with "
            "`clock +<duration>`.",
            f"{MODERATOR} is the moderator (AXIM) and {ORGANIZER} the organizer; any other name "
            f"is a member. You are {self.actor}: `as <name>` to be someone else.",
            "Type `help` for the lines the console understands, `quit` to leave.",
        ]

    @property
    def prompt(self) -> str:
        if self.channel_id == CHANNEL_ID:
            return f"{self.actor}> "
        return f"{self.actor} in #{self.channel_name}> "

    @property
    def channel_name(self) -> str:
        return CHANNEL_NAMES.get(self.channel_id, self.channel_id)

    @property
    def group(self) -> Policy:
        """The group of the channel the member speaks in."""
        return self.runtime.groups.by_channel(self.channel_id) or self.runtime.groups.first

    # --- lines -----------------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        """Run one line and print what it changed; False once the line was `quit`."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        try:
            return self._run(line)
        except LineError as error:
            self.emit([f"? {error}"])
        except Exception as error:  # a bug; one line here, the log (LOG_LEVEL=DEBUG) has more
            log.debug("console line %r failed", line, exc_info=True)
            self.emit([f"? that line failed ({type(error).__name__}: {error}); {ONE_LINE_HELP}"])
        finally:
            self.out.flush()
        return True

    def _run(self, line: str) -> bool:
        word, _, rest = line.partition(" ")
        word = word.lower()
        args = rest.split()
        if word.startswith("/"):
            self._slash(word, rest.strip())
        elif word in ("quit", "exit"):
            return False
        elif word in ("help", "?"):
            self.emit(self._help())
        elif word == "as":
            self._as(args)
        elif word == "in":
            self._in(args)
        elif word in ("react", "unreact"):
            self._react(args, added=word == "react")
        elif word == "click":
            self._click(args)
        elif word == "edit":
            self._edit(rest)
        elif word == "enter":
            self._enter(args)
        elif word == "home":
            self._home(args)
        elif word == "submit":
            self._submit_open_form(rest.split())
        elif word == "page":
            self._page(args)
        elif word in ("kick", "invite"):
            self._bot_membership(args, invited=word == "invite")
        elif word == "clock":
            self._clock(args)
        else:
            shown = word if len(word) <= 20 else word[:20] + "…"
            raise LineError(f"not understood: {shown!r}; {ONE_LINE_HELP}")
        return True

    def _help(self) -> list[str]:
        join, obj = self.runtime.bot.policy.join_emojis[0], self.runtime.bot.policy.object_emojis[0]
        rows = [
            ("as <name>", f"act as that member from now on (now: {self.actor})"),
            ("/mwg <subcommand>", "the slash command, as in Slack; `/mwg help` lists them"),
            ("react <emoji> #<n>", f"react on #n's card: :{join}: joins, :{obj}: objects"),
            ("unreact <emoji> #<n>", "take that reaction back"),
            ("click join #<n>", "press Join / leave on #n's card"),
            ("click object #<n> because <reason>", "press Object and send its form"),
            ("click adopt|decline #<n> because <note>", "decide in your Home tab (open it first)"),
            ("submit [<text>]", "send the form that opened last (e.g. forget-me's)"),
            ("edit #<n> title <new title>", "`/mwg edit <n>` and save its form with a new title"),
            ("edit #<n> description <text>", "… a new description (`-` empties it)"),
            ("edit #<n> stages awareness,interest", "… new adopter-journey stages (`-`: none)"),
            ("edit #<n> leads on|off", "… the flag: collects marketing leads"),
            ("edit #<n> cobranded on|off", "… the flag: co-branded with a sponsor"),
            ("in #<channel>", f"speak in #{CHANNEL_NAME} or #{SECOND_CHANNEL_NAME} from now on"),
            ("enter", "join the channel: a newcomer gets that group's welcome by DM"),
            ("home", "open the bot's Home tab: meetings, proposals, objections, hours"),
            ("page", "the group's page: the channel's canvas, as the bot keeps it"),
            ("kick", "remove mwgbot from the channel: what it posts there waits"),
            ("invite", "`/invite @mwgbot` in the channel: what waits is posted at once"),
            ("clock", "the time now (UTC)"),
            (
                "clock +<duration>",
                "move time on, up to 8w a line: 45m, 3d, 2w; due work fires in order",
            ),
            ("help", "this list"),
            ("quit", "leave (so does the end of the input)"),
        ]
        width = max(len(usage) for usage, _ in rows)
        lines = ["Lines the console understands:"]
        lines += [f"  {usage.ljust(width)}  {what}" for usage, what in rows]
        lines.append(
            f"{MODERATOR} is the moderator (AXIM), {ORGANIZER} the organizer; any other name is "
            "a member. Lines starting with # are comments."
        )
        return lines

    def _page(self, args: list[str]) -> None:
        """Print the channel's canvas, the group's page, as the stand-in Slack keeps it."""
        if args:
            raise LineError("usage: page   (the group's page, the channel canvas)")
        markdown = self.fake.channel_page(self.channel_id)
        if markdown is None:
            self.emit([f"  (#{self.channel_name} has no canvas yet)"])
            return
        self.emit(
            [
                f"[canvas of #{self.channel_name}]",
                *(f"    {line}" for line in markdown.splitlines()),
            ]
        )

    def _in(self, args: list[str]) -> None:
        names = {name: channel for channel, name in CHANNEL_NAMES.items()}
        usage = f"usage: in #{CHANNEL_NAME}  or  in #{SECOND_CHANNEL_NAME}"
        if len(args) != 1:
            raise LineError(usage)
        wanted = args[0].lstrip("#").lower()
        if wanted not in names:
            raise LineError(f"there is no #{wanted[:30]} here; {usage}")
        self.channel_id = names[wanted]
        group = self.group
        self.emit([f"(you speak in #{self.channel_name}, the {group.name}'s channel)"])

    def _as(self, args: list[str]) -> None:
        if len(args) != 1:
            raise LineError("usage: as <name>   e.g. as bob")
        try:
            name = normalize(args[0])
        except BadName as error:
            raise LineError(str(error)) from None
        self.actor, self.actor_id = name, self.people.id_of(name)
        self.fake.add_user(self.actor_id, name)
        role = {MODERATOR: ", the moderator", ORGANIZER: ", the organizer"}.get(name, "")
        self.emit([f"(you are {name}{role})"])

    # --- the slash command -----------------------------------------------------------------

    def _slash(self, command: str, text: str) -> None:
        if command != ids.COMMAND:
            raise LineError(f"only {ids.COMMAND} is installed here; try `{ids.COMMAND} help`")
        response = self._dispatch(self._command_form(text), payloads.FORM)
        lines = self._show(self._drain())
        lines += self._answer(response)
        self.emit(lines + self._settle())

    def _command_form(self, text: str) -> str:
        """`/mwg <text>` typed by the current member, as Slack posts it."""
        form = payloads.slash_command(
            text,
            user_id=self.actor_id,
            user_name=self.actor,
            channel_id=self.channel_id,
            channel_name=self.channel_name,
            trigger_id=self._trigger_id(),
            command=ids.COMMAND,
            response_url="https://hooks.slack.com/commands/console",
            team=self.team,
        )
        return urlencode(form)

    def _answer(self, response: BoltResponse) -> list[str]:
        """The ack of a slash command: Slack shows its body to the member who typed it."""
        if response.status != 200:
            return [f'  (only you see this) {ids.COMMAND} failed with the error "dispatch_failed"']
        if not response.body:
            return []
        try:
            body = json.loads(response.body)
        except ValueError:
            return [f"  (only you see this) {response.body}"]
        lines = blocks_to_lines(body.get("blocks"), str(body.get("text") or ""), self.names)
        if body.get("response_type") == "in_channel":
            return self._message(f"[#{self.channel_name}] mwgbot: ", lines, "    ")
        return self._message("  (only you see this) ", lines, "    ")

    # --- reactions -------------------------------------------------------------------------

    def _react(self, args: list[str], *, added: bool) -> None:
        verb = "react" if added else "unreact"
        example = self.runtime.bot.policy.join_emojis[0]
        usage = f"usage: {verb} <emoji> #<n>   e.g. {verb} {example} #1"
        if len(args) != 2:
            raise LineError(usage)
        emoji = args[0].strip(":").lower()
        if not _EMOJI.fullmatch(emoji):
            raise LineError(f"{args[0]!r} is not an emoji name like {example}; {usage}")
        number = _number(args[1], usage)
        channel, ts = self._card(number)
        card = self.fake.message(channel, ts) or {}
        reacted = self.actor_id in card.get("reactions", {}).get(emoji, [])
        if added and reacted:
            raise LineError(f"you already reacted :{emoji}: on #{number}")
        if not added and not reacted:
            raise LineError(f"you have no :{emoji}: reaction on #{number} to take back")
        if added:
            self.fake.add_reaction(channel, ts, emoji, self.actor_id)
        else:
            self.fake.remove_reaction(channel, ts, emoji, self.actor_id)
        event_ts = self._event_ts()
        event = payloads.reaction_event(
            added=added,
            user_id=self.actor_id,
            reaction=emoji,
            channel_id=channel,
            message_ts=ts,
            event_ts=event_ts,
            item_user=self.fake.bot_user_id,
        )
        did = f"reacted :{emoji}: on" if added else f"took back their :{emoji}: on"
        lines = [f"[#{self.channel_name}] @{self.actor} {did} #{number}"]
        response = self._dispatch(self._event_body(event, event_ts), payloads.JSON)
        lines += self._show(self._drain())
        if response.status != 200:
            lines.append(f"  (the bot failed to handle the reaction: HTTP {response.status})")
        self.emit(lines + self._settle())

    # --- joining the channel, the Home tab ---------------------------------------------------

    def _enter(self, args: list[str]) -> None:
        if args:
            raise LineError(f"usage: enter   (you, {self.actor}, join #{self.channel_name})")
        event_ts = self._event_ts()
        event = payloads.member_joined_channel(
            user_id=self.actor_id,
            channel_id=self.channel_id,
            event_ts=event_ts,
            team=self.team,
        )
        lines = [f"[#{self.channel_name}] @{self.actor} joined the channel"]
        response = self._dispatch(self._event_body(event, event_ts), payloads.JSON)
        lines += self._show(self._drain())
        if response.status != 200:
            lines.append(f"  (the bot failed to handle the join: HTTP {response.status})")
        self.emit(lines + self._settle())

    def _bot_membership(self, args: list[str], *, invited: bool) -> None:
        """`kick`: someone removes the bot from the channel (Slack keeps the channel and its
        messages; the bot's posts there are refused). `invite`: `/invite @mwgbot` there, and
        Slack tells the bot it joined (`member_joined_channel` with its own user ID)."""
        verb = "invite" if invited else "kick"
        if args:
            raise LineError(
                f"usage: {verb}   (you, {self.actor}, {verb} mwgbot in #{self.channel_name})"
            )
        bot_id = self.fake.bot_user_id
        if not invited:
            self.fake.kick_bot(self.channel_id)
            self.emit([f"[#{self.channel_name}] @{self.actor} removed @mwgbot from the channel"])
            return
        self.fake.invite_bot(self.channel_id)
        event_ts = self._event_ts()
        event = payloads.member_joined_channel(
            user_id=bot_id,
            channel_id=self.channel_id,
            event_ts=event_ts,
            inviter=self.actor_id,
            team=self.team,
        )
        lines = [f"[#{self.channel_name}] @{self.actor} invited @mwgbot; it joined the channel"]
        response = self._dispatch(self._event_body(event, event_ts), payloads.JSON)
        lines += self._show(self._drain())
        if response.status != 200:
            lines.append(f"  (the bot failed to handle its join: HTTP {response.status})")
        self.emit(lines + self._settle())

    def _home(self, args: list[str]) -> None:
        if args:
            raise LineError("usage: home   (open the bot's Home tab, as yourself)")
        event_ts = self._event_ts()
        event = payloads.app_home_opened(
            user_id=self.actor_id, dm_channel=f"D{self.actor_id[1:]}", event_ts=event_ts
        )
        published = len(self.fake.calls_to("views.publish"))
        response = self._dispatch(self._event_body(event, event_ts), payloads.JSON)
        if response.status == 200:
            # The bot publishes from a worker of its own; wait for it, as Slack's client does.
            self.fake.wait_for("views.publish", published + 1, timeout=HOME_WAIT_SECONDS)
        lines = self._show(self._drain())
        if response.status != 200:
            lines.append(f"  (the bot failed to show the Home tab: HTTP {response.status})")
        self.emit(lines + self._settle())

    def _event_body(self, event: dict[str, Any], event_ts: str) -> str:
        self._seq += 1
        body = payloads.event_callback(
            event,
            event_id=f"Ev0CONSOLE{self._seq:06d}",
            event_time=int(float(event_ts)),
            team=self.team,
        )
        return json.dumps(body)

    # --- buttons and forms -----------------------------------------------------------------

    def _click(self, args: list[str]) -> None:
        usage = (
            "usage: click join #<n>  or  click object #<n> because <reason>  or  "
            "click adopt|decline #<n> because <note> (in your Home tab)"
        )
        if len(args) < 2:
            raise LineError(usage)
        word, number = args[0].lower(), _number(args[1], usage)
        rest = args[2:]
        if rest and rest[0].lower() == "because":
            rest = rest[1:]
        reason = " ".join(rest).strip()
        if word in ("adopt", "decline"):
            self._click_home(word, number, reason)
            return
        channel, ts = self._card(number)
        button = self._button(channel, ts, number, word)
        action = {
            "action_id": button.get("action_id"),
            "block_id": button.get("_block_id"),
            "text": button.get("text"),
            "value": button.get("value"),
            "type": "button",
            "action_ts": self._event_ts(),
        }
        payload = payloads.block_actions(
            action,
            user_id=self.actor_id,
            user_name=self.actor,
            channel_id=channel,
            channel_name=CHANNEL_NAMES.get(channel, channel),
            message_ts=ts,
            message_text=f"#{number}",
            trigger_id=self._trigger_id(),
            response_url="https://hooks.slack.com/actions/console",
            team=self.team,
        )
        self._press(payload, reason)

    def _press(self, payload: dict[str, Any], text: str) -> None:
        """Send a button press as Slack does; the form it opens is sent with `text`, if any."""
        response = self._dispatch(payloads.interactivity_body(payload), payloads.FORM)
        calls = self._drain()
        opened = [c for c in calls if c.method == "views.open"]
        lines: list[str] = []
        if response.status != 200:
            lines.append(f"  (the bot failed to handle the button: HTTP {response.status})")
        if opened and text:
            lines += self._show(c for c in calls if c.method != "views.open")
            lines += self._submit(opened[-1].args.get("view") or {}, text)
        else:
            lines += self._show(calls)
            if text:
                lines.append("  (no form opened, so the text was not used)")
        self.emit(lines + self._settle())

    def _click_home(self, word: str, number: int, note: str) -> None:
        """Adopt or Decline in the actor's Home tab (as last published), then the note's form."""
        action_id = ids.ACTION_HOME_ADOPT if word == "adopt" else ids.ACTION_HOME_DECLINE
        home = next(
            (
                v
                for v in self.fake.views
                if v.get("type") == "home" and v.get("user_id") == self.actor_id
            ),
            None,
        )
        if home is None:
            raise LineError(f"open your Home tab first (`home`): {word.capitalize()} is there")
        button = None
        for block in home.get("blocks") or []:
            for element in block.get("elements") or []:
                value = str(element.get("value"))
                # `mwg#1` (a bare `1` on a Home tab published before groups): the channel's group.
                if element.get("action_id") == action_id and value in (
                    f"{self.group.key}#{number}",
                    str(number),
                ):
                    button = {**element, "_block_id": block.get("block_id")}
        if button is None:
            raise LineError(
                f"your Home tab (as last opened) has no {word.capitalize()} for #{number}; "
                "`home` shows it again"
            )
        action = {
            "action_id": action_id,
            "block_id": button.get("_block_id"),
            "text": button.get("text"),
            "value": button.get("value"),
            "type": "button",
            "action_ts": self._event_ts(),
        }
        payload = payloads.home_block_actions(
            action,
            user_id=self.actor_id,
            user_name=self.actor,
            view=home,
            trigger_id=self._trigger_id(),
            team=self.team,
        )
        self._press(payload, note)

    def _submit_open_form(self, args: list[str]) -> None:
        """`submit [<text>]`: the form opened last, sent as it is (its first text box filled
        with the text, if given), for the forms no other line fills in."""
        opened = self.fake.calls_to("views.open")
        if not opened:
            raise LineError("no form is open: a command or a button opens one")
        view = opened[-1].args.get("view") or {}
        text = " ".join(args).strip()
        lines = self._submit(view, text) if text else self._submit_values(view, {})
        self.emit(
            (lines or ["  (the form is sent; the bot answered nothing more)"]) + self._settle()
        )

    def _button(self, channel: str, ts: str, number: int, word: str) -> dict[str, Any]:
        message = self.fake.message(channel, ts) or {}
        buttons: list[dict[str, Any]] = []
        for block in message.get("blocks") or []:
            if block.get("type") != "actions":
                continue
            for element in block.get("elements") or []:
                if element.get("type") == "button":
                    buttons.append({**element, "_block_id": block.get("block_id")})
        for button in buttons:
            label = str((button.get("text") or {}).get("text") or "").lower()
            action = str(button.get("action_id") or "").lower()
            if word in re.split(r"[^a-z0-9]+", label) or action.endswith("_" + word):
                return button
        labels = " ".join(f"[{(b.get('text') or {}).get('text')}]" for b in buttons)
        has = f"its buttons: {labels}" if labels else "it has no buttons now"
        raise LineError(f"#{number}'s card has no {word!r} button ({has})")

    # --- the edit form --------------------------------------------------------------------

    def _edit(self, rest: str) -> None:
        """`/mwg edit <n>`, then save the form that opened with one field changed, as Slack
        sends it back: the same code as a member's edit in Slack."""
        usage = (
            "usage: edit #<n> title|description|stages|leads|cobranded <value>   "
            "e.g. edit #1 title Case-study series"
        )
        words = rest.split(maxsplit=2)
        if len(words) < 2:
            raise LineError(usage)
        number = _number(words[0], usage)
        field, value = words[1].lower(), (words[2].strip() if len(words) > 2 else "")
        if field not in EDIT_FIELDS:
            raise LineError(f"{field!r} is not a field of the edit form; {usage}")
        if not value and field != "description":
            raise LineError(f"what should the {field} be? {usage}")
        response = self._dispatch(self._command_form(f"edit {number}"), payloads.FORM)
        calls = self._drain()
        opened = [c for c in calls if c.method == "views.open"]
        lines = self._show(c for c in calls if c.method != "views.open")
        if not opened:  # refused: the answer says why
            self.emit(lines + self._answer(response) + self._settle())
            return
        view = opened[-1].args.get("view") or {}
        try:
            values = payloads.view_state(view, _edit_change(view, field, value))
        except ValueError as error:
            raise LineError(f"{error}; {usage}") from None
        lines.append(f"  (you change the {field} of #{number} in its form and press Save)")
        lines += self._submit_values(view, values)
        self.emit(lines + self._settle())

    def _submit(self, view: dict[str, Any], reason: str) -> list[str]:
        """Fill the form's first text input with the reason and submit it, as Slack does."""
        values: dict[str, Any] = {}
        for block in view.get("blocks") or []:
            element = block.get("element") or {}
            if block.get("type") == "input" and element.get("type") == "plain_text_input":
                values[str(block.get("block_id"))] = {
                    str(element.get("action_id")): {"type": "plain_text_input", "value": reason}
                }
                break
        return self._submit_values(view, values)

    def _submit_values(self, view: dict[str, Any], values: dict[str, Any]) -> list[str]:
        """Submit the form with these `state.values`, as Slack does; what it answered."""
        opened = self.fake.views
        view_id = opened[-1]["id"] if opened else "V0CONSOLE"
        payload = payloads.view_submission(
            {
                "id": view_id,
                "callback_id": view.get("callback_id", ""),
                "private_metadata": view.get("private_metadata", ""),
                "title": view.get("title"),
                "blocks": view.get("blocks") or [],
                "state": {"values": values},
                "hash": f"{time.time():.6f}.console",
            },
            user_id=self.actor_id,
            user_name=self.actor,
            trigger_id=self._trigger_id(),
            team=self.team,
        )
        response = self._dispatch(payloads.interactivity_body(payload), payloads.FORM)
        lines = self._show(self._drain())
        if response.status != 200:
            lines.append(f"  (the bot failed to handle the form: HTTP {response.status})")
        elif response.body:
            try:
                body = json.loads(response.body)
            except ValueError:
                body = {}
            for error in (body.get("errors") or {}).values():
                lines.append(f"  (the form says, and stays open: {error})")
        return lines

    # --- the clock -------------------------------------------------------------------------

    def _clock(self, args: list[str]) -> None:
        usage = "usage: clock  or  clock +<duration>   e.g. clock +3d, clock +1d12h, clock +45m"
        if not args:
            self.emit([f"clock: {when(self.clock.now())}"])
            return
        if len(args) != 1 or not args[0].startswith("+"):
            if args and args[0].startswith("-"):
                raise LineError("time only moves forward here; " + usage)
            raise LineError(usage)
        try:
            delta = parse_duration(args[0][1:])
        except ValueError as error:
            raise LineError(f"{error}; {usage}") from None
        if delta > MAX_MOVE:
            raise LineError("at most 8w at a time; move the clock in several steps")
        self.advance(delta)

    def advance(self, delta: timedelta) -> None:
        """Move time on, stopping wherever work falls due (see `mwgbot.console.stepping`)."""
        start = self.clock.now()
        target = start + delta
        stops = Stops(self.runtime.db, tuple(self.runtime.groups), start, target)
        while (now := self.clock.now()) < target:
            stop = stops.next(now)
            self.clock.set(stop)
            lines = self._settle()
            if lines:
                self.emit([f"── {when(stop)} ──", *lines])
        self.emit([f"clock: {when(target)}"])

    # --- plumbing --------------------------------------------------------------------------

    def _dispatch(self, body: str, content_type: str) -> BoltResponse:
        request = bolt_request(
            body,
            headers={
                "content-type": content_type,
                "x-slack-request-timestamp": str(int(time.time())),
            },
        )
        return self.runtime.app.dispatch(request)

    def _settle(self) -> list[str]:
        """Run the sweep and deliver everything due, as the background jobs would; show it."""
        try:
            self.runtime.scheduler.sweep.run()
            for _ in range(SETTLE_ROUNDS):
                if not self.runtime.bot.delivery.run_once().busy:
                    break
        except Exception as error:
            log.warning("the sweep failed: %s", error, exc_info=True)
            return [*self._show(self._drain()), f"  (the sweep failed: {error})"]
        return self._show(self._drain())

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def _drain(self) -> list[RecordedCall]:
        with self._lock:
            calls, self._calls = self._calls, []
        return calls

    def emit(self, lines: Iterable[str]) -> None:
        for line in lines:
            print(line, file=self.out)

    def _trigger_id(self) -> str:
        self._seq += 1
        return f"{self._seq}.{int(self.clock.now().timestamp())}.console"

    def _event_ts(self) -> str:
        """An event time that follows the clock and never repeats."""
        now_us = int(self.clock.now().timestamp() * 1_000_000)
        self._last_event_us = max(self._last_event_us + 1, now_us)
        seconds, micros = divmod(self._last_event_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def _card(self, number: int) -> tuple[str, str]:
        with self.runtime.db.unit_of_work() as session:
            row = session.get(ProposalRow, (self.group.key, number))
            if row is None:
                raise LineError(
                    f"there is no proposal #{number} in #{self.channel_name}; "
                    "`/mwg list` shows them"
                )
            if not row.message_ts:
                raise LineError(f"#{number} has no card in the channel yet")
            return row.channel_id or CHANNEL_ID, row.message_ts

    def _card_number(self, channel: str, ts: str) -> int | None:
        with self.runtime.db.unit_of_work() as session:
            number = session.scalar(
                select(ProposalRow.number).where(
                    ProposalRow.channel_id == channel, ProposalRow.message_ts == ts
                )
            )
        if number is not None:
            return int(number)
        message = self.fake.message(channel, ts) or {}
        for block in message.get("blocks") or []:
            match = re.fullmatch(r"card-(\d+)", str(block.get("block_id") or ""))
            if match:
                return int(match.group(1))
        return None

    def _where(self, channel: str) -> str:
        if channel in CHANNEL_NAMES:
            return f"#{CHANNEL_NAMES[channel]}"
        name = self.people.name_of(self.fake.dm_user(channel) or channel)
        if name is not None:
            return f"DM to @{name}"
        return "a DM" if channel.startswith("D") else channel

    def _who(self, user_id: str) -> str:
        if user_id == self.actor_id:
            return "you see"
        return f"@{self.people.name_of(user_id) or user_id} sees"

    @staticmethod
    def _message(header: str, lines: list[str], indent: str) -> list[str]:
        if not lines:
            return [header.rstrip()]
        return [header + lines[0], *(indent + line for line in lines[1:])]

    def _show(self, calls: Iterable[RecordedCall]) -> list[str]:
        lines: list[str] = []
        for call in calls:
            lines += self._describe(call)
        return lines

    def _describe(self, call: RecordedCall) -> list[str]:
        args = call.args
        channel = str(args.get("channel") or "")
        body = blocks_to_lines(args.get("blocks"), str(args.get("text") or ""), self.names)
        if call.method == "chat.postMessage":
            thread_ts = args.get("thread_ts")
            if not thread_ts:
                return self._message(f"[{self._where(channel)}] mwgbot: ", body, "    ")
            number = self._card_number(channel, str(thread_ts))
            parent = f"#{number}" if number is not None else "a message"
            broadcast = _truthy(args.get("reply_broadcast"))
            also = f", also sent to {self._where(channel)}" if broadcast else ""
            return self._message(f"  ↳ in thread of {parent}{also}: ", body, "      ")
        if call.method == "chat.update":
            number = self._card_number(channel, str(args.get("ts") or ""))
            what = f"updated card #{number}" if number is not None else "updated a message"
            return self._message(f"[{self._where(channel)}] mwgbot ({what}): ", body, "    ")
        if call.method == "chat.postEphemeral":
            header = f"  (only {self._who(str(args.get('user') or ''))} this) "
            return self._message(header, body, "    ")
        if call.method in ("views.open", "views.push"):
            return self._form(args.get("view") or {})
        if call.method == "views.publish":
            user = self.people.name_of(str(args.get("user_id") or "")) or args.get("user_id")
            view = view_to_lines(args.get("view") or {}, self.names)
            return self._message(f"[App Home of @{user}] ", view, "    ")
        if call.method == "reactions.add":
            number = self._card_number(channel, str(args.get("timestamp") or ""))
            on = f"#{number}" if number is not None else "a message"
            return [f"[{self._where(channel)}] mwgbot reacted :{args.get('name')}: on {on}"]
        if call.method == "chat.delete":
            return [f"[{self._where(channel)}] mwgbot deleted a message"]
        return []

    def _form(self, view: dict[str, Any]) -> list[str]:
        lines = self._message("  (a form opens) ", view_to_lines(view, self.names), "    ")
        if view.get("callback_id") == ids.VIEW_OBJECT:
            # The form carries `mwg#1`; the console speaks of `#1`.
            number = str(view.get("private_metadata") or "<n>").rpartition("#")[2] or "<n>"
            hint = f"click object #{number} because <reason>` sends it with your reason"
            lines.append(f"  (in the console, `{hint})")
        elif view.get("callback_id") == ids.VIEW_EDIT:
            lines.append(
                "  (in the console, `edit #<n> title <new title>` saves this form with a change; "
                "`help` lists the fields)"
            )
        elif view.get("callback_id") == ids.VIEW_FORGET and view.get("submit"):
            lines.append("  (in the console, `submit` confirms this form; anything else leaves it)")
        elif view.get("callback_id") == ids.VIEW_PROPOSE:
            lines.append(
                "  (the console cannot fill in this form; type the command instead, "
                "e.g. `/mwg propose <title> --close 7d`)"
            )
        elif view.get("callback_id") == ids.VIEW_RESOLVE:
            lines.append(
                "  (in the console, `click adopt|decline #<n> because <note>` sends it with "
                "your note)"
            )
        elif view.get("submit"):
            lines.append("  (in the console, `submit <text>` sends this form with its first box)")
        return lines


def refuse_an_earlier_session(database_url: str) -> None:
    """The stand-in Slack and the clock start afresh each time: an earlier session's cards,
    topics and skips would not match them (new cards posted over old ones, numbers going on).
    A database where anything was recorded is refused in one line, before anything starts."""
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        if not {"activity", "members"} <= tables:
            return  # not migrated yet: a fresh database
        with engine.connect() as connection:
            changes = connection.scalar(select(func.count()).select_from(ActivityRow)) or 0
            members = connection.scalar(select(func.count()).select_from(MemberRow)) or 0
    finally:
        engine.dispose()
    if changes or members:
        shown = make_url(database_url).render_as_string(hide_password=True)
        raise ConfigError(
            f"the database {shown} already holds an earlier console session ({changes:,} "
            f"change{'s' if changes != 1 else ''} recorded); the console's stand-in Slack and "
            "clock start afresh each time, so use a fresh file (e.g. export "
            "DATABASE_URL=sqlite:///console-2.db) or unset DATABASE_URL"
        )


def console_groups(settings: Settings) -> Groups:
    """The console's two groups, as examples/groups.toml has them: marketing from the settings,
    and the educators, who give a decision at least two weeks and meet on Thursdays."""
    marketing = Policy.from_settings(settings)
    educators = dataclasses.replace(
        marketing,
        key="edu",
        name="Educators Working Group",
        channel_id=SECOND_CHANNEL_ID,
        consensus_min=timedelta(days=14),
        consensus_window=timedelta(days=21),
        meeting_first=datetime(2026, 12, 10, 16, 0, tzinfo=UTC),
        about="Educators using Open edX share course design practice and review the tools.",
    )
    return Groups((marketing, educators))
