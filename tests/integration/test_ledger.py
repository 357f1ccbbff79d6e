"""The activity ledger: every change writes exactly one row, in the change's own unit of work,
with who did it, on which proposal, and the way it came in; a change that is rolled back
writes none. Driven through signed requests, as Slack sends them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from mwgbot.db.models import MemberRow, ProposalRow
from mwgbot.slack import ids
from mwgbot.slack.router import INTERNAL_ERROR
from tests import slack_requests as sr
from tests.conftest import CHANNEL, RunningBot
from tests.ledger_support import Ledger, Row


@pytest.fixture
def ledger(bot: RunningBot) -> Ledger:
    return Ledger(bot)


def test_proposing_joining_and_objecting_each_write_one_row(
    bot: RunningBot, ledger: Ledger
) -> None:
    bot.answer("propose Case-study series --close 4d --stage awareness")
    proposed = ledger.one()
    assert (proposed.kind, proposed.via, proposed.actor, proposed.proposal) == (
        "proposed",
        "command",
        "UALICE",
        1,
    )
    assert proposed.details["title"] == "Case-study series"
    assert proposed.details["stages"] == ["awareness"]

    bot.answer("join 1", user="UBOB")
    assert ledger.one() == Row("joined", "command", "UBOB", 1, {})
    bot.answer("join 1", user="UBOB")  # already in: no change, no row
    assert ledger.new() == []
    bot.answer("leave 1", user="UBOB")
    assert ledger.one() == Row("left", "command", "UBOB", 1, {})
    bot.answer("leave 1", user="UBOB")
    assert ledger.new() == []

    bot.answer("object 1 It overlaps the webinar", user="UCAROL")
    assert ledger.one() == Row(
        "objected", "command", "UCAROL", 1, {"reason": "It overlaps the webinar"}
    )
    bot.answer("object 1 It overlaps the webinar", user="UCAROL")  # the same reason again
    assert ledger.new() == []
    bot.answer("object 1 The budget is not agreed", user="UCAROL")
    assert ledger.one() == Row(
        "objected", "command", "UCAROL", 1, {"reason": "The budget is not agreed", "revised": True}
    )
    bot.answer("unobject 1", user="UCAROL")
    assert ledger.one() == Row("objection_withdrawn", "command", "UCAROL", 1, {})


def test_reactions_write_one_row_each_and_a_retry_none(bot: RunningBot, ledger: Ledger) -> None:
    bot.answer("propose Booth at a conference --close 4d")
    ledger.new()
    bot.react(1, "UBOB", event_id="Ev0LEDGER1", event_ts="1800000000.000100")
    assert ledger.one() == Row("joined", "reaction", "UBOB", 1, {})
    bot.react(1, "UBOB", event_id="Ev0LEDGER1", event_ts="1800000000.000100", retry_num=1)
    assert ledger.new() == []
    bot.react(1, "UCAROL", emoji="no_entry_sign")
    assert ledger.one() == Row("objected", "reaction", "UCAROL", 1, {"reason": None})
    bot.react(1, "UCAROL", emoji="no_entry_sign", added=False)
    assert ledger.one() == Row("objection_withdrawn", "reaction", "UCAROL", 1, {})
    bot.react(1, "UBOB", added=False, event_ts="1800000001.000100")
    assert ledger.one() == Row("left", "reaction", "UBOB", 1, {})


def test_buttons_and_forms_are_recorded_as_such(bot: RunningBot, ledger: Ledger) -> None:
    bot.answer("propose Translate the brochure --close 4d")
    ledger.new()
    ts = bot.card_ts(1)
    press = sr.block_action(ids.ACTION_JOIN, "1", user_id="UBOB", channel_id=CHANNEL, message_ts=ts)
    assert bot.send(press).status == 200
    assert ledger.one() == Row("joined", "button", "UBOB", 1, {})
    reason = {ids.BLOCK_REASON: {ids.INPUT: {"type": "plain_text_input", "value": "Too soon"}}}
    submitted = bot.send(
        sr.view_submission(ids.VIEW_OBJECT, reason, user_id="UCAROL", private_metadata="1")
    )
    assert submitted.status == 200
    assert ledger.one() == Row("objected", "modal", "UCAROL", 1, {"reason": "Too soon"})


def test_close_decide_and_withdraw_are_recorded(bot: RunningBot, ledger: Ledger) -> None:
    bot.answer("propose Webinar series --close 4d")
    bot.answer("propose Newsletter --close 4d", user="UBOB")
    bot.answer("object 1 Not this quarter", user="UCAROL")
    ledger.new()
    bot.answer("withdraw 2", user="UBOB")
    assert ledger.one() == Row("withdrawn", "command", "UBOB", 2, {})
    bot.advance(timedelta(days=4, minutes=1))
    assert ledger.one() == Row("closed", "sweep", None, 1, {"outcome": "escalated"})
    bot.answer("resolve 1 adopt Budget found", user="UMODERATOR")
    assert ledger.one() == Row(
        "decided",
        "command",
        "UMODERATOR",
        1,
        {"verdict": "adopt", "note": "Budget found", "as": "moderator"},
    )


def test_organization_and_meetings_are_recorded(bot: RunningBot, ledger: Ledger) -> None:
    bot.answer("org Abstract Technology")
    assert ledger.one() == Row(
        "organization_set", "command", "UALICE", None, {"organization": "Abstract Technology"}
    )
    bot.answer("meeting skip 2026-12-09", user="UORGANIZER")
    skipped = ledger.one()
    assert (skipped.kind, skipped.actor) == ("meeting_skipped", "UORGANIZER")
    assert skipped.details == {"meeting": "2026-12-09T15:00:00+00:00"}
    bot.answer("meeting unskip 2026-12-09", user="UORGANIZER")
    assert ledger.one().kind == "meeting_restored"


def test_acting_makes_a_member_who_took_part(bot: RunningBot) -> None:
    bot.answer("propose Case-study series --close 4d")
    bot.clock.advance(timedelta(hours=2))
    bot.answer("join 1", user="UBOB")
    bot.clock.advance(timedelta(hours=2))
    bot.answer("object 1 Not now", user="UBOB")
    with bot.runtime.db.unit_of_work() as session:
        members = {m.user_id: m for m in session.scalars(select(MemberRow)).all()}
    assert set(members) == {"UALICE", "UBOB"}
    bob = members["UBOB"]
    assert bob.last_active_at - bob.first_seen_at == timedelta(hours=2)


def test_a_rolled_back_change_writes_no_row(bot: RunningBot, ledger: Ledger) -> None:
    """The database refuses the card's outbox row: the proposal, its ledger row and its member
    row all roll back together, and the member is told nothing was changed."""
    db = bot.runtime.db
    with db.engine.begin() as connection:
        if db.dialect == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox "
                    "BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_outbox() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'outbox refused'; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_outbox()"
                )
            )
    assert bot.answer("propose Case-study series --close 4d") == INTERNAL_ERROR
    assert ledger.new() == []
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ProposalRow)) == 0
        assert session.scalar(select(func.count()).select_from(MemberRow)) == 0
