"""Answers that only suggest what will work (a new member's findings, issue 16): the state is
told before the role, a proposer leaving their own proposal is told what they can do, an
objector is never sent to a `join` that would be refused, and a moderator's withdrawal of a
member's proposal is said in the channel. Signed requests in, fake Slack calls out."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import RunningBot, card_as_text

PAST_CLOSE = timedelta(days=4, minutes=1)


def test_a_proposer_who_leaves_is_told_what_they_can_do(bot: RunningBot) -> None:
    bot.answer("propose Webinars --close 4d")
    assert bot.answer("leave 1") == (
        "You proposed #1, so you own it rather than joined it: to take it back, `/mwg withdraw 1`."
    )
    bot.advance(PAST_CLOSE)
    assert bot.answer("leave 1") == (
        "You proposed #1, so you own it rather than joined it: to end it, "
        "`/mwg done 1 [&lt;link&gt;]` or `/mwg drop 1 &lt;reason&gt;`."
    )


def test_an_objector_is_sent_only_to_steps_that_work(bot: RunningBot) -> None:
    bot.answer("propose Webinars --close 4d")
    assert "is recorded" in bot.answer("object 1 not yet", user="UBOB")
    assert bot.answer("leave 1", user="UBOB") == (
        "You had not joined #1: you object to it (`/mwg unobject 1` withdraws that)."
    )
    refused = bot.answer("update 1 some progress", user="UBOB")
    assert "You object to it: `/mwg unobject 1`, then `/mwg join 1`, to take part." in refused
    # The steps it names work, in that order.
    assert "withdrew your objection" in bot.answer("unobject 1", user="UBOB")
    assert "You joined #1" in bot.answer("join 1", user="UBOB")
    assert "is posted in its thread" in bot.answer("update 1 some progress", user="UBOB")


def test_on_an_escalated_proposal_no_one_is_told_to_ask_someone_who_cannot(
    bot: RunningBot,
) -> None:
    bot.answer("propose Webinars --close 4d")
    bot.answer("object 1 not yet", user="UBOB")
    bot.advance(PAST_CLOSE)
    for user in ("UMODERATOR", "UORGANIZER", "UCAROL"):
        assert bot.answer("withdraw 1", user=user).startswith(
            "#1 is escalated: only its proposer may withdraw it now."
        )
        edit = bot.answer("edit 1", user=user)
        assert edit.startswith("#1 is escalated; only an open proposal can be edited.")
        assert "moderator can" not in edit


def test_a_moderator_withdrawing_a_members_proposal_is_said_in_the_channel(
    bot: RunningBot,
) -> None:
    bot.answer("propose Webinars --close 4d")
    bot.answer("propose Booth --close 4d")
    assert bot.answer("withdraw 1", user="UMODERATOR") == "#1 is withdrawn."
    assert bot.answer("withdraw 2") == "#2 is withdrawn."
    bot.settle()
    by_moderator = [card_as_text(m) for m in bot.thread_replies(1) if m.get("reply_broadcast")]
    by_proposer = [card_as_text(m) for m in bot.thread_replies(2) if m.get("reply_broadcast")]
    assert "#1 *Webinars* is *withdrawn* by moderator <@UMODERATOR>." in by_moderator[-1]
    assert by_proposer[-1].endswith("#2 *Booth* is *withdrawn*.")


def test_a_reaction_left_behind_is_named_so_card_and_reactions_agree(bot: RunningBot) -> None:
    """Slack keeps a member's reactions and only they can remove them: after a command gives
    up the stance a reaction gave, the answer says to remove it too."""
    bot.answer("propose Webinars --close 4d")
    bot.react(1, "UBOB")
    bot.settle()
    assert "Joined (1)" in bot.card_text(1)
    answer = bot.answer("object 1 budget", user="UBOB")
    assert "It withdrew your join" in answer
    assert answer.endswith(
        "Your :raised_hand: reaction on the card still reads as before: remove it too."
    )
    bot.react(1, "UCAROL")
    assert bot.answer("leave 1", user="UCAROL") == (
        "You left #1. Your :raised_hand: reaction on the card still reads as before: remove it too."
    )
    bot.react(1, "UDAVE", emoji="no_entry_sign")
    bot.answer("object 1 not yet", user="UDAVE")
    assert "remove it too" in bot.answer("unobject 1", user="UDAVE")
    # Once the reaction is gone, nothing is said; a member who never reacted is told nothing.
    bot.react(1, "UCAROL", added=False)
    bot.answer("join 1", user="UCAROL")
    assert bot.answer("leave 1", user="UCAROL") == "You left #1."
