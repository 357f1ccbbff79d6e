"""Members in Slack: the welcome, the Home tab and the time members give. Thin: parse, call a
service inside one unit of work, answer.

The welcome is only recorded and queued here (the outbox sends it), so the event is
acknowledged as soon as the database has it. The Home tab is published with views.publish from
here: it replaces the member's whole view, so a repeat is harmless. Publishing runs on one
background worker, in order, and the listener waits for it only briefly, so a slow Slack never
holds the acknowledgement past its 3 seconds.

Buttons pressed in the Home tab come without a channel, a message or a response URL, so they
are answered in the Home tab itself: it is published again with a one-line notice on top. A
decider's Adopt and Decline open a form for the note a decision needs; it is settled by the
same service as `/mwg resolve`.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from mwgbot.domain import proposals as rules
from mwgbot.domain import time_log
from mwgbot.domain.activity import Via
from mwgbot.domain.errors import DomainError, NotFound
from mwgbot.domain.proposals import Verdict
from mwgbot.services.bot import BotServices
from mwgbot.services.member_models import HomeView
from mwgbot.services.policy import Policy
from mwgbot.slack import blocks, commands, escalation_blocks, home_blocks, ids, member_blocks
from mwgbot.slack.block_kit import title_ref
from mwgbot.slack.group_routing import parse_ref
from mwgbot.slack.proposal_form import field_error, input_state, input_value
from mwgbot.slack.router import INTERNAL_ERROR, CommandRouter, Invocation, Reply, refusal_text
from mwgbot.slack.text import clean_block, clean_line

__all__ = ["MemberHandlers", "register"]

log = logging.getLogger(__name__)

# How long a listener waits for its views.publish before acknowledging anyway.
PUBLISH_WAIT_SECONDS = 1.5
_MAX_NUMBER = 999_999_999


class MemberHandlers:
    def __init__(self, bot: BotServices) -> None:
        self.bot = bot
        self._publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="home-publish")

    # --- /mwg subcommands ------------------------------------------------------------------

    def register_commands(self, router: CommandRouter) -> None:
        router.register(commands.LogTime, self.log)
        router.register(commands.Hours, self.hours)
        router.register(commands.HoursTeam, self.team)
        router.register(commands.Unlog, self.unlog)

    def log(self, command: commands.LogTime, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            logged = self.bot.time_log(session, via=Via.COMMAND).log(
                invocation.user_id,
                command.minutes,
                command.what,
                proposal_number=command.proposal_number,
                worked_on=command.worked_on,
            )
        return Reply(member_blocks.logged_answer(logged))

    def hours(self, command: commands.Hours, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            hours = self.bot.time_log(session, via=Via.COMMAND).hours(
                invocation.user_id, command.month
            )
        return Reply(member_blocks.hours_answer(hours))

    def team(self, command: commands.HoursTeam, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            team = self.bot.time_log(session, via=Via.COMMAND).team(
                invocation.user_id, command.month
            )
        return Reply(member_blocks.team_answer(team))

    def unlog(self, command: commands.Unlog, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            removed = self.bot.time_log(session, via=Via.COMMAND).unlog(
                invocation.user_id, command.entry
            )
        return Reply(member_blocks.unlogged_answer(removed))

    # --- events ----------------------------------------------------------------------------

    def member_joined(self, event: dict[str, Any], bot_user_id: str | None) -> None:
        user_id, channel_id = str(event.get("user") or ""), str(event.get("channel") or "")
        if bot_user_id and user_id == bot_user_id and channel_id:
            # The bot itself was added (back) to a channel: what waits for it goes out now,
            # in order; the delivery's claims keep each post to one, however often this runs.
            self.bot.delivery.bot_added(channel_id)
            self.bot.wake()
            return
        # Committed before Bolt acknowledges (process_before_response): a failure here answers
        # 500 and Slack delivers the event again; the welcome's dedupe key keeps it one.
        with self.bot.db.unit_of_work() as session:
            queued = self.bot.welcomes(session).member_joined(
                str(event.get("user") or ""), str(event.get("channel") or ""), bot_user_id
            )
        if queued:
            self.bot.wake()

    def home_opened(self, client: WebClient, event: dict[str, Any]) -> None:
        user_id = event.get("user")
        # The Messages tab sends the same event with tab "messages": nothing to publish.
        if not user_id or event.get("tab", "home") != "home":
            return
        self.publish_home(client, str(user_id))

    # --- the Home tab's buttons and the "Log time" form ------------------------------------

    def press_join(self, client: WebClient, body: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        number = _number((body.get("actions") or [{}])[0].get("value"))
        if number is None:
            self.publish_home(client, user_id, "That button is out of date; here is your Home now.")
            return
        try:
            with self.bot.db.unit_of_work() as session:
                service = self.bot.proposals(session, via=Via.BUTTON)
                if service.has_joined(number, user_id):
                    service.leave(number, user_id)
                    notice = f"You left #{number}."
                else:
                    proposal = service.join(number, user_id).proposal
                    notice = f"You joined {title_ref(number, proposal.title)}."
        except DomainError as refusal:
            notice = refusal_text(refusal)
        self.bot.wake()  # the card shows who joined
        self.publish_home(client, user_id, notice)

    def press_decide(self, client: WebClient, body: dict[str, Any], verdict: Verdict) -> None:
        """Adopt or Decline beside an escalation: the form for the note, if the member may
        still decide it; else a notice saying why not."""
        user_id = body["user"]["id"]
        number = _number((body.get("actions") or [{}])[0].get("value"))
        if number is None:
            self.publish_home(client, user_id, "That button is out of date; here is your Home now.")
            return
        try:
            with self.bot.db.unit_of_work() as session:
                proposal = self.bot.proposals(session, via=Via.BUTTON).show(number)
            # The rule alone, changing nothing: the form opens only for an eligible decider.
            rules.resolve(
                number,
                proposal.state,
                proposal.proposer_id,
                user_id,
                self.bot.policy.roles,
                verdict,
            )
        except DomainError as refusal:
            self.publish_home(client, user_id, str(refusal))
            return
        self._open(client, body, escalation_blocks.resolve_modal(proposal, verdict))

    def submit_resolve(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The decision form: a note is required; settled like `/mwg resolve` (ledger: modal)."""
        user_id = body["user"]["id"]
        about = escalation_blocks.read_resolve_metadata(
            str(body["view"].get("private_metadata") or "")
        )
        if about is None:
            ack(
                response_action="errors",
                errors={ids.BLOCK_NOTE: "This form is out of date; open your Home tab again."},
            )
            return
        number, verdict = about
        note = clean_block(input_value(body["view"]["state"]["values"], ids.BLOCK_NOTE) or "")
        error = None
        if not note:
            error = "Please write a note for the group: it is posted with the decision."
        elif len(note) > rules.MAX_NOTE:
            error = f"At most {rules.MAX_NOTE} characters."
        if error is not None:
            ack(response_action="errors", errors={ids.BLOCK_NOTE: error})
            return
        try:
            with self.bot.db.unit_of_work() as session:
                proposal = self.bot.proposals(session, via=Via.MODAL).resolve(
                    number, user_id, verdict, note
                )
        except DomainError as refusal:
            ack(response_action="errors", errors={ids.BLOCK_NOTE: _field_error(refusal)})
            return
        ack()
        self.bot.wake()
        self.publish_home(
            client,
            user_id,
            f"{title_ref(number, proposal.title)} is {proposal.state.value}; the decision is "
            "posted in the channel.",
        )

    def press_propose(self, client: WebClient, body: dict[str, Any]) -> None:
        policy = self.bot.policy
        hint = blocks.window_hint(policy.consensus_window, policy.consensus_min)
        self._open(client, body, blocks.propose_modal(policy.channel_id, hint))

    def press_log_time(self, client: WebClient, body: dict[str, Any]) -> None:
        groups = self.bot.all_groups
        with self.bot.db.unit_of_work() as session:
            if groups.only is not None:
                choices = self.bot.home(session).choices(body["user"]["id"])
            else:  # every group's, each naming its group
                choices = []
                for group in groups:
                    with self.bot.acting_in(group):
                        found = self.bot.home(session).choices(body["user"]["id"])
                    choices += [replace(c, group_key=group.key) for c in found]
        today = time_log.today(self.bot.clock.now())
        self._open(client, body, home_blocks.log_time_modal(choices, today))

    def _open(self, client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as error:
            log.warning("opening a form from the Home tab failed: %s", error)
            self.publish_home(client, body["user"]["id"], INTERNAL_ERROR)

    def submit_log_time(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        values = body["view"]["state"]["values"]
        user_id = body["user"]["id"]
        now = self.bot.clock.now()
        errors: dict[str, str] = {}
        minutes = what = day = number = None
        try:
            minutes = time_log.parse_duration(input_value(values, ids.BLOCK_DURATION) or "")
        except DomainError as refusal:
            errors[ids.BLOCK_DURATION] = _field_error(refusal)
        try:
            what = time_log.check_what(clean_line(input_value(values, ids.BLOCK_WHAT) or ""))
        except DomainError as refusal:
            errors[ids.BLOCK_WHAT] = _field_error(refusal)
        chosen = _selected_day(values, ids.BLOCK_DAY)
        try:
            day = time_log.check_day(time_log.parse_day(chosen), now) if chosen else None
        except DomainError as refusal:
            errors[ids.BLOCK_DAY] = _field_error(refusal)
        option = _selected_option(values, ids.BLOCK_INITIATIVE)
        group = None  # the chosen initiative's group (`edu#3`); none chosen: as the request's
        if option is not None:
            key = parse_ref(option)[0]
            group = self.bot.all_groups.by_key(key) if key is not None else None
            number = _number(option)
            if number is None:
                errors[ids.BLOCK_INITIATIVE] = "Choose an initiative from the list."
        if errors or minutes is None or what is None:
            ack(response_action="errors", errors=errors)
            return
        try:
            with self.bot.db.unit_of_work() as session, self.bot.acting_in(group):
                logged = self.bot.time_log(session, via=Via.MODAL).log(
                    user_id, minutes, what, proposal_number=number, worked_on=day
                )
        except NotFound as refusal:
            ack(response_action="errors", errors={ids.BLOCK_INITIATIVE: _field_error(refusal)})
            return
        except time_log.DayFull as refusal:  # the day's total: the duration is what to change
            ack(response_action="errors", errors={ids.BLOCK_DURATION: _field_error(refusal)})
            return
        except DomainError as refusal:
            ack(response_action="errors", errors={ids.BLOCK_DAY: _field_error(refusal)})
            return
        ack()
        self.publish_home(client, user_id, member_blocks.logged_answer(logged))

    # --- publishing ------------------------------------------------------------------------

    def publish_home(self, client: WebClient, user_id: str, notice: str | None = None) -> None:
        """Read the member's Home in one unit of work, then publish it (waiting briefly)."""
        groups = self.bot.all_groups
        sections = []
        with self.bot.db.unit_of_work() as session:
            for group in groups:
                with self.bot.acting_in(group):
                    view = self.bot.home(session).view(user_id)
                sections.append((group, view))
        # Each group the member takes part in; a newcomer to all of them sees them all.
        theirs = [(g, v) for g, v in sections if _takes_part(g, v, user_id)] or sections
        payload = home_blocks.groups_home_view([(g.key, g.name, v) for g, v in theirs], notice)
        future = self._publisher.submit(_publish, client, user_id, payload)
        try:
            future.result(timeout=PUBLISH_WAIT_SECONDS)
        except FutureTimeout:
            log.info("publishing the Home tab of %s goes on in the background", user_id)


def _publish(client: WebClient, user_id: str, view: dict[str, Any]) -> None:
    try:
        client.views_publish(user_id=user_id, view=view)
    except (SlackApiError, OSError) as error:
        # The member sees their previous Home; the next time they open it, it is published anew.
        log.warning("publishing the Home tab of %s failed: %s", user_id, error)


def _takes_part(group: Policy, view: HomeView, user_id: str) -> bool:
    """Whether the member has a part in the group: proposed, joined or objected there, decides
    there, or organizes or moderates it."""
    return bool(
        view.mine_total
        or view.objections_total
        or view.waiting_total
        or user_id in group.organizers
        or user_id in group.moderators
    )


def _number(value: object) -> int | None:
    """A Home button's proposal: `mwg#3` (its group is the request's, see `group_of_request`),
    or `3` and `#3` as buttons posted before groups carried it."""
    number = parse_ref(value)[1]
    return number if number is not None and 1 <= number <= _MAX_NUMBER else None


def _field_error(refusal: Exception) -> str:
    return field_error(str(refusal).replace("`", ""))


def _selected_option(values: dict[str, Any], block_id: str) -> str | None:
    option = input_state(values, block_id).get("selected_option")
    return str(option["value"]) if isinstance(option, dict) and "value" in option else None


def _selected_day(values: dict[str, Any], block_id: str) -> str | None:
    chosen = input_state(values, block_id).get("selected_date")
    return str(chosen) if chosen else None


def register(app: App, bot: BotServices, router: CommandRouter) -> None:
    """An extension for build_app: the member subcommands, events, Home buttons and form."""
    handlers = MemberHandlers(bot)
    handlers.register_commands(router)

    @app.event("member_joined_channel")
    def on_member_joined(event: dict[str, Any], context: BoltContext) -> None:
        handlers.member_joined(event, context.bot_user_id)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        handlers.home_opened(client, event)

    @app.action(ids.ACTION_HOME_JOIN)
    def on_home_join(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        handlers.press_join(client, body)

    @app.action(ids.ACTION_HOME_ADOPT)
    def on_home_adopt(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        handlers.press_decide(client, body, Verdict.ADOPT)

    @app.action(ids.ACTION_HOME_DECLINE)
    def on_home_decline(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        handlers.press_decide(client, body, Verdict.DECLINE)

    @app.view(ids.VIEW_RESOLVE)
    def on_resolve_submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        handlers.submit_resolve(ack, body, client)

    @app.action(ids.ACTION_HOME_PROPOSE)
    def on_home_propose(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        handlers.press_propose(client, body)

    @app.action(ids.ACTION_HOME_LOG_TIME)
    def on_home_log_time(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        handlers.press_log_time(client, body)

    @app.view(ids.VIEW_LOG_TIME)
    def on_log_time_submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        handlers.submit_log_time(ack, body, client)
