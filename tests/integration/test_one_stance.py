"""One stance per member (issue 16): joining and objecting exclude each other, and the proposer,
who owns the proposal, does neither; by command, button, form, reaction and reconciliation."""

from __future__ import annotations

from sqlalchemy import select

from mwgbot.db.models import ObjectionRow, SignupRow
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.conftest import CHANNEL, RunningBot
from tests.integration.member_support import home_of, home_text, ledger_rows, open_home
from tests.integration.test_reconcile import fresh_reconciler

OWN = (
    "You proposed #1, so you do not {verb} it: it is yours. To change it, `/mwg edit 1`; to "
    "take it back, `/mwg withdraw 1`."
)
OBJECTING = (
    "You object to #1, so you cannot join it as well. Withdraw your objection first with "
    "`/mwg unobject 1` (or remove your objecting reaction), then join."
)


def propose(bot: RunningBot) -> None:
    assert "Proposed #1" in bot.answer("propose Booth --close 4d", user="UBOB")


def stance(bot: RunningBot, user: str) -> tuple[bool, bool]:
    """(joined, objecting) of a member on #1, as stored."""
    with bot.runtime.db.unit_of_work() as session:
        joined = session.scalar(
            select(SignupRow.id).where(SignupRow.proposal_number == 1, SignupRow.user_id == user)
        )
        objecting = session.scalar(
            select(ObjectionRow.id).where(
                ObjectionRow.proposal_number == 1, ObjectionRow.user_id == user
            )
        )
    return joined is not None, objecting is not None


def told(bot: RunningBot, user: str) -> list[str]:
    bot.settle()
    return [str(e["text"]) for e in bot.fake.ephemerals if e["user"] == user]


def card_press(bot: RunningBot, action: str, user: str) -> None:
    press = sr.block_action(
        action, "1", user_id=user, channel_id=CHANNEL, message_ts=bot.card_ts(1)
    )
    assert bot.send(press).status == 200


def test_by_command(bot: RunningBot) -> None:
    propose(bot)
    # The proposer owns it: neither joins nor objects, and is told what to do instead.
    assert bot.answer("join 1", user="UBOB") == OWN.format(verb="join")
    assert bot.answer("object 1 hmm", user="UBOB") == OWN.format(verb="object to")
    assert stance(bot, "UBOB") == (False, False)
    # Objecting withdraws a join, and the answer says so.
    assert bot.answer("join 1", user="UCAROL").startswith("You joined #1")
    answer = bot.answer("object 1 too costly", user="UCAROL")
    assert "It withdrew your join: a member either joins a proposal or objects to it." in answer
    assert stance(bot, "UCAROL") == (False, True)
    assert ledger_rows(bot)[-1][:3] == ("objected", "command", "UCAROL")
    assert ledger_rows(bot)[-1][4] == {"reason": "too costly", "left": True}
    # Joining while objecting is refused, until the objection is withdrawn.
    assert bot.answer("join 1", user="UCAROL") == OBJECTING
    assert stance(bot, "UCAROL") == (False, True)
    bot.answer("unobject 1", user="UCAROL")
    assert bot.answer("join 1", user="UCAROL").startswith("You joined #1")
    assert stance(bot, "UCAROL") == (True, False)
    bot.settle()
    card = bot.card_text(1)
    assert "*Joined (1):* <@UCAROL>" in card
    assert "Standing objections" not in card


def test_by_the_cards_buttons_and_the_objection_form(bot: RunningBot) -> None:
    propose(bot)
    card_press(bot, ids.ACTION_JOIN, "UBOB")
    card_press(bot, ids.ACTION_OBJECT, "UBOB")  # no form opens for the proposer
    assert bot.fake.calls_to("views.open") == []
    assert told(bot, "UBOB") == [OWN.format(verb="join"), OWN.format(verb="object to")]
    # A member who joined objects with the form: the join goes, and she is told.
    card_press(bot, ids.ACTION_JOIN, "UCAROL")
    card_press(bot, ids.ACTION_OBJECT, "UCAROL")
    reason = {ids.BLOCK_REASON: {ids.INPUT: {"type": "plain_text_input", "value": "Budget"}}}
    submitted = bot.send(
        sr.view_submission(ids.VIEW_OBJECT, reason, user_id="UCAROL", private_metadata="1")
    )
    assert submitted.status == 200
    assert submitted.body == ""
    assert stance(bot, "UCAROL") == (False, True)
    assert told(bot, "UCAROL")[-1] == (
        "Your objection to #1 is recorded. It withdrew your join: a member either joins a "
        "proposal or objects to it."
    )
    # Join while objecting: refused, told.
    card_press(bot, ids.ACTION_JOIN, "UCAROL")
    assert told(bot, "UCAROL")[-1] == OBJECTING
    assert stance(bot, "UCAROL") == (False, True)
    # The proposer's objection form, forged, is refused on its field.
    refused = bot.send(
        sr.view_submission(ids.VIEW_OBJECT, reason, user_id="UBOB", private_metadata="1")
    ).json()
    assert refused["response_action"] == "errors"
    assert refused["errors"][ids.BLOCK_REASON].startswith("You proposed #1, so you do not object")


def test_by_the_home_tab(bot: RunningBot) -> None:
    propose(bot)
    bot.answer("object 1 too costly", user="UCAROL")
    for user in ("UBOB", "UCAROL"):
        open_home(bot, user)
    # No Join beside one's own proposal, nor beside one's objection.
    assert "#1 *Booth*" in home_text(bot, "UBOB")
    assert "*you proposed it*" in home_text(bot, "UBOB")
    assert "*you object*" in home_text(bot, "UCAROL")
    for user in ("UBOB", "UCAROL"):
        view = home_of(bot, user)
        assert view is not None
        assert not any(
            b.get("accessory", {}).get("action_id") == ids.ACTION_HOME_JOIN for b in view["blocks"]
        )
    # A stale or forged press is answered in the Home tab.
    view = home_of(bot, "UCAROL")
    assert view is not None
    view["blocks"].append(
        {
            "type": "section",
            "block_id": "stale",
            "text": {"type": "mrkdwn", "text": "x"},
            "accessory": {
                "type": "button",
                "action_id": ids.ACTION_HOME_JOIN,
                "text": {"type": "plain_text", "text": "Join"},
                "value": "1",
            },
        }
    )
    for user in ("UCAROL", "UBOB"):
        press = sr.home_action(ids.ACTION_HOME_JOIN, user_id=user, view=view, value="1")
        assert bot.send(press).status == 200
    assert OBJECTING in home_text(bot, "UCAROL")
    assert OWN.format(verb="join") in home_text(bot, "UBOB")
    assert stance(bot, "UCAROL") == (False, True)
    assert stance(bot, "UBOB") == (False, False)


def test_by_reaction(bot: RunningBot) -> None:
    propose(bot)
    # carol has :raised_hand: on the card, then reacts :no_entry_sign:.
    bot.react(1, "UCAROL")
    bot.react(1, "UCAROL", emoji="no_entry_sign")
    assert stance(bot, "UCAROL") == (False, True)
    [asked] = told(bot, "UCAROL")
    assert asked.startswith("You object to #1. Objecting withdrew your join")
    assert "Please say why" in asked
    # Her :raised_hand: is still on the card; another one while she objects is refused.
    bot.react(1, "UCAROL", added=False)
    bot.react(1, "UCAROL")
    assert told(bot, "UCAROL")[-1] == OBJECTING
    assert stance(bot, "UCAROL") == (False, True)
    # The proposer reacting on their own card is told, only them.
    bot.react(1, "UBOB")
    bot.react(1, "UBOB", emoji="no_entry_sign")
    assert told(bot, "UBOB") == [OWN.format(verb="join"), OWN.format(verb="object to")]
    assert stance(bot, "UBOB") == (False, False)
    bot.settle()
    card = bot.card_text(1)
    assert "*Joined (0):*" in card
    assert "*Standing objections (1):*\n• <@UCAROL>: _no reason given yet_" in card


def test_by_reading_the_card_back(bot: RunningBot) -> None:
    propose(bot)
    ts = bot.card_ts(1)
    bot.settle()
    # While the bot is down: the proposer reacts on their card; dave both joins and objects.
    for user, emoji in (
        ("UBOB", "raised_hand"),
        ("UDAVE", "raised_hand"),
        ("UDAVE", "no_entry_sign"),
    ):
        bot.fake.add_reaction(CHANNEL, ts, emoji, user)
    fresh_reconciler(bot).run_once()
    assert stance(bot, "UBOB") == (False, False)
    assert stance(bot, "UDAVE") == (False, True)  # his objection stands, not both
    assert told(bot, "UBOB") == [OWN.format(verb="join")]
    # A second reading changes nothing and says nothing again.
    fresh_reconciler(bot).run_once()
    assert told(bot, "UBOB") == [OWN.format(verb="join")]
    assert stance(bot, "UDAVE") == (False, True)
