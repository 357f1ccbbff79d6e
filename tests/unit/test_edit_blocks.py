"""The edit form, the notes of edits and extensions, the limit answers, and the parsing of
`/mwg edit` and `/mwg extend`: pure, at realistic and extreme sizes, valid Block Kit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mwgbot import fakeslack_payloads as payloads
from mwgbot.domain.editing import Field, FieldChange
from mwgbot.domain.limits import OpenLimitReached, OpenProposal
from mwgbot.domain.proposals import Participant, ProposalSnapshot, Stage, State
from mwgbot.slack import blocks, commands, ids, proposal_form
from mwgbot.slack.edit_blocks import EditNotesBlocks, edited_answer, extended_answer
from mwgbot.slack.limit_text import open_limit_answer, open_limit_field_error, slow_down
from tests.block_kit_checks import assert_valid_blocks, assert_valid_view

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U0ADMIN> & <https://evil.example|docs>"


def proposal(**overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {
        "number": 4,
        "title": "Case-study series",
        "proposer_id": "UALICE",
        "created_at": NOW,
        "closes_at": NOW + timedelta(days=7),
        "state": State.OPEN,
    }
    values.update(overrides)
    return ProposalSnapshot(**values)


def test_the_edit_form_is_prefilled_and_valid_at_the_largest_sizes() -> None:
    big = proposal(
        number=123456789,
        title="T" * 150,
        description="D\n" * 1250,
        stages=tuple(Stage),
        collects_leads=True,
        cobranded=True,
        joiners=tuple(Participant(f"U{i:05d}", "Org") for i in range(500)),
    )
    view = blocks.edit_modal(big, '{"number": 123456789, "seen": "0123456789abcdef"}')
    assert_valid_view(view)
    assert view["title"]["text"] == "Edit #123456789"
    values = payloads.view_state(view)
    reading = proposal_form.read_wording(values)
    assert reading.errors == {}
    assert reading.wording.title == big.title
    assert reading.wording.description == big.description.strip()
    assert reading.wording.stages == tuple(Stage)
    assert (reading.wording.collects_leads, reading.wording.cobranded) == (True, True)


def test_an_empty_form_sends_nothing_for_its_empty_inputs() -> None:
    view = blocks.edit_modal(proposal(), "{}")
    assert_valid_view(view)
    values = payloads.view_state(view)
    assert values[ids.BLOCK_DESCRIPTION][ids.INPUT]["value"] is None
    assert values[ids.BLOCK_STAGES][ids.INPUT]["selected_options"] == []
    assert values[ids.BLOCK_FLAGS][ids.INPUT]["selected_options"] == []


def test_the_propose_form_is_unchanged_by_sharing_its_inputs() -> None:
    view = blocks.propose_modal("CMARKETING", "Default 7d; at least 3d.")
    assert_valid_view(view)
    assert [b["block_id"] for b in view["blocks"]] == [
        ids.BLOCK_TITLE,
        ids.BLOCK_DESCRIPTION,
        ids.BLOCK_STAGES,
        ids.BLOCK_WINDOW,
        ids.BLOCK_FLAGS,
    ]
    assert all(
        "initial_value" not in b["element"] and "initial_options" not in b["element"]
        for b in view["blocks"]
    )


def test_a_note_of_every_change_at_the_largest_sizes_stays_one_valid_section() -> None:
    changes = [
        FieldChange(Field.TITLE, "a" * 150, HOSTILE + "b" * 100),
        FieldChange(Field.DESCRIPTION, "c\n" * 1250, "d " * 1250),
        FieldChange(Field.STAGES, (), tuple(Stage)),
        FieldChange(Field.COLLECTS_LEADS, False, True),
        FieldChange(Field.COBRANDED, True, False),
    ]
    moved = proposal(closes_at=NOW + timedelta(days=1))
    note = EditNotesBlocks().edited(moved, "UMODERATOR", changes, NOW + timedelta(hours=3))
    assert assert_valid_blocks(note.blocks) > 0
    text = note.blocks[0]["text"]["text"]
    assert len(text) < 2000
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert "_none_ → Awareness, Interest, Consideration, Intent, Evaluation, Action" in text
    assert "• *Co-branded with a sponsor*: yes → no" in text
    assert "less than a day left" in text
    assert text.count("\n") == 6  # the heading, five changes, the fair-notice line


def test_the_extension_note_and_answers_name_the_times() -> None:
    extended = proposal(closes_at=NOW + timedelta(days=10))
    note = EditNotesBlocks().extended(
        extended, "UALICE", timedelta(days=3), NOW + timedelta(days=7)
    )
    assert assert_valid_blocks(note.blocks) > 0
    assert "extended #4's consensus window by 3d" in note.text
    assert f"<!date^{int((NOW + timedelta(days=10)).timestamp())}^" in note.text
    assert "(it was <!date^" in extended_answer(extended, NOW + timedelta(days=7))
    assert edited_answer(extended, [], None) == "Nothing changed in #4."


def test_the_open_limit_answer_lists_and_escapes_even_many_proposals() -> None:
    many = [OpenProposal(n, HOSTILE + "x" * 150, NOW + timedelta(hours=n)) for n in range(1, 41)]
    refusal = OpenLimitReached(40, many)
    answer = open_limit_answer(refusal)
    assert answer.startswith("You already have 40 open proposals")
    assert "<!channel>" not in answer
    assert "• and 30 more" in answer
    assert len(answer) < 3000
    field = open_limit_field_error(refusal, NOW)
    assert len(field) <= 500
    assert "#1 " in field
    assert "(closes in 1h)" in field
    assert "Slow down" in slow_down(30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("edit 4", commands.Edit(4)),
        ("edit #4", commands.Edit(4)),
        ("EDIT #4", commands.Edit(4)),
        ("extend 4 3d", commands.Extend(4, timedelta(days=3))),
        ("extend #4 +1d12h", commands.Extend(4, timedelta(days=1, hours=12))),
        ("extend 4 2W", commands.Extend(4, timedelta(weeks=2))),
    ],
)
def test_edit_and_extend_parse(text: str, expected: commands.Command) -> None:
    assert commands.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("edit", "Which proposal?"),
        ("edit four", "is not a proposal number"),
        ("edit 4 title", "Too many words"),
        ("edit 0", "start at #1"),
        ("extend 4", "By how long?"),
        ("extend 4 0s", "is not a duration"),
        ("extend 4 -3d", "is not a duration"),
        ("extend 4 3d 2h", "By how long?"),
        ("extend 4 9999999999999999999999d", "far longer than a consensus window may last"),
    ],
)
def test_bad_edit_and_extend_commands_say_what_to_type(text: str, words: str) -> None:
    with pytest.raises(commands.UsageError) as raised:
        commands.parse(text)
    assert words in str(raised.value)
