"""Helpers of the edit, extend and limits tests: the edit form as Slack sends it back, and
the ledger rows a step wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mwgbot import fakeslack_payloads as payloads
from mwgbot.db.models import OutboxRow
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.block_kit_checks import assert_valid_view
from tests.conftest import RunningBot


def open_edit_form(bot: RunningBot, number: int, user: str = "UALICE") -> dict[str, Any]:
    """`/mwg edit <n>`: the form that opened (the command's own answer is empty)."""
    before = len(bot.fake.calls_to("views.open"))
    answer = bot.command(f"edit {number}", user=user)
    assert answer.status == 200
    assert answer.seconds < 3  # the form opens within Slack's ack deadline
    assert answer.body == "", answer.body
    opened = bot.fake.calls_to("views.open")
    assert len(opened) == before + 1
    view = dict(opened[-1].args["view"])
    assert view["callback_id"] == ids.VIEW_EDIT
    assert_valid_view(view)
    return view


FIELD_BLOCKS = {
    "title": ids.BLOCK_TITLE,
    "description": ids.BLOCK_DESCRIPTION,
    "stages": ids.BLOCK_STAGES,
    "flags": ids.BLOCK_FLAGS,
}


def submit_edit(
    bot: RunningBot, view: dict[str, Any], user: str = "UALICE", **changes: Any
) -> sr.HttpAnswer:
    """Save the form as Slack sends it: what it showed, with `changes` (title=…, flags=[…])."""
    values = payloads.view_state(view, {FIELD_BLOCKS[k]: v for k, v in changes.items()})
    return bot.send(
        sr.view_submission(
            ids.VIEW_EDIT, values, user_id=user, private_metadata=view["private_metadata"]
        )
    )


def closing_soon(bot: RunningBot, number: int) -> list[str]:
    return [str(m["text"]) for m in bot.thread_replies(number) if ":alarm_clock:" in m["text"]]


def outbox_keys(bot: RunningBot, prefix: str) -> dict[str, str]:
    """Dedupe key → state of the outbox rows whose key starts with `prefix`."""
    with bot.runtime.db.unit_of_work() as session:
        rows = session.execute(
            select(OutboxRow.dedupe_key, OutboxRow.state).where(
                OutboxRow.dedupe_key.like(prefix + "%")
            )
        ).all()
    return {str(key): str(state) for key, state in rows}
