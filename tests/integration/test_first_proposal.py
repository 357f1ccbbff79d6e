"""New members are seen: the card of a member's first proposal says it is their first, while it
is open; once decided, the card tells the outcome alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mwgbot.db.models import ProposalRow
from mwgbot.slack.blocks import FIRST_PROPOSAL
from mwgbot.slack.ids import VIEW_PROPOSE
from tests import slack_requests as sr
from tests.block_kit_checks import assert_every_payload_valid
from tests.conftest import RunningBot


def first_flags(bot: RunningBot) -> dict[int, bool]:
    with bot.runtime.db.unit_of_work() as session:
        rows = session.query(ProposalRow.number, ProposalRow.first_proposal).all()
    return {number: first for number, first in rows}


def test_only_each_members_first_proposal_is_marked(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    bot.answer("propose Webinar series --close 4d")
    bot.answer("propose Conference booth --close 4d", user="UBOB")
    bot.settle()
    assert first_flags(bot) == {1: True, 2: False, 3: True}
    assert FIRST_PROPOSAL in bot.card_text(1)
    assert FIRST_PROPOSAL not in bot.card_text(2)
    assert FIRST_PROPOSAL in bot.card_text(3)
    # The mark stays on the card when it is updated (someone joins).
    bot.answer("join 1", user="UCAROL")
    bot.settle()
    assert "<@UCAROL>" in bot.card_text(1)
    assert FIRST_PROPOSAL in bot.card_text(1)
    assert_every_payload_valid(bot.fake)


def test_a_first_proposal_made_in_the_form_is_marked_too(bot: RunningBot) -> None:
    bot.answer("propose Earlier one --close 4d", user="UBOB")
    values = {"title": {"value": {"type": "plain_text_input", "value": "Video series"}}}
    answer = bot.send(sr.view_submission(VIEW_PROPOSE, values, user_id="UCAROL"))
    assert answer.status == 200
    bot.settle()
    assert first_flags(bot) == {1: True, 2: True}
    assert FIRST_PROPOSAL in bot.card_text(2)


def first_proposal_line_after(bot: RunningBot, *lines: tuple[str, str]) -> bool:
    """Whether #1's card shows the first-proposal line after each (command, user) is run."""
    for command, user in lines:
        answer = bot.answer(command, user=user)
        assert "#1" in answer, answer
    bot.settle()
    return FIRST_PROPOSAL in bot.card_text(1)


def test_the_first_proposal_line_leaves_the_card_once_it_is_withdrawn(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d", user="UBOB")
    bot.settle()
    assert FIRST_PROPOSAL in bot.card_text(1)
    assert not first_proposal_line_after(bot, ("withdraw 1", "UBOB"))
    assert_every_payload_valid(bot.fake)


def test_the_first_proposal_line_leaves_the_card_once_it_is_declined(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d", user="UBOB")
    bot.answer("object 1 not this quarter", user="UCAROL")
    bot.advance(timedelta(days=4, minutes=1))
    assert "escalated" in bot.card_text(1).lower()
    assert FIRST_PROPOSAL not in bot.card_text(1)  # escalated: decided, not open any more
    assert not first_proposal_line_after(
        bot, ("resolve 1 decline Bring it back next quarter", "UMODERATOR")
    )


@pytest.mark.parametrize(
    "ending",
    ["done 1 https://openedx.org/blog/case-studies", "drop 1 no speakers this year"],
    ids=["delivered", "dropped"],
)
def test_the_first_proposal_line_leaves_the_card_once_adopted_and_after(
    bot: RunningBot, ending: str
) -> None:
    bot.answer("propose Case-study series --close 4d", user="UBOB")
    bot.advance(timedelta(days=4, minutes=1))
    assert "Adopted" in bot.card_text(1)
    assert FIRST_PROPOSAL not in bot.card_text(1)
    assert not first_proposal_line_after(bot, (ending, "UBOB"))
    assert_every_payload_valid(bot.fake)
