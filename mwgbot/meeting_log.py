"""The meetings' record in three formats, as `mwgbot export meetings` writes it: Markdown for a
wiki page, CSV (RFC 4180) for a spreadsheet, JSON for programs. Pure writers over
MeetingRecords, mirroring the decision log (`mwgbot.decision_log`); people by user ID.

JSON: an array of ``{"group", "meeting", "topics": [{"number", "text", "added_by",
"carried_over", "carried_to"}], "notes": [{"link", "summary", "added_by", "added_at"}]}``,
oldest meeting first; ``carried_to`` is the meeting a topic discussed there went on to.
CSV: one row per topic and per note, in that order within each meeting.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from mwgbot.decision_log import FORMATS, md, md_link, timestamp
from mwgbot.services.read_models import AgendaTopic, MeetingNote

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "MeetingRecord",
    "as_json",
    "write_csv",
    "write_json",
    "write_markdown",
]

CSV_COLUMNS = (
    "group",
    "meeting",
    "kind",
    "number",
    "text",
    "added_by",
    "carried_over",
    "link",
    "added_at",
    "carried_to",
)


@dataclass(frozen=True)
class MeetingRecord:
    """One meeting of one group, with its standing topics and its notes."""

    group: str
    meeting: datetime
    topics: tuple[AgendaTopic, ...] = ()
    notes: tuple[MeetingNote, ...] = ()


def as_json(record: MeetingRecord) -> dict[str, Any]:
    return {
        "group": record.group,
        "meeting": timestamp(record.meeting),
        "topics": [
            {
                "number": t.number,
                "text": t.text,
                "added_by": t.added_by,
                "carried_over": t.carried_over,
                "carried_to": timestamp(t.carried_to) if t.carried_to else None,
            }
            for t in record.topics
        ],
        "notes": [
            {
                "link": n.link,
                "summary": n.summary,
                "added_by": n.added_by,
                "added_at": timestamp(n.added_at),
            }
            for n in record.notes
        ],
    }


def write_json(out: TextIO, records: Iterable[MeetingRecord]) -> int:
    """A JSON array, one meeting per line."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(as_json(record), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_csv(out: TextIO, records: Iterable[MeetingRecord]) -> int:
    """RFC 4180; `out` must be opened with newline="" so the CRLFs stay as they are."""
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        when = timestamp(record.meeting)
        for t in record.topics:
            writer.writerow(
                [
                    record.group,
                    when,
                    "topic",
                    t.number,
                    t.text,
                    t.added_by,
                    t.carried_over,
                    "",
                    "",
                    timestamp(t.carried_to) if t.carried_to else "",
                ]
            )
        for n in record.notes:
            writer.writerow(
                [
                    record.group,
                    when,
                    "notes",
                    "",
                    n.summary or "",
                    n.added_by,
                    "",
                    n.link,
                    timestamp(n.added_at),
                    "",
                ]
            )
        count += 1
    return count


def _minute(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def write_markdown(
    out: TextIO, records: Sequence[MeetingRecord], *, exported_at: datetime, several: bool
) -> int:
    """A heading per meeting, its topics numbered, its notes as links."""
    count = len(records)
    out.write("# Meetings\n\n")
    out.write(
        f"Exported {_minute(exported_at)}: {count} meeting{'s' if count != 1 else ''} with "
        "topics or notes. People are shown by Slack user ID.\n\n"
    )
    for record in records:
        group = f"{md(record.group)} · " if several else ""
        out.write(f"## {group}{_minute(record.meeting)}\n\n")
        if record.topics:
            out.write("Topics:\n\n")
            for t in record.topics:
                carried = " (carried over)" if t.carried_over else ""
                if t.carried_to is not None:
                    carried += f" (carried over to {_minute(t.carried_to)})"
                out.write(f"{t.number}. {md(t.text)}, added by {md(t.added_by)}{carried}\n")
            out.write("\n")
        if record.notes:
            out.write("Notes and recordings:\n\n")
            for n in record.notes:
                summary = f": {md(n.summary)}" if n.summary else ""
                out.write(f"- {md_link(n.link)}{summary}, added by {md(n.added_by)}\n")
            out.write("\n")
    return count
