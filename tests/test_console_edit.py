"""The console's `edit` line and `/mwg extend`: the same form and commands as in Slack."""

from __future__ import annotations

import io

from sqlalchemy import select

from mwgbot.console.session import Console
from mwgbot.db.models import ActivityRow, ProposalRow


def run(console: Console, out: io.StringIO, line: str) -> str:
    start = len(out.getvalue())
    console.handle(line)
    return out.getvalue()[start:]


def proposal(console: Console) -> ProposalRow:
    with console.runtime.db.unit_of_work() as db:
        row = db.get(ProposalRow, ("mwg", 1))
        assert row is not None
        db.expunge(row)
        return row


def edits(console: Console) -> list[str]:
    with console.runtime.db.unit_of_work() as db:
        return [
            str(r.via)
            for r in db.scalars(select(ActivityRow).where(ActivityRow.kind == "edited")).all()
        ]


def test_edit_lines_save_the_form_as_slack_would(
    console_session: tuple[Console, io.StringIO],
) -> None:
    console, out = console_session
    run(console, out, "/mwg propose Case-study seriez --close 4d --stage awareness")

    shown = run(console, out, "edit #1 title Case-study series")
    assert "(you change the title of #1 in its form and press Save)" in shown
    assert "↳ in thread of #1: :pencil2: @alice edited #1:" in shown
    assert "Title: “Case-study seriez” → “Case-study series”" in shown
    assert "(updated card #1): #1 Case-study series" in shown

    run(console, out, "edit #1 description Three stories from adopters")
    run(console, out, "edit #1 stages awareness,interest")
    run(console, out, "edit #1 leads on")
    run(console, out, "edit #1 cobranded on")
    run(console, out, "edit #1 leads off")
    row = proposal(console)
    assert (row.title, row.description, row.stages) == (
        "Case-study series",
        "Three stories from adopters",
        "awareness,interest",
    )
    assert (row.collects_leads, row.cobranded) == (False, True)
    assert edits(console) == ["modal"] * 6  # the form's code path, one ledger row each

    assert "Nothing changed in #1." in run(console, out, "edit #1 cobranded on")
    run(console, out, "edit #1 description -")
    run(console, out, "edit #1 stages -")
    row = proposal(console)
    assert (row.description, row.stages) == ("", "")


def test_edit_lines_are_refused_as_in_slack(console_session: tuple[Console, io.StringIO]) -> None:
    console, out = console_session
    run(console, out, "/mwg propose Case-study series --close 4d")
    assert "? fame: not among the options of stages" in run(console, out, "edit #1 stages fame")
    assert "? 'colour' is not a field of the edit form" in run(console, out, "edit #1 colour red")
    assert "? say on or off" in run(console, out, "edit #1 leads maybe")
    assert "? usage: edit #<n>" in run(console, out, "edit")
    too_long = run(console, out, "edit #1 title " + "t" * 151)
    assert "(the form says, and stays open: At most 150 characters.)" in too_long
    run(console, out, "as bob")
    refused = run(console, out, "edit #1 title Mine now")
    assert "Only the proposer of #1 or a moderator can edit it" in refused
    assert "press Save" not in refused
    assert "there is no proposal" in run(console, out, "/mwg edit 9").lower()
    assert edits(console) == []


def test_extend_in_the_console(console_session: tuple[Console, io.StringIO]) -> None:
    console, out = console_session
    run(console, out, "/mwg propose Case-study series --close 4d")
    shown = run(console, out, "/mwg extend 1 3d")
    assert "#1 now closes Mon 2026-12-14 09:00 UTC (it was Fri 2026-12-11 09:00 UTC)" in shown
    assert "@alice extended #1's consensus window by 3d" in shown
    assert "Open · closes Mon 2026-12-14 09:00 UTC" in shown  # the card, updated
    assert "is adopted by lazy consensus" not in run(console, out, "clock +4d")
    assert "#1 Case-study series is adopted by lazy consensus" in run(console, out, "clock +3d")
