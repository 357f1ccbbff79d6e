"""Proposals in Slack: `/mwg` subcommands, reactions, buttons and modals. Thin: parse, call
a service inside one unit of work, answer."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from mwgbot.domain import proposals as rules
from mwgbot.domain.activity import Via
from mwgbot.domain.editing import Wording
from mwgbot.domain.errors import DomainError
from mwgbot.domain.limits import OpenLimitReached
from mwgbot.domain.proposals import ProposalSnapshot, State
from mwgbot.services import outbox
from mwgbot.services.bot import BotServices
from mwgbot.services.proposals import Change
from mwgbot.services.reactions import ReactionEvent
from mwgbot.services.time_log import hours_given
from mwgbot.slack import blocks, commands, ids, member_blocks, proposal_form, slack_refusals
from mwgbot.slack.group_routing import (
    SayItInAChannel,
    group_for,
    parse_ref,
    say_it_in_a_channel,
)
from mwgbot.slack.limit_text import open_limit_field_error
from mwgbot.slack.router import INTERNAL_ERROR, CommandRouter, Invocation, Reply, refusal_text
from mwgbot.slack.text import (
    as_typed,
    channel_link,
    clean_line,
    date_token,
    escape,
    permalink,
)

log = logging.getLogger(__name__)

# How long a `/mwg propose` waits for its card to be posted, to answer with a link.
CARD_LINK_WAIT_SECONDS = 1.5


class ProposalHandlers:
    def __init__(self, bot: BotServices, team_url: str | None) -> None:
        self.bot = bot
        self.team_url = team_url
        self._poster = ThreadPoolExecutor(max_workers=2, thread_name_prefix="card-post")

    # --- /mwg subcommands ------------------------------------------------------------------

    def register_commands(self, router: CommandRouter) -> None:
        router.register(commands.Help, lambda _c, _i: Reply(commands.help_text()))
        router.register(commands.Propose, self.propose)
        router.register(commands.Show, self.show)
        router.register(commands.ListProposals, self.list)
        router.register(commands.Join, self.join)
        router.register(commands.Leave, self.leave)
        router.register(commands.Object, self.object)
        router.register(commands.Unobject, self.unobject)
        router.register(commands.Withdraw, self.withdraw)
        router.register(commands.Resolve, self.resolve)
        router.register(commands.SetOrganization, self.organization)

    def propose(self, command: commands.Propose, invocation: Invocation) -> Reply:
        assert command.title is not None, "a title-less propose opens the modal instead"
        # If Slack refuses the card, the answer says so (and no direct message besides).
        with self.bot.delivery.answering(invocation.user_id):
            with self.bot.db.unit_of_work() as session:
                proposal = self.bot.proposals(session, via=Via.COMMAND).propose(
                    invocation.user_id,
                    command.title,
                    stages=command.stages,
                    window=command.window,
                )
            return Reply(self._proposed_text(proposal), changed=True)

    def _proposed_text(self, proposal: ProposalSnapshot) -> str:
        channel = self.bot.policy.channel_id
        ts = self._post_card_now(proposal.number)
        link = permalink(self.team_url, channel, ts) if ts else None
        # Slack links cannot nest, so the channel mention stays outside the card's link.
        where = f"in {channel_link(channel)}" + (f" (<{link}|see the card>)" if link else "")
        text = (
            f"Proposed #{proposal.number} *{as_typed(proposal.title)}* {where}. "
            f"Its consensus window closes {date_token(proposal.closes_at)}."
        )
        if ts:
            return text
        # Slack's refusal, if that is why there is no card: the member reads what to do here
        # (and is not told again by direct message).
        status = self.bot.delivery.status
        refusal = status.channel_refusal(channel)
        if refusal is not None:
            return text + slack_refusals.card_waits(refusal, channel, status.bot_name)
        if status.token_refusal is not None:
            return text + slack_refusals.CARD_WAITS_FOR_SLACK
        return text + " The card will appear there shortly."

    def _post_card_now(self, number: int) -> str | None:
        """Try to post the card within the ack budget; the outbox finishes it otherwise."""
        future = self._poster.submit(
            self.bot.delivery.deliver_card, number, CARD_LINK_WAIT_SECONDS - 0.1
        )
        try:
            return future.result(timeout=CARD_LINK_WAIT_SECONDS)
        except FutureTimeout:
            return None
        except Exception:
            log.exception("posting the card of #%s right away failed; the outbox retries", number)
            return None

    def show(self, command: commands.Show, _invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            proposal = self.bot.proposals(session, via=Via.COMMAND).show(command.number)
            given = hours_given(session, self.bot.policy.key, command.number)
            updates, earlier = self.bot.initiatives(session, via=Via.COMMAND).updates(
                command.number
            )
        time_given = member_blocks.hours_given_line(given)
        return Reply(blocks.proposal_details(proposal, updates, earlier, more=[time_given]))

    def list(self, _command: commands.ListProposals, _invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            service = self.bot.proposals(session, via=Via.COMMAND)
            open_ones, outcomes, active = service.overview(blocks.ACTIVE_LISTED)
        return Reply(
            blocks.proposal_list(
                open_ones, outcomes, active, self.bot.clock.now(), self.bot.policy.roles
            )
        )

    def join(self, command: commands.Join, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            change = self.bot.proposals(session, via=Via.COMMAND).join(
                command.number, invocation.user_id
            )
        if not change.changed:
            return Reply(f"You have already joined #{command.number}.")
        return Reply(self._joined_text(change.proposal), changed=True)

    def _joined_text(self, proposal: ProposalSnapshot) -> str:
        text = f"You joined #{proposal.number} *{as_typed(proposal.title)}*."
        if not proposal.joiners or all(j.organization is None for j in proposal.joiners):
            text += (
                " Set your organization with `/mwg org &lt;name&gt;` so the group sees who is in."
            )
        return text

    def leave(self, command: commands.Leave, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            change = self.bot.proposals(session, via=Via.COMMAND).leave(
                command.number, invocation.user_id
            )
        if not change.changed:
            return Reply(self._not_joined_text(change.proposal, invocation.user_id))
        return Reply(f"You left #{command.number}.{_remove_too(change)}", changed=True)

    @staticmethod
    def _not_joined_text(proposal: ProposalSnapshot, user_id: str) -> str:
        """Leaving what one never joined: say what the member can do instead."""
        n = proposal.number
        if proposal.proposer_id == user_id:
            if proposal.state in (State.OPEN, State.ESCALATED):
                instead = f"to take it back, `/mwg withdraw {n}`"
            elif proposal.state is State.ADOPTED:
                instead = (
                    f"to end it, `/mwg done {n} [&lt;link&gt;]` or `/mwg drop {n} &lt;reason&gt;`"
                )
            else:
                instead = f"it is {proposal.state.value}, so nothing is left to leave"
            return f"You proposed #{n}, so you own it rather than joined it: {instead}."
        if any(o.user_id == user_id for o in proposal.objections):
            return (
                f"You had not joined #{n}: you object to it (`/mwg unobject {n}` withdraws that)."
            )
        return f"You had not joined #{n}."

    def object(self, command: commands.Object, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            change = self.bot.proposals(session, via=Via.COMMAND).object(
                command.number, invocation.user_id, command.reason
            )
        if not change.changed:
            return Reply(f"Your objection to #{command.number} stands, with that reason.")
        left = (
            " It withdrew your join: a member either joins a proposal or objects to it."
            if change.withdrew_join
            else ""
        )
        return Reply(
            f"Your objection to #{command.number} is recorded: it cannot pass by lazy consensus "
            f"while it stands.{left} `/mwg unobject {command.number}` withdraws it."
            f"{_remove_too(change)}",
            changed=True,
        )

    def unobject(self, command: commands.Unobject, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            change = self.bot.proposals(session, via=Via.COMMAND).withdraw_objection(
                command.number, invocation.user_id
            )
        if not change.changed:
            return Reply(f"You had no objection to #{command.number}.")
        text = f"You withdrew your objection to #{command.number}.{_remove_too(change)}"
        if change.adopted:
            text += (
                " It was the last one standing, so #"
                f"{command.number} *{escape(change.proposal.title)}* is adopted by consensus: "
                "the channel is told."
            )
        return Reply(text, changed=True)

    def withdraw(self, command: commands.Withdraw, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            self.bot.proposals(session, via=Via.COMMAND).withdraw(
                command.number, invocation.user_id
            )
        return Reply(f"#{command.number} is withdrawn.", changed=True)

    def resolve(self, command: commands.Resolve, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            proposal = self.bot.proposals(session, via=Via.COMMAND).resolve(
                command.number, invocation.user_id, command.verdict, command.note
            )
        return Reply(
            f"#{proposal.number} is {proposal.state.value}; the decision is posted.", changed=True
        )

    def organization(self, command: commands.SetOrganization, invocation: Invocation) -> Reply:
        with self.bot.db.unit_of_work() as session:
            service = self.bot.proposals(session, via=Via.COMMAND)
            if command.organization is None and not command.clear:
                current = service.organization_of(invocation.user_id)
                if current is None:
                    return Reply(
                        "You have not set an organization. `/mwg org &lt;name&gt;` sets it."
                    )
                return Reply(f"Your organization is *{escape(current)}*.")
            service.set_organization(invocation.user_id, command.organization)
        if command.organization is None:
            return Reply("Your organization is cleared.", changed=True)
        return Reply(f"Your organization is now *{as_typed(command.organization)}*.", changed=True)

    # --- the modal behind `/mwg propose` ---------------------------------------------------

    def open_propose_modal(self, client: WebClient, trigger_id: str, channel_id: str) -> Reply:
        policy = self.bot.policy
        hint = blocks.window_hint(policy.consensus_window, policy.consensus_min)
        client.views_open(trigger_id=trigger_id, view=blocks.propose_modal(channel_id, hint))
        return Reply("")

    def submit_propose_modal(self, ack: Ack, body: dict[str, Any]) -> None:
        values = body["view"]["state"]["values"]
        user_id = body["user"]["id"]
        reading = proposal_form.read_wording(values)
        errors = dict(reading.errors)
        window, window_error = proposal_form.read_window(values, self.bot.policy.consensus_min)
        if window_error:
            errors[ids.BLOCK_WINDOW] = window_error
        if errors:
            ack(response_action="errors", errors=errors)
            return
        wording = reading.wording
        try:
            self._propose_from_modal(user_id, wording, window)
        except OpenLimitReached as refusal:
            ack(
                response_action="errors",
                errors={ids.BLOCK_TITLE: open_limit_field_error(refusal, self.bot.clock.now())},
            )
            return
        ack()
        self.bot.wake()

    def _propose_from_modal(self, user_id: str, wording: Wording, window: timedelta | None) -> None:
        with self.bot.db.unit_of_work() as session:
            proposal = self.bot.proposals(session, via=Via.MODAL).propose(
                user_id,
                wording.title,
                description=wording.description,
                stages=wording.stages,
                window=window,
                collects_leads=wording.collects_leads,
                cobranded=wording.cobranded,
            )
            tell(
                self.bot,
                session,
                user_id,
                f"Proposed #{proposal.number} *{as_typed(proposal.title)}*: its card is above.",
            )

    # --- buttons and the objection modal ---------------------------------------------------

    def press_join(self, body: dict[str, Any]) -> None:
        number = _button_number(body)
        if number is None:
            return
        user_id = body["user"]["id"]
        with self.bot.db.unit_of_work() as session:
            service = self.bot.proposals(session, via=Via.BUTTON)
            try:
                if service.has_joined(number, user_id):
                    text = f"You left #{number}.{_remove_too(service.leave(number, user_id))}"
                else:
                    text = self._joined_text(service.join(number, user_id).proposal)
            except DomainError as refusal:
                text = refusal_text(refusal)
            self._tell(session, body, text)
        self.bot.wake()

    def press_object(self, client: WebClient, body: dict[str, Any]) -> None:
        number = _button_number(body)
        if number is None:
            return
        user_id = body["user"]["id"]
        with self.bot.db.unit_of_work() as session:
            service = self.bot.proposals(session, via=Via.BUTTON)
            proposal = service.show(number)
            try:
                rules.check_object(
                    number,
                    proposal.state,
                    proposal.closes_at,
                    self.bot.clock.now(),
                    proposer=user_id == proposal.proposer_id,
                )
            except DomainError as refusal:
                self._tell(session, body, refusal_text(refusal))
                self.bot.wake()
                return
            reason = service.objection_reason(number, user_id)
        client.views_open(trigger_id=body["trigger_id"], view=blocks.object_modal(proposal, reason))

    def submit_object_modal(self, ack: Ack, body: dict[str, Any]) -> None:
        number = parse_ref(body["view"].get("private_metadata"))[1]
        if number is None:
            ack(response_action="errors", errors={ids.BLOCK_REASON: "This form is out of date."})
            return
        values = body["view"]["state"]["values"]
        reason = clean_line(proposal_form.input_value(values, ids.BLOCK_REASON) or "")
        if not reason:
            ack(response_action="errors", errors={ids.BLOCK_REASON: "Please give a reason."})
            return
        if len(reason) > rules.MAX_REASON:
            ack(
                response_action="errors",
                errors={ids.BLOCK_REASON: f"At most {rules.MAX_REASON} characters."},
            )
            return
        try:
            with self.bot.db.unit_of_work() as session:
                change = self.bot.proposals(session, via=Via.MODAL).object(
                    number, body["user"]["id"], reason
                )
                if change.withdrew_join:  # the form closes: say so where they read answers
                    tell(
                        self.bot,
                        session,
                        body["user"]["id"],
                        f"Your objection to #{number} is recorded. It withdrew your join: a "
                        f"member either joins a proposal or objects to it.{_remove_too(change)}",
                    )
        except DomainError as refusal:
            ack(
                response_action="errors",
                errors={ids.BLOCK_REASON: proposal_form.field_error(str(refusal))},
            )
            return
        ack()
        self.bot.wake()

    def _tell(self, session: Session, body: dict[str, Any], text: str) -> None:
        channel = (body.get("channel") or {}).get("id")
        tell(self.bot, session, body["user"]["id"], text, channel)

    # --- reactions -------------------------------------------------------------------------

    def reaction(
        self, body: dict[str, Any], event: dict[str, Any], added: bool, bot_user: str | None
    ) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message" or not event.get("user"):
            return
        reaction = ReactionEvent(
            event_id=body.get("event_id"),
            user_id=event["user"],
            emoji=event.get("reaction", ""),
            channel_id=item.get("channel", ""),
            message_ts=item.get("ts", ""),
            event_ts=event.get("event_ts") or str(body.get("event_time", "0")),
            added=added,
        )

        # Committed before Bolt acknowledges (process_before_response): a failure here
        # answers 500 and Slack delivers the event again.
        def apply(session: Session) -> bool:
            service = self.bot.reactions(session, via=Via.REACTION)
            service.handle(reaction, bot_user)
            return service.queued

        if self.bot.commit_together(apply):
            self.bot.wake()


def _button_number(body: dict[str, Any]) -> int | None:
    """The proposal a card's button is about (`mwg#3`; `3` on cards posted before groups)."""
    return parse_ref((body.get("actions") or [{}])[0].get("value"))[1]


def tell(
    bot: BotServices, session: Session, user_id: str, text: str, channel_id: str | None = None
) -> None:
    """An answer only the member sees, through the outbox; in MWG_CHANNEL unless the request
    came from another channel."""
    outbox.enqueue(
        session,
        kind=outbox.KIND_EPHEMERAL,
        now=bot.clock.now(),
        group_key=bot.policy.key,
        message=bot.renderer.note(text),
        channel_id=channel_id or bot.policy.channel_id,
        user_id=user_id,
    )


def register(app: App, bot: BotServices, router: CommandRouter, team_url: str | None) -> None:
    handlers = ProposalHandlers(bot, team_url)
    handlers.register_commands(router)

    @app.command(ids.COMMAND)
    def on_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        text = command.get("text") or ""
        invocation = Invocation(
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
            trigger_id=command.get("trigger_id"),
        )
        try:
            parsed = commands.parse(text)
        except commands.UsageError as refusal:
            ack(response_type="ephemeral", text=str(refusal))
            return
        if isinstance(parsed, commands.Propose) and parsed.title is None:
            try:
                group = group_for(
                    bot.all_groups, parsed, None, invocation.channel_id, invocation.user_id
                )
            except SayItInAChannel as refusal:
                ack(response_type="ephemeral", text=say_it_in_a_channel(refusal))
                return
            except DomainError as refusal:
                ack(response_type="ephemeral", text=refusal_text(refusal))
                return
            # The form carries the group's channel: its submission is that group's.
            channel = group.channel_id if group is not None else invocation.channel_id
            try:
                with bot.acting_in(group):
                    handlers.open_propose_modal(client, invocation.trigger_id or "", channel)
            except Exception:
                log.exception("opening the proposal form failed")
                ack(response_type="ephemeral", text=INTERNAL_ERROR)
                return
            ack()
            return
        reply = router.handle_text(text, invocation)
        if reply.text:
            ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks or None)
        else:  # the answer is a form that opened: nothing to say
            ack()
        if reply.changed:
            bot.wake()

    @app.action(ids.ACTION_JOIN)
    def on_join(ack: Ack, body: dict[str, Any]) -> None:
        handlers.press_join(body)
        ack()

    @app.action(ids.ACTION_OBJECT)
    def on_object(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        handlers.press_object(client, body)
        ack()

    @app.view(ids.VIEW_PROPOSE)
    def on_propose_submit(ack: Ack, body: dict[str, Any]) -> None:
        handlers.submit_propose_modal(ack, body)

    @app.view(ids.VIEW_OBJECT)
    def on_object_submit(ack: Ack, body: dict[str, Any]) -> None:
        handlers.submit_object_modal(ack, body)

    @app.event("reaction_added")
    def on_reaction_added(
        body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        handlers.reaction(body, event, True, context.bot_user_id)

    @app.event("reaction_removed")
    def on_reaction_removed(
        body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        handlers.reaction(body, event, False, context.bot_user_id)


def _remove_too(change: Change) -> str:
    """Slack keeps a member's reactions, and only they can remove them: say which still read
    as the stance they just gave up, so the card and its reactions agree."""
    if not change.reactions_left:
        return ""
    emojis = " ".join(f":{emoji}:" for emoji in change.reactions_left)
    one = len(change.reactions_left) == 1
    return (
        f" Your {emojis} reaction{'' if one else 's'} on the card still "
        f"read{'s' if one else ''} as before: remove {'it' if one else 'them'} too."
    )
