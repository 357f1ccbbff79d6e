"""Pure builders of the group's record: history lines for every kind of change, a member's data
as direct messages, and the forget-me form; all checked as Slack would check them."""

from __future__ import annotations

import html
import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mwgbot.domain.activity import Activity, ActivityKind, Via
from mwgbot.services.history import Timeline
from mwgbot.slack import commands, ids, record_blocks
from tests.block_kit_checks import assert_valid_blocks, assert_valid_view
from tests.record_support import blocks_text

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U0ADMIN> <https://evil.example|docs> & `x`"

# One row of every kind, with the details its feature writes, and what the history says.
EVERY_KIND: list[tuple[ActivityKind, dict[str, Any], str]] = [
    (
        ActivityKind.PROPOSED,
        {"title": "T", "closes_at": (AT + timedelta(days=7)).isoformat()},
        "<@UALICE> proposed it, its window set to close <!date^",
    ),
    (ActivityKind.JOINED, {}, "<@UALICE> joined"),
    (ActivityKind.LEFT, {}, "<@UALICE> left"),
    (ActivityKind.OBJECTED, {"reason": "Too soon"}, "<@UALICE> objected: “Too soon”"),
    (ActivityKind.OBJECTION_WITHDRAWN, {}, "<@UALICE> withdrew their objection"),
    (ActivityKind.CLOSED, {"outcome": "adopted"}, "no standing objection: *adopted*"),
    (ActivityKind.DECIDED, {"verdict": "decline", "note": "Later"}, "*declined* it: “Later”"),
    (
        ActivityKind.DECIDED,
        {"verdict": "adopt", "note": "Go", "as": "organizer"},
        "Organizer <@UALICE> *adopted* it: “Go”",
    ),
    (
        ActivityKind.ADOPTED_BY_CONSENSUS,
        {"outcome": "adopted", "last_objection_withdrawn_by": "UCAROL"},
        "the last standing objection was withdrawn (<@UCAROL> withdrew it), so it is *adopted*",
    ),
    (
        ActivityKind.OBJECTED,
        {"reason": "No", "left": True},
        "<@UALICE> objected: “No”, which withdrew their join",
    ),
    (ActivityKind.WITHDRAWN, {}, "<@UALICE> *withdrew* it"),
    (ActivityKind.UPDATED, {"text": "Half done"}, "<@UALICE> posted an update: “Half done”"),
    (
        ActivityKind.DELIVERED,
        {"link": "https://openedx.org/x", "note": "Shipped"},
        "<@UALICE> marked it *delivered* (https://openedx.org/x): “Shipped”",
    ),
    (ActivityKind.DROPPED, {"reason": "No time"}, "<@UALICE> *dropped* it: “No time”"),
    (
        ActivityKind.EDITED,
        {"changes": {"title": {"old": "Old", "new": "New"}}},
        "<@UALICE> edited it (title)",
    ),
    (
        ActivityKind.EDITED,
        {
            "changes": {"description": {"old": "", "new": "Why"}},
            "closes_at": {"from": AT.isoformat(), "to": (AT + timedelta(days=1)).isoformat()},
        },
        "<@UALICE> edited it (description); its window now closes <!date^",
    ),
    (
        ActivityKind.EXTENDED,
        {
            "by_seconds": 86400,
            "closes_at": {"from": AT.isoformat(), "to": (AT + timedelta(days=9)).isoformat()},
        },
        "<@UALICE> extended its window to <!date^",
    ),
    (ActivityKind.TIME_LOGGED, {"minutes": 45}, "<@UALICE> logged 45m on it"),
    (ActivityKind.TIME_REMOVED, {}, "<@UALICE> removed time they had logged on it"),
    (ActivityKind.ORGANIZATION_SET, {"organization": "X"}, "<@UALICE> set their organization"),
    (
        ActivityKind.MEETING_SKIPPED,
        {"meeting": "2026-12-09T15:00:00+00:00"},
        "<@UALICE> skipped the meeting of <!date^",
    ),
    (ActivityKind.MEETING_RESTORED, {}, "<@UALICE> restored a meeting"),
    (
        ActivityKind.TOPIC_ADDED,
        {"meeting": "2026-12-09T15:00:00+00:00", "topic": 2},
        "<@UALICE> added topic 2 to the agenda of the meeting of <!date^",
    ),
    (ActivityKind.TOPIC_REMOVED, {"topic": 1}, "<@UALICE> removed topic 1 from the agenda"),
    (
        ActivityKind.TOPIC_CARRIED,
        {"meeting": "2026-12-23T15:00:00+00:00", "topic": 1, "from_topic": 4},
        "<@UALICE> carried a topic over to the agenda of the meeting of <!date^",
    ),
    (
        ActivityKind.NOTES_ADDED,
        {"meeting": "2026-12-09T15:00:00+00:00", "link": "https://x.example/<!channel>"},
        "<@UALICE> attached notes to the meeting of <!date^",
    ),
    (ActivityKind.FORGOTTEN, {}, "A member asked to be forgotten"),
]


def activity(kind: ActivityKind, details: dict[str, Any], **overrides: Any) -> Activity:
    values: dict[str, Any] = {
        "id": 1,
        "at": AT,
        "kind": kind,
        "via": Via.COMMAND,
        "actor_id": "UALICE",
        "proposal_number": 3,
        "details": details,
    }
    values.update(overrides)
    return Activity(**values)


def test_the_table_covers_every_kind() -> None:
    assert {kind for kind, _, _ in EVERY_KIND} == set(ActivityKind)


@pytest.mark.parametrize(("kind", "details", "expected"), EVERY_KIND)
def test_every_kind_of_change_reads_in_words(
    kind: ActivityKind, details: dict[str, Any], expected: str
) -> None:
    assert expected in record_blocks.activity_sentence(activity(kind, details))


def test_every_sentence_is_its_own() -> None:
    sentences = [record_blocks.activity_sentence(activity(k, d)) for k, d, _ in EVERY_KIND]
    assert len(set(sentences)) == len(sentences)


@pytest.mark.parametrize("via", list(Via))
def test_every_way_in_is_named(via: Via) -> None:
    line = record_blocks.activity_line(activity(ActivityKind.JOINED, {}, via=via))
    assert line.endswith(f"_({record_blocks.VIA_WORDS[via]})_")
    assert line.startswith("• <!date^1796126400^")


def test_the_bot_and_pseudonyms_are_named_as_such() -> None:
    closed = activity(ActivityKind.CLOSED, {"outcome": "escalated"}, actor_id=None)
    assert record_blocks.activity_sentence(closed).startswith("The consensus window closed")
    former = activity(ActivityKind.JOINED, {}, actor_id="former member 3")
    assert record_blocks.activity_sentence(former) == "former member 3 joined"


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (ActivityKind.OBJECTED, "reason"),
        (ActivityKind.DECIDED, "note"),
        (ActivityKind.UPDATED, "text"),
        (ActivityKind.DELIVERED, "link"),
        (ActivityKind.DELIVERED, "note"),
        (ActivityKind.DROPPED, "reason"),
        (ActivityKind.EDITED, "changes"),
    ],
)
def test_what_members_wrote_is_inert(kind: ActivityKind, key: str) -> None:
    value: Any = {HOSTILE: {"old": HOSTILE, "new": HOSTILE}} if key == "changes" else HOSTILE
    sentence = record_blocks.activity_sentence(activity(kind, {key: value}))
    assert "&lt;!channel&gt;" in sentence
    for live in ("<!channel>", "<@U0ADMIN>", "<https://"):
        assert live not in sentence


def test_odd_details_from_elsewhere_do_not_break_a_line() -> None:
    odd: dict[str, Any] = {
        "closes_at": "not a date",
        "minutes": "ninety",
        "fields": "title",
        "reason": 42,
        "meeting": "2026-12-09T15:00:00",  # no offset: not shown rather than guessed
    }
    for kind in ActivityKind:
        assert record_blocks.activity_sentence(activity(kind, odd))


def timeline(first: int, last: int, left_out: int, reason: str) -> Timeline:
    entries = [
        activity(ActivityKind.OBJECTED, {"reason": reason}, id=i, actor_id=f"UMEMBER{i:04d}")
        for i in range(first + last)
    ]
    return Timeline(
        number=12,
        title="A title <!here> " + "t" * 130,
        state="open",
        first=tuple(entries[:first]),
        last=tuple(entries[first:]),
        left_out=left_out,
    )


def test_the_longest_history_fits_one_message() -> None:
    worst = "<&>" * 200  # every character triples when escaped
    answer = record_blocks.history(timeline(10, 30, 500, worst))
    assert assert_valid_blocks(answer.blocks) > 0
    text = blocks_text(answer.blocks)
    assert "540 entries" in text
    assert "… 500 more entries left out here; the last 30 follow." in text
    assert "<!here>" not in text
    assert answer.text == "History of #12: 540 entries"


def test_a_short_history_has_no_cut() -> None:
    answer = record_blocks.history(timeline(3, 0, 0, "Because"))
    assert "left out" not in blocks_text(answer.blocks)
    assert "3 entries" in answer.blocks[0]["text"]["text"]


def reassemble(messages: list[Any]) -> Any:
    pieces = []
    total = len(messages)
    for number, message in enumerate(messages, start=1):
        assert assert_valid_blocks(message.blocks) > 0
        assert message.text == f"What mwgbot holds about you, part {number} of {total}"
        fenced = re.fullmatch(r"```\n(.*)```", message.blocks[-1]["text"]["text"], re.DOTALL)
        assert fenced is not None
        assert "`" not in fenced.group(1)
        pieces.append(html.unescape(fenced.group(1)))
    return json.loads("".join(pieces))


@pytest.mark.parametrize("seed", range(8))
def test_any_data_comes_back_whole_from_its_parts(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = 'ab <>&`"\\\n\té✓' + "x" * 20

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4000)))

    data = {"user_id": "UALICE", "notes": [text() for _ in range(rng.randint(0, 30))]}
    messages = record_blocks.data_messages(data)
    assert reassemble(messages) == data
    assert len(messages) >= 1


def test_small_data_is_one_message_with_an_introduction() -> None:
    messages = record_blocks.data_messages({"user_id": "UALICE", "member": None})
    assert len(messages) == 1
    assert "`/mwg forget-me` erases it" in blocks_text(messages[0].blocks)


def test_the_forget_form_and_its_outcomes_are_valid_views() -> None:
    form = record_blocks.forget_modal()
    assert_valid_view(form)
    assert form["callback_id"] == ids.VIEW_FORGET
    assert form["submit"]["text"] == "Erase my data"
    shown = blocks_text(form["blocks"])
    assert "cannot be undone" in shown
    for view in (
        record_blocks.forgotten_view("former member 12"),
        record_blocks.forgotten_view(None),
        record_blocks.forget_failed_view(),
    ):
        assert_valid_view(view)
        assert "submit" not in view


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("history 3", commands.History(3)),
        ("history #12", commands.History(12)),
        ("mydata", commands.MyData()),
        ("MYDATA", commands.MyData()),
        ("forget-me", commands.ForgetMe()),
    ],
)
def test_the_record_commands_parse(text: str, expected: commands.Command) -> None:
    assert commands.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("history", "Which proposal?"),
        ("history three", "not a proposal number"),
        ("history 3 4", "Too many words"),
        ("mydata please", "takes no arguments"),
        ("forget-me now", "takes no arguments"),
    ],
)
def test_the_record_commands_refuse_with_a_hint(text: str, hint: str) -> None:
    with pytest.raises(commands.UsageError) as raised:
        commands.parse(text)
    assert hint in str(raised.value)
