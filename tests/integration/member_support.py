"""Helpers of the member tests (welcome, time, Home tab): events sent as Slack sends them, and
what a member sees in their DM and their Home tab."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from mwgbot.db.models import ActivityRow, GroupMemberRow, MemberRow, OutboxRow, TimeEntryRow
from tests import slack_requests as sr
from tests.block_kit_checks import assert_every_payload_valid
from tests.conftest import CHANNEL, RunningBot, card_as_text


def join_channel(
    bot: RunningBot,
    user: str,
    *,
    channel: str = CHANNEL,
    event_id: str | None = None,
    retry_num: int | None = None,
) -> sr.HttpAnswer:
    event = sr.member_joined(user, channel_id=channel)
    event_id = event_id or f"EvJoin{user}{time.monotonic_ns()}"
    return bot.send(sr.event_callback(event, event_id=event_id, retry_num=retry_num))


def dm_messages(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    """What the app posted in its DM with a member (their Messages tab)."""
    channel = bot.fake.dm_channel(user)
    return bot.fake.messages(channel) if channel else []


def dm_texts(bot: RunningBot, user: str) -> list[str]:
    return [card_as_text(m) for m in dm_messages(bot, user)]


def member(bot: RunningBot, user: str) -> MemberRow | None:
    with bot.runtime.db.unit_of_work() as session:
        return session.get(MemberRow, user)


def group_member(bot: RunningBot, user: str, group: str = "mwg") -> GroupMemberRow | None:
    """The member in one group: when they joined its channel, when it welcomed them."""
    with bot.runtime.db.unit_of_work() as session:
        return session.get(GroupMemberRow, (group, user))


def outbox_rows(bot: RunningBot, kind: str) -> list[tuple[str | None, str, int]]:
    """(dedupe key, state, attempts) of the outbox rows of one kind, oldest first."""
    with bot.runtime.db.unit_of_work() as session:
        rows = session.execute(
            select(OutboxRow.dedupe_key, OutboxRow.state, OutboxRow.attempts)
            .where(OutboxRow.kind == kind)
            .order_by(OutboxRow.id)
        ).all()
    return [(key, state, attempts) for key, state, attempts in rows]


def count(bot: RunningBot, model: Any) -> int:
    with bot.runtime.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def ledger_rows(bot: RunningBot) -> list[tuple[str, str, str | None, int | None, dict[str, Any]]]:
    """(kind, via, actor, proposal, details) of every ledger row, oldest first."""
    with bot.runtime.db.unit_of_work() as session:
        rows = session.scalars(select(ActivityRow).order_by(ActivityRow.id)).all()
        return [(r.kind, r.via, r.actor_id, r.proposal_number, dict(r.details)) for r in rows]


def entries(bot: RunningBot) -> int:
    return count(bot, TimeEntryRow)


def open_home(bot: RunningBot, user: str, *, tab: str = "home") -> sr.HttpAnswer:
    view = home_of(bot, user, required=False)
    event = sr.app_home_opened(user, tab=tab, view=view)
    return bot.send(sr.event_callback(event, event_id=f"EvHome{user}{time.monotonic_ns()}"))


def home_of(bot: RunningBot, user: str, *, required: bool = True) -> dict[str, Any] | None:
    """The Home view currently published for a member (as Slack keeps it)."""
    for view in bot.fake.views:
        if view["type"] == "home" and view["user_id"] == user:
            return {k: v for k, v in view.items() if k not in ("trigger_id", "user_id")}
    assert not required, f"no Home view was published for {user}"
    return None


def home_text(bot: RunningBot, user: str) -> str:
    view = home_of(bot, user)
    assert view is not None
    return card_as_text({"text": "", "blocks": view["blocks"]}) + "\n" + accessories(view)


def accessories(view: dict[str, Any]) -> str:
    """The labels of the buttons beside sections (card_as_text reads elements only)."""
    return "\n".join(
        str(block["accessory"]["text"]["text"])
        for block in view.get("blocks") or []
        if isinstance(block.get("accessory"), dict) and "text" in block["accessory"]
    )


def publishes(bot: RunningBot, user: str) -> int:
    return sum(
        1
        for call in bot.fake.calls_to("views.publish", include_failed=False)
        if call.args.get("user_id") == user
    )


def all_valid(bot: RunningBot) -> None:
    """Every message and view the bot sent in this test is valid Block Kit."""
    assert assert_every_payload_valid(bot.fake) > 0
