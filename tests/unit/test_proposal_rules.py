"""The lazy-consensus state machine, table-driven: every transition and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mwgbot.domain import proposals as rules
from mwgbot.domain.errors import NotAllowed, NotPossible
from mwgbot.domain.proposals import (
    Participant,
    ProposalSnapshot,
    State,
    Verdict,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
MODS = frozenset({"UMOD", "UMOD2"})
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
    allowed = state is State.OPEN and closes_at > NOW
    for check in (rules.check_object, rules.check_withdraw_objection):
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
    for check in (rules.check_object, rules.check_withdraw_objection):
        if state is State.OPEN:
            check(4, state, closes_at, NOW, read_back=True)
        else:
            with pytest.raises(NotPossible, match="#4"):
                check(4, state, closes_at, NOW, read_back=True)


@pytest.mark.parametrize(
    ("state", "actor", "outcome"),
    [
        (State.OPEN, "UPROPOSER", State.WITHDRAWN),
        (State.OPEN, "UMOD", State.WITHDRAWN),
        (State.OPEN, "USTRANGER", NotAllowed),
        (State.ADOPTED, "UPROPOSER", NotPossible),
        (State.ESCALATED, "UPROPOSER", NotPossible),
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


@pytest.mark.parametrize(
    ("state", "actor", "proposer", "verdict", "outcome"),
    [
        (State.ESCALATED, "UMOD", "UALICE", Verdict.ADOPT, State.ADOPTED),
        (State.ESCALATED, "UMOD", "UALICE", Verdict.DECLINE, State.DECLINED),
        (State.ESCALATED, "UMOD2", "UMOD", Verdict.ADOPT, State.ADOPTED),
        # A moderator does not rule on their own proposal.
        (State.ESCALATED, "UMOD", "UMOD", Verdict.ADOPT, NotAllowed),
        (State.ESCALATED, "UALICE", "UBOB", Verdict.ADOPT, NotAllowed),
        (State.ESCALATED, "UBOB", "UBOB", Verdict.DECLINE, NotAllowed),
        (State.OPEN, "UMOD", "UALICE", Verdict.ADOPT, NotPossible),
        (State.ADOPTED, "UMOD", "UALICE", Verdict.DECLINE, NotPossible),
        (State.DECLINED, "UMOD", "UALICE", Verdict.ADOPT, NotPossible),
        (State.WITHDRAWN, "UMOD", "UALICE", Verdict.ADOPT, NotPossible),
    ],
)
def test_resolve(
    state: State,
    actor: str,
    proposer: str,
    verdict: Verdict,
    outcome: State | type[Exception],
) -> None:
    if isinstance(outcome, State):
        assert rules.resolve(3, state, proposer, actor, MODS, verdict) is outcome
    else:
        with pytest.raises(outcome, match="#3"):
            rules.resolve(3, state, proposer, actor, MODS, verdict)


def test_a_refused_resolve_says_nothing_changed() -> None:
    with pytest.raises(NotAllowed, match="nothing changed"):
        rules.resolve(3, State.ESCALATED, "UALICE", "UBOB", MODS, Verdict.ADOPT)


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
