"""Pure Block Kit builders: what a card and a notice say, and that user text is inert."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mwgbot.domain.escalation import DeciderRole, Deciders
from mwgbot.domain.proposals import (
    Decision,
    Objection,
    Participant,
    ProposalSnapshot,
    Stage,
    State,
    Verdict,
)
from mwgbot.slack import blocks, ids
from mwgbot.slack.renderer import BlockKitRenderer
from mwgbot.slack.text import clean_block, clean_line, date_token, escape, mention

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RENDERER = BlockKitRenderer()
MODS = Deciders(("UMOD",), DeciderRole.MODERATORS)
HOSTILE = "<!channel> <@U0ADMIN> <https://evil.example|docs> &amp; <!here> <#C123>"


def proposal(**overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {
        "number": 7,
        "title": "Case-study series",
        "proposer_id": "UALICE",
        "proposer_organization": "Abstract",
        "created_at": NOW,
        "closes_at": NOW + timedelta(days=7),
        "state": State.OPEN,
    }
    values.update(overrides)
    return ProposalSnapshot(**values)


def all_text(message: Any) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_escape_neutralises_slack_control_sequences() -> None:
    assert escape(HOSTILE) == (
        "&lt;!channel&gt; &lt;@U0ADMIN&gt; &lt;https://evil.example|docs&gt; &amp;amp; "
        "&lt;!here&gt; &lt;#C123&gt;"
    )


@pytest.mark.parametrize("user_id", ["UALICE", "W0123ABC"])
def test_mentions_are_built_from_user_ids(user_id: str) -> None:
    assert mention(user_id) == f"<@{user_id}>"


@pytest.mark.parametrize("not_an_id", ["<!channel>", "ualice", "U", "U1>|x"])
def test_anything_else_is_escaped_text(not_an_id: str) -> None:
    assert "<" not in mention(not_an_id)


def test_clean_line_drops_controls_and_bidi_overrides() -> None:
    assert clean_line("a\x00b\u202eevil\u200b  c\n\td") == "abevil c d"
    assert clean_block("line one\r\nline\x07 two\n") == "line one\nline two"


def test_date_token_reads_in_every_zone_with_a_utc_fallback() -> None:
    token = date_token(datetime(2026, 1, 7, 15, 0, tzinfo=UTC))
    assert token == "<!date^1767798000^{date_short_pretty} at {time}|Wed 2026-01-07 15:00 UTC>"


@pytest.mark.parametrize(
    "field", ["title", "description", "proposer_organization", "objection", "joiner_org", "note"]
)
def test_no_user_text_can_ping_or_link(field: str) -> None:
    snapshot = proposal(
        title=HOSTILE if field == "title" else "t",
        description=HOSTILE if field == "description" else "",
        proposer_organization=HOSTILE if field == "proposer_organization" else None,
        objections=(Objection("UBOB", HOSTILE if field == "objection" else "r"),),
        joiners=(Participant("UCAROL", HOSTILE if field == "joiner_org" else None),),
        state=State.DECLINED if field == "note" else State.OPEN,
        decision=Decision("UMOD", Verdict.DECLINE, HOSTILE, NOW) if field == "note" else None,
    )
    rendered = [
        RENDERER.card(snapshot, "raised_hand", "no_entry_sign"),
        RENDERER.outcome(snapshot, MODS),
    ]
    texts = [blocks.proposal_details(snapshot), blocks.proposal_list([snapshot], [snapshot])]
    for text in [all_text(r.blocks) + r.text for r in rendered] + texts:
        for dangerous in ("<!channel>", "<!here>", "<@U0ADMIN>", "<https://evil", "<#C123>"):
            assert dangerous not in text


def test_card_shows_what_the_group_needs() -> None:
    snapshot = proposal(
        description="Interview three adopters.",
        stages=(Stage.CONSIDERATION, Stage.EVALUATION),
        joiners=(Participant("UBOB", "OpenCraft"), Participant("UCAROL", None)),
        objections=(Objection("UDAN", "Overlaps the Q3 webinar", "AXIM"),),
        collects_leads=True,
        cobranded=True,
    )
    card = RENDERER.card(snapshot, "raised_hand", "no_entry_sign")
    text = all_text(card.blocks)
    assert card.text.startswith("#7 ")
    assert "#7 Case-study series" in text
    assert "<@UALICE> (Abstract)" in text
    assert "<!date^" in text
    assert "Consideration, Evaluation" in text
    assert "<@UBOB> (OpenCraft)" in text
    assert "<@UCAROL>" in text
    assert "Organizations engaged:* 2" in text
    assert "Overlaps the Q3 webinar" in text
    assert "AXIM's property" in text
    assert "trademark guidelines" in text
    assert ":raised_hand:" in text
    assert ":no_entry_sign:" in text
    actions = next(b for b in card.blocks if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == [ids.ACTION_JOIN, ids.ACTION_OBJECT]
    assert {a["value"] for a in actions} == {"mwg#7"}  # the group's proposal #7


@pytest.mark.parametrize(
    ("state", "buttons"),
    [
        (State.OPEN, [ids.ACTION_JOIN, ids.ACTION_OBJECT]),
        (State.ESCALATED, [ids.ACTION_JOIN]),
        (State.ADOPTED, [ids.ACTION_JOIN]),
        (State.DECLINED, []),
        (State.WITHDRAWN, []),
    ],
)
def test_card_buttons_follow_the_state(state: State, buttons: list[str]) -> None:
    card = RENDERER.card(proposal(state=state, closed_at=NOW), "raised_hand", "no_entry_sign")
    found = [
        element["action_id"]
        for block in card.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert found == buttons


@pytest.mark.parametrize(
    ("snapshot", "words"),
    [
        (
            proposal(state=State.ADOPTED, joiners=(Participant("UB", "OpenCraft"),)),
            ["adopted", "lazy consensus"],
        ),
        (proposal(state=State.ADOPTED), ["adopted", "seeking partners from another organization"]),
        (
            proposal(state=State.ESCALATED, objections=(Objection("UB", "Budget"),)),
            ["escalated", "<@UMOD>", "Budget", "/mwg resolve 7"],
        ),
        (
            proposal(
                state=State.DECLINED, decision=Decision("UMOD", Verdict.DECLINE, "Later", NOW)
            ),
            ["declined", "<@UMOD>", "Later"],
        ),
        (proposal(state=State.WITHDRAWN), ["withdrawn"]),
    ],
)
def test_outcome_notices_name_the_number_and_the_outcome(
    snapshot: ProposalSnapshot, words: list[str]
) -> None:
    notice = RENDERER.outcome(snapshot, MODS)
    assert "#7" in notice.text
    for word in words:
        assert word in notice.text


def test_outcome_of_adopted_by_two_organizations_does_not_seek_partners() -> None:
    snapshot = proposal(state=State.ADOPTED, joiners=(Participant("UB", "OpenCraft"),))
    assert "seeking partners" not in RENDERER.outcome(snapshot, Deciders()).text


def test_long_lists_are_bounded() -> None:
    many = tuple(Participant(f"U{i:04d}", f"Org {i}") for i in range(300))
    objections = tuple(Objection(f"W{i:04d}", "r" * 500) for i in range(300))
    card = RENDERER.card(proposal(joiners=many, objections=objections), "a", "b")
    for block in card.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert "and 275 more" in all_text(card.blocks)


def test_propose_modal_has_the_fields_and_validation_ids() -> None:
    hint = blocks.window_hint(timedelta(days=7), timedelta(hours=72))
    assert hint == "Default 7d; at least 3d."
    view = blocks.propose_modal("C1", hint)
    assert view["callback_id"] == ids.VIEW_PROPOSE
    block_ids = [b["block_id"] for b in view["blocks"]]
    assert block_ids == [
        ids.BLOCK_TITLE,
        ids.BLOCK_DESCRIPTION,
        ids.BLOCK_STAGES,
        ids.BLOCK_WINDOW,
        ids.BLOCK_FLAGS,
    ]
    stages = view["blocks"][2]["element"]["options"]
    assert [o["value"] for o in stages] == [s.value for s in Stage]


@pytest.mark.parametrize("state", list(State))
def test_the_first_proposal_line_is_on_open_cards_only(state: State) -> None:
    extra: dict[str, Any] = {}
    if state is not State.OPEN:
        extra["closed_at"] = NOW
    if state in (State.DELIVERED, State.DROPPED):
        extra.update(finished_at=NOW, finished_by="UALICE")
    card = blocks.card(proposal(first_proposal=True, state=state, **extra), "a", "b")
    assert (blocks.FIRST_PROPOSAL in all_text(card.blocks)) is (state is State.OPEN)
    later = blocks.card(proposal(first_proposal=False, state=state, **extra), "a", "b")
    assert blocks.FIRST_PROPOSAL not in all_text(later.blocks)
