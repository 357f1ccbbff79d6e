"""The decision log in three formats: Markdown for a wiki page, CSV (RFC 4180) for a
spreadsheet, JSON for programs. Pure writers over DecisionRecords; they stream.

The JSON shape is documented in the README ("The decision log"); tests read it back against
that description.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, TextIO

from mwgbot.services.decisions import DecisionRecord, ObjectionEntry, Person

__all__ = ["CSV_COLUMNS", "FORMATS", "as_json", "write_csv", "write_json", "write_markdown"]

FORMATS = ("markdown", "csv", "json")

CSV_COLUMNS = (
    "number",
    "title",
    "outcome",
    "proposed_at",
    "closed_at",
    "decided_at",
    "finished_at",
    "proposer",
    "organizations",
    "joiner_count",
    "joiners",
    "standing_objections",
    "withdrawn_objections",
    "objections",
    "decided_by",
    "verdict",
    "decision_note",
    "withdrawn_by",
    "finished_by",
    "delivery_link",
    "delivery_note",
    "drop_reason",
)


def timestamp(when: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second: `2026-12-01T12:00:00Z`."""
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- JSON -----------------------------------------------------------------------------------


def _person(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"id": person.id, "name": person.name, "organization": person.organization}


def _objection(objection: ObjectionEntry) -> dict[str, Any]:
    return {
        "by": _person(objection.by),
        "reason": objection.reason,
        "status": objection.status,
        "made_at": timestamp(objection.made_at),
        "withdrawn_at": timestamp(objection.withdrawn_at),
    }


def as_json(record: DecisionRecord) -> dict[str, Any]:
    decision = record.decision
    return {
        "number": record.number,
        "title": record.title,
        "outcome": record.outcome,
        "proposed_at": timestamp(record.proposed_at),
        "closed_at": timestamp(record.closed_at),
        "decided_at": timestamp(record.decided_at),
        "finished_at": timestamp(record.finished_at),
        "proposer": _person(record.proposer),
        "organizations": list(record.organizations),
        "joiners": [
            {**(_person(j.person) or {}), "joined_at": timestamp(j.joined_at)}
            for j in record.joiners
        ],
        "objections": [_objection(o) for o in record.objections],
        "decision": None
        if decision is None
        else {
            "by": _person(decision.by),
            "as": decision.role,
            "verdict": decision.verdict,
            "note": decision.note,
            "decided_at": timestamp(decision.at),
        },
        "withdrawn_by": _person(record.withdrawn_by),
        "finished_by": _person(record.finished_by),
        "delivery_link": record.delivery_link,
        "delivery_note": record.delivery_note,
        "drop_reason": record.drop_reason,
    }


def write_json(out: TextIO, records: Iterable[DecisionRecord], *, with_group: bool = False) -> int:
    """A JSON array, one object per line, written as the records come; with several groups
    (`with_group`), each object names its group first."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        data = as_json(record)
        if with_group:
            data = {"group": record.group, **data}
        out.write(json.dumps(data, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


# --- CSV ------------------------------------------------------------------------------------


def _label(person: Person | None) -> str:
    if person is None:
        return ""
    return f"{person.label} ({person.organization})" if person.organization else person.label


def _objection_line(objection: ObjectionEntry) -> str:
    line = f"{_label(objection.by)} ({objection.status})"
    return f"{line}: {objection.reason}" if objection.reason else line


def write_csv(out: TextIO, records: Iterable[DecisionRecord], *, with_group: bool = False) -> int:
    """RFC 4180: a header, then one row per proposal; CRLF line ends; fields quoted as needed.
    With several groups (`with_group`), a first column names each row's group.

    `out` must be opened with newline="" so the CRLFs stay as they are.
    """
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    writer.writerow(("group", *CSV_COLUMNS) if with_group else CSV_COLUMNS)
    count = 0
    for record in records:
        decision = record.decision
        writer.writerow(
            ([record.group] if with_group else [])
            + [
                record.number,
                record.title,
                record.outcome,
                timestamp(record.proposed_at),
                timestamp(record.closed_at) or "",
                timestamp(record.decided_at) or "",
                timestamp(record.finished_at) or "",
                _label(record.proposer),
                "; ".join(record.organizations),
                len(record.joiners),
                "; ".join(_label(j.person) for j in record.joiners),
                sum(1 for o in record.objections if o.standing),
                sum(1 for o in record.objections if not o.standing),
                "\n".join(_objection_line(o) for o in record.objections),
                _label(decision.by) if decision else "",
                decision.verdict if decision else "",
                decision.note if decision else "",
                _label(record.withdrawn_by),
                _label(record.finished_by),
                record.delivery_link or "",
                record.delivery_note or "",
                record.drop_reason or "",
            ]
        )
        count += 1
    return count


# --- Markdown -------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")


def md(text: str) -> str:
    """User text made inert in Markdown (and in a table cell): specials backslashed,
    `&` as an entity, line breaks as <br>."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))
    return "<br>".join(line.strip() for line in text.replace("\r\n", "\n").split("\n"))


def _md_person(person: Person | None) -> str:
    if person is None:
        return ""
    label = md(person.label)
    return f"{label} ({md(person.organization)})" if person.organization else label


def md_link(link: str) -> str:
    if re.fullmatch(r"https?://[^\s<>()\[\]|]+", link):
        return f"<{link}>"
    return md(link)


def _day(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d") if when else ""


def _minute(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _objection_summary(record: DecisionRecord) -> str:
    standing = sum(1 for o in record.objections if o.standing)
    withdrawn = len(record.objections) - standing
    parts = [f"{standing} standing"] if standing else []
    parts += [f"{withdrawn} withdrawn"] if withdrawn else []
    return ", ".join(parts) or "none"


def _ref(record: DecisionRecord, with_group: bool) -> str:
    """`#n`, or `key#n` when the log holds several groups (each numbers from 1)."""
    return f"{record.group}#{record.number}" if with_group else f"#{record.number}"


def _summary_row(record: DecisionRecord, with_group: bool = False) -> str:
    cells = [
        _ref(record, with_group) if with_group else str(record.number),
        md(record.title),
        record.outcome,
        _day(record.proposed_at),
        _day(record.settled_at),
        _md_person(record.proposer),
        ", ".join(md(o) for o in record.organizations),
        str(len(record.joiners)),
        _objection_summary(record),
    ]
    return "| " + " | ".join(cells) + " |"


def _section(record: DecisionRecord, with_group: bool = False) -> list[str]:
    lines = [f"## {_ref(record, with_group)} {md(record.title)}", ""]
    lines.append(f"- **Outcome:** {record.outcome}")
    lines.append(f"- **Proposed:** {_minute(record.proposed_at)} by {_md_person(record.proposer)}")
    if record.closed_at:
        lines.append(f"- **Closed:** {_minute(record.closed_at)}")
    if record.withdrawn_by:
        lines.append(f"- **Withdrawn by:** {_md_person(record.withdrawn_by)}")
    if record.decision:
        decision = record.decision
        verb = "adopted" if decision.verdict == "adopt" else "declined"
        lines.append(
            f"- **Decided:** {_minute(decision.at)}, {verb} by {decision.role} "
            f"{_md_person(decision.by)}: {md(decision.note)}"
        )
    elif record.decided_at:  # escalated, then no one needed to decide
        lines.append(
            f"- **Adopted by consensus:** {_minute(record.decided_at)}, after the close, when "
            "the last standing objection was withdrawn"
        )
    elif record.outcome == "pending":
        lines.append("- **Decision:** pending with the moderators")
    if record.outcome == "delivered" and record.finished_at:
        delivered = f"- **Delivered:** {_minute(record.finished_at)}"
        if record.finished_by:
            delivered += f" by {_md_person(record.finished_by)}"
        if record.delivery_link:
            delivered += f", {md_link(record.delivery_link)}"
        if record.delivery_note:
            delivered += f": {md(record.delivery_note)}"
        lines.append(delivered)
    if record.outcome == "dropped" and record.finished_at:
        dropped = f"- **Dropped:** {_minute(record.finished_at)}"
        if record.finished_by:
            dropped += f" by {_md_person(record.finished_by)}"
        if record.drop_reason:
            dropped += f": {md(record.drop_reason)}"
        lines.append(dropped)
    orgs = ", ".join(md(o) for o in record.organizations) or "none recorded"
    lines.append(f"- **Organizations engaged:** {orgs}")
    joined = ", ".join(_md_person(j.person) for j in record.joiners) or "no one"
    lines.append(f"- **Joined ({len(record.joiners)}):** {joined}")
    if not record.objections:
        lines.append("- **Objections:** none")
    else:
        lines.append(f"- **Objections ({_objection_summary(record)}):**")
        for objection in record.objections:
            line = f"  - {_md_person(objection.by)}, {objection.status}"
            if objection.withdrawn_at:
                line += f" {_day(objection.withdrawn_at)}"
            line += f": {md(objection.reason)}" if objection.reason else ": no reason given"
            lines.append(line)
    lines.append("")
    return lines


def write_markdown(
    out: TextIO,
    records: Callable[[], Iterable[DecisionRecord]],
    *,
    count: int,
    exported_at: datetime,
    since: date | None = None,
    names: bool = True,
    with_group: bool = False,
) -> int:
    """A summary table, then one section per proposal; `records` is read twice. With several
    groups (`with_group`), each proposal is named `key#n`."""
    scope = f", proposed or settled on or after {since.isoformat()}" if since else ""
    who = "Slack display name where known, else user ID" if names else "Slack user ID"
    out.write("# Decision log\n\n")
    out.write(
        f"Exported {_minute(exported_at)}: {count} proposal{'s' if count != 1 else ''} with an "
        f"outcome (escalated ones are pending){scope}. People are shown by {who}.\n\n"
    )
    out.write(
        "| # | Title | Outcome | Proposed | Settled | Proposer | Organizations | Joined "
        "| Objections |\n"
    )
    out.write("| ---: | --- | --- | --- | --- | --- | --- | ---: | --- |\n")
    written = 0
    for record in records():
        out.write(_summary_row(record, with_group) + "\n")
        written += 1
    out.write("\n")
    for record in records():
        out.write("\n".join(_section(record, with_group)) + "\n")
    return written
