"""`mwgbot export decisions`: the decision log in Markdown, CSV and JSON, run as operators run
it (the installed command, in its own process) against the bot's database, on SQLite and
PostgreSQL. The JSON is read back against the shape the README documents."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from mwgbot.db.models import MemberRow, ProposalRow
from mwgbot.decision_log import CSV_COLUMNS
from mwgbot.domain.activity import ActivityKind
from mwgbot.services.decisions import DecisionLog
from tests.conftest import RunningBot
from tests.processes import mwgbot_executable
from tests.record_support import record_activity
from tests.test_cli import UNREACHABLE_SLACK, bare_env, mwgbot

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


# --- the group's history --------------------------------------------------------------------


def settle_as(
    bot: RunningBot, number: int, state: str, at: datetime, by: str, **columns: Any
) -> None:
    """Delivered and dropped belong to another branch's feature: written directly, with the
    ledger row that feature writes."""
    with bot.runtime.db.unit_of_work() as session:
        session.execute(
            update(ProposalRow)
            .where(ProposalRow.number == number)
            .values(state=state, finished_at=at, finished_by=by, **columns)
        )
    kind = ActivityKind.DELIVERED if state == "delivered" else ActivityKind.DROPPED
    record_activity(bot.runtime.db, kind, at, actor=by, number=number)


def a_history(bot: RunningBot) -> None:
    """Six proposals over two months; #5 stays open. Day 0 is START (2026-12-01)."""
    bot.answer("org Abstract Technology", user="UALICE")
    bot.answer("org OpenCraft", user="UBOB")
    bot.answer("org Édu | Lab", user="UCAROL")
    bot.answer("propose Case-study series --close 4d --stage awareness")
    bot.answer("propose Webinar | Q3 --close 4d", user="UBOB")
    bot.answer("propose Newsletter revamp --close 4d", user="UBOB")
    bot.answer("propose Booth at the conference --close 4d", user="UCAROL")
    for user in ("UBOB", "UCAROL"):
        bot.answer("join 1", user=user)
    bot.answer("object 1 Overlaps the webinar", user="UDAVE")
    bot.answer("unobject 1", user="UDAVE")
    bot.answer("object 2 Budget <not> agreed | later", user="UCAROL")
    bot.answer("object 4 Too costly", user="UBOB")
    bot.answer("withdraw 3", user="UBOB")
    bot.advance(timedelta(days=4, minutes=1))  # #1 adopted, #2 and #4 escalated
    bot.advance(timedelta(days=1))
    bot.answer("resolve 2 decline Not this quarter", user="UMODERATOR")
    bot.clock.advance(timedelta(days=35))
    settle_as(
        bot,
        1,
        "delivered",
        bot.clock.now(),
        "UALICE",
        delivery_link="https://openedx.org/case-studies",
        finish_note="Three studies, one per sector",
    )
    bot.answer("propose Video tutorials --close 30d", user="UCAROL")  # stays open
    bot.answer("propose Translate the brochure --close 4d", user="UDAVE")
    bot.advance(timedelta(days=4, minutes=1))  # #6 adopted
    bot.answer("propose Podcast --close 30d", user="UALICE")  # #7, open
    bot.clock.advance(timedelta(days=6))
    settle_as(bot, 6, "dropped", bot.clock.now(), "UDAVE", finish_note="No translators\nleft")


@pytest.fixture
def history(bot: RunningBot) -> RunningBot:
    a_history(bot)
    bot.fake.clear()
    return bot


def export(
    bot: RunningBot, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    variables = {
        "DATABASE_URL": bot.runtime.settings.database_url,
        "SLACK_BOT_TOKEN": "xoxb-export-test",
        "SLACK_API_URL": bot.fake.url,
        **env,
    }
    variables = {k: v for k, v in variables.items() if v}
    return mwgbot("export", "decisions", *args, cwd=tmp_path, env=bare_env(tmp_path, **variables))


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


# --- JSON, against the README -------------------------------------------------------------


def documented_shapes() -> dict[str, dict[str, tuple[str, str]]]:
    """The README's JSON shape: object name → field → (type, meaning)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("#### JSON shape", 1)[1].split("\n### ", 1)[0]
    shapes: dict[str, dict[str, tuple[str, str]]] = {}
    name = None
    for line in section.splitlines():
        named = re.search(r"\*\*(\w+)\*\*", line)
        if named and not line.startswith("|"):
            name = named.group(1)
            shapes[name] = {}
            continue
        row = re.fullmatch(r"\| `(\w+)` \| ([^|]+) \| (.+) \|", line.strip())
        if row and name:
            shapes[name][row.group(1)] = (row.group(2).strip(), row.group(3))
    return shapes


def check(value: Any, type_name: str, meaning: str, shapes: dict[str, Any], where: str) -> None:
    if type_name.endswith(" or null"):
        if value is None:
            return
        type_name = type_name.removesuffix(" or null")
    assert value is not None, f"{where} is null; the README says {type_name}"
    if type_name.startswith("list of "):
        assert isinstance(value, list), where
        item = type_name.removeprefix("list of ").removesuffix("s")
        for index, element in enumerate(value):
            check(element, item, meaning, shapes, f"{where}[{index}]")
        return
    if type_name in shapes:
        check_object(value, type_name, shapes, where)
    elif type_name == "integer":
        assert isinstance(value, int), where
        assert not isinstance(value, bool), where
    elif type_name == "string":
        assert isinstance(value, str), where
    elif type_name == "timestamp":
        assert isinstance(value, str), where
        assert TIMESTAMP.fullmatch(value), f"{where}: {value!r}"
    else:  # an enumeration: its values are the README's backticked words
        allowed = set(re.findall(r"`(\w+)`", meaning))
        assert allowed, f"the README does not define {type_name}"
        assert value in allowed, f"{where}: {value!r} not in {allowed}"


def check_object(value: Any, name: str, shapes: dict[str, Any], where: str) -> None:
    fields = shapes[name]
    assert isinstance(value, dict), where
    assert set(value) == set(fields), f"{where}: {sorted(value)} != README {sorted(fields)}"
    for field, (type_name, meaning) in fields.items():
        check(value[field], type_name, meaning, shapes, f"{where}.{field}")


def test_the_readme_documents_every_object_of_the_shape() -> None:
    shapes = documented_shapes()
    assert set(shapes) == {"proposal", "person", "joiner", "objection", "decision"}
    assert len(shapes["proposal"]) == 17


def test_json_reads_back_against_its_documented_shape(history: RunningBot, tmp_path: Path) -> None:
    result = export(history, tmp_path, "--format", "json")
    decisions = json.loads(ok(result))
    assert result.stderr == ""
    shapes = documented_shapes()
    for index, decision in enumerate(decisions):
        check_object(decision, "proposal", shapes, f"[{index}]")
    by_number = {d["number"]: d for d in decisions}
    assert sorted(by_number) == [1, 2, 3, 4, 6]  # #5 and #7 are open
    assert {n: d["outcome"] for n, d in by_number.items()} == {
        1: "delivered",
        2: "declined",
        3: "withdrawn",
        4: "pending",
        6: "dropped",
    }
    first = by_number[1]
    assert first["proposer"] == {
        "id": "UALICE",
        "name": "alice",
        "organization": "Abstract Technology",
    }
    assert first["organizations"] == ["Abstract Technology", "OpenCraft", "Édu | Lab"]
    assert [(j["id"], j["name"]) for j in first["joiners"]] == [
        ("UBOB", "bob"),
        ("UCAROL", "carol"),
    ]
    assert first["objections"] == [
        {
            "by": {"id": "UDAVE", "name": "user-udave", "organization": None},
            "reason": "Overlaps the webinar",
            "status": "withdrawn",
            "made_at": "2026-12-01T12:00:00Z",
            "withdrawn_at": "2026-12-01T12:00:00Z",
        }
    ]
    assert first["proposed_at"] == "2026-12-01T12:00:00Z"
    assert first["closed_at"] == "2026-12-05T12:01:00Z"
    assert first["finished_at"] == "2027-01-10T12:01:00Z"
    assert first["delivery_link"] == "https://openedx.org/case-studies"
    assert first["delivery_note"] == "Three studies, one per sector"
    assert first["finished_by"]["id"] == "UALICE"
    declined = by_number[2]
    assert declined["title"] == "Webinar | Q3"
    assert declined["decision"] == {
        "by": {"id": "UMODERATOR", "name": "user-umoderator", "organization": None},
        "as": "moderator",
        "verdict": "decline",
        "note": "Not this quarter",
        "decided_at": "2026-12-06T12:01:00Z",
    }
    assert [(o["by"]["id"], o["reason"], o["status"]) for o in declined["objections"]] == [
        ("UCAROL", "Budget <not> agreed | later", "standing")
    ]
    assert by_number[3]["withdrawn_by"]["id"] == "UBOB"
    assert by_number[4]["decision"] is None
    assert by_number[6]["drop_reason"] == "No translators\nleft"
    assert by_number[6]["delivery_link"] is None
    # Names were asked once per person and cached on their member rows.
    asked = sorted(c.args["user"] for c in history.fake.calls_to("users.info"))
    assert asked == ["UALICE", "UBOB", "UCAROL", "UDAVE", "UMODERATOR"]
    with history.runtime.db.unit_of_work() as session:
        cached = {
            user: name
            for user, name in session.execute(select(MemberRow.user_id, MemberRow.display_name))
        }
    assert cached["UBOB"] == "bob"
    assert cached["UMODERATOR"] == "user-umoderator"


def test_names_come_from_the_cache_until_it_is_a_week_old(
    history: RunningBot, tmp_path: Path
) -> None:
    ok(export(history, tmp_path, "--format", "json"))
    assert history.fake.calls_to("users.info")
    history.fake.clear()
    again = json.loads(ok(export(history, tmp_path, "--format", "json")))
    assert history.fake.calls_to("users.info") == []
    assert again[0]["proposer"]["name"] == "alice"
    history.fake.add_user("UALICE", "Alice Renamed")
    with history.runtime.db.unit_of_work() as session:
        session.execute(
            update(MemberRow)
            .where(MemberRow.user_id == "UALICE")
            .values(display_name_checked_at=datetime.now(UTC) - timedelta(days=8))
        )
    renamed = json.loads(ok(export(history, tmp_path, "--format", "json")))
    assert [c.args["user"] for c in history.fake.calls_to("users.info")] == ["UALICE"]
    assert renamed[0]["proposer"]["name"] == "Alice Renamed"


def test_ids_always_prints_ids_and_asks_slack_nothing(history: RunningBot, tmp_path: Path) -> None:
    ok(export(history, tmp_path, "--format", "json"))  # names are cached now
    history.fake.clear()
    decisions = json.loads(ok(export(history, tmp_path, "--format", "json", "--ids")))
    # The running bot reads its cards' reactions back in the background; the export asks
    # Slack nothing, not even who people are.
    background = ("reactions.get", "conversations.history")
    assert [c.method for c in history.fake.calls if c.method not in background] == []
    assert all(d["proposer"]["name"] is None for d in decisions)
    markdown = ok(export(history, tmp_path, "--ids"))
    assert "UALICE" in markdown
    assert "alice" not in markdown.replace("UALICE", "")
    assert "People are shown by Slack user ID." in markdown


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_API_URL": UNREACHABLE_SLACK}, "could not reach Slack"),
    ],
)
def test_without_slack_it_exports_with_ids_and_says_so_in_one_line(
    history: RunningBot, tmp_path: Path, env: dict[str, str], why: str
) -> None:
    result = export(history, tmp_path, "--format", "csv", **env)
    rows = list(csv.DictReader(io.StringIO(ok(result), newline="")))
    assert [r["proposer"] for r in rows][:2] == ["UALICE (Abstract Technology)", "UBOB (OpenCraft)"]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mwgbot: ")
    assert why in lines[0]
    assert "user ID" in lines[0]


# --- CSV ------------------------------------------------------------------------------------


def test_csv_is_rfc_4180_and_reads_back_with_the_csv_module(
    history: RunningBot, tmp_path: Path
) -> None:
    target = tmp_path / "decisions.csv"
    result = export(history, tmp_path, "--format", "csv", "--output", str(target))
    assert ok(result).strip() == f"exported 5 proposals to {target}"
    raw = target.read_bytes()
    raw.decode("utf-8")  # UTF-8, no BOM
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") >= 6  # CRLF after the header and each record
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [r["number"] for r in records] == ["1", "2", "3", "4", "6"]
    first = records[0]
    assert first["outcome"] == "delivered"
    assert first["proposer"] == "alice (Abstract Technology)"
    assert first["organizations"] == "Abstract Technology; OpenCraft; Édu | Lab"
    assert first["joiner_count"] == "2"
    assert first["joiners"] == "bob (OpenCraft); carol (Édu | Lab)"
    assert (first["standing_objections"], first["withdrawn_objections"]) == ("0", "1")
    assert first["objections"] == "user-udave (withdrawn): Overlaps the webinar"
    assert first["delivery_link"] == "https://openedx.org/case-studies"
    assert first["finished_at"] == "2027-01-10T12:01:00Z"
    assert records[1]["title"] == "Webinar | Q3"
    assert records[1]["verdict"] == "decline"
    assert records[1]["decision_note"] == "Not this quarter"
    assert records[1]["objections"] == "carol (Édu | Lab) (standing): Budget <not> agreed | later"
    assert records[4]["drop_reason"] == "No translators\nleft"  # a quoted line break


# --- Markdown -------------------------------------------------------------------------------


def table_cells(line: str) -> list[str]:
    """A Markdown table row's cells: split on pipes that are not escaped."""
    assert line.startswith("| ")
    assert line.endswith(" |")
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def test_markdown_has_a_summary_table_and_one_section_per_proposal(
    history: RunningBot, tmp_path: Path
) -> None:
    markdown = ok(export(history, tmp_path, "--format", "markdown"))
    lines = markdown.splitlines()
    assert lines[0] == "# Decision log"
    assert "5 proposals with an outcome" in markdown
    header = lines.index(
        "| # | Title | Outcome | Proposed | Settled | Proposer | Organizations | Joined "
        "| Objections |"
    )
    assert lines[header + 1] == "| ---: | --- | --- | --- | --- | --- | --- | ---: | --- |"
    rows = []
    for line in lines[header + 2 :]:
        if not line:
            break
        rows.append(table_cells(line))
    assert all(len(row) == 9 for row in rows), rows
    assert [row[0] for row in rows] == ["1", "2", "3", "4", "6"]
    assert rows[0][1:6] == [
        "Case-study series",
        "delivered",
        "2026-12-01",
        "2027-01-10",
        "alice (Abstract Technology)",
    ]
    assert rows[0][6] == "Abstract Technology, OpenCraft, Édu \\| Lab"
    assert rows[0][8] == "1 withdrawn"
    assert rows[1][1] == "Webinar \\| Q3"
    assert rows[3][2] == "pending"
    sections = [line for line in lines if line.startswith("## ")]
    assert sections == [
        "## #1 Case-study series",
        "## #2 Webinar \\| Q3",
        "## #3 Newsletter revamp",
        "## #4 Booth at the conference",
        "## #6 Translate the brochure",
    ]
    assert (
        "- **Delivered:** 2027-01-10 12:01 UTC by alice (Abstract Technology), "
        "<https://openedx.org/case-studies>: Three studies, one per sector"
    ) in lines
    assert (
        "- **Decided:** 2026-12-06 12:01 UTC, declined by moderator user-umoderator: "
        "Not this quarter"
    ) in lines
    assert "  - carol (Édu \\| Lab), standing: Budget \\<not\\> agreed \\| later" in lines
    assert "  - user-udave, withdrawn 2026-12-01: Overlaps the webinar" in lines
    assert "- **Dropped:** 2027-01-20 12:02 UTC by user-udave: No translators<br>left" in lines
    assert "- **Decision:** pending with the moderators" in lines


# --- --since, --output, and operators' mistakes ---------------------------------------------


def test_since_keeps_what_was_proposed_or_settled_on_or_after_the_day(
    history: RunningBot, tmp_path: Path
) -> None:
    numbers = [
        d["number"]
        for d in json.loads(
            ok(export(history, tmp_path, "--format", "json", "--since", "2027-01-10"))
        )
    ]
    assert numbers == [1, 6]  # #1 delivered on 2027-01-10; #6 proposed and dropped after
    later = json.loads(ok(export(history, tmp_path, "--format", "json", "--since", "2027-01-11")))
    assert [d["number"] for d in later] == [6]
    assert (
        json.loads(ok(export(history, tmp_path, "--format", "json", "--since", "2030-01-01"))) == []
    )
    markdown = ok(export(history, tmp_path, "--since", "2027-01-11"))
    assert "proposed or settled on or after 2027-01-11" in markdown
    assert [line for line in markdown.splitlines() if line.startswith("## ")] == [
        "## #6 Translate the brochure"
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "2027-13-01"], "--since '2027-13-01' is not a date"),
        (["--since", "last week"], "is not a date: write it as YYYY-MM-DD"),
        (["--output", "/nonexistent-dir/decisions.md"], "cannot write --output"),
    ],
)
def test_operator_mistakes_stop_with_one_line(
    history: RunningBot, tmp_path: Path, args: list[str], says: str
) -> None:
    result = export(history, tmp_path, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mwgbot: ")
    assert says in lines[0]


def test_an_output_directory_is_refused_and_a_failed_export_leaves_no_file(
    history: RunningBot, tmp_path: Path
) -> None:
    result = export(history, tmp_path, "--output", str(tmp_path))
    assert result.returncode == 2
    assert "it is a directory" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_without_a_schema_it_says_so_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "empty.db"
    database.touch()
    result = mwgbot(
        "export",
        "decisions",
        cwd=tmp_path,
        env=bare_env(tmp_path, DATABASE_URL=f"sqlite:///{database}"),
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no mwgbot schema yet: run `mwgbot db upgrade` first" in lines[0]


# --- streaming ------------------------------------------------------------------------------


def test_records_stream_a_page_at_a_time(bot: RunningBot) -> None:
    """The export never loads every proposal at once: one page query per page, each run as
    the records are consumed."""
    db = bot.runtime.db
    now = bot.clock.now()
    with db.unit_of_work() as session:
        for number in range(1, 231):
            session.add(
                ProposalRow(
                    group_key="mwg",
                    number=number,
                    title=f"Proposal {number}",
                    proposer_id="UALICE",
                    state="adopted",
                    created_at=now,
                    closes_at=now,
                    closed_at=now,
                )
            )
    pages: list[str] = []
    exporting = threading.get_ident()  # the running bot's own jobs query in other threads

    def count_pages(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        query = statement.lstrip().upper()
        if threading.get_ident() != exporting:
            return
        if query.startswith("SELECT") and "FROM PROPOSALS" in query and "LIMIT" in query:
            pages.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_pages)
    try:
        log = DecisionLog(db, now=now, use_names=False, page_size=50)
        records: Iterator[Any] = log.records()
        first = next(records)
        assert first.number == 1
        assert len(pages) == 1  # only the first page was read
        rest = list(records)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_pages)
    assert len(rest) == 229
    assert [r.number for r in rest][-1] == 230
    assert len(pages) == 6  # five pages of up to 50, then an empty one


def test_a_reader_that_stops_early_gets_no_traceback(bot: RunningBot, tmp_path: Path) -> None:
    """`mwgbot export decisions | head`: more than a pipe holds, and the reader leaves."""
    now = bot.clock.now()
    with bot.runtime.db.unit_of_work() as session:
        for number in range(1, 401):
            session.add(
                ProposalRow(
                    group_key="mwg",
                    number=number,
                    title=f"Proposal {number} " + "t" * 120,
                    proposer_id="UALICE",
                    state="adopted",
                    created_at=now,
                    closes_at=now,
                    closed_at=now,
                )
            )
    env = bare_env(tmp_path, DATABASE_URL=bot.runtime.settings.database_url)
    process = subprocess.Popen(
        [*mwgbot_executable(), "export", "decisions", "--ids"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"# Decision log\n"
    process.stdout.close()  # the reader goes away
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert b"Traceback" not in stderr
