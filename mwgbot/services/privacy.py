"""Members' data rights: everything the bot holds about one member (`/mwg mydata`), and
forgetting them (`/mwg forget-me`, `mwgbot forget`).

Forgetting erases what is about the member alone (their member row with organization and
welcome record, hours, reaction marks, command counts, messages queued for them) and replaces
their Slack user ID everywhere else by a pseudonym, "former member N", so the group's decisions
still read correctly. The rest of the record is found by scanning every text and JSON column of
every table, so a column added later is covered without a change here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, Table, Text, cast, delete, or_, select, tuple_, update
from sqlalchemy.orm import Session

from mwgbot.db.models import (
    ActivityRow,
    AgendaTopicRow,
    Base,
    CommandCountRow,
    FormerMemberRow,
    GroupMemberRow,
    MeetingNoteRow,
    MeetingSkipRow,
    MemberRow,
    ObjectionRow,
    OutboxRow,
    ProposalRow,
    ProposalUpdateRow,
    ReactionMarkRow,
    SignupRow,
    TimeEntryRow,
)
from mwgbot.domain.activity import ActivityKind, Via
from mwgbot.services import ledger

PSEUDONYM = "former member {}"

# Ledger rows whose details are the erased data itself: the row stays, its details go.
ERASED_DETAILS = (
    ActivityKind.ORGANIZATION_SET.value,
    ActivityKind.TIME_LOGGED.value,
    ActivityKind.TIME_REMOVED.value,
)

# Tables whose rows show on a proposal's card: a pseudonym there means the card is re-rendered.
CARD_TABLES = ("proposals", "signups", "objections", "proposal_updates")

_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")


def is_user_id(text: str) -> bool:
    return _SLACK_USER_ID.fullmatch(text) is not None


# --- what the bot holds ------------------------------------------------------------------


def member_data(session: Session, user_id: str) -> dict[str, Any]:
    """Everything stored about one member, as JSON-ready data, oldest first in each list."""
    member = session.get(MemberRow, user_id)
    proposals = session.scalars(
        select(ProposalRow)
        .where(
            or_(
                ProposalRow.proposer_id == user_id,
                ProposalRow.decided_by == user_id,
                ProposalRow.withdrawn_by == user_id,
                ProposalRow.finished_by == user_id,
            )
        )
        .order_by(ProposalRow.group_key, ProposalRow.number)
    ).all()
    return {
        "user_id": user_id,
        "member": _member(member) if member else None,
        # Per group: when they joined its channel, when its welcome was queued.
        "groups": [
            {
                "group": g.group_key,
                "joined_channel_at": _iso(g.joined_channel_at),
                "welcomed_at": _iso(g.welcomed_at),
            }
            for g in _rows(
                session, GroupMemberRow, GroupMemberRow.user_id == user_id, GroupMemberRow.group_key
            )
        ],
        "proposals": [_proposal(p, user_id) for p in proposals],
        "joins": [
            {"group": s.group_key, "proposal": s.proposal_number, "joined_at": _iso(s.joined_at)}
            for s in _rows(session, SignupRow, SignupRow.user_id == user_id, SignupRow.id)
        ],
        "objections": [
            {
                "group": o.group_key,
                "proposal": o.proposal_number,
                "reason": o.reason,
                "made_at": _iso(o.made_at),
            }
            for o in _rows(session, ObjectionRow, ObjectionRow.user_id == user_id, ObjectionRow.id)
        ],
        "updates": [
            {
                "group": u.group_key,
                "proposal": u.proposal_number,
                "text": u.text,
                "posted_at": _iso(u.created_at),
            }
            for u in _rows(
                session,
                ProposalUpdateRow,
                ProposalUpdateRow.author_id == user_id,
                ProposalUpdateRow.id,
            )
        ],
        "hours": [
            {
                "entry": t.id,
                "group": t.group_key,
                "proposal": t.proposal_number,
                "minutes": t.minutes,
                "what": t.what,
                "worked_on": _iso(t.worked_on),
                "logged_at": _iso(t.created_at),
            }
            for t in _rows(session, TimeEntryRow, TimeEntryRow.user_id == user_id, TimeEntryRow.id)
        ],
        "reactions": [
            {
                "group": r.group_key,
                "proposal": r.proposal_number,
                "meaning": r.meaning,
                "emoji": r.emoji,
                "on": r.present,
            }
            for r in _rows(
                session,
                ReactionMarkRow,
                ReactionMarkRow.user_id == user_id,
                ReactionMarkRow.proposal_number,
            )
        ],
        "meetings_skipped": [
            {
                "group": m.group_key,
                "meeting": _iso(m.meeting_date),
                "skipped_at": _iso(m.skipped_at),
            }
            for m in _rows(
                session,
                MeetingSkipRow,
                MeetingSkipRow.skipped_by == user_id,
                MeetingSkipRow.meeting_date,
            )
        ],
        "agenda_topics": [
            {
                "group": t.group_key,
                "meeting": _iso(t.meeting_at),
                "number": t.number,
                "text": t.text,
                "added_at": _iso(t.added_at),
                "removed_at": _iso(t.removed_at),
            }
            for t in _rows(
                session, AgendaTopicRow, AgendaTopicRow.added_by == user_id, AgendaTopicRow.id
            )
        ],
        "meeting_notes": [
            {
                "group": n.group_key,
                "meeting": _iso(n.meeting_at),
                "link": n.link,
                "summary": n.summary,
                "added_at": _iso(n.added_at),
            }
            for n in _rows(
                session, MeetingNoteRow, MeetingNoteRow.added_by == user_id, MeetingNoteRow.id
            )
        ],
        "commands_per_minute": [
            {"minute": _iso(c.minute), "count": c.count}
            for c in _rows(
                session, CommandCountRow, CommandCountRow.user_id == user_id, CommandCountRow.minute
            )
        ],
        "activity": [
            {
                "at": _iso(a.at),
                "kind": a.kind,
                "via": a.via,
                "group": a.group_key,
                "proposal": a.proposal_number,
                "details": dict(a.details or {}),
            }
            for a in _rows(session, ActivityRow, ActivityRow.actor_id == user_id, ActivityRow.id)
        ],
    }


def _rows(session: Session, model: type[Base], where: Any, order: Any) -> list[Any]:
    return list(session.scalars(select(model).where(where).order_by(order)).all())


def _member(member: MemberRow) -> dict[str, Any]:
    return {
        "organization": member.organization,
        "first_seen_at": _iso(member.first_seen_at),
        "last_active_at": _iso(member.last_active_at),
        "organization_updated_at": _iso(member.updated_at),
        "display_name": member.display_name,
        "display_name_checked_at": _iso(member.display_name_checked_at),
    }


def _proposal(row: ProposalRow, user_id: str) -> dict[str, Any]:
    roles = [
        role
        for role, who in (
            ("proposer", row.proposer_id),
            ("moderator", row.decided_by),
            ("withdrew", row.withdrawn_by),
            ("finished", row.finished_by),
        )
        if who == user_id
    ]
    return {
        "group": row.group_key,
        "number": row.number,
        "title": row.title,
        "state": row.state,
        "roles": roles,
        "proposed_at": _iso(row.created_at),
        "closed_at": _iso(row.closed_at),
    }


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- forgetting --------------------------------------------------------------------------


@dataclass(frozen=True)
class Forgotten:
    user_id: str
    pseudonym: str | None  # None: nothing was held about them
    erased: int = 0  # rows deleted, and ledger rows whose details were cleared
    pseudonymized: int = 0  # rows where their ID was replaced by the pseudonym
    cards: tuple[int, ...] = ()  # proposals whose card is re-rendered

    @property
    def found(self) -> bool:
        return self.pseudonym is not None


@dataclass(frozen=True)
class _Match:
    table: Table
    key: dict[str, Any]
    values: dict[str, Any]
    proposal: tuple[str, int] | None  # the proposal this row belongs to (group, number), if any


def forget(session: Session, user_id: str, *, now: datetime, via: Via) -> Forgotten:
    """Erase a member's own data and pseudonymize the rest, in the caller's unit of work.

    A second run finds nothing and changes nothing (no new pseudonym, no ledger row).
    """
    if not is_user_id(user_id):
        raise ValueError(f"not a Slack user ID: {user_id!r}")
    erased = _erase(session, user_id)
    mention = _mention_pattern(user_id)
    matches = _find(session, user_id, mention)
    if not erased and not matches:
        return Forgotten(user_id, None)
    former = FormerMemberRow(forgotten_at=now)
    session.add(former)
    session.flush()
    pseudonym = PSEUDONYM.format(former.id)
    numbers: set[tuple[str, int]] = set()
    for match in matches:
        changes = {
            name: _fit(match.table, name, _replace(value, mention, pseudonym))
            for name, value in match.values.items()
        }
        session.execute(
            update(match.table)
            .where(*(match.table.c[name] == value for name, value in match.key.items()))
            .values(**changes)
        )
        if match.table.name in CARD_TABLES and match.proposal is not None:
            numbers.add(match.proposal)
    if numbers:
        session.execute(
            update(ProposalRow)
            .where(tuple_(ProposalRow.group_key, ProposalRow.number).in_(sorted(numbers)))
            .values(card_revision=ProposalRow.card_revision + 1)
        )
    # The pages mention members too: each is redrawn without the forgotten one's ID.
    ledger.record(session, kind=ActivityKind.FORGOTTEN, at=now, via=via, page_key=ledger.EVERY_PAGE)
    session.flush()
    cards = tuple(number for _group, number in sorted(numbers))
    return Forgotten(user_id, pseudonym, erased, len(matches), cards)


def _erase(session: Session, user_id: str) -> int:
    """Delete what is about this member alone; clear ledger details that repeat it. The
    number of rows of their data erased (the bot's own bookkeeping aside)."""
    data = [
        update(ActivityRow)
        .where(ActivityRow.actor_id == user_id, ActivityRow.kind.in_(ERASED_DETAILS))
        .values(details={}),
        delete(MemberRow).where(MemberRow.user_id == user_id),
        delete(GroupMemberRow).where(GroupMemberRow.user_id == user_id),
        delete(TimeEntryRow).where(TimeEntryRow.user_id == user_id),
        delete(ReactionMarkRow).where(ReactionMarkRow.user_id == user_id),
    ]
    # Bookkeeping: anyone who types /mwg is counted for the rate limit, and answers to them
    # are queued; erased too, but it does not make them someone the bot holds data about.
    bookkeeping = [
        delete(CommandCountRow).where(CommandCountRow.user_id == user_id),
        # Ephemerals and direct messages to them, queued or sent: they are about them only.
        delete(OutboxRow).where(or_(OutboxRow.user_id == user_id, OutboxRow.channel_id == user_id)),
    ]
    count = 0
    for statement in data:
        result = session.execute(statement.execution_options(synchronize_session=False))
        count += int(getattr(result, "rowcount", 0) or 0)
    for statement in bookkeeping:
        session.execute(statement.execution_options(synchronize_session=False))
    return count


def _text_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, String | JSON)]


def _find(session: Session, user_id: str, mention: re.Pattern[str]) -> list[_Match]:
    """Every row of every table with the ID in a text or JSON column (LIKE narrows, the
    pattern decides: `U12` is not found inside `U123`)."""
    matches = []
    for table in Base.metadata.sorted_tables:
        columns = _text_columns(table)
        if not columns:
            continue
        keys = [c.name for c in table.primary_key.columns]
        proposal = next((c for c in ("number", "proposal_number") if c in table.c), None)
        group = "group_key" if proposal and "group_key" in table.c else None
        wanted = [proposal, group] if proposal and group else []
        selected = dict.fromkeys([*keys, *wanted, *columns])
        statement = select(*(table.c[name] for name in selected)).where(
            or_(*(cast(table.c[c], Text).like(f"%{user_id}%") for c in columns))
        )
        for row in session.execute(statement).mappings():
            found = {c: row[c] for c in columns if _contains(row[c], mention)}
            if found:
                number = row[proposal] if proposal and group else None
                about = (row[group], number) if group and number is not None else None
                matches.append(_Match(table, {k: row[k] for k in keys}, found, about))
    return matches


def _mention_pattern(user_id: str) -> re.Pattern[str]:
    # `<@U123>` or `<@U123|name>` becomes the pseudonym's text; a bare ID becomes the pseudonym.
    return re.compile(rf"<@{user_id}(?:\|[^>]*)?>|(?<![A-Za-z0-9]){user_id}(?![A-Za-z0-9])")


def _contains(value: Any, mention: re.Pattern[str]) -> bool:
    if isinstance(value, str):
        return mention.search(value) is not None
    if isinstance(value, Mapping):
        return any(_contains(k, mention) or _contains(v, mention) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains(v, mention) for v in value)
    return False


def _replace(value: Any, mention: re.Pattern[str], pseudonym: str) -> Any:
    if isinstance(value, str):
        return mention.sub(pseudonym, value)
    if isinstance(value, Mapping):
        return {
            _replace(k, mention, pseudonym): _replace(v, mention, pseudonym)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_replace(v, mention, pseudonym) for v in value]
    return value


def _fit(table: Table, column: str, value: Any) -> Any:
    """A pseudonym is a little longer than an ID: keep within a bounded column."""
    length = getattr(table.c[column].type, "length", None)
    if isinstance(value, str) and length is not None and len(value) > length:
        return value[:length]
    return value
