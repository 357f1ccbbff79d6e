"""Editing a proposal through its form, end to end: signed requests in, fake Slack calls out.

Who may edit and when, the card updated in place, the thread note (old → new, escaped and cut),
the one ledger row, the fair day to react to late changes of the words, and the form's errors.
"""

from __future__ import annotations

from datetime import timedelta

from mwgbot.slack import ids
from tests.block_kit_checks import assert_every_payload_valid
from tests.conftest import CHANNEL, RunningBot
from tests.integration.refine_support import (
    closing_soon,
    open_edit_form,
    submit_edit,
)
from tests.ledger_support import Ledger


def propose(
    bot: RunningBot, text: str = "Case-study seriez --close 4d", user: str = "UALICE"
) -> int:
    reply = bot.answer(f"propose {text}", user=user)
    assert reply.startswith("Proposed #"), reply
    number = int(reply.split("#", 1)[1].split(" ", 1)[0])
    bot.card_ts(number)
    return number


def notes(bot: RunningBot, number: int, mark: str = ":pencil2:") -> list[dict[str, object]]:
    return [m for m in bot.thread_replies(number) if mark in str(m.get("text"))]


def ephemerals_to(bot: RunningBot, user: str) -> list[str]:
    return [str(e.get("text")) for e in bot.fake.ephemerals if e.get("user") == user]


def block(view: dict[str, object], block_id: str) -> dict[str, object]:
    blocks = view["blocks"]
    assert isinstance(blocks, list)
    return next(b for b in blocks if b.get("block_id") == block_id)


def test_the_proposer_edits_through_a_prefilled_form(bot: RunningBot) -> None:
    propose(bot, "Case-study seriez --close 4d --stage awareness")
    ledger = Ledger(bot)
    view = open_edit_form(bot, 1)
    assert block(view, ids.BLOCK_TITLE)["element"]["initial_value"] == "Case-study seriez"  # type: ignore[index]
    stages = block(view, ids.BLOCK_STAGES)["element"]
    assert [o["value"] for o in stages["initial_options"]] == ["awareness"]  # type: ignore[index]
    assert "initial_value" not in block(view, ids.BLOCK_DESCRIPTION)["element"]  # type: ignore[operator]
    assert "initial_options" not in block(view, ids.BLOCK_FLAGS)["element"]  # type: ignore[operator]

    saved = submit_edit(
        bot,
        view,
        title="Case-study series",
        description="Three stories from\nthree adopters",
        stages=["interest", "awareness"],
        flags=[ids.FLAG_LEADS],
    )
    assert saved.status == 200
    assert saved.body == ""  # the form closes
    bot.settle()

    card = bot.card_text(1)
    assert "#1 Case-study series" in card
    assert "seriez" not in card
    assert "Three stories from\nthree adopters" in card
    assert "Awareness, Interest" in card
    assert "AXIM's property" in card
    assert [c.args["ts"] for c in bot.fake.calls_to("chat.update")] == [bot.card_ts(1)]

    [note] = notes(bot, 1)
    text = str(note["text"])
    assert text.startswith(":pencil2: <@UALICE> edited #1:")
    assert "• *Title*: “Case-study seriez” → “Case-study series”" in text
    assert "• *Description*: _none_ → “Three stories from three adopters”" in text
    assert "• *Adopter-journey stages*: Awareness → Awareness, Interest" in text
    assert "• *Collects marketing leads*: no → yes" in text
    assert "Co-branded" not in text  # unchanged fields are not listed
    assert not note.get("reply_broadcast")
    assert any(t.startswith("Saved #1 *Case-study series*") for t in ephemerals_to(bot, "UALICE"))

    [row] = ledger.new()
    assert (row.kind, row.via, row.actor, row.proposal) == ("edited", "modal", "UALICE", 1)
    assert row.details["changes"] == {
        "title": {"old": "Case-study seriez", "new": "Case-study series"},
        "description": {"old": "", "new": "Three stories from\nthree adopters"},
        "stages": {"old": ["awareness"], "new": ["awareness", "interest"]},
        "collects_leads": {"old": False, "new": True},
    }
    assert "closes_at" not in row.details  # four days left: the window stays
    assert assert_every_payload_valid(bot.fake) > 0


def test_a_moderator_may_edit_anyones_open_proposal(bot: RunningBot) -> None:
    propose(bot)
    ledger = Ledger(bot)
    view = open_edit_form(bot, 1, user="UMODERATOR")
    assert submit_edit(bot, view, "UMODERATOR", title="Case-study series").body == ""
    bot.settle()
    [note] = notes(bot, 1)
    assert str(note["text"]).startswith(":pencil2: <@UMODERATOR> edited #1:")
    [row] = ledger.new()
    assert (row.kind, row.actor) == ("edited", "UMODERATOR")
    assert "#1 Case-study series" in bot.card_text(1)


def test_others_may_not_edit_and_nothing_changes(bot: RunningBot) -> None:
    propose(bot)
    ledger = Ledger(bot)
    reply = bot.answer("edit 1", user="UBOB")
    assert reply == "Only the proposer of #1 or a moderator can edit it; nothing changed."
    assert bot.fake.calls_to("views.open") == []
    # A form opened by the proposer, sent back by someone else, is refused on its field.
    view = open_edit_form(bot, 1)
    refused = submit_edit(bot, view, "UBOB", title="Hijacked")
    assert refused.json()["response_action"] == "errors"
    assert "Only the proposer of #1" in refused.json()["errors"][ids.BLOCK_TITLE]
    bot.settle()
    assert "Hijacked" not in bot.card_text(1)
    assert notes(bot, 1) == []
    assert ledger.new() == []
    assert "no proposal #9" in bot.answer("edit 9")


def test_no_edit_after_the_window_closes(bot: RunningBot) -> None:
    propose(bot)
    view = open_edit_form(bot, 1)  # opened while open, saved after the close
    bot.advance(timedelta(days=4))
    ledger = Ledger(bot)
    assert bot.answer("edit 1") == "#1 is adopted; only an open proposal can be edited."
    refused = submit_edit(bot, view, title="Too late")
    assert refused.json()["errors"][ids.BLOCK_TITLE].startswith("#1 is adopted")
    bot.settle()
    assert "Too late" not in bot.card_text(1)
    assert ledger.new() == []

    propose(bot, "Second idea --close 4d")
    bot.answer("withdraw 2")
    assert bot.answer("edit 2", user="UMODERATOR").startswith("#2 is withdrawn")


def test_saving_without_a_change_says_so_and_posts_nothing(bot: RunningBot) -> None:
    propose(bot, "Case-study series --close 4d --stage awareness")
    bot.settle()
    ledger = Ledger(bot)
    posts_before = len(bot.fake.calls_to("chat.postMessage"))
    view = open_edit_form(bot, 1)
    # Slack sends back what the form showed; stages in another order are the same stages.
    assert submit_edit(bot, view).body == ""
    assert submit_edit(bot, view, stages=["awareness"]).body == ""
    bot.settle()
    assert ephemerals_to(bot, "UALICE")[-2:] == ["Nothing changed in #1."] * 2
    assert len(bot.fake.calls_to("chat.postMessage")) == posts_before
    assert bot.fake.calls_to("chat.update") == []
    assert ledger.new() == []


def test_form_errors_show_on_their_fields(bot: RunningBot) -> None:
    propose(bot)
    view = open_edit_form(bot, 1)
    empty = submit_edit(bot, view, title="   ", description="x" * 2501)
    assert empty.json() == {
        "response_action": "errors",
        "errors": {
            ids.BLOCK_TITLE: "A proposal needs a title.",
            ids.BLOCK_DESCRIPTION: "At most 2500 characters.",
        },
    }
    long_title = submit_edit(bot, view, title="t" * 151)
    assert long_title.json()["errors"] == {ids.BLOCK_TITLE: "At most 150 characters."}
    bot.settle()
    assert "#1 Case-study seriez" in bot.card_text(1)


def test_an_edit_saved_meanwhile_is_not_overwritten(bot: RunningBot) -> None:
    propose(bot)
    mine = open_edit_form(bot, 1)
    theirs = open_edit_form(bot, 1, user="UMODERATOR")
    assert submit_edit(bot, theirs, "UMODERATOR", title="Case-study series").body == ""
    stale = submit_edit(bot, mine, description="My description")
    assert "edited by someone else" in stale.json()["errors"][ids.BLOCK_TITLE]
    bot.settle()
    card = bot.card_text(1)
    assert "#1 Case-study series" in card
    assert "My description" not in card
    # A fresh form shows their change, and saves.
    fresh = open_edit_form(bot, 1)
    assert submit_edit(bot, fresh, description="My description").body == ""
    bot.settle()
    assert "My description" in bot.card_text(1)


def test_new_words_late_in_the_window_give_everyone_a_day(bot: RunningBot) -> None:
    propose(bot)  # closes in 4 days
    old_close = bot.clock.now() + timedelta(days=4)
    bot.advance(timedelta(days=3, hours=14))  # 10 hours left; the closing-soon notice went out
    [first_notice] = closing_soon(bot, 1)
    assert f"<!date^{int(old_close.timestamp())}^" in first_notice
    ledger = Ledger(bot)

    # Stages are not the words: the close stays.
    view = open_edit_form(bot, 1)
    assert submit_edit(bot, view, stages=["intent"]).body == ""
    assert "closes_at" not in ledger.new()[0].details

    view = open_edit_form(bot, 1)
    assert submit_edit(bot, view, description="Now with numbers").body == ""
    bot.settle()
    new_close = bot.clock.now() + timedelta(hours=24)
    stamp = str(int(new_close.timestamp()))
    [row] = ledger.new()
    assert row.details["closes_at"] == {"from": old_close.isoformat(), "to": new_close.isoformat()}
    late = notes(bot, 1)[-1]
    text = str(late["text"])
    assert "less than a day left" in text
    assert f"now closes <!date^{stamp}^" in text
    assert late.get("reply_broadcast") is True  # the channel hears of it too
    assert f"<!date^{stamp}^" in bot.card_text(1)
    assert any("a day to react" in t for t in ephemerals_to(bot, "UALICE"))

    # The closing-soon notice is sent again, for the new time.
    bot.sweep()
    bot.settle()
    notices = closing_soon(bot, 1)
    assert len(notices) == 2
    assert stamp in notices[1]

    # The old close passes: still open. A day after the edit: adopted.
    bot.advance(timedelta(hours=12))
    assert "*Open*" in bot.answer("show 1")
    bot.advance(timedelta(hours=12))
    assert "*Adopted*" in bot.answer("show 1")
    assert len(closing_soon(bot, 1)) == 2
    assert assert_every_payload_valid(bot.fake) > 0


def test_a_title_change_with_a_day_or_more_left_keeps_the_close(bot: RunningBot) -> None:
    propose(bot)
    bot.advance(timedelta(days=3))  # exactly 24 hours left
    ledger = Ledger(bot)
    view = open_edit_form(bot, 1)
    assert submit_edit(bot, view, title="Case-study series").body == ""
    bot.settle()
    [row] = ledger.new()
    assert "closes_at" not in row.details
    assert "less than a day" not in str(notes(bot, 1)[-1]["text"])


def test_the_note_escapes_and_cuts_what_members_wrote(bot: RunningBot) -> None:
    propose(bot)
    view = open_edit_form(bot, 1)
    hostile = "<!channel> <@U0ADMIN> & <https://evil.example|docs>"
    long_text = "word " * 500  # 2,500 characters, the most a description may have
    assert submit_edit(bot, view, title=hostile, description=long_text).body == ""
    bot.settle()
    [note] = notes(bot, 1)
    text = str(note["text"])
    assert "<!channel>" not in text
    assert "<@U0ADMIN>" not in text
    assert "&lt;!channel&gt; &lt;@U0ADMIN&gt; &amp; &lt;https://evil.example|docs&gt;" in text
    description_line = next(line for line in text.splitlines() if "*Description*" in line)
    assert description_line.endswith("…”")
    assert len(description_line) < 400
    assert "<!channel>" not in bot.card_text(1)
    assert assert_every_payload_valid(bot.fake) > 0


def test_forms_and_cards_stay_valid_at_realistic_sizes(bot: RunningBot) -> None:
    propose(
        bot,
        "t" * 150
        + " --close 4d --stage "
        + ",".join(["awareness", "interest", "consideration", "intent", "evaluation", "action"]),
    )
    for i in range(120):
        bot.answer("join 1", user=f"UMEMBER{i:03d}")
    view = open_edit_form(bot, 1)
    saved = submit_edit(
        bot,
        view,
        title="T" * 150,
        description="d" * 2500,
        flags=[ids.FLAG_LEADS, ids.FLAG_COBRANDED],
    )
    assert saved.body == ""
    bot.settle()
    view = open_edit_form(bot, 1)
    assert block(view, ids.BLOCK_DESCRIPTION)["element"]["initial_value"] == "d" * 2500  # type: ignore[index]
    assert len(block(view, ids.BLOCK_FLAGS)["element"]["initial_options"]) == 2  # type: ignore[index]
    assert assert_every_payload_valid(bot.fake) > 0
    assert bot.fake.messages(CHANNEL)


def test_help_lists_edit_and_extend(bot: RunningBot) -> None:
    text = bot.answer("help")
    assert "• `/mwg edit &lt;n&gt;`: fix your open proposal's title" in text
    assert "• `/mwg extend &lt;n&gt; &lt;duration&gt;`: give your open proposal more time" in text
