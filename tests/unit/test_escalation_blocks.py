"""Pure builders of conflict resolution: who decides, in words; the escalation notice, the
closing-soon notice and the consensus found after the close; a decider's direct message and
reminders; `/mwg list`'s waiting time; the decision form. User text stays inert."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mwgbot.domain.escalation import DeciderRole, Deciders, Roles
from mwgbot.domain.proposals import (
    Decision,
    Objection,
    Participant,
    ProposalSnapshot,
    State,
    Verdict,
)
from mwgbot.slack import blocks, escalation_blocks, ids
from mwgbot.slack.renderer import BlockKitRenderer
from tests.block_kit_checks import assert_valid_message, assert_valid_view

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RENDERER = BlockKitRenderer()
HOSTILE = "<!channel> <@U0ADMIN> <https://evil.example|docs> &amp; <!here>"
DANA = Deciders(("UDANA",), DeciderRole.MODERATORS)
TWO = Deciders(("UDANA", "UERIN"), DeciderRole.MODERATORS)
EDEN = Deciders(("UEDEN",), DeciderRole.ORGANIZERS)
NO_ONE = Deciders()


def escalated(**overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {
        "number": 1,
        "title": "Escalate me",
        "proposer_id": "UALICE",
        "created_at": NOW - timedelta(days=16),
        "closes_at": NOW - timedelta(days=9),
        "closed_at": NOW - timedelta(days=9),
        "state": State.ESCALATED,
        "objections": (Objection("UCAROL", "no"),),
    }
    values.update(overrides)
    return ProposalSnapshot(**values)


def inert(payload: object) -> None:
    text = json.dumps(payload)
    for live in ("<!channel>", "<!here>", "<@U0ADMIN>", "<https://evil"):
        assert live not in text


@pytest.mark.parametrize(
    ("deciders", "words"),
    [
        (DANA, "<@UDANA>"),
        (TWO, "<@UDANA> or <@UERIN>"),
        (Deciders(("UAA", "UBB", "UCC"), DeciderRole.MODERATORS), "<@UAA>, <@UBB> or <@UCC>"),
        (EDEN, "the organizers (<@UEDEN>)"),
        (NO_ONE, "no one"),
    ],
)
def test_who_decides_in_words(deciders: Deciders, words: str) -> None:
    assert escalation_blocks.deciders_words(deciders) == words


def test_the_escalation_notice_names_the_moderator_who_decides() -> None:
    text = RENDERER.outcome(escalated(), DANA).text
    assert text.startswith(":warning: #1 *Escalate me* is *escalated* to <@UDANA>: objections")
    assert "• <@UCAROL>: “no”" in text
    assert "<@UDANA> decides with `/mwg resolve 1 adopt|decline &lt;note&gt;`" in text
    assert "Home tab" in text
    assert "If every objection is withdrawn first, it is adopted by consensus." in text


def test_with_several_moderators_one_of_them_decides() -> None:
    text = RENDERER.outcome(escalated(), TWO).text
    assert "is *escalated* to <@UDANA> or <@UERIN>:" in text
    assert "One of them decides with" in text


def test_the_organizers_decide_when_no_other_moderator_can() -> None:
    text = RENDERER.outcome(escalated(proposer_id="UDANA"), EDEN).text
    assert "is *escalated* to the organizers (<@UEDEN>): objections stood when its window " in text
    assert "and no moderator who neither proposed it nor objects to it can decide it." in text
    assert "<@UEDEN> decides with" in text


def test_with_no_one_to_decide_the_notice_says_so_and_what_to_do() -> None:
    text = RENDERER.outcome(escalated(), NO_ONE).text
    assert "is *escalated*: objections stood" in text
    assert (
        "No one can decide it: there is no moderator or organizer who neither proposed it nor "
        "objects to it." in text
    )
    assert "`MWG_MODERATORS`" in text
    assert "`/mwg unobject 1`" in text
    assert "`/mwg withdraw 1`" in text
    assert "decides with" not in text


@pytest.mark.parametrize(
    ("deciders", "words"),
    [(DANA, "by moderator <@UDANA>: ok"), (EDEN, "by organizer <@UDANA>: ok")],
)
def test_a_decision_says_in_which_role_it_was_made(deciders: Deciders, words: str) -> None:
    decided = escalated(state=State.ADOPTED, decision=Decision("UDANA", Verdict.ADOPT, "ok", NOW))
    assert f"#1 *Escalate me* is *adopted* {words}" in RENDERER.outcome(decided, deciders).text


def test_consensus_found_after_the_close_is_announced_as_an_adoption() -> None:
    adopted = escalated(state=State.ADOPTED, objections=(), consensus_found_at=NOW)
    notice = RENDERER.consensus_found(adopted, "UCAROL")
    assert notice.text.startswith(":white_check_mark: #1 *Escalate me* is *adopted* by consensus")
    assert "its last standing objection was withdrawn by <@UCAROL> after the window closed" in (
        notice.text
    )
    assert "seeking partners from another organization" in notice.text
    assert_valid_message(notice)
    # The outcome of such a proposal (read back later) says the same, without who.
    assert "is *adopted* by consensus" in RENDERER.outcome(adopted, NO_ONE).text
    partnered = replace(
        adopted, proposer_organization="Abstract", joiners=(Participant("UBOB", "OpenCraft"),)
    )
    assert "seeking partners" not in RENDERER.consensus_found(partnered, "UCAROL").text


@pytest.mark.parametrize(
    ("snapshot", "words"),
    [
        (
            escalated(),
            ":warning: *Escalated*: objections stood at close, so it waits for a decision · since",
        ),
        (
            escalated(state=State.ADOPTED, consensus_found_at=NOW),
            ":white_check_mark: *Adopted* by consensus after the close: the last objection was "
            "withdrawn · <!date^",
        ),
        (
            escalated(state=State.DECLINED, decision=Decision("UEDEN", Verdict.DECLINE, "No", NOW)),
            ":x: *Declined* after escalation, decided by <@UEDEN> · <!date^",
        ),
    ],
)
def test_the_card_says_where_an_escalation_stands(snapshot: ProposalSnapshot, words: str) -> None:
    card = RENDERER.card(snapshot, "raised_hand", "no_entry_sign")
    assert words in json.dumps(card.blocks, ensure_ascii=False)
    assert_valid_message(card)


def test_an_escalated_card_tells_objectors_how_consensus_is_found() -> None:
    card = RENDERER.card(escalated(), "raised_hand", "no_entry_sign")
    text = json.dumps(card.blocks)
    assert "remove their :no_entry_sign: (or `/mwg unobject 1`): once no objection stands" in text


def proposal_open(objections: int) -> ProposalSnapshot:
    return escalated(
        state=State.OPEN,
        closes_at=NOW + timedelta(hours=20),
        closed_at=None,
        objections=tuple(Objection(f"U{k}", "r") for k in range(objections)),
    )


def test_closing_soon_without_objections_it_will_be_adopted() -> None:
    text = RENDERER.closing_soon(proposal_open(0), "no_entry_sign", DANA).text
    assert "Object now (:no_entry_sign: or `/mwg object 1 &lt;reason&gt;`)" in text
    assert "or it will be adopted by lazy consensus." in text


@pytest.mark.parametrize(
    ("objections", "deciders", "words"),
    [
        (1, DANA, "1 objection stands, so at the close it goes to <@UDANA> to decide, unless it"),
        (2, TWO, "2 objections stand, so at the close it goes to <@UDANA> or <@UERIN> to decide"),
        (1, EDEN, "it goes to the organizers (<@UEDEN>) to decide"),
        (
            1,
            NO_ONE,
            "it is escalated, and no moderator or organizer who neither proposed it nor objects",
        ),
    ],
)
def test_closing_soon_with_objections_it_goes_to_the_deciders(
    objections: int, deciders: Deciders, words: str
) -> None:
    text = RENDERER.closing_soon(proposal_open(objections), "no_entry_sign", deciders).text
    assert words in text
    assert "`/mwg unobject 1`" in text
    assert "or it will be adopted by lazy consensus" not in text
    assert "Object now" not in text


def test_the_list_shows_how_long_each_escalation_waited() -> None:
    roles = Roles(frozenset({"UDANA"}), frozenset({"UEDEN"}))
    text = blocks.proposal_list(
        [escalated(), escalated(number=2, proposer_id="UDANA")], [], None, NOW, roles
    )
    assert "• #1 Escalate me · escalated 9 days ago, waiting for <@UDANA> · 0 joined" in text
    assert "• #2 Escalate me · escalated 9 days ago, waiting for the organizers (<@UEDEN>)" in text
    alone = blocks.proposal_list([escalated(proposer_id="UDANA")], [], None, NOW, Roles())
    assert "escalated 9 days ago, and no one can decide it (`/mwg show 1`)" in alone


@pytest.mark.parametrize(
    ("waited", "opening"),
    [
        (timedelta(0), ":warning: #1 *Escalate me* waits for your decision: objections stood"),
        (
            timedelta(days=7),
            ":alarm_clock: *Reminder:* #1 *Escalate me* has waited 1 week for your decision",
        ),
        (timedelta(days=14), "has waited 2 weeks for your decision, since it was escalated <!"),
    ],
)
def test_a_deciders_direct_message_says_what_waits_since_when_and_how(
    waited: timedelta, opening: str
) -> None:
    notice = RENDERER.escalation_notice(escalated(), DANA, waited)
    assert notice.text.startswith(opening[:40]) or opening in notice.text
    assert opening in notice.text
    assert "<!date^" in notice.text  # since when, in the reader's zone
    assert "• <@UCAROL>: “no”" in notice.text
    assert "`/mwg resolve 1 adopt|decline &lt;note&gt;`" in notice.text
    assert "Home tab" in notice.text
    assert "You are asked as a moderator who neither proposed it nor objects to it." in notice.text
    assert_valid_message(notice)


def test_an_organizer_is_told_why_they_are_asked() -> None:
    notice = RENDERER.escalation_notice(escalated(proposer_id="UDANA"), EDEN, timedelta(0))
    assert (
        "You are asked as an organizer: no moderator who neither proposed it nor objects to it"
        in notice.text
    )


def test_a_hostile_escalation_stays_inert_and_valid() -> None:
    hostile = escalated(
        title=HOSTILE * 3,
        objections=tuple(Objection(f"U{k:05d}", HOSTILE * 20, HOSTILE) for k in range(60)),
    )
    for message in (
        RENDERER.outcome(hostile, TWO),
        RENDERER.escalation_notice(hostile, TWO, timedelta(days=70)),
        RENDERER.closing_soon(hostile, "no_entry_sign", TWO),
    ):
        assert_valid_message(message)
        inert(message.blocks)
        inert(message.text)
    for verdict in Verdict:
        view = escalation_blocks.resolve_modal(hostile, verdict)
        assert_valid_view(view)
        inert(view)


@pytest.mark.parametrize(
    ("verdict", "label"), [(Verdict.ADOPT, "Adopt"), (Verdict.DECLINE, "Decline")]
)
def test_the_decision_form_asks_for_a_note(verdict: Verdict, label: str) -> None:
    view = escalation_blocks.resolve_modal(escalated(), verdict)
    assert view["callback_id"] == ids.VIEW_RESOLVE
    assert view["title"]["text"] == f"{label} #1"
    assert view["submit"]["text"] == label
    [note] = [b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_NOTE]
    assert note["type"] == "input"
    assert "optional" not in note  # required
    assert note["element"]["max_length"] == 1000
    assert "• <@UCAROL>: “no”" in json.dumps(view, ensure_ascii=False)
    assert escalation_blocks.read_resolve_metadata(view["private_metadata"]) == (1, verdict)


@pytest.mark.parametrize(
    "metadata", ["", "x:adopt", "1", "1:maybe", "0:adopt", "9" * 12 + ":adopt"]
)
def test_a_decision_form_of_someone_else_is_not_read(metadata: str) -> None:
    assert escalation_blocks.read_resolve_metadata(metadata) is None


def test_the_waiting_section_lists_and_counts() -> None:
    waiting = escalation_blocks.waiting_blocks([escalated(), escalated(number=2)], 7, NOW)
    text = json.dumps(waiting, ensure_ascii=False)
    assert "*Waiting for your decision* (7)" in text
    assert "#1 *Escalate me* · escalated 9 days ago (<!date^" in text
    assert "And 5 more" in text
    actions = [b for b in waiting if b["type"] == "actions"]
    assert [[e["action_id"] for e in a["elements"]] for a in actions] == [
        [ids.ACTION_HOME_ADOPT, ids.ACTION_HOME_DECLINE]
    ] * 2
    assert [a["elements"][0]["value"] for a in actions] == ["mwg#1", "mwg#2"]


def test_objecting_by_reaction_says_it_withdrew_the_join() -> None:
    assert "withdrew your join" in RENDERER.ask_reason(3, withdrew_join=True).text
    assert "withdrew your join" not in RENDERER.ask_reason(3).text
