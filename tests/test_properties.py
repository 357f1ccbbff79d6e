"""Whatever a member types after `/mwg`, the bot answers with a short text and never fails.

Property-based (hypothesis): arbitrary text, and text shaped like commands (every subcommand,
with numbers far too large, durations, dates, mentions, Slack's escapes, control and
direction characters, very long words), through the parser and then through the real Bolt
app the way Slack sends a slash command. Then, for every subcommand and every role (member,
moderator, organizer), argument lists shaped like that subcommand's (numbers, durations,
dates anywhere in 0001-9999, months, options and their typos, free text, odd unicode) run
against a database holding proposals in every state: no answer is the internal error, none
is logged as an error, and every answer reads in Slack as the bot wrote it.
"""

from __future__ import annotations

import json
import logging
import tempfile
import urllib.parse
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltRequest

from mwgbot import fakeslack_payloads as payloads
from mwgbot.domain.clock import ManualClock
from mwgbot.domain.proposals import Stage
from mwgbot.fakeslack import FakeSlack
from mwgbot.runtime import Runtime, build_runtime
from mwgbot.slack import commands
from mwgbot.slack.router import INTERNAL_ERROR
from tests.block_kit_checks import assert_valid_message
from tests.conftest import CHANNEL, START, make_settings, reset_postgres

# Slack shows at most 3,000 characters in a section; an answer is one short text.
SHORT = 3000

# What members type after a subcommand: numbers, durations, dates, months, links, mentions,
# options, and the odd characters of chat clients (Slack's escapes, controls, direction marks,
# full-width letters).
VALUES = st.sampled_from(
    [
        "#1",
        "1",
        "2",
        "0",
        "-1",
        "#999999999",
        "99999999999999999999",
        "2h30m",
        "45m",
        "1m",
        "24h1m",
        "0m",
        "99999999999999d",
        "9999999999999999999999999w",
        "7d",
        "91d",
        "--close",
        "--close=7d",
        "--close=99999999999999d",
        "--close=1h",
        "--stage",
        "awareness,interest",
        "fame",
        "--date",
        "--date=9999-12-31",
        "--date=1900-01-01",
        "2026-12-01",
        "2026-02-30",
        "9999-12-31",
        "0001-01-01",
        "2026-12",
        "2026-13",
        "team",
        "skip",
        "unskip",
        "adopt",
        "decline",
        "https://openedx.org/blog",
        "javascript:alert(1)",
        "<!channel>",
        "&lt;!here&gt;",
        "<@U0ADMIN>",
        "<https://evil.example|docs>",
        "`",
        "*",
        "\u202e",
        "\x00",
        "\n",
        "\t",
        "—close",
        "ｐｒｏｐｏｓｅ",
    ]
)
VERBS = st.sampled_from(commands.subcommands())
TYPED = st.one_of(
    st.text(max_size=200),
    # A subcommand, then values (the likeliest shape of a mistake).
    st.builds(
        lambda verb, words: " ".join([verb, *words]),
        VERBS,
        st.lists(st.one_of(VALUES, VALUES, st.text(max_size=20)), max_size=6),
    ),
    # A subcommand and one very long rest.
    st.builds(lambda verb, rest: f"{verb} {rest}", VERBS, st.text(max_size=5000)),
)


@given(TYPED)
@settings(max_examples=1500, deadline=None)
def test_the_parser_answers_everything_with_a_command_or_a_short_usage(text: str) -> None:
    answer: object
    try:
        answer = commands.parse(text)
    except commands.UsageError as refusal:
        answer = str(refusal)
    if isinstance(answer, str):
        assert 0 < len(answer) <= SHORT
    else:
        assert type(answer) in commands.Command.__args__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def runtime() -> Iterator[tuple[Runtime, FakeSlack]]:
    """One bot for every example (hypothesis runs hundreds): SQLite in a temporary folder,
    no request signing (the app is dispatched directly), the rate limit out of the way."""
    with tempfile.TemporaryDirectory(prefix="mwgbot-properties-") as scratch, FakeSlack() as fake:
        settings_ = make_settings(
            f"sqlite:///{Path(scratch) / 'properties.db'}",
            fake.url,
            mwg_commands_per_minute=1_000_000,
            mwg_max_open_per_member=1_000_000,
        )
        bot = build_runtime(settings_, http=False)
        bot.bot.wake = lambda: None
        try:
            yield bot, fake
        finally:
            bot.close()


def dispatch(runtime: Runtime, text: str, user: str) -> Any:
    form = payloads.slash_command(
        text, user_id=user, channel_id=CHANNEL, trigger_id="13345224609.738474920.prop"
    )
    request = BoltRequest(
        body=urllib.parse.urlencode(form), headers={"content-type": payloads.FORM}
    )
    return runtime.app.dispatch(request)


@given(TYPED, st.sampled_from(["UALICE", "UBOB", "UMODERATOR", "UORGANIZER"]))
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_command_gets_a_short_answer_and_none_fails(
    runtime: tuple[Runtime, FakeSlack], text: str, user: str
) -> None:
    bot, _fake = runtime
    response = dispatch(bot, text, user)
    assert response.status == 200, (text, response.status, response.body)
    if not response.body:  # a form opened (propose with no title, edit, forget-me)
        return
    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    answer = body["text"]
    assert isinstance(answer, str)
    assert 0 < len(answer) <= SHORT, (text, len(answer))
    assert answer != INTERNAL_ERROR, text  # every refusal is a clear answer, never a crash


# --- every subcommand, with arguments shaped like its own, for every role ----------------------

ROLES = {"member": "UALICE", "moderator": "UMODERATOR", "organizer": "UORGANIZER"}
TODAY = START.date()
A_MEETING_DAY = date(2026, 12, 9)  # a Wednesday of the default series


def _iso(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def _shifted(origin: date, days: int) -> date:
    try:
        return origin + timedelta(days=days)
    except OverflowError:
        return origin


NUMBERS = st.one_of(
    st.integers(1, 8).map(str),  # the proposals and entries the database holds
    st.integers(1, 8).map(lambda n: f"#{n}"),
    st.integers(-10, 10**15).map(str),
    st.sampled_from(["#0", "#-1", "one", "#", "##2", "٣", "#1.5", "1e3"]),
)
DATES = st.one_of(
    st.dates().map(_iso),  # anywhere from 0001-01-01 to 9999-12-31
    st.integers(-900, 900).map(lambda n: _iso(_shifted(TODAY, n))),  # around today
    st.integers(-80, 80).map(lambda k: _iso(_shifted(A_MEETING_DAY, 14 * k))),  # meeting days
    st.sampled_from(
        [
            "9999-12-31",
            "0001-01-01",
            "2026-02-30",
            "2026-13-01",
            "2026-12-1",
            "20261201",
            "tomorrow",
            "２０２６-１２-０１",
        ]
    ),
)
MONTHS = st.one_of(
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}"),
    st.sampled_from(["9999-12", "0001-01", "0000-01", "2026-13", "2026-1", "12-2026", "2026-12"]),
)
WINDOWS = st.one_of(  # durations as `--close` and `extend` read them
    st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 10**7), st.sampled_from(list("smhdw"))),
    st.sampled_from(["1d12h", "+1d", "90d", "91d", "0s", "-3d", "72h", "4d", "9" * 30 + "w"]),
)
LOG_DURATIONS = st.one_of(
    st.builds(lambda h, m: f"{h}h{m}m", st.integers(0, 30), st.integers(0, 99)),
    st.integers(0, 2000).map(lambda m: f"{m}m"),
    st.sampled_from(["24h", "24h1m", "1h60m", "-1h", "2 hours", "13h", "15m", "99999h"]),
)
STAGES = st.lists(
    st.sampled_from([s.value for s in Stage] + ["fame", "", "Awareness", "“interest”"]),
    max_size=4,
).flatmap(lambda names: st.sampled_from([",".join(names), ", ".join(names) + ","]))
OPTIONS = st.builds(
    lambda dashes, name, value: f"{dashes}{name}" if value is None else f"{dashes}{name}={value}",
    st.sampled_from(["--", "—", "–", "-", "---"]),
    st.sampled_from(["close", "stage", "stages", "date", "closes", "dat", "priority", "Close", ""]),
    st.one_of(st.none(), WINDOWS, DATES, STAGES),
)
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "<!channel>",
            "&lt;!here&gt;",
            "<@U0ADMIN>",
            "<https://evil.example|docs>",
            "Tips & tricks",
            "`",
            "*",
            "\u202e",
            "ｐｒｏｐｏｓｅ",
            "🙂",
            "a_b*c*_d|e>f",
            "Booth - Berlin",
            "co-branded",
        ]
    ),
)
LINKS = st.sampled_from(
    [
        "https://example.org/a_b*c*_d|e>f",
        "https://openedx.org/blog",
        "<https://openedx.org/blog|the post>",
        "javascript:alert(1)",
        "http://",
        "https://[::1",
        "www.example.org",
    ]
)
WORD = st.one_of(NUMBERS, DATES, MONTHS, WINDOWS, LOG_DURATIONS, OPTIONS, STAGES, TEXT)


def shaped(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """The subcommand's arguments in order, often whole, sometimes cut short, and sometimes
    followed by a stray word or two."""
    return st.builds(
        lambda fixed, cut, extra: fixed[:cut] + extra,
        st.tuples(*parts).map(list),
        st.one_of(st.just(len(parts)), st.integers(0, len(parts))),
        st.one_of(st.just([]), st.lists(WORD, max_size=2)),
    )


def options_of(*names: str) -> st.SearchStrategy[list[str]]:
    """An option as members write it: `--name value`, `--name=value`, dashes of a client."""
    dashes = st.sampled_from(["--", "—", "–"])
    values = {"close": WINDOWS, "stage": STAGES, "date": DATES}
    return st.sampled_from(names).flatmap(
        lambda name: st.one_of(
            st.builds(lambda d, v: [f"{d}{name}", v], dashes, values[name]),
            st.builds(lambda d, v: [f"{d}{name}={v}"], dashes, values[name]),
        )
    )


def mixed(words: st.SearchStrategy[list[str]], *options: str) -> st.SearchStrategy[list[str]]:
    """Text words with options before, between or after them."""
    return st.builds(
        lambda text, opts, at: text[:at] + [w for o in opts for w in o] + text[at:],
        words,
        st.lists(options_of(*options), max_size=3),
        st.integers(0, 6),
    )


NUMBER = (NUMBERS,)
ARGUMENTS: dict[str, st.SearchStrategy[list[str]]] = {
    "help": shaped(),
    "propose": mixed(st.lists(st.one_of(TEXT, OPTIONS), max_size=5), "close", "stage"),
    "show": shaped(*NUMBER),
    "list": shaped(),
    "join": shaped(*NUMBER),
    "leave": shaped(*NUMBER),
    "object": shaped(NUMBERS, TEXT),
    "unobject": shaped(*NUMBER),
    "withdraw": shaped(*NUMBER),
    "resolve": shaped(NUMBERS, st.sampled_from(["adopt", "decline", "ADOPT", "maybe"]), TEXT),
    "org": shaped(TEXT),
    "next": shaped(),
    "meeting": shaped(st.sampled_from(["skip", "unskip", "SKIP", "reschedule"]), DATES),
    "edit": shaped(*NUMBER),
    "extend": shaped(NUMBERS, WINDOWS),
    "log": mixed(shaped(LOG_DURATIONS, NUMBERS, TEXT), "date"),
    "hours": st.one_of(shaped(MONTHS), shaped(st.sampled_from(["team", "TEAM"]), MONTHS)),
    "unlog": shaped(*NUMBER),
    "history": shaped(*NUMBER),
    "mydata": shaped(),
    "forget-me": shaped(),
    "update": shaped(NUMBERS, TEXT),
    "done": shaped(NUMBERS, LINKS, TEXT),
    "drop": shaped(NUMBERS, TEXT),
    "agenda": st.one_of(
        shaped(),
        shaped(st.sampled_from(["add", "ADD", "list"]), TEXT),
        shaped(st.sampled_from(["remove", "carry", "Carry", "rm"]), NUMBERS),
    ),
    "notes": shaped(LINKS, TEXT),
    "meetings": shaped(),
}


def test_every_subcommand_has_its_own_arguments() -> None:
    assert set(ARGUMENTS) == set(commands.subcommands())


class _Errors(logging.Handler):
    """Every ERROR the bot logs: a failure the router or Bolt caught is still a failure."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def group(postgres_url: str | None) -> Iterator[tuple[Runtime, _Errors]]:
    """A bot whose database (SQLite, or PostgreSQL when MWGBOT_TEST_DATABASE_URL is set) holds
    proposals in every state (open, adopted and active, escalated, delivered, withdrawn), time
    entries and a skipped meeting, on a manual clock; the examples go on changing it."""
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    with tempfile.TemporaryDirectory(prefix="mwgbot-walk-") as scratch, FakeSlack() as fake:
        if postgres_url:
            reset_postgres(postgres_url)
        settings_ = make_settings(
            postgres_url or f"sqlite:///{Path(scratch) / 'walk.db'}",
            fake.url,
            mwg_commands_per_minute=1_000_000,
            mwg_max_open_per_member=1_000_000,
        )
        clock = ManualClock(START - timedelta(days=4))
        bot = build_runtime(settings_, clock=clock, http=False)
        bot.bot.wake = lambda: None
        try:
            for text, user in [
                ("propose Case-study series --close 72h", "UALICE"),  # 1: adopted
                ("propose Booth at the conference --close 72h", "UBOB"),  # 2: escalated
                ("object 2 No budget yet", "UALICE"),
                ("propose Webinar --close 72h --stage awareness", "UMODERATOR"),  # 3: delivered
                ("join 1", "UBOB"),
            ]:
                dispatch(bot, text, user)
            clock.advance(timedelta(days=3, hours=1))
            bot.scheduler.sweep.run()
            clock.set(START)
            for text, user in [
                ("done 3 https://openedx.org/blog", "UMODERATOR"),
                ("propose SEO sprint", "UALICE"),  # 4: open
                ("propose Newsletter", "UBOB"),  # 5: withdrawn
                ("withdraw 5", "UBOB"),
                ("propose Podcast --stage interest,action", "UORGANIZER"),  # 6: open
                ("log 2h #1 drafted", "UALICE"),
                ("log 22h #1 a long day", "UALICE"),
                ("meeting skip 2026-12-09", "UORGANIZER"),
            ]:
                dispatch(bot, text, user)
            errors.records.clear()
            yield bot, errors
        finally:
            bot.close()
            logging.getLogger().removeHandler(errors)


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("verb", commands.subcommands())
def test_every_subcommand_answers_every_role_clearly(
    group: tuple[Runtime, _Errors], verb: str, role: str
) -> None:
    bot, errors = group
    user = ROLES[role]

    @given(arguments=ARGUMENTS[verb])
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def answers(arguments: list[str]) -> None:
        text = " ".join([verb, *arguments])
        errors.records.clear()
        response = dispatch(bot, text, user)
        assert response.status == 200, (text, response.status, response.body)
        assert not errors.records, (text, [r.getMessage() for r in errors.records])
        if not response.body:  # a form opened (propose with no title, edit, forget-me)
            return
        body = json.loads(response.body)
        assert body["text"] != INTERNAL_ERROR, text
        assert 0 < len(body["text"]) <= SHORT, (text, len(body["text"]))
        assert_valid_message(body)  # and it reads in Slack as the bot wrote it

    answers()
