"""Editing, extending and fair limits as pure rules, table-driven: who, when, and how far."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mwgbot.domain import editing, limits
from mwgbot.domain.editing import Change, Field, FieldChange, Wording
from mwgbot.domain.errors import NotAllowed, NotPossible
from mwgbot.domain.limits import OpenLimitReached, OpenProposal
from mwgbot.domain.proposals import MAX_WINDOW, Stage, State

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MODS = frozenset({"UMOD"})
DAY = timedelta(days=1)


def check(
    change: Change = Change.EDIT,
    *,
    actor: str = "UALICE",
    state: State = State.OPEN,
    closes_at: datetime = NOW + 3 * DAY,
) -> None:
    editing.check_may_change(
        change,
        4,
        state=state,
        closes_at=closes_at,
        now=NOW,
        proposer_id="UALICE",
        actor_id=actor,
        moderators=MODS,
    )


@pytest.mark.parametrize("change", list(Change))
@pytest.mark.parametrize(
    ("actor", "state", "closes_at", "refusal", "words"),
    [
        ("UALICE", State.OPEN, NOW + DAY, None, ""),
        ("UMOD", State.OPEN, NOW + DAY, None, ""),
        ("UBOB", State.OPEN, NOW + DAY, NotAllowed, "Only the proposer of #4 or a moderator"),
        ("UALICE", State.ADOPTED, NOW - DAY, NotPossible, "#4 is adopted"),
        ("UMOD", State.ESCALATED, NOW - DAY, NotPossible, "#4 is escalated"),
        ("UALICE", State.WITHDRAWN, NOW + DAY, NotPossible, "#4 is withdrawn"),
        ("UALICE", State.DECLINED, NOW - DAY, NotPossible, "#4 is declined"),
        # Open, but the window ended and the sweep has not closed it yet.
        ("UALICE", State.OPEN, NOW, NotPossible, "window has closed"),
        # Someone else on a closed proposal: the state is the first answer (no one can).
        ("UBOB", State.ADOPTED, NOW - DAY, NotPossible, "only an open proposal"),
    ],
)
def test_who_may_edit_or_extend_and_when(
    change: Change,
    actor: str,
    state: State,
    closes_at: datetime,
    refusal: type[Exception] | None,
    words: str,
) -> None:
    if refusal is None:
        check(change, actor=actor, state=state, closes_at=closes_at)
        return
    with pytest.raises(refusal) as raised:
        check(change, actor=actor, state=state, closes_at=closes_at)
    assert words in str(raised.value)
    assert change.value in str(raised.value) or "window has closed" in words


@pytest.mark.parametrize(
    ("left", "changed", "moves_to"),
    [
        # Title or description with less than a day left: a day from now.
        (timedelta(hours=23, minutes=59), {Field.TITLE}, NOW + DAY),
        (timedelta(hours=1), {Field.DESCRIPTION}, NOW + DAY),
        (timedelta(seconds=1), {Field.TITLE, Field.STAGES}, NOW + DAY),
        # A day or more left: the close stays.
        (DAY, {Field.TITLE}, None),
        (3 * DAY, {Field.DESCRIPTION}, None),
        # Stages and flags are not the words members agree to: the close stays.
        (timedelta(hours=1), {Field.STAGES}, None),
        (timedelta(hours=1), {Field.COLLECTS_LEADS, Field.COBRANDED}, None),
    ],
)
def test_new_words_late_in_the_window_give_everyone_a_day(
    left: timedelta, changed: set[Field], moves_to: datetime | None
) -> None:
    closes_at = NOW + left
    assert editing.closes_after_edit(closes_at, NOW, changed) == (moves_to or closes_at)


def test_the_fair_day_may_take_a_window_past_the_cap() -> None:
    created = NOW - MAX_WINDOW + timedelta(hours=2)
    closes_at = created + MAX_WINDOW  # two hours left of a 90-day window
    moved = editing.closes_after_edit(closes_at, NOW, {Field.TITLE})
    assert moved == NOW + DAY
    assert moved - created > MAX_WINDOW


CREATED = NOW - 2 * DAY
CLOSES = CREATED + 7 * DAY


@pytest.mark.parametrize(
    ("by", "new_close", "words"),
    [
        (timedelta(days=3), CLOSES + timedelta(days=3), ""),
        (timedelta(hours=1), CLOSES + timedelta(hours=1), ""),
        # Up to a whole window of exactly 90 days.
        (MAX_WINDOW - 7 * DAY, CREATED + MAX_WINDOW, ""),
        (MAX_WINDOW - 7 * DAY + timedelta(seconds=1), None, "at most 83d"),
        (timedelta(days=365), None, "may be at most 90d"),
        # Far beyond any date arithmetic: refused before adding, no OverflowError.
        (timedelta(days=999_999_999), None, "at most 83d"),
        (timedelta(0), None, "longer than zero"),
        (timedelta(hours=-1), None, "longer than zero"),
    ],
)
def test_an_extension_keeps_the_whole_window_within_90_days(
    by: timedelta, new_close: datetime | None, words: str
) -> None:
    if new_close is not None:
        assert editing.extended_close(4, created_at=CREATED, closes_at=CLOSES, by=by) == new_close
        return
    with pytest.raises(NotPossible) as raised:
        editing.extended_close(4, created_at=CREATED, closes_at=CLOSES, by=by)
    assert words in str(raised.value)


def test_a_window_already_at_90_days_cannot_be_extended() -> None:
    with pytest.raises(NotPossible, match="cannot be extended further"):
        editing.extended_close(
            4, created_at=CREATED, closes_at=CREATED + MAX_WINDOW, by=timedelta(minutes=1)
        )


def test_the_room_left_is_said_in_whole_minutes() -> None:
    closes = CREATED + MAX_WINDOW - timedelta(hours=5, minutes=30, seconds=12, microseconds=7)
    with pytest.raises(NotPossible, match=r"at most 5h30m\."):
        editing.extended_close(4, created_at=CREATED, closes_at=closes, by=DAY)


BASE = Wording("Case studies", "Three stories", (Stage.AWARENESS,), False, True)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (BASE, ()),
        # Stages are a set, shown in journey order: reordering is no change.
        (
            Wording(
                "Case studies", "Three stories", (Stage.AWARENESS, Stage.AWARENESS), False, True
            ),
            (),
        ),
        (
            Wording("Case studies!", "Three stories", (Stage.AWARENESS,), False, True),
            (FieldChange(Field.TITLE, "Case studies", "Case studies!"),),
        ),
        (
            Wording("Case studies", "", (Stage.INTEREST, Stage.AWARENESS), True, False),
            (
                FieldChange(Field.DESCRIPTION, "Three stories", ""),
                FieldChange(Field.STAGES, (Stage.AWARENESS,), (Stage.AWARENESS, Stage.INTEREST)),
                FieldChange(Field.COLLECTS_LEADS, False, True),
                FieldChange(Field.COBRANDED, True, False),
            ),
        ),
    ],
)
def test_changes_list_each_field_that_differs_old_and_new(
    after: Wording, expected: tuple[FieldChange, ...]
) -> None:
    assert editing.changes(BASE, after) == expected


def test_a_fingerprint_tells_wordings_apart_and_ignores_stage_order() -> None:
    same = Wording("Case studies", "Three stories", (Stage.AWARENESS,), False, True)
    assert editing.fingerprint(same) == editing.fingerprint(BASE)
    assert editing.fingerprint(BASE) != editing.fingerprint(
        Wording("Case studies", "Three stories.", (Stage.AWARENESS,), False, True)
    )
    a = Wording("t", "", (Stage.INTEREST, Stage.AWARENESS))
    b = Wording("t", "", (Stage.AWARENESS, Stage.INTEREST))
    assert editing.fingerprint(a) == editing.fingerprint(b)


OPEN = [OpenProposal(n, f"Idea {n}", NOW + n * DAY) for n in range(1, 6)]


@pytest.mark.parametrize(
    ("proposer", "open_count", "limit", "refused"),
    [
        ("UALICE", 0, 5, False),
        ("UALICE", 4, 5, False),
        ("UALICE", 5, 5, True),
        ("UALICE", 5, 6, False),
        ("UALICE", 1, 1, True),
        ("UMOD", 5, 5, False),  # moderators are exempt
        ("UMOD", 5, 1, False),
    ],
)
def test_open_proposals_per_member(
    proposer: str, open_count: int, limit: int, refused: bool
) -> None:
    open_ones = OPEN[:open_count]
    if not refused:
        limits.check_open_limit(proposer, open_ones, limit, MODS)
        return
    with pytest.raises(OpenLimitReached) as raised:
        limits.check_open_limit(proposer, open_ones, limit, MODS)
    assert raised.value.limit == limit
    assert raised.value.open_ones == tuple(open_ones)
    assert isinstance(raised.value, NotPossible)


@pytest.mark.parametrize(
    ("count", "per_minute", "over"),
    [(1, 30, False), (30, 30, False), (31, 30, True), (500, 30, True), (1, 1, False), (2, 1, True)],
)
def test_the_command_that_passes_the_per_minute_limit_is_refused(
    count: int, per_minute: int, over: bool
) -> None:
    assert limits.over_rate(count, per_minute) is over


@pytest.mark.parametrize(
    ("now", "minute"),
    [
        (datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC), datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),
        (
            datetime(2026, 12, 1, 12, 0, 59, 999999, tzinfo=UTC),
            datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        ),
        (datetime(2026, 12, 1, 12, 1, 0, tzinfo=UTC), datetime(2026, 12, 1, 12, 1, tzinfo=UTC)),
    ],
)
def test_commands_are_counted_by_the_minute(now: datetime, minute: datetime) -> None:
    assert limits.minute_of(now) == minute
