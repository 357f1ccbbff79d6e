"""The ledger of initiatives after adoption: every update, delivery and drop writes exactly one
row in its own unit of work; a refusal writes none, and a nudge (a notice, not a change)
writes none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import RunningBot
from tests.ledger_support import Ledger, Row


@pytest.fixture
def ledger(bot: RunningBot) -> Ledger:
    return Ledger(bot)


def adopted(bot: RunningBot, ledger: Ledger, *joiners: str) -> None:
    bot.answer("propose Case-study series --close 4d")
    for joiner in joiners:
        bot.answer("join 1", user=joiner)
    bot.advance(timedelta(days=4, minutes=1))
    ledger.new()


def test_an_update_writes_one_row(bot: RunningBot, ledger: Ledger) -> None:
    adopted(bot, ledger, "UBOB")
    bot.answer("update 1 Two drafts are ready", user="UBOB")
    row = ledger.one()
    assert (row.kind, row.via, row.actor, row.proposal) == ("updated", "command", "UBOB", 1)
    assert row.details["text"] == "Two drafts are ready"
    assert isinstance(row.details["update_id"], int)


def test_a_delivery_writes_one_row_and_a_second_done_none(bot: RunningBot, ledger: Ledger) -> None:
    adopted(bot, ledger)
    bot.answer("done 1 https://example.org/case-studies Live on the site")
    assert ledger.one() == Row(
        "delivered",
        "command",
        "UALICE",
        1,
        {"link": "https://example.org/case-studies", "note": "Live on the site"},
    )
    assert "already delivered" in bot.answer("done 1")
    assert ledger.new() == []


def test_a_delivery_without_link_or_note(bot: RunningBot, ledger: Ledger) -> None:
    adopted(bot, ledger)
    bot.answer("done 1", user="UMODERATOR")
    assert ledger.one() == Row(
        "delivered", "command", "UMODERATOR", 1, {"link": None, "note": None}
    )


def test_a_drop_writes_one_row(bot: RunningBot, ledger: Ledger) -> None:
    adopted(bot, ledger)
    bot.answer("drop 1 Nobody has time this quarter")
    assert ledger.one() == Row(
        "dropped", "command", "UALICE", 1, {"reason": "Nobody has time this quarter"}
    )


@pytest.mark.parametrize(
    ("text", "user"),
    [
        ("update 1 Hello", "UCAROL"),  # not an owner
        ("done 1 ftp://example.org/x", "UALICE"),  # not an http link
        ("drop 1 Because", "UCAROL"),
        ("done 9", "UALICE"),  # no such proposal
    ],
)
def test_a_refusal_writes_no_row(bot: RunningBot, ledger: Ledger, text: str, user: str) -> None:
    adopted(bot, ledger)
    bot.answer(text, user=user)
    assert ledger.new() == []


def test_a_join_while_active_is_one_row_and_a_nudge_is_none(
    bot: RunningBot, ledger: Ledger
) -> None:
    adopted(bot, ledger)
    bot.answer("join 1", user="UCAROL")
    assert ledger.one() == Row("joined", "command", "UCAROL", 1, {})
    bot.advance(timedelta(days=22))  # a quiet period passes: the owners are nudged
    assert any("has been quiet for" in m["text"] for m in bot.thread_replies(1))
    assert ledger.new() == []
