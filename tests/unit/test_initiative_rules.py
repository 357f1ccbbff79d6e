"""Initiatives after adoption as pure rules: who may post updates and close an initiative, in
which states; which links a delivery may carry; quiet periods and their nudge keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mwgbot.domain import initiatives as rules
from mwgbot.domain.errors import NotAllowed, NotPossible
from mwgbot.domain.proposals import (
    FINAL_STATES,
    JOINABLE_STATES,
    ProposalSnapshot,
    State,
    check_join,
    seeking_partners,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MODS = frozenset({"UMOD"})
JOINERS = frozenset({"UJOINER", "UJOINER2"})
ALL_STATES = list(State)
THREE_WEEKS = timedelta(days=21)


@pytest.mark.parametrize("actor", ["UPROPOSER", "UJOINER", "UJOINER2", "UMOD"])
def test_owners_and_moderators_may_act(actor: str) -> None:
    assert rules.may_act(actor, "UPROPOSER", JOINERS, MODS)


@pytest.mark.parametrize("actor", ["USTRANGER", "", "uproposer"])
def test_anyone_else_may_not(actor: str) -> None:
    assert not rules.may_act(actor, "UPROPOSER", JOINERS, MODS)


@pytest.mark.parametrize(
    ("state", "actor", "expected"),
    [
        (State.OPEN, "UPROPOSER", None),
        (State.ESCALATED, "UJOINER", None),
        (State.ADOPTED, "UJOINER2", None),
        (State.ADOPTED, "UMOD", None),
        (State.ADOPTED, "USTRANGER", NotAllowed),
        (State.OPEN, "USTRANGER", NotAllowed),
        (State.DELIVERED, "UPROPOSER", NotPossible),
        (State.DROPPED, "UMOD", NotPossible),
        (State.DECLINED, "UPROPOSER", NotPossible),
        (State.WITHDRAWN, "UJOINER", NotPossible),
        (State.DELIVERED, "USTRANGER", NotPossible),  # the state first: no one may
    ],
)
def test_update(state: State, actor: str, expected: type[Exception] | None) -> None:
    if expected is None:
        rules.check_update(5, state, actor, "UPROPOSER", JOINERS, MODS)
        return
    with pytest.raises(expected) as raised:
        rules.check_update(5, state, actor, "UPROPOSER", JOINERS, MODS)
    message = str(raised.value)
    assert "#5" in message
    # One answer says who can, and when.
    assert "owners" in message
    assert "open, escalated" in message


@pytest.mark.parametrize("outcome", [State.DELIVERED, State.DROPPED])
@pytest.mark.parametrize(
    ("state", "actor", "expected"),
    [
        (State.ADOPTED, "UPROPOSER", "ok"),
        (State.ADOPTED, "UJOINER", "ok"),
        (State.ADOPTED, "UMOD", "ok"),
        (State.ADOPTED, "USTRANGER", NotAllowed),
        (State.OPEN, "UPROPOSER", NotPossible),
        (State.ESCALATED, "UPROPOSER", NotPossible),
        (State.DECLINED, "UMOD", NotPossible),
        (State.WITHDRAWN, "UPROPOSER", NotPossible),
        (State.DELIVERED, "UPROPOSER", NotPossible),
        (State.DROPPED, "UJOINER", NotPossible),
        (State.OPEN, "USTRANGER", NotAllowed),
    ],
)
def test_finish(state: State, actor: str, expected: str | type[Exception], outcome: State) -> None:
    if expected == "ok":
        assert rules.finish(3, state, outcome, actor, "UPROPOSER", JOINERS, MODS) is outcome
        return
    assert not isinstance(expected, str)
    with pytest.raises(expected) as raised:
        rules.finish(3, state, outcome, actor, "UPROPOSER", JOINERS, MODS)
    message = str(raised.value)
    assert "#3" in message
    if state is outcome:
        assert f"already {outcome.value}" in message
    else:
        assert "owners" in message
        assert "active initiative" in message


def test_finishing_means_delivered_or_dropped() -> None:
    with pytest.raises(ValueError, match="delivered or dropped"):
        rules.finish(3, State.ADOPTED, State.DECLINED, "UMOD", "UP", (), MODS)


@pytest.mark.parametrize("state", ALL_STATES)
def test_a_delivered_or_dropped_initiative_takes_no_one(state: State) -> None:
    if state in (State.DELIVERED, State.DROPPED):
        with pytest.raises(NotPossible, match=f"#2 is {state.value}; it takes no new"):
            check_join(2, state)
    elif state in JOINABLE_STATES:
        check_join(2, state)


def test_finished_initiatives_are_settled_and_never_seek_partners() -> None:
    assert {State.DELIVERED, State.DROPPED} <= FINAL_STATES
    assert not JOINABLE_STATES & {State.DELIVERED, State.DROPPED}
    for state in ALL_STATES:
        assert seeking_partners(state, 0) is (state is State.ADOPTED)
    snapshot = ProposalSnapshot(
        number=1,
        title="t",
        proposer_id="UA",
        created_at=NOW,
        closes_at=NOW,
        state=State.DELIVERED,
    )
    assert not snapshot.seeking_partners


@pytest.mark.parametrize(
    "url",
    [
        "https://openedx.org/blog/case-study",
        "http://example.org",
        "HTTPS://Example.org/Path?q=1&r=2#frag",
        "https://example.org:8443/a/b/",
        "https://user@example.org/p",
        "https://xn--bcher-kva.example/",
        "https://example.org/p%7Cq",
    ],
)
def test_http_and_https_links_are_kept_as_given(url: str) -> None:
    assert rules.validate_link(url) == url


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("javascript:alert(1)", "http:// or https://"),
        ("ftp://example.org/file", "http:// or https://"),
        ("mailto:me@example.org", "http:// or https://"),
        ("data:text/html,hi", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("slack://channel?id=C1", "http:// or https://"),
        ("https://", "names no website"),
        ("https:///path-only", "names no website"),
        ("https://example.org/a|b", "characters"),
        ("https://example.org/<b>", "characters"),
        ("https://exa mple.org", "characters"),
        ("https://example.org/\u202e", "characters"),
        ('https://example.org/"x"', "characters"),
        ("https://[::1", "not a readable web address"),
        ("https://example.org:99999/", "not a readable web address"),
        ("https://example.org/" + "a" * 1000, "the most is 1,000"),
    ],
)
def test_anything_else_is_refused_with_a_clear_answer(url: str, words: str) -> None:
    with pytest.raises(NotPossible) as raised:
        rules.validate_link(url)
    assert words in str(raised.value)
    assert url not in str(raised.value) or len(url) < 5  # never echoed, unescaped


@pytest.mark.parametrize(
    "url", ["https://exa", "http://localhost:8080/notes", "https://intranet/x", "https://[::1]/"]
)
def test_a_link_to_no_public_site_is_refused(url: str) -> None:
    """`https://exa mple.org` reaches the rules cut at the space; localhost is no one else's."""
    with pytest.raises(NotPossible) as raised:
        rules.validate_link(url)
    assert "is not a public web address (like example.org)" in str(raised.value)


@pytest.mark.parametrize("url", ["www.example.org", "example.org/post", "openedx.org"])
def test_a_link_without_its_scheme_is_refused_with_the_fix(url: str) -> None:
    with pytest.raises(NotPossible) as raised:
        rules.validate_link(url)
    assert f"write `https://{url}`" in str(raised.value)


@pytest.mark.parametrize(
    ("quiet_for", "period"),
    [
        (timedelta(0), None),
        (timedelta(days=20, hours=23, minutes=59), None),
        (THREE_WEEKS, 1),
        (THREE_WEEKS + timedelta(days=20), 1),
        (2 * THREE_WEEKS, 2),
        (timedelta(days=365), 17),
        (timedelta(days=-1), None),
    ],
)
def test_quiet_periods(quiet_for: timedelta, period: int | None) -> None:
    assert rules.quiet_period(NOW - quiet_for, THREE_WEEKS, NOW) == period


def test_a_zero_stale_after_never_nudges() -> None:
    assert rules.quiet_period(NOW - timedelta(days=400), timedelta(0), NOW) is None


def test_a_nudge_key_names_initiative_last_activity_and_period() -> None:
    last = NOW - timedelta(days=30)
    key = rules.nudge_key(7, last, 1)
    assert key.startswith(rules.NUDGE_PREFIX + "7:")
    assert key == rules.nudge_key(7, last, 1)  # same period: the same notice
    assert key != rules.nudge_key(7, last, 2)  # the next period: a new one
    assert key != rules.nudge_key(8, last, 1)
    # A new update or join moves the last activity: a fresh series.
    assert key != rules.nudge_key(7, last + timedelta(microseconds=1), 1)
    # The same instant in another zone is the same key.
    other_zone = last.astimezone(datetime.now().astimezone().tzinfo)
    assert rules.nudge_key(7, other_zone, 1) == key
    assert len(rules.nudge_key(999_999_999, NOW, 10_000)) <= 120  # the outbox column


def test_a_nudge_after_a_long_downtime_is_for_the_current_period_only() -> None:
    last = NOW - timedelta(days=200)
    periods = {rules.quiet_period(last, THREE_WEEKS, NOW + timedelta(minutes=m)) for m in (0, 5)}
    assert periods == {9}
