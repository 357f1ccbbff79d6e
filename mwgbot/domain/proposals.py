"""The lazy-consensus lifecycle of a proposal, as pure rules.

open ──close, no objection──▶ adopted (active initiative) ──owners──▶ delivered | dropped
open ──close, objections───▶ escalated ──decider──▶ adopted | declined
                              escalated ──last objection withdrawn──▶ adopted
                              escalated ──proposer──▶ withdrawn
open ──proposer/moderator──▶ withdrawn

Who decides an escalated proposal, and when they are reminded, is in
:mod:`mwgbot.domain.escalation`.

What happens after adoption (updates, delivered, dropped, quiet periods) is in
:mod:`mwgbot.domain.initiatives`.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mwgbot.domain.errors import NotAllowed, NotPossible
from mwgbot.domain.escalation import DeciderRole, Deciders, Roles
from mwgbot.domain.meetings import format_duration

MAX_TITLE = 150
MAX_DESCRIPTION = 2500
MAX_REASON = 500
MAX_NOTE = 1000
MAX_ORGANIZATION = 80
# "Absurdly long": a consensus window past a quarter is almost certainly a typo.
MAX_WINDOW = timedelta(days=90)


class State(enum.StrEnum):
    OPEN = "open"
    ADOPTED = "adopted"
    ESCALATED = "escalated"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    # After adoption: the owners marked the initiative done, or stopped pursuing it.
    DELIVERED = "delivered"
    DROPPED = "dropped"


class Stage(enum.StrEnum):
    """The adopter journey, in order."""

    AWARENESS = "awareness"
    INTEREST = "interest"
    CONSIDERATION = "consideration"
    INTENT = "intent"
    EVALUATION = "evaluation"
    ACTION = "action"


class Verdict(enum.StrEnum):
    ADOPT = "adopt"
    DECLINE = "decline"


# The consensus is settled: the window closed and, if escalated, a moderator decided.
FINAL_STATES = frozenset(
    {State.ADOPTED, State.DECLINED, State.WITHDRAWN, State.DELIVERED, State.DROPPED}
)
# Joining an adopted (active) initiative is how it finds partners; a delivered, dropped,
# declined or withdrawn one takes no one.
JOINABLE_STATES = frozenset({State.OPEN, State.ESCALATED, State.ADOPTED})
# An adopted proposal is an active initiative until its owners deliver or drop it.
FINISHED_STATES = frozenset({State.DELIVERED, State.DROPPED})


@dataclass(frozen=True)
class Participant:
    user_id: str
    organization: str | None = None


@dataclass(frozen=True)
class Objection:
    user_id: str
    reason: str | None
    organization: str | None = None


@dataclass(frozen=True)
class Decision:
    moderator_id: str
    verdict: Verdict
    note: str
    decided_at: datetime


@dataclass(frozen=True)
class ProgressUpdate:
    """A progress note (`/mwg update`) on a proposal or an active initiative."""

    author_id: str
    text: str
    created_at: datetime


# Storage lists this many joiners and objections in a snapshot and counts the rest: no
# message shows more, and a card with 500 joiners costs what one with 25 does.
LISTED = 25


@dataclass(frozen=True)
class ProposalSnapshot:
    """Everything a message about a proposal may show; built from storage, read by builders.

    Built from storage, `joiners` and `objections` hold the first `LISTED` of each, and
    `joiner_count`, `objection_count` and `organization_names` the whole, counted in SQL.
    Built in memory (tests, examples) with those left None, the tuples are the whole.
    """

    number: int
    title: str
    proposer_id: str
    created_at: datetime
    closes_at: datetime
    state: State
    description: str = ""
    stages: tuple[Stage, ...] = ()
    collects_leads: bool = False
    cobranded: bool = False
    joiners: tuple[Participant, ...] = ()
    objections: tuple[Objection, ...] = ()
    closed_at: datetime | None = None
    decision: Decision | None = None
    # Escalated, then adopted without a decision: its last objection was withdrawn then.
    consensus_found_at: datetime | None = None
    proposer_organization: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    # The proposer had proposed nothing before: new members are valued, the card says so.
    first_proposal: bool = False
    # After adoption: the latest update or new join (quiet initiatives are nudged from it),
    # the newest progress note, and how the initiative ended (delivered or dropped).
    last_activity_at: datetime | None = None
    latest_update: ProgressUpdate | None = None
    finished_at: datetime | None = None
    finished_by: str | None = None
    delivery_link: str | None = None
    finish_note: str | None = None
    # Who withdrew it: its proposer, or a moderator (the channel is told which).
    withdrawn_by: str | None = None
    joiner_count: int | None = None
    objection_count: int | None = None
    organization_names: tuple[str, ...] | None = None
    # The working group the proposal belongs to (its number is the group's).
    group_key: str = "mwg"

    @property
    def joined_total(self) -> int:
        return len(self.joiners) if self.joiner_count is None else self.joiner_count

    @property
    def objection_total(self) -> int:
        return len(self.objections) if self.objection_count is None else self.objection_count

    @property
    def organizations(self) -> tuple[str, ...]:
        """Distinct organizations of the proposer and the joiners, in first-seen order."""
        if self.organization_names is not None:
            return self.organization_names
        return distinct_organizations(
            (self.proposer_organization, *(j.organization for j in self.joiners))
        )

    @property
    def seeking_partners(self) -> bool:
        return seeking_partners(self.state, len(self.organizations))


def distinct_organizations(names: Iterable[str | None]) -> tuple[str, ...]:
    """Organizations as members wrote them, once each whatever the case, in first-seen order."""
    seen: dict[str, str] = {}
    for name in names:
        if name:
            seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


def seeking_partners(state: State, organizations: int) -> bool:
    """An adopted initiative engaging fewer than two organizations still needs partners."""
    return state is State.ADOPTED and organizations < 2


def outcome_time(proposal: ProposalSnapshot) -> datetime | None:
    """When a proposal's outcome was settled: the decision on its escalation, or the consensus
    found after its close, else its close."""
    if proposal.decision is not None:
        return proposal.decision.decided_at
    return proposal.consensus_found_at or proposal.closed_at


def validate_window(window: timedelta, minimum: timedelta) -> timedelta:
    if window < minimum:
        raise NotPossible(
            f"A consensus window must be at least {_human(minimum)} so every time zone "
            f"gets a fair chance; {_human(window)} is too short."
        )
    if window > MAX_WINDOW:
        raise NotPossible(
            f"A consensus window of {_human(window)} is too long; the most is {_human(MAX_WINDOW)}."
        )
    return window


def outcome_at_close(standing_objections: int) -> State:
    """Silence is assent: adopted unless an objection stands when the window closes."""
    return State.ESCALATED if standing_objections else State.ADOPTED


def is_due(state: State, closes_at: datetime, now: datetime) -> bool:
    return state is State.OPEN and closes_at <= now


def check_join(
    number: int, state: State, *, proposer: bool = False, objecting: bool = False
) -> None:
    """One stance per member: the proposer owns the proposal, and an objector objects; neither
    joins it."""
    if state in FINISHED_STATES:
        raise NotPossible(
            f"#{number} is {state.value}; it takes no new participants. "
            "To carry the work on, propose a follow-up with `/mwg propose`."
        )
    if state not in JOINABLE_STATES:
        raise NotPossible(f"#{number} is {state.value}; it takes no new participants.")
    if proposer:
        raise NotPossible(_yours(number, "join"))
    if objecting:
        raise NotPossible(
            f"You object to #{number}, so you cannot join it as well. Withdraw your objection "
            f"first with `/mwg unobject {number}` (or remove your objecting reaction), then join."
        )


def _yours(number: int, verb: str) -> str:
    return (
        f"You proposed #{number}, so you do not {verb} it: it is yours. "
        f"To change it, `/mwg edit {number}`; to take it back, `/mwg withdraw {number}`."
    )


def _window_open(state: State, closes_at: datetime, now: datetime, read_back: bool) -> bool:
    """A reaction read back from the card (`read_back`) may have been made before the window
    closed, while no bot could see it: until the proposal is closed, it counts. Giving the
    doubt to the objector only sends the proposal to the moderators."""
    return state is State.OPEN and (read_back or closes_at > now)


def check_object(
    number: int,
    state: State,
    closes_at: datetime,
    now: datetime,
    *,
    read_back: bool = False,
    proposer: bool = False,
) -> None:
    if not _window_open(state, closes_at, now, read_back):
        if state is State.ESCALATED:
            raise NotPossible(
                f"#{number}'s consensus window has closed and it is escalated: its deciders "
                "settle it now, and a new objection is not counted. Say what worries you in "
                "its thread, or at the next meeting."
            )
        raise NotPossible(
            f"#{number}'s consensus window has closed ({state.value}); "
            "an objection now does not change the outcome. "
            "Raise it with the moderators or at the next meeting."
        )
    if proposer:
        raise NotPossible(_yours(number, "object to"))


def check_withdraw_objection(
    number: int, state: State, closes_at: datetime, now: datetime, *, read_back: bool = False
) -> None:
    """An objection is withdrawn while the window is open, and after it while the proposal is
    escalated: consensus found after the close counts."""
    if state is State.ESCALATED:
        return
    if not _window_open(state, closes_at, now, read_back):
        raise NotPossible(
            f"#{number} is {state.value}: its outcome is settled, so there is no objection "
            "to withdraw any more."
        )


def consensus_after_close(state: State, standing_objections: int) -> bool:
    """An escalated proposal whose last standing objection is withdrawn is adopted."""
    return state is State.ESCALATED and standing_objections == 0


def withdraw(
    number: int, state: State, proposer_id: str, actor_id: str, moderators: Collection[str]
) -> State:
    """The proposer (or a moderator) withdraws an open proposal; only the proposer withdraws
    an escalated one: the deciders settle it otherwise, with a note."""
    # The state before the role: an answer never names someone who could not do it either.
    if state not in (State.OPEN, State.ESCALATED):
        raise NotPossible(
            f"#{number} is {state.value}; only an open or escalated proposal can be withdrawn."
        )
    if state is State.ESCALATED:
        if actor_id != proposer_id:
            raise NotAllowed(
                f"#{number} is escalated: only its proposer may withdraw it now. Its deciders "
                f"settle it with `/mwg resolve {number} adopt|decline` and a note."
            )
        return State.WITHDRAWN
    if actor_id != proposer_id and actor_id not in moderators:
        raise NotAllowed(f"Only the proposer of #{number} or a moderator can withdraw it.")
    return State.WITHDRAWN


def resolve(
    number: int,
    state: State,
    proposer_id: str,
    actor_id: str,
    roles: Roles,
    verdict: Verdict,
    objector_ids: Collection[str] = (),
) -> State:
    """Conflict resolution: an eligible decider (`escalation.deciders`: neither its proposer
    nor one of its objectors) settles an escalated proposal."""
    eligible = roles.deciders(proposer_id, objector_ids)
    if actor_id not in eligible:
        raise NotAllowed(
            _not_a_decider(
                number,
                proposer_id,
                actor_id,
                eligible,
                actor_id in objector_ids and roles.may_decide_some(actor_id),
            )
        )
    if state is not State.ESCALATED:
        raise NotPossible(f"#{number} is {state.value}; only an escalated proposal is resolved.")
    return State.ADOPTED if verdict is Verdict.ADOPT else State.DECLINED


def _not_a_decider(
    number: int, proposer_id: str, actor_id: str, eligible: Deciders, objects: bool
) -> str:
    if not eligible:
        who = (
            "there is no moderator or organizer other than you"
            if actor_id == proposer_id
            else "there is no moderator or organizer who neither proposed it nor objects to it"
        )
        return (
            f"No one can resolve #{number}: {who}. An operator adds the moderators (AXIM "
            f"representatives) to MWG_MODERATORS. Meanwhile it is adopted once every objection "
            f"is withdrawn, and its proposer may withdraw it. Nothing changed."
        )
    deciders = (
        "another moderator does"
        if eligible.role is DeciderRole.MODERATORS
        else "no other moderator can, so the organizers do"
    )
    if actor_id == proposer_id:
        return f"You proposed #{number}, so you do not decide it: {deciders}. Nothing changed."
    if objects:
        return (
            f"You object to #{number}, so you do not decide it: {deciders}. To let it pass, "
            f"withdraw your objection (`/mwg unobject {number}`). Nothing changed."
        )
    if eligible.role is DeciderRole.ORGANIZERS:
        return (
            f"Only the organizers resolve #{number} (no moderator who neither proposed it nor "
            "objects to it can); nothing changed."
        )
    return f"Only a moderator (an AXIM representative) can resolve #{number}; nothing changed."


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day" + ("s" if days != 1 else "")
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    if seconds < 3600:
        minutes = max(1, seconds // 60)
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    # As members type it (`71h59m`), never `4319 minutes`.
    return format_duration(timedelta(minutes=seconds // 60))
