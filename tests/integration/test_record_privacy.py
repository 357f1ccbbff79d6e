"""Members' data rights: `/mwg mydata` sends a member everything the bot holds about them;
`/mwg forget-me` (a confirmation form) and `mwgbot forget <user-id>` erase it and leave the
group's decisions readable under a pseudonym. Driven through signed requests and the real
`mwgbot` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from mwgbot import decision_log
from mwgbot.db.models import (
    ActivityRow,
    CommandCountRow,
    FormerMemberRow,
    MemberRow,
    ObjectionRow,
    OutboxRow,
    ProposalRow,
    ProposalUpdateRow,
    ReactionMarkRow,
    SignupRow,
    TimeEntryRow,
)
from mwgbot.domain.activity import ActivityKind
from mwgbot.services import outbox
from mwgbot.services.decisions import DecisionLog
from mwgbot.services.ports import Rendered
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.block_kit_checks import assert_valid_blocks, assert_valid_view
from tests.conftest import RunningBot, card_as_text
from tests.record_support import (
    blocks_text,
    traces,
)
from tests.test_cli import bare_env, mwgbot

PART = re.compile(r"^\*What mwgbot holds about you, part (\d+) of (\d+)\*$")
FENCED = re.compile(r"^```\n(.*)```$", re.DOTALL)


# --- helpers --------------------------------------------------------------------------------


def direct_messages(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    """The messages in the app's DM with the member (opened with conversations.open)."""
    channel = bot.fake.dm_channel(user)
    if channel is None:
        return []
    return [m for m in bot.fake.messages(channel) if not m.get("thread_ts")]


def read_my_data(bot: RunningBot, user: str) -> tuple[dict[str, Any], int]:
    """The member's DMs, each checked as Slack would, put back together as one JSON."""
    messages = direct_messages(bot, user)
    assert messages, f"no direct message to {user}"
    pieces = []
    for index, message in enumerate(messages, start=1):
        blocks = message["blocks"]
        assert assert_valid_blocks(blocks) > 0
        title = PART.match(blocks[0]["text"]["text"])
        assert title is not None, blocks[0]
        assert (int(title.group(1)), int(title.group(2))) == (index, len(messages))
        assert message["text"] == f"What mwgbot holds about you, part {index} of {len(messages)}"
        fenced = FENCED.match(blocks[-1]["text"]["text"])
        assert fenced is not None, blocks[-1]
        pieces.append(html.unescape(fenced.group(1)))
    return json.loads("".join(pieces)), len(messages)


def forget_form(bot: RunningBot, user: str) -> dict[str, Any]:
    """`/mwg forget-me`: the form Slack was asked to open, checked as Slack would."""
    bot.fake.clear()
    answer = bot.command("forget-me", user=user)
    assert answer.status == 200
    assert answer.seconds < 3  # the trigger_id expires: Slack's deadline, not a benchmark
    assert "nothing is erased until you do" in answer.json()["text"]
    opened = bot.fake.calls_to("views.open")
    assert len(opened) == 1
    assert opened[0].args["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = opened[0].args["view"]
    assert_valid_view(view)
    assert view["callback_id"] == ids.VIEW_FORGET
    return dict(view)


def confirm(bot: RunningBot, user: str) -> dict[str, Any]:
    submitted = bot.send(sr.view_submission(ids.VIEW_FORGET, {}, user_id=user))
    assert submitted.status == 200, submitted
    body = submitted.json()
    assert body["response_action"] == "update"
    assert_valid_view(body["view"])
    return dict(body["view"])


def count(bot: RunningBot, model: Any, *where: Any) -> int:
    with bot.runtime.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def exports(bot: RunningBot) -> dict[str, str]:
    """The decision log in all three formats, as the export writes it (IDs, no Slack)."""
    log = DecisionLog(bot.runtime.db, now=bot.clock.now(), use_names=False)
    written = {}
    for name, write in (("json", decision_log.write_json), ("csv", decision_log.write_csv)):
        out = io.StringIO(newline="")
        write(out, log.records())
        written[name] = out.getvalue()
    out = io.StringIO()
    decision_log.write_markdown(
        out, log.records, count=log.count(), exported_at=bot.clock.now(), names=False
    )
    written["markdown"] = out.getvalue()
    return written


def a_members_life(bot: RunningBot) -> None:
    """UBOB takes part in everything: an organization, proposals, joins, objections by
    command and reaction, progress updates, time logged, and (every command) the per-minute
    count."""
    bot.answer("org OpenCraft", user="UBOB")
    bot.answer("propose Webinar series --close 4d", user="UBOB")
    bot.answer("propose Case-study series --close 4d")
    bot.answer("object 2 Overlaps with <@UBOB|bob>'s webinar", user="UCAROL")
    bot.react(1, "UCAROL", event_id="EvPrivacy1", event_ts="1800000000.000100")
    bot.react(2, "UBOB", emoji="no_entry_sign", event_id="EvPrivacy2", event_ts="1800000001.0")
    bot.answer("unobject 2", user="UBOB")
    # ...and takes the reaction off the card too: Slack's reactions are read back.
    bot.react(
        2,
        "UBOB",
        emoji="no_entry_sign",
        added=False,
        event_id="EvPrivacy3",
        event_ts="1800000002.0",
    )
    # Convinced, bob joins (one stance at a time: never joined and objecting at once).
    bot.answer("join 2", user="UBOB")
    bot.answer("join 2", user="UBOBBY")  # an ID that starts like UBOB's is someone else
    bot.answer("meeting skip 2026-12-09", user="UORGANIZER")
    assert "#" in bot.answer("log 1h30m #2 Outline", user="UBOB")
    bot.answer("update 2 Outline drafted", user="UBOB")
    bot.answer("update 2 Thanks <@UBOB> for the outline, and UBOBBY too")
    bot.settle()


# --- /mwg mydata ----------------------------------------------------------------------------


def test_mydata_sends_everything_the_bot_holds_about_the_member(bot: RunningBot) -> None:
    a_members_life(bot)
    answer = bot.answer("mydata", user="UBOB")
    assert "on its way in a direct message" in answer
    bot.settle()
    data, parts = read_my_data(bot, "UBOB")
    assert data["user_id"] == "UBOB"
    assert data["member"]["organization"] == "OpenCraft"
    assert data["member"]["first_seen_at"] is not None
    assert [(p["number"], p["title"], p["roles"]) for p in data["proposals"]] == [
        (1, "Webinar series", ["proposer"])
    ]
    assert [j["proposal"] for j in data["joins"]] == [2]
    assert data["objections"] == []  # withdrawn; the ledger keeps the story
    assert [(h["proposal"], h["minutes"], h["what"]) for h in data["hours"]] == [(2, 90, "Outline")]
    assert [(u["proposal"], u["text"]) for u in data["updates"]] == [(2, "Outline drafted")]
    assert {(r["proposal"], r["meaning"], r["on"]) for r in data["reactions"]} == {
        (2, "object", False)
    }
    # org, propose, join, unobject, log, update and mydata itself, all within the minute.
    assert [c["count"] for c in data["commands_per_minute"]] == [7]
    with bot.runtime.db.unit_of_work() as session:
        kinds = session.scalars(
            select(ActivityRow.kind).where(ActivityRow.actor_id == "UBOB").order_by(ActivityRow.id)
        ).all()
    assert [a["kind"] for a in data["activity"]] == list(kinds)
    assert {"objection_withdrawn", "organization_set"} <= set(kinds)
    # Someone else's data is not in it.
    for someone_else in ("UBOBBY", "UCAROL"):
        assert someone_else not in json.dumps(data)
    assert parts >= 1


def test_a_large_mydata_comes_in_numbered_parts_within_slacks_limits(bot: RunningBot) -> None:
    bot.answer("org Abstract <Technology> & `Co`", user="UALICE")
    now = bot.clock.now()
    with bot.runtime.db.unit_of_work() as session:
        for day in range(400):
            session.execute(
                insert(TimeEntryRow).values(
                    group_key="mwg",
                    user_id="UALICE",
                    minutes=30 + day,
                    what=f"Day {day}: <!channel> & `code` " + "w" * 200,
                    worked_on=date(2026, 1, 1) + timedelta(days=day),
                    created_at=now,
                )
            )
    assert "in " in bot.answer("mydata", user="UALICE")
    bot.settle()
    data, parts = read_my_data(bot, "UALICE")
    assert parts > 10
    assert data["member"]["organization"] == "Abstract <Technology> & `Co`"
    assert len(data["hours"]) == 400
    assert data["hours"][399]["what"].startswith("Day 399: <!channel> & `code` ")
    for message in direct_messages(bot, "UALICE"):
        assert "<!channel>" not in json.dumps(message["blocks"])


# --- /mwg forget-me -------------------------------------------------------------------------


def test_forget_me_asks_first_then_erases_and_pseudonymizes(bot: RunningBot) -> None:
    a_members_life(bot)
    engine = bot.runtime.db.engine
    assert traces(engine, "UBOB")
    bot.answer("mydata", user="UBOB")  # a queued DM to them is theirs alone

    view = forget_form(bot, "UBOB")
    shown = blocks_text(view["blocks"])
    for words in ("Erased:", "hours you logged", "organization", "Kept under a pseudonym"):
        assert words in shown
    assert view["submit"]["text"] == "Erase my data"
    assert count(bot, MemberRow, MemberRow.user_id == "UBOB") == 1  # nothing erased yet

    done = confirm(bot, "UBOB")
    assert "former member 1" in blocks_text(done["blocks"])
    assert "submit" not in done

    # No trace of the ID anywhere: every text and JSON column of every table.
    leftover = [t for t in traces(engine, "UBOB") if not _only_ubobby(bot, t)]
    assert leftover == []
    # Erased: their own data.
    assert count(bot, MemberRow, MemberRow.user_id == "UBOB") == 0
    assert count(bot, TimeEntryRow, TimeEntryRow.user_id == "UBOB") == 0
    assert count(bot, ReactionMarkRow, ReactionMarkRow.user_id == "UBOB") == 0
    assert count(bot, CommandCountRow, CommandCountRow.user_id == "UBOB") == 0
    assert count(bot, OutboxRow, OutboxRow.user_id == "UBOB") == 0
    # Kept, readable, under the pseudonym; others untouched.
    pseudonym = "former member 1"
    with bot.runtime.db.unit_of_work() as session:
        assert session.get(ProposalRow, ("mwg", 1)).proposer_id == pseudonym  # type: ignore[union-attr]
        joined = session.scalars(
            select(SignupRow.user_id).where(SignupRow.proposal_number == 2).order_by(SignupRow.id)
        ).all()
        assert list(joined) == [pseudonym, "UBOBBY"]
        reason = session.scalar(select(ObjectionRow.reason).where(ObjectionRow.user_id == "UCAROL"))
        assert reason == f"Overlaps with {pseudonym}'s webinar"
        texts = session.scalars(select(ProposalUpdateRow.text).order_by(ProposalUpdateRow.id))
        assert list(texts) == [
            "Outline drafted",
            f"Thanks {pseudonym} for the outline, and UBOBBY too",
        ]
        theirs = session.scalars(
            select(ActivityRow).where(ActivityRow.actor_id == pseudonym).order_by(ActivityRow.id)
        ).all()
        assert [a.kind for a in theirs][:5] == [
            "organization_set",
            "proposed",
            "objected",
            "objection_withdrawn",
            "joined",
        ]
        # The ledger rows that repeated erased data keep no details.
        assert all(a.details == {} for a in theirs if a.kind in ("organization_set", "time_logged"))
        forgotten = session.scalars(
            select(ActivityRow).where(ActivityRow.kind == ActivityKind.FORGOTTEN.value)
        ).all()
        assert [(f.actor_id, f.proposal_number, f.details, f.via) for f in forgotten] == [
            (None, None, {}, "modal")
        ]
        assert session.scalar(select(func.count()).select_from(FormerMemberRow)) == 1
    # The cards are re-rendered with the pseudonym.
    bot.settle()
    assert pseudonym in bot.card_text(1)
    assert "<@UBOB>" not in bot.card_text(1)
    assert "<@UBOB>" not in bot.card_text(2)
    assert pseudonym in bot.card_text(2)
    # The decisions still read correctly, and no export names them.
    bot.advance(timedelta(days=4, minutes=1))  # #1 adopted; #2 escalated on UCAROL's objection
    for name, written in exports(bot).items():
        assert "UBOB" not in written.replace("UBOBBY", ""), name
        assert pseudonym in written, name
    # Their history still tells the story.
    story = blocks_text(bot.command("history 2", user="UCAROL").json()["blocks"])
    assert f"{pseudonym} joined" in story
    assert f"{pseudonym} withdrew their objection" in story


def _only_ubobby(bot: RunningBot, where: str) -> bool:
    """A trace that is only the other member whose ID starts the same."""
    table, column = where.split(".")
    with bot.runtime.db.engine.connect() as connection:
        values = connection.execute(
            text(f'SELECT CAST("{column}" AS TEXT) FROM "{table}"')  # noqa: S608
        ).scalars()
        return all("UBOB" not in (v or "").replace("UBOBBY", "") for v in values)


def test_two_forgotten_members_of_one_proposal_keep_distinct_pseudonyms(bot: RunningBot) -> None:
    bot.answer("propose Booth at the conference --close 4d")
    bot.answer("propose Case-study series --close 4d")
    for user in ("UBOB", "UCAROL"):  # they join #2 and object to #1
        bot.answer("join 2", user=user)
    bot.answer("object 1 Too costly", user="UBOB")
    bot.answer("object 1 Wrong audience", user="UCAROL")
    for user in ("UBOB", "UCAROL"):
        forget_form(bot, user)
        confirm(bot, user)
    with bot.runtime.db.unit_of_work() as session:
        joined = session.scalars(select(SignupRow.user_id).order_by(SignupRow.id)).all()
        objecting = session.execute(
            select(ObjectionRow.user_id, ObjectionRow.reason).order_by(ObjectionRow.id)
        ).all()
    assert list(joined) == ["former member 1", "former member 2"]
    assert [tuple(o) for o in objecting] == [
        ("former member 1", "Too costly"),
        ("former member 2", "Wrong audience"),
    ]
    bot.advance(timedelta(days=4, minutes=1))  # it still closes on its standing objections
    with bot.runtime.db.unit_of_work() as session:
        assert session.get(ProposalRow, ("mwg", 1)).state == "escalated"  # type: ignore[union-attr]


def test_forgetting_someone_the_bot_knows_nothing_about_changes_nothing(bot: RunningBot) -> None:
    forget_form(bot, "UNOBODY")
    done = confirm(bot, "UNOBODY")
    assert "nothing to erase" in blocks_text(done["blocks"])
    assert count(bot, FormerMemberRow) == 0
    assert count(bot, ActivityRow) == 0


def test_a_forget_that_fails_midway_erases_nothing(bot: RunningBot) -> None:
    """One unit of work: when the database refuses the pseudonym, every erasure rolls back."""
    a_members_life(bot)
    with bot.runtime.db.unit_of_work() as session:
        ledger_rows = session.scalar(select(func.count()).select_from(ActivityRow))
    before = traces(bot.runtime.db.engine, "UBOB")
    with bot.runtime.db.engine.begin() as connection:
        if bot.runtime.db.dialect == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_pseudonym BEFORE INSERT ON former_members "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_pseudonym() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_pseudonym BEFORE INSERT ON former_members "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_pseudonym()"
                )
            )
    forget_form(bot, "UBOB")
    failed = confirm(bot, "UBOB")
    assert "nothing was erased" in blocks_text(failed["blocks"])
    assert traces(bot.runtime.db.engine, "UBOB") == before
    assert count(bot, MemberRow, MemberRow.user_id == "UBOB") == 1
    assert count(bot, TimeEntryRow) == 1
    assert count(bot, ActivityRow) == ledger_rows


def test_a_failing_form_says_nothing_was_erased(bot: RunningBot) -> None:
    bot.fake.fail_next("views.open", error="expired_trigger_id")
    answer = bot.answer("forget-me", user="UBOB")
    assert "nothing was erased" in answer


# --- mwgbot forget --------------------------------------------------------------------------


@pytest.mark.slow
def test_the_operator_command_forgets_once_and_says_so(
    bot: RunningBot, tmp_path: Path, database_url: str
) -> None:
    a_members_life(bot)
    env = bare_env(
        tmp_path, DATABASE_URL=database_url, MWG_MODERATORS="UMODERATOR", MWG_ORGANIZERS="UBOB"
    )
    first = mwgbot("forget", "UBOB", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.strip().splitlines()
    assert len(lines) == 1, first.stdout
    assert lines[0].startswith("forgot UBOB: erased ")
    assert "now read as 'former member 1'" in lines[0]
    assert lines[0].endswith("the running bot updates 2 cards")
    assert first.stderr.strip().splitlines() == [
        "mwgbot: UBOB is still listed in MWG_ORGANIZERS: settings are configuration, not data; "
        "remove it there"
    ]
    leftover = [t for t in traces(bot.runtime.db.engine, "UBOB") if not _only_ubobby(bot, t)]
    assert leftover == []
    with bot.runtime.db.unit_of_work() as session:
        forgotten = session.scalars(
            select(ActivityRow).where(ActivityRow.kind == ActivityKind.FORGOTTEN.value)
        ).all()
        assert [(f.actor_id, f.details, f.via) for f in forgotten] == [(None, {}, "cli")]

    again = mwgbot("forget", "UBOB", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "nothing is held about UBOB: nothing to forget"
    assert count(bot, FormerMemberRow) == 1

    # The running bot re-renders the cards the operator's change touched.
    bot.settle()
    assert "former member 1" in bot.card_text(1)

    refused = mwgbot("forget", "bob", cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "is not a Slack user ID" in refused.stderr


def test_direct_messages_go_to_the_member_through_the_outbox(bot: RunningBot) -> None:
    """A DM is queued like every post and sent once, to the member's own conversation."""
    with bot.runtime.db.unit_of_work() as session:
        outbox.enqueue(
            session,
            kind=outbox.KIND_DM,
            now=bot.clock.now(),
            group_key="",
            message=Rendered("hello"),
            channel_id="UCAROL",
            user_id="UCAROL",
        )
    bot.settle()
    assert [m["text"] for m in direct_messages(bot, "UCAROL")] == ["hello"]
    dm = bot.fake.dm_channel("UCAROL")
    assert [c.args["channel"] for c in bot.fake.calls_to("chat.postMessage")] == [dm]
    assert card_as_text(direct_messages(bot, "UCAROL")[0]) == "hello"
