"""Conflict resolution that always ends (issue 16): who decides an escalation (the moderators who
did not propose it, else the organizers), consensus found after the close, a proposer taking
back an escalated proposal, the deciders told personally and reminded, and what `/mwg list`,
the history and the decision log say. Signed requests in, fake Slack calls out."""

from __future__ import annotations

import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from mwgbot.db.models import OutboxRow
from mwgbot.decision_log import as_json, write_markdown
from mwgbot.services.decisions import DecisionLog
from tests.conftest import CHANNEL, RunningBot, card_as_text
from tests.integration.meeting_support import (
    Launcher,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
)
from tests.integration.member_support import dm_texts, ledger_rows, outbox_rows
from tests.record_support import blocks_text

WINDOW = timedelta(days=4)
PAST_CLOSE = WINDOW + timedelta(minutes=1)


def escalate(bot: RunningBot, proposer: str = "UALICE", *objectors: str) -> None:
    """#1 proposed, objected to by each objector, and closed: escalated."""
    assert "Proposed #1" in bot.answer("propose Escalate me --close 4d", user=proposer)
    for objector in objectors or ("UCAROL",):
        assert "is recorded" in bot.answer("object 1 no", user=objector)
    bot.advance(PAST_CLOSE)
    assert "*Escalated*" in bot.card_text(1)


def history(bot: RunningBot, number: int = 1) -> str:
    """What `/mwg history <n>` shows, blocks and all."""
    body = bot.command(f"history {number}").json()
    return blocks_text(body["blocks"])


def outcomes(bot: RunningBot, number: int = 1) -> list[str]:
    """The notices sent to the channel from the card's thread, in order."""
    return [card_as_text(m) for m in bot.thread_replies(number) if m.get("reply_broadcast")]


def notices(bot: RunningBot) -> list[tuple[str | None, str]]:
    """(dedupe key, state) of every direct message to a decider, oldest first."""
    return [(key, state) for key, state, _ in outbox_rows(bot, "dm") if key]


def test_the_sole_moderator_proposes_and_the_organizer_decides(launcher: Launcher) -> None:
    bot = launcher.start(mwg_moderators="UDANA", mwg_organizers="UEDEN")
    escalate(bot, "UDANA", "UCAROL")
    [escalated] = outcomes(bot)
    assert "#1 *Escalate me* is *escalated* to the organizers (<@UEDEN>)" in escalated
    assert "no moderator who neither proposed it nor objects to it can decide it" in escalated
    assert "<@UEDEN> decides with `/mwg resolve 1 adopt|decline &lt;note&gt;`" in escalated
    # The proposer does not decide their own proposal, and is told who does.
    refused = bot.answer("resolve 1 adopt ok", user="UDANA")
    assert refused == (
        "You proposed #1, so you do not decide it: no other moderator can, so the organizers "
        "do. Nothing changed."
    )
    assert "Only the organizers resolve #1" in bot.answer("resolve 1 adopt ok", user="UBOB")
    assert bot.answer("resolve 1 adopt ok", user="UEDEN") == (
        "#1 is adopted; the decision is posted."
    )
    bot.settle()
    assert "#1 *Escalate me* is *adopted* by organizer <@UEDEN>: ok" in outcomes(bot)[-1]
    assert "*Adopted* after escalation, decided by <@UEDEN>" in bot.card_text(1)
    assert ledger_rows(bot)[-1][:3] == ("decided", "command", "UEDEN")
    assert ledger_rows(bot)[-1][4]["as"] == "organizer"
    assert "Organizer <@UEDEN> *adopted* it: “ok”" in history(bot)


def test_a_moderator_who_objects_does_not_decide_their_own_objection(launcher: Launcher) -> None:
    """A new member's finding: the objecting moderator was asked to decide, and could."""
    bot = launcher.start(mwg_moderators="UDANA,UMOD2", mwg_organizers="UEDEN")
    escalate(bot, "UBOB", "UDANA")
    [escalated] = outcomes(bot)
    assert "is *escalated* to <@UMOD2>" in escalated
    # Only the moderator who is no party to it is told.
    assert [key for key, _ in notices(bot)] == ["escalation:1:UMOD2:0"]
    refused = bot.answer("resolve 1 decline off-brand, as I said", user="UDANA")
    assert refused == (
        "You object to #1, so you do not decide it: another moderator does. To let it pass, "
        "withdraw your objection (`/mwg unobject 1`). Nothing changed."
    )
    assert "*Escalated*" in bot.card_text(1)
    assert bot.answer("resolve 1 decline not now", user="UMOD2") == (
        "#1 is declined; the decision is posted."
    )


def test_the_only_moderator_objects_and_the_organizer_decides(launcher: Launcher) -> None:
    bot = launcher.start(mwg_moderators="UDANA", mwg_organizers="UEDEN")
    escalate(bot, "UBOB", "UDANA")
    [escalated] = outcomes(bot)
    assert "is *escalated* to the organizers (<@UEDEN>)" in escalated
    assert "no moderator who neither proposed it nor objects to it can decide it" in escalated
    assert "no other moderator can, so the organizers do" in bot.answer(
        "resolve 1 adopt ok", user="UDANA"
    )
    assert (
        bot.answer("resolve 1 adopt ok", user="UEDEN") == "#1 is adopted; the decision is posted."
    )


def test_with_no_one_eligible_the_notice_says_so_and_the_proposer_may_withdraw(
    launcher: Launcher,
) -> None:
    bot = launcher.start(mwg_moderators="UDANA", mwg_organizers="")
    escalate(bot, "UDANA", "UCAROL")
    [escalated] = outcomes(bot)
    assert (
        "No one can decide it: there is no moderator or organizer who neither proposed it nor "
        "objects to it." in escalated
    )
    assert "`MWG_MODERATORS`" in escalated
    assert notices(bot) == []  # no one to tell
    refused = bot.answer("resolve 1 adopt ok", user="UDANA")
    assert "No one can resolve #1: there is no moderator or organizer other than you." in refused
    assert "MWG_MODERATORS" in refused
    assert "escalated just now, and no one can decide it (`/mwg show 1`)" in bot.answer("list")
    # The proposer may take it back; nothing else could move it but a withdrawn objection.
    assert bot.answer("withdraw 1", user="UDANA") == "#1 is withdrawn."
    bot.settle()
    assert "#1 *Escalate me* is *withdrawn*." in outcomes(bot)[-1]
    assert "*Withdrawn*" in bot.card_text(1)
    assert "<@UDANA> *withdrew* it, while it waited for a decision" in history(bot)


def test_an_empty_moderators_setting_is_one_warning_at_start(
    launcher: Launcher, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mwgbot.runtime"):
        launcher.start(mwg_moderators="")
    warned = [r for r in caplog.records if "MWG_MODERATORS" in r.getMessage()]
    assert len(warned) == 1
    assert warned[0].levelno == logging.WARNING
    assert "\n" not in warned[0].getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mwgbot.runtime"):
        launcher.start()  # moderators set: nothing to say
    assert not [r for r in caplog.records if "MWG_MODERATORS" in r.getMessage()]


def test_a_proposer_withdraws_their_escalated_proposal_a_moderator_decides_it(
    bot: RunningBot,
) -> None:
    escalate(bot)
    refused = bot.answer("withdraw 1", user="UMODERATOR")
    assert "#1 is escalated: only its proposer may withdraw it now" in refused
    # The state is the first answer: no one but the proposer may, so no one else is named.
    assert "#1 is escalated: only its proposer may withdraw it now" in bot.answer(
        "withdraw 1", user="UBOB"
    )
    assert bot.answer("withdraw 1") == "#1 is withdrawn."
    bot.settle()
    assert outcomes(bot)[-1].endswith("#1 *Escalate me* is *withdrawn*.")
    # Its deciders are reminded no more.
    bot.advance(timedelta(days=15))
    assert [key for key, _ in notices(bot)] == [
        "escalation:1:UMODERATOR:0",
        "escalation:1:UMODTWO:0",
    ]


def test_the_last_withdrawn_objection_adopts_it_once(bot: RunningBot) -> None:
    escalate(bot)
    assert bot.answer("unobject 1", user="UCAROL") == (
        "You withdrew your objection to #1. It was the last one standing, so #1 *Escalate me* "
        "is adopted by consensus: the channel is told."
    )
    assert "#1 is adopted: its outcome is settled" in bot.answer("unobject 1", user="UCAROL")
    bot.advance(timedelta(minutes=5))
    [escalated, adopted] = outcomes(bot)
    assert "is *escalated*" in escalated
    assert adopted.startswith(":white_check_mark: #1 *Escalate me* is *adopted* by consensus")
    assert "withdrawn by <@UCAROL> after the window closed" in adopted
    card = bot.card_text(1)
    assert "*Adopted* by consensus after the close: the last objection was withdrawn" in card
    assert "Standing objections" not in card
    kinds = [(kind, via, actor) for kind, via, actor, n, _ in ledger_rows(bot) if n == 1]
    assert kinds[-2:] == [
        ("objection_withdrawn", "command", "UCAROL"),
        ("adopted_by_consensus", "command", None),
    ]
    assert ledger_rows(bot)[-1][4] == {
        "outcome": "adopted",
        "last_objection_withdrawn_by": "UCAROL",
    }
    story = history(bot)
    assert (
        "Consensus found after the close: the last standing objection was withdrawn "
        "(<@UCAROL> withdrew it), so it is *adopted*"
    ) in story
    # An active initiative from now on, quiet since its adoption; its deciders are done.
    listed = bot.answer("list")
    assert "*Active initiatives (1)*" in listed
    assert "#1 Escalate me · adopted 5 minutes ago, no update yet" in listed
    bot.advance(timedelta(days=8))
    assert len(notices(bot)) == 2  # the first notices only: no reminder after adoption


def test_the_decision_log_says_how_it_was_adopted(bot: RunningBot) -> None:
    escalate(bot)
    bot.clock.advance(timedelta(days=2))
    bot.answer("unobject 1", user="UCAROL")
    log = DecisionLog(bot.runtime.db, bot.clock.now(), use_names=False)
    [record] = list(log.records())
    exported = as_json(record)
    assert exported["outcome"] == "adopted"
    assert exported["decision"] is None  # no one decided
    assert exported["closed_at"] < exported["decided_at"]  # escalated, then consensus found
    assert [(o["status"], o["reason"]) for o in exported["objections"]] == [("withdrawn", "no")]
    assert json.dumps(exported)
    page = io.StringIO()
    write_markdown(page, log.records, count=1, exported_at=bot.clock.now(), names=False)
    assert (
        "- **Adopted by consensus:** 2026-12-07 12:01 UTC, after the close, when the last "
        "standing objection was withdrawn"
    ) in page.getvalue()


def test_the_decision_log_names_an_organizer_as_an_organizer(launcher: Launcher) -> None:
    """A new member's finding: the export said "declined by moderator" for an organizer."""
    bot = launcher.start(mwg_moderators="UDANA", mwg_organizers="UEDEN")
    escalate(bot, "UDANA", "UCAROL")
    assert bot.answer("resolve 1 decline later", user="UEDEN").startswith("#1 is declined")
    log = DecisionLog(bot.runtime.db, bot.clock.now(), use_names=False)
    [record] = list(log.records())
    assert as_json(record)["decision"]["as"] == "organizer"
    page = io.StringIO()
    write_markdown(page, log.records, count=1, exported_at=bot.clock.now(), names=False)
    assert ", declined by organizer UEDEN: later" in page.getvalue()


def test_by_removing_the_objecting_reaction(bot: RunningBot) -> None:
    assert "Proposed #1" in bot.answer("propose Escalate me --close 4d")
    bot.react(1, "UCAROL", emoji="no_entry_sign")
    bot.advance(PAST_CLOSE)
    assert "*Escalated*" in bot.card_text(1)
    bot.react(1, "UCAROL", emoji="no_entry_sign", added=False)
    bot.settle()
    assert "is *adopted* by consensus" in outcomes(bot)[-1]
    assert ledger_rows(bot)[-1][:3] == ("adopted_by_consensus", "reaction", None)
    # A retry of the event changes nothing, and announces nothing again.
    bot.react(1, "UCAROL", emoji="no_entry_sign", added=False)
    bot.settle()
    assert len(outcomes(bot)) == 2


def test_with_two_objectors_only_the_last_withdrawal_adopts(bot: RunningBot) -> None:
    escalate(bot, "UALICE", "UCAROL", "UBOB")
    assert bot.answer("unobject 1", user="UCAROL") == "You withdrew your objection to #1."
    bot.settle()
    card = bot.card_text(1)
    assert "*Escalated*" in card
    assert "*Standing objections (1):*\n• <@UBOB>: “no”" in card
    assert "escalated" in bot.answer("list")
    assert len(outcomes(bot)) == 1
    assert "is adopted by consensus" in bot.answer("unobject 1", user="UBOB")
    bot.settle()
    assert len(outcomes(bot)) == 2
    assert "withdrawn by <@UBOB>" in outcomes(bot)[-1]


def test_reading_the_card_back_finds_the_consensus(bot: RunningBot) -> None:
    from tests.integration.test_reconcile import fresh_reconciler

    assert "Proposed #1" in bot.answer("propose Escalate me --close 4d")
    bot.react(1, "UCAROL", emoji="no_entry_sign")
    bot.advance(PAST_CLOSE)
    # carol takes her reaction back while the bot is down: no event reaches it.
    bot.fake.remove_reaction(CHANNEL, bot.card_ts(1), "no_entry_sign", "UCAROL")
    assert fresh_reconciler(bot).run_once().applied == 1
    bot.settle()
    assert "is *adopted* by consensus" in outcomes(bot)[-1]
    assert ledger_rows(bot)[-1][:3] == ("adopted_by_consensus", "reconcile", None)
    assert fresh_reconciler(bot).run_once().applied == 0
    bot.settle()
    assert len(outcomes(bot)) == 2


def test_each_decider_is_told_once_and_reminded_once_a_period(launcher: Launcher) -> None:
    bot = launcher.start()
    escalate(bot)
    for decider in ("UMODERATOR", "UMODTWO"):
        [told] = dm_texts(bot, decider)
        assert "#1 *Escalate me* waits for your decision" in told
        assert "was escalated <!date^" in told
        assert "• <@UCAROL>: “no”" in told
        assert "`/mwg resolve 1 adopt|decline &lt;note&gt;`" in told
    assert dm_texts(bot, "UALICE") == []  # the proposer decides nothing
    assert dm_texts(bot, "UORGANIZER") == []  # moderators can decide: not the organizers
    bot.advance(timedelta(days=6, hours=23))
    assert len(dm_texts(bot, "UMODERATOR")) == 1
    bot.advance(timedelta(hours=1))  # 7 days after the escalation
    bot.sweep()  # a second sweep finds nothing more
    bot.settle()
    reminders = dm_texts(bot, "UMODERATOR")
    assert len(reminders) == 2
    assert "*Reminder:* #1 *Escalate me* has waited 1 week for your decision" in reminders[1]
    # Another instance on the same database (or a restart) repeats nothing.
    other = launcher.start(bot.clock)
    other.sweep()
    other.settle()
    assert len(dm_texts(bot, "UMODERATOR")) == 2
    bot.advance(timedelta(days=7))  # 14 days
    other.sweep()
    other.settle()
    reminders = dm_texts(bot, "UMODTWO")
    assert len(reminders) == 3
    assert "has waited 2 weeks for your decision" in reminders[2]
    assert [key for key, state in notices(bot)] == [
        f"escalation:1:{decider}:{period}"
        for period in (0, 1, 2)
        for decider in ("UMODERATOR", "UMODTWO")
    ]
    # Decided: no more reminders, from any instance.
    bot.answer("resolve 1 decline Not this year", user="UMODERATOR")
    bot.advance(timedelta(days=21))
    other.sweep()
    other.settle()
    assert len(dm_texts(bot, "UMODERATOR")) == 3
    assert len(notices(bot)) == 6


def test_a_reminder_not_yet_sent_when_it_is_decided_is_never_sent(bot: RunningBot) -> None:
    bot.fake.fail_next("conversations.open", error="internal_error", times=50)
    escalate(bot)
    bot.answer("resolve 1 adopt Budget found", user="UMODTWO")
    with bot.runtime.db.unit_of_work() as session:
        states = session.scalars(select(OutboxRow.state).where(OutboxRow.kind == "dm")).all()
    assert list(states) == ["skipped", "skipped"]


def test_a_decider_named_later_is_told_at_the_next_sweep(launcher: Launcher) -> None:
    first = launcher.start(mwg_moderators="UDANA", mwg_organizers="")
    escalate(first, "UDANA", "UCAROL")
    assert notices(first) == []
    launcher.stop(first)
    again = launcher.start(first.clock, mwg_moderators="UDANA,UERIN", mwg_organizers="")
    again.sweep()
    again.settle()
    [told] = dm_texts(again, "UERIN")
    assert "waits for your decision" in told
    assert "You are asked as a moderator who neither proposed it nor objects to it." in told


def test_the_list_shows_how_long_each_escalation_has_waited(bot: RunningBot) -> None:
    escalate(bot)
    bot.advance(timedelta(days=9))
    listed = bot.answer("list")
    assert (
        "• #1 Escalate me · escalated 9 days ago, waiting for <@UMODERATOR> or <@UMODTWO> · "
        "0 joined, 1 objecting"
    ) in listed


def test_a_new_objection_on_an_escalated_proposal_is_refused_clearly(bot: RunningBot) -> None:
    escalate(bot)
    refused = bot.answer("object 1 me too", user="UBOB")
    assert "#1's consensus window has closed and it is escalated" in refused
    assert "Say what worries you in its thread" in refused


def test_a_settled_proposal_keeps_its_objections(bot: RunningBot) -> None:
    escalate(bot)
    bot.answer("resolve 1 adopt Budget found", user="UMODERATOR")
    assert bot.answer("unobject 1", user="UCAROL") == (
        "#1 is adopted: its outcome is settled, so there is no objection to withdraw any more."
    )


def test_the_last_two_withdrawals_at_once_adopt_it_exactly_once(bot: RunningBot) -> None:
    escalate(bot, "UALICE", "UCAROL", "UBOB")
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(lambda user: bot.answer("unobject 1", user=user), ["UCAROL", "UBOB"])
        )
    assert all(a.startswith("You withdrew your objection to #1.") for a in answers)
    assert sum("adopted by consensus" in a for a in answers) == 1
    bot.settle()
    kinds = [kind for kind, *_ in ledger_rows(bot)]
    assert kinds.count("adopted_by_consensus") == 1
    assert kinds.count("objection_withdrawn") == 2
    assert len(outcomes(bot)) == 2  # escalated, then adopted: once
