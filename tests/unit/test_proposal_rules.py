"""The lazy-consensus state machine, table-driven: every transition and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mwgbot.domain import escalation
from mwgbot.domain import proposals as rules
from mwgbot.domain.errors import NotAllowed, NotPossible
from mwgbot.domain.escalation import DeciderRole, Deciders, Roles
from mwgbot.domain.proposals import (
    Participant,
    ProposalSnapshot,
    State,
    Verdict,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
MODS = frozenset({"UMOD", "UMOD2"})
# The sole moderator, and an organizer.
SOLE = Roles(frozenset({"USOLE"}), frozenset({"UORG"}))
MODERATORS, ORGANIZERS = DeciderRole.MODERATORS, DeciderRole.ORGANIZERS
ALL_STATES = list(State)


@pytest.mark.parametrize(
    ("objections", "expected"),
    [(0, State.ADOPTED), (1, State.ESCALATED), (7, State.ESCALATED)],
)
def test_silence_is_assent_and_an_objection_escalates(objections: int, expected: State) -> None:
    assert rules.outcome_at_close(objections) is expected


@pytest.mark.parametrize(
    ("state", "closes_at", "due"),
    [
        (State.OPEN, NOW - timedelta(seconds=1), True),
        (State.OPEN, NOW, True),
        (State.OPEN, NOW + timedelta(seconds=1), False),
        (State.ADOPTED, NOW - timedelta(days=1), False),
        (State.ESCALATED, NOW - timedelta(days=1), False),
        (State.WITHDRAWN, NOW - timedelta(days=1), False),
        (State.DECLINED, NOW - timedelta(days=1), False),
    ],
)
def test_only_open_proposals_past_their_window_are_due(
    state: State, closes_at: datetime, due: bool
) -> None:
    assert rules.is_due(state, closes_at, NOW) is due


@pytest.mark.parametrize(
    ("window", "ok"),
    [
        (timedelta(hours=71, minutes=59), False),
        (timedelta(hours=72), True),
        (timedelta(days=7), True),
        (timedelta(days=90), True),
        (timedelta(days=90, seconds=1), False),
        (timedelta(days=365), False),
    ],
)
def test_window_bounds(window: timedelta, ok: bool) -> None:
    if ok:
        assert rules.validate_window(window, timedelta(hours=72)) == window
    else:
        with pytest.raises(NotPossible):
            rules.validate_window(window, timedelta(hours=72))


def test_a_short_window_refusal_names_the_minimum() -> None:
    with pytest.raises(NotPossible, match="at least 3 days"):
        rules.validate_window(timedelta(hours=1), timedelta(hours=72))


def test_a_window_just_short_is_shown_as_members_type_it() -> None:
    with pytest.raises(NotPossible, match="; 2d23h59m is too short"):
        rules.validate_window(timedelta(hours=71, minutes=59), timedelta(hours=72))


@pytest.mark.parametrize("state", ALL_STATES)
def test_join(state: State) -> None:
    if state in (State.OPEN, State.ESCALATED, State.ADOPTED):
        rules.check_join(1, state)
    else:
        with pytest.raises(NotPossible, match="#1"):
            rules.check_join(1, state)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("closes_at", [LATER, NOW, NOW - timedelta(minutes=1)])
def test_objections_only_while_the_window_is_open(state: State, closes_at: datetime) -> None:
    open_window = state is State.OPEN and closes_at > NOW
    for check, allowed in (
        (rules.check_object, open_window),
        # Consensus found after the close counts: an escalated proposal's objection may go.
        (rules.check_withdraw_objection, open_window or state is State.ESCALATED),
    ):
        if allowed:
            check(4, state, closes_at, NOW)
        else:
            with pytest.raises(NotPossible, match="#4"):
                check(4, state, closes_at, NOW)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("closes_at", [LATER, NOW - timedelta(days=3)])
def test_a_reaction_read_back_counts_until_the_proposal_is_closed(
    state: State, closes_at: datetime
) -> None:
    for check, allowed in (
        (rules.check_object, state is State.OPEN),
        (rules.check_withdraw_objection, state in (State.OPEN, State.ESCALATED)),
    ):
        if allowed:
            check(4, state, closes_at, NOW, read_back=True)
        else:
            with pytest.raises(NotPossible, match="#4"):
                check(4, state, closes_at, NOW, read_back=True)


def test_a_withdrawal_after_the_outcome_is_settled_says_so() -> None:
    with pytest.raises(NotPossible, match="#4 is adopted: its outcome is settled"):
        rules.check_withdraw_objection(4, State.ADOPTED, NOW, NOW)


def test_an_objection_to_an_escalated_proposal_points_to_its_thread() -> None:
    with pytest.raises(NotPossible, match="escalated: its deciders settle it now"):
        rules.check_object(4, State.ESCALATED, NOW - timedelta(days=1), NOW)


@pytest.mark.parametrize("state", [State.OPEN, State.ESCALATED, State.ADOPTED])
def test_one_stance_per_member_when_joining(state: State) -> None:
    rules.check_join(5, state)
    with pytest.raises(NotPossible, match=r"You proposed #5.*`/mwg edit 5`.*`/mwg withdraw 5`"):
        rules.check_join(5, state, proposer=True)
    with pytest.raises(NotPossible, match=r"You object to #5.*`/mwg unobject 5`"):
        rules.check_join(5, state, objecting=True)


def test_a_proposal_that_takes_no_one_says_so_before_the_stance() -> None:
    with pytest.raises(NotPossible, match="#5 is withdrawn; it takes no new participants"):
        rules.check_join(5, State.WITHDRAWN, proposer=True)


def test_the_proposer_does_not_object_to_their_own_proposal() -> None:
    rules.check_object(5, State.OPEN, LATER, NOW)
    with pytest.raises(NotPossible, match=r"You proposed #5, so you do not object to it"):
        rules.check_object(5, State.OPEN, LATER, NOW, proposer=True)


@pytest.mark.parametrize(
    ("state", "standing", "adopted"),
    [
        (State.ESCALATED, 0, True),
        (State.ESCALATED, 1, False),
        (State.OPEN, 0, False),  # an open proposal waits for its close
        (State.DECLINED, 0, False),
    ],
)
def test_consensus_found_after_the_close(state: State, standing: int, adopted: bool) -> None:
    assert rules.consensus_after_close(state, standing) is adopted


@pytest.mark.parametrize(
    ("state", "actor", "outcome"),
    [
        (State.OPEN, "UPROPOSER", State.WITHDRAWN),
        (State.OPEN, "UMOD", State.WITHDRAWN),
        (State.OPEN, "USTRANGER", NotAllowed),
        (State.ADOPTED, "UPROPOSER", NotPossible),
        # The proposer may take back an escalated proposal; a moderator decides it instead.
        (State.ESCALATED, "UPROPOSER", State.WITHDRAWN),
        (State.ESCALATED, "UMOD", NotAllowed),
        (State.ESCALATED, "USTRANGER", NotAllowed),
        (State.DECLINED, "UMOD", NotPossible),
        (State.WITHDRAWN, "UPROPOSER", NotPossible),
    ],
)
def test_withdraw(state: State, actor: str, outcome: State | type[Exception]) -> None:
    if isinstance(outcome, State):
        assert rules.withdraw(2, state, "UPROPOSER", actor, MODS) is outcome
    else:
        with pytest.raises(outcome):
            rules.withdraw(2, state, "UPROPOSER", actor, MODS)


ROLES = Roles(MODS, frozenset({"UORG", "UMOD"}))


@pytest.mark.parametrize(
    ("state", "actor", "proposer", "roles", "verdict", "outcome"),
    [
        (State.ESCALATED, "UMOD", "UALICE", ROLES, Verdict.ADOPT, State.ADOPTED),
        (State.ESCALATED, "UMOD", "UALICE", ROLES, Verdict.DECLINE, State.DECLINED),
        (State.ESCALATED, "UMOD2", "UMOD", ROLES, Verdict.ADOPT, State.ADOPTED),
        # A moderator does not rule on their own proposal.
        (State.ESCALATED, "UMOD", "UMOD", ROLES, Verdict.ADOPT, NotAllowed),
        (State.ESCALATED, "UALICE", "UBOB", ROLES, Verdict.ADOPT, NotAllowed),
        (State.ESCALATED, "UBOB", "UBOB", ROLES, Verdict.DECLINE, NotAllowed),
        # Organizers decide only when no moderator but the proposer can.
        (State.ESCALATED, "UORG", "UALICE", ROLES, Verdict.ADOPT, NotAllowed),
        (State.ESCALATED, "UORG", "USOLE", SOLE, Verdict.ADOPT, State.ADOPTED),
        (State.ESCALATED, "USOLE", "USOLE", SOLE, Verdict.ADOPT, NotAllowed),
        (
            State.ESCALATED,
            "UORG",
            "UORG",
            Roles(organizers=frozenset({"UORG"})),
            Verdict.ADOPT,
            NotAllowed,
        ),
        (State.OPEN, "UMOD", "UALICE", ROLES, Verdict.ADOPT, NotPossible),
        (State.ADOPTED, "UMOD", "UALICE", ROLES, Verdict.DECLINE, NotPossible),
        (State.DECLINED, "UMOD", "UALICE", ROLES, Verdict.ADOPT, NotPossible),
        (State.WITHDRAWN, "UMOD", "UALICE", ROLES, Verdict.ADOPT, NotPossible),
    ],
)
def test_resolve(
    state: State,
    actor: str,
    proposer: str,
    roles: Roles,
    verdict: Verdict,
    outcome: State | type[Exception],
) -> None:
    if isinstance(outcome, State):
        assert rules.resolve(3, state, proposer, actor, roles, verdict) is outcome
    else:
        with pytest.raises(outcome, match="#3"):
            rules.resolve(3, state, proposer, actor, roles, verdict)


@pytest.mark.parametrize(
    ("actor", "proposer", "roles", "words"),
    [
        ("UALICE", "UBOB", ROLES, "Only a moderator (an AXIM representative) can resolve #3"),
        ("UMOD", "UMOD", ROLES, "You proposed #3, so you do not decide it: another moderator does"),
        (
            "USOLE",
            "USOLE",
            SOLE,
            "You proposed #3, so you do not decide it: no other moderator can, so the organizers",
        ),
        ("UALICE", "USOLE", SOLE, "Only the organizers resolve #3"),
        (
            "USOLE",
            "USOLE",
            Roles(frozenset({"USOLE"})),
            "No one can resolve #3: there is no "
            "moderator or organizer other than you. An operator adds",
        ),
        ("UALICE", "UBOB", Roles(), "MWG_MODERATORS"),
    ],
)
def test_a_refused_resolve_says_who_decides_and_that_nothing_changed(
    actor: str, proposer: str, roles: Roles, words: str
) -> None:
    with pytest.raises(NotAllowed) as refused:
        rules.resolve(3, State.ESCALATED, proposer, actor, roles, Verdict.ADOPT)
    assert words in str(refused.value)
    assert "othing changed" in str(refused.value)


@pytest.mark.parametrize(
    ("proposer", "moderators", "organizers", "expected"),
    [
        # The moderators who did not propose it, in a stable order.
        ("UALICE", {"UMOD2", "UMOD"}, {"UORG"}, Deciders(("UMOD", "UMOD2"), MODERATORS)),
        ("UMOD", {"UMOD2", "UMOD"}, {"UORG"}, Deciders(("UMOD2",), MODERATORS)),
        # The sole moderator proposed it: the organizers decide, not their own either.
        ("USOLE", {"USOLE"}, {"UORG", "UORG2"}, Deciders(("UORG", "UORG2"), ORGANIZERS)),
        ("UORG", set(), {"UORG", "UORG2"}, Deciders(("UORG2",), ORGANIZERS)),
        ("UALICE", set(), {"UORG"}, Deciders(("UORG",), ORGANIZERS)),
        # No one is eligible.
        ("USOLE", {"USOLE"}, set(), Deciders()),
        ("UORG", set(), {"UORG"}, Deciders()),
        ("UALICE", set(), set(), Deciders()),
    ],
)
def test_who_decides_an_escalation(
    proposer: str, moderators: set[str], organizers: set[str], expected: Deciders
) -> None:
    found = escalation.deciders(proposer, moderators, organizers)
    assert found == expected
    assert bool(found) is bool(expected.user_ids)
    assert proposer not in found
    assert Roles(frozenset(moderators), frozenset(organizers)).deciders(proposer) == expected


@pytest.mark.parametrize(
    ("proposer", "objectors", "moderators", "organizers", "expected"),
    [
        # A moderator who objects is a party to it: another moderator decides.
        ("UALICE", {"UMOD"}, {"UMOD", "UMOD2"}, {"UORG"}, Deciders(("UMOD2",), MODERATORS)),
        # The only moderator objects: the organizers decide.
        ("UALICE", {"UMOD"}, {"UMOD"}, {"UORG"}, Deciders(("UORG",), ORGANIZERS)),
        # An organizer who objects to the sole moderator's proposal does not decide it either.
        ("UMOD", {"UORG"}, {"UMOD"}, {"UORG", "UORG2"}, Deciders(("UORG2",), ORGANIZERS)),
        ("UMOD", {"UORG"}, {"UMOD"}, {"UORG"}, Deciders()),
        # Members' objections change nothing.
        ("UALICE", {"UBOB"}, {"UMOD"}, {"UORG"}, Deciders(("UMOD",), MODERATORS)),
    ],
)
def test_an_objector_does_not_decide_their_own_objection(
    proposer: str,
    objectors: set[str],
    moderators: set[str],
    organizers: set[str],
    expected: Deciders,
) -> None:
    roles = Roles(frozenset(moderators), frozenset(organizers))
    assert roles.deciders(proposer, objectors) == expected
    for objector in objectors & (moderators | organizers):
        with pytest.raises(NotAllowed) as refused:
            rules.resolve(3, State.ESCALATED, proposer, objector, roles, Verdict.ADOPT, objectors)
        assert "You object to #3, so you do not decide it" in str(refused.value) or (
            "No one can resolve #3" in str(refused.value)
        )


def test_who_may_decide_at_all() -> None:
    assert ROLES.may_decide_some("UMOD")
    assert ROLES.may_decide_some("UORG")
    assert not ROLES.may_decide_some("UALICE")


@pytest.mark.parametrize(
    ("after", "period"),
    [
        (timedelta(0), 0),
        (timedelta(days=6, hours=23), 0),
        (timedelta(days=7), 1),
        (timedelta(days=13), 1),
        (timedelta(days=14), 2),
        (timedelta(days=70), 10),
        (-timedelta(days=1), 0),  # a clock behind the close
    ],
)
def test_a_waiting_escalation_is_told_once_per_period(after: timedelta, period: int) -> None:
    assert escalation.waiting_period(NOW, timedelta(days=7), NOW + after) == period


def test_a_period_of_nothing_never_reminds() -> None:
    assert escalation.waiting_period(NOW, timedelta(0), NOW + timedelta(days=30)) == 0


def test_notice_keys_name_the_proposal_the_decider_and_the_period() -> None:
    keys = {escalation.notice_key(n, d, p) for n in (1, 12) for d in ("UA", "UB") for p in (0, 1)}
    assert len(keys) == 8
    assert escalation.notice_key(12, "UA", 3) == "escalation:12:UA:3"
    assert escalation.notice_keys_of(12) == "escalation:12:%"


def _snapshot(state: State, proposer_org: str | None, *orgs: str | None) -> ProposalSnapshot:
    return ProposalSnapshot(
        number=1,
        title="t",
        proposer_id="UP",
        proposer_organization=proposer_org,
        created_at=NOW,
        closes_at=LATER,
        state=state,
        joiners=tuple(Participant(f"U{i}", org) for i, org in enumerate(orgs)),
    )


@pytest.mark.parametrize(
    ("state", "proposer_org", "joiner_orgs", "seeking"),
    [
        (State.ADOPTED, None, (), True),
        (State.ADOPTED, "OpenCraft", (), True),
        (State.ADOPTED, "OpenCraft", ("opencraft",), True),  # same org, other spelling
        (State.ADOPTED, "OpenCraft", ("Abstract",), False),
        (State.ADOPTED, None, ("Abstract", "AXIM"), False),
        (State.ADOPTED, None, ("Abstract", None), True),
        (State.OPEN, None, (), False),
        (State.ESCALATED, None, (), False),
    ],
)
def test_seeking_partners_from_another_organization(
    state: State, proposer_org: str | None, joiner_orgs: tuple[str | None, ...], seeking: bool
) -> None:
    assert _snapshot(state, proposer_org, *joiner_orgs).seeking_partners is seeking


def test_organizations_are_distinct_and_ordered() -> None:
    snapshot = _snapshot(State.OPEN, "AXIM", "Abstract", "axim", None, "OpenCraft")
    assert snapshot.organizations == ("AXIM", "Abstract", "OpenCraft")
