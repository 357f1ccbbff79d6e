"""A decider's Home tab (issue 16): "Waiting for your decision" with Adopt and Decline, the form
that asks for a note, a decision settled as `/mwg resolve` settles it (the ledger says `modal`),
and clear answers to someone no longer eligible or a proposal settled meanwhile."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.block_kit_checks import assert_valid_view
from tests.conftest import RunningBot, card_as_text
from tests.integration.meeting_support import (
    Launcher,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
)
from tests.integration.member_support import all_valid, home_of, home_text, ledger_rows, open_home

PAST_CLOSE = timedelta(days=4, minutes=1)


def escalate(bot: RunningBot, title: str, proposer: str = "UALICE", close: str = "4d") -> int:
    reply = bot.answer(f"propose {title} --close {close}", user=proposer)
    number = int(reply.split("#", 1)[1].split(" ", 1)[0])
    assert "is recorded" in bot.answer(f"object {number} not now", user="UCAROL")
    return number


def home_view(bot: RunningBot, user: str) -> dict[str, Any]:
    open_home(bot, user)
    view = home_of(bot, user)
    assert view is not None
    return view


def press(bot: RunningBot, user: str, action: str, number: int) -> sr.HttpAnswer:
    view = home_view(bot, user)
    answer = bot.send(sr.home_action(action, user_id=user, view=view, value=str(number)))
    assert answer.status == 200
    return answer


def opened_form(bot: RunningBot) -> dict[str, Any]:
    forms = [v for v in bot.fake.views if v.get("callback_id") == ids.VIEW_RESOLVE]
    assert forms, "no decision form opened"
    return forms[-1]


def submit(bot: RunningBot, user: str, form: dict[str, Any], note: str | None) -> sr.HttpAnswer:
    values = {ids.BLOCK_NOTE: {ids.INPUT: {"type": "plain_text_input", "value": note}}}
    return bot.send(
        sr.view_submission(
            ids.VIEW_RESOLVE, values, user_id=user, private_metadata=form["private_metadata"]
        )
    )


def test_a_decider_sees_what_waits_longest_first_and_others_do_not(bot: RunningBot) -> None:
    escalate(bot, "Later", close="7d")  # #1, escalated last
    escalate(bot, "First")  # #2, escalated first
    escalate(bot, "Mine", proposer="UMODERATOR")
    bot.advance(PAST_CLOSE)
    bot.advance(timedelta(days=3))
    open_home(bot, "UMODTWO")
    text = home_text(bot, "UMODTWO")
    assert "*Waiting for your decision* (3)" in text
    first, mine, later = (text.index(f"*{t}* · escalated") for t in ("First", "Mine", "Later"))
    assert first < mine < later  # the longest waiting first
    assert "#2 *First* · escalated 3 days ago (<!date^" in text
    assert "#1 *Later* · escalated just now (<!date^" in text
    assert "• <@UCAROL>: “not now”" in text
    # A moderator does not see their own proposal among their decisions.
    open_home(bot, "UMODERATOR")
    assert "*Waiting for your decision* (2)" in home_text(bot, "UMODERATOR")
    assert "*Mine* · escalated" not in home_text(bot, "UMODERATOR")
    # A member (and an organizer, while moderators can decide) has no such section.
    for member in ("UBOB", "UORGANIZER"):
        open_home(bot, member)
        assert "Waiting for your decision" not in home_text(bot, member)
    view = home_of(bot, "UMODTWO")
    assert view is not None
    assert_valid_view(view)
    all_valid(bot)


def test_adopt_opens_a_form_a_note_is_required_and_it_is_settled(bot: RunningBot) -> None:
    number = escalate(bot, "Case-study series")
    bot.advance(PAST_CLOSE)
    press(bot, "UMODERATOR", ids.ACTION_HOME_ADOPT, number)
    form = opened_form(bot)
    assert form["title"]["text"] == "Adopt #1"
    assert_valid_view({k: v for k, v in form.items() if k not in ("opened_by", "user_id")})
    rows = len(ledger_rows(bot))
    for empty in (None, "   ", "\n\n"):
        refused = submit(bot, "UMODERATOR", form, empty).json()
        assert refused == {
            "response_action": "errors",
            "errors": {
                ids.BLOCK_NOTE: "Please write a note for the group: it is posted with the decision."
            },
        }
    too_long = submit(bot, "UMODERATOR", form, "x" * 1001).json()
    assert too_long["errors"] == {ids.BLOCK_NOTE: "At most 1000 characters."}
    assert len(ledger_rows(bot)) == rows
    answer = submit(bot, "UMODERATOR", form, "Budget <found> & agreed")
    assert answer.status == 200
    assert answer.body == ""  # the form closes
    assert ledger_rows(bot)[-1][:4] == ("decided", "modal", "UMODERATOR", 1)
    assert ledger_rows(bot)[-1][4]["note"] == "Budget <found> & agreed"
    text = home_text(bot, "UMODERATOR")
    assert "#1 *Case-study series* is adopted; the decision is posted in the channel." in text
    assert "Waiting for your decision" not in text
    bot.settle()
    [decided] = [
        card_as_text(m)
        for m in bot.thread_replies(1)
        if m.get("reply_broadcast") and "moderator" in str(m.get("text"))
    ]
    assert "is *adopted* by moderator <@UMODERATOR>: Budget &lt;found&gt; &amp; agreed" in decided
    all_valid(bot)


def test_decline_from_the_home_tab(bot: RunningBot) -> None:
    number = escalate(bot, "Booth")
    bot.advance(PAST_CLOSE)
    press(bot, "UMODTWO", ids.ACTION_HOME_DECLINE, number)
    form = opened_form(bot)
    assert form["submit"]["text"] == "Decline"
    assert submit(bot, "UMODTWO", form, "Not this year").body == ""
    assert "is declined" in bot.answer("show 1") or "*Declined*" in bot.answer("show 1")
    assert ledger_rows(bot)[-1][4]["verdict"] == "decline"


def test_settled_meanwhile_is_a_notice_on_press_and_a_field_error_on_submit(
    bot: RunningBot,
) -> None:
    number = escalate(bot, "Case-study series")
    bot.advance(PAST_CLOSE)
    view = home_view(bot, "UMODERATOR")
    press(bot, "UMODTWO", ids.ACTION_HOME_ADOPT, number)
    form = opened_form(bot)
    bot.answer("resolve 1 decline Not this year", user="UMODERATOR")
    # The stale form: a clear error on its field, never a crash.
    refused = submit(bot, "UMODTWO", form, "ok").json()
    assert refused["response_action"] == "errors"
    assert refused["errors"][ids.BLOCK_NOTE] == (
        "#1 is declined; only an escalated proposal is resolved."
    )
    # The stale Home: the press is answered in the Home tab.
    stale = sr.home_action(ids.ACTION_HOME_ADOPT, user_id="UMODERATOR", view=view, value="1")
    assert bot.send(stale).status == 200
    assert "#1 is declined; only an escalated proposal is resolved." in home_text(bot, "UMODERATOR")


def test_someone_no_longer_eligible_is_told_so(launcher: Launcher) -> None:
    bot = launcher.start(mwg_moderators="UDANA", mwg_organizers="UEDEN")
    number = escalate(bot, "Case-study series", proposer="UDANA")
    bot.advance(PAST_CLOSE)
    view = home_view(bot, "UEDEN")
    assert "*Waiting for your decision* (1)" in home_text(bot, "UEDEN")
    bot.send(sr.home_action(ids.ACTION_HOME_ADOPT, user_id="UEDEN", view=view, value="1"))
    form = opened_form(bot)
    # A moderator is named: eden no longer decides it.
    launcher.stop(bot)
    again = launcher.start(bot.clock, mwg_moderators="UDANA,UERIN", mwg_organizers="UEDEN")
    refused = submit(again, "UEDEN", form, "ok").json()
    assert refused["errors"][ids.BLOCK_NOTE] == (
        "Only a moderator (an AXIM representative) can resolve #1; nothing changed."
    )
    stale = sr.home_action(ids.ACTION_HOME_ADOPT, user_id="UEDEN", view=view, value=str(number))
    assert again.send(stale).status == 200
    assert "Only a moderator (an AXIM representative) can resolve #1" in home_text(again, "UEDEN")
    # A forged press by someone who decides nothing, and a forged form, are answered too.
    forged = sr.home_action(ids.ACTION_HOME_DECLINE, user_id="UBOB", view=view, value="1")
    assert again.send(forged).status == 200
    assert "Only a moderator" in home_text(again, "UBOB")
    odd = submit(again, "UERIN", {"private_metadata": "not ours"}, "ok").json()
    assert odd["errors"][ids.BLOCK_NOTE] == "This form is out of date; open your Home tab again."
    assert again.answer("show 1").count("*Escalated*") == 1
