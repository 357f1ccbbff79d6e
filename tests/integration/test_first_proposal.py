"""New members are seen: the card of a member's first proposal says it is their first."""

from __future__ import annotations

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
