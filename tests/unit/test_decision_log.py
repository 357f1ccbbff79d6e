"""The decision log's writers: pure, over records; whatever members typed stays in its cell."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from mwgbot import decision_log
from mwgbot.services.decisions import (
    DecisionEntry,
    DecisionRecord,
    Joiner,
    ObjectionEntry,
    Person,
)

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TRICKY = 'A "quoted", | piped\nmulti-line *bold* _it_ [link](x) <b> & `code` # not a heading \\'


def record(**overrides: object) -> DecisionRecord:
    values: dict[str, object] = {
        "number": 7,
        "title": TRICKY,
        "outcome": "declined",
        "proposed_at": AT,
        "proposer": Person("UALICE", "Alice | A", "Org, Inc."),
        "closed_at": AT + timedelta(days=4),
        "decided_at": AT + timedelta(days=5),
        "organizations": ("Org, Inc.", "Édu | Lab"),
        "joiners": (Joiner(Person("UBOB", None, None), AT),),
        "objections": (
            ObjectionEntry(Person("former member 2"), TRICKY, True, AT),
            ObjectionEntry(Person("UCAROL", "carol"), None, False, AT, AT + timedelta(hours=1)),
        ),
        "decision": DecisionEntry(Person("UMOD", "mod"), "decline", TRICKY, AT + timedelta(days=5)),
    }
    values.update(overrides)
    return DecisionRecord(**values)  # type: ignore[arg-type]


def test_csv_round_trips_any_text() -> None:
    out = io.StringIO(newline="")
    assert decision_log.write_csv(out, [record(), record(number=8)]) == 2
    raw = out.getvalue()
    assert raw.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    assert [r["number"] for r in rows] == ["7", "8"]
    assert rows[0]["title"] == TRICKY
    assert rows[0]["decision_note"] == TRICKY
    assert rows[0]["proposer"] == "Alice | A (Org, Inc.)"
    assert rows[0]["objections"] == (f"former member 2 (standing): {TRICKY}\ncarol (withdrawn)")
    assert rows[0]["joiners"] == "UBOB"
    assert rows[0]["decided_at"] == "2026-12-06T12:00:00Z"


def test_json_is_one_array_written_as_it_goes() -> None:
    out = io.StringIO()
    assert decision_log.write_json(out, iter([record(), record(number=8)])) == 2
    parsed = json.loads(out.getvalue())
    assert [p["number"] for p in parsed] == [7, 8]
    assert parsed[0]["title"] == TRICKY
    assert parsed[0]["objections"][1]["withdrawn_at"] == "2026-12-01T13:00:00Z"
    assert parsed[0]["joiners"] == [
        {"id": "UBOB", "name": None, "organization": None, "joined_at": "2026-12-01T12:00:00Z"}
    ]
    empty = io.StringIO()
    assert decision_log.write_json(empty, []) == 0
    assert json.loads(empty.getvalue()) == []


def cells(line: str) -> list[str]:
    return re.split(r"(?<!\\)\|", line.strip()[1:-1])


def test_markdown_keeps_member_text_inside_its_cell_and_line() -> None:
    out = io.StringIO()
    decision_log.write_markdown(out, lambda: [record()], count=1, exported_at=AT)
    lines = out.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| # |"))
    row = lines[header + 2]
    assert len(cells(row)) == len(cells(lines[header])) == 9
    assert "\n" not in row
    title = cells(row)[1].strip()
    assert title == (
        'A "quoted", \\| piped<br>multi-line \\*bold\\* \\_it\\_ \\[link\\](x) \\<b\\> &amp; '
        "\\`code\\` \\# not a heading \\\\"
    )
    headings = [line for line in lines if line.startswith("#")]
    assert headings == ["# Decision log", f"## #7 {title}"]
    assert "  - former member 2, standing: " in out.getvalue()
    assert "  - carol, withdrawn 2026-12-01: no reason given" in lines


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        ("https://openedx.org/blog/post-1", "<https://openedx.org/blog/post-1>"),
        ("see the wiki <here>", "see the wiki \\<here\\>"),
        ("javascript:alert(1)", "javascript:alert(1)"),
    ],
)
def test_markdown_links_only_web_addresses(link: str, shown: str) -> None:
    out = io.StringIO()
    delivered = record(
        outcome="delivered",
        decision=None,
        finished_at=AT + timedelta(days=20),
        finished_by=Person("UALICE", "alice"),
        delivery_link=link,
    )
    decision_log.write_markdown(out, lambda: [delivered], count=1, exported_at=AT)
    delivered_line = next(
        line for line in out.getvalue().splitlines() if line.startswith("- **Delivered:**")
    )
    assert delivered_line == f"- **Delivered:** 2026-12-21 12:00 UTC by alice, {shown}"
