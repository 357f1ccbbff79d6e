"""Pure builders of what the bot says about meetings and digests: `/mwg next`, reminders,
skip notices, the channel digest. Every meeting time is a `<!date>` token, so each reader sees
their own zone; user-written text goes through escape(), people only through mention()."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from mwgbot.domain.proposals import FINISHED_STATES, ProposalSnapshot, State, Verdict
from mwgbot.services.ports import Rendered
from mwgbot.services.read_models import (
    Agenda,
    AgendaTopic,
    Digest,
    Listing,
    MeetingChange,
    MeetingNote,
    MeetingNotes,
    NextMeetings,
    NoteAttached,
    PastMeeting,
    TopicChange,
    Topics,
    Updates,
)
from mwgbot.slack import initiative_blocks
from mwgbot.slack.block_kit import (
    MAX_LISTED,
    SECTION_LIMIT,
    context,
    objection_list,
    people,
    person,
    section,
    stages_text,
    title_ref,
)
from mwgbot.slack.initiative_blocks import link
from mwgbot.slack.text import as_typed, date_token, escape, mention, truncate, truncate_mrkdwn

__all__ = [
    "agenda_answer",
    "agenda_parts",
    "agenda_text",
    "digest",
    "digest_sections",
    "digest_text",
    "in_words",
    "meeting_change",
    "meeting_note",
    "meeting_token",
    "meetings_answer",
    "next_message",
    "next_text",
    "note_attached",
    "notes_ask",
    "reminder",
    "topic_added",
    "topic_carried",
    "topic_lines",
    "topic_removed",
    "topics_parts",
]

REASON_LIMIT = 200
# The digest quotes the start of each update; `/mwg show <n>` has them whole.
UPDATE_EXCERPT = 120
OBJECTIONS_LISTED = 5
NOTHING_ON_AGENDA = (
    "_Nothing from proposals on the agenda yet: no escalations, nothing closing, no outcomes "
    "since the last meeting. Propose an initiative with `/mwg propose &lt;title&gt;`._"
)

_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def in_words(delta: timedelta) -> str:
    """``8 days 3 hours``, ``15 minutes``, ``1 minute 30 seconds``: the largest unit and the
    next one down, rounded down."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds == 0:
        return "now"
    parts = []
    for name, size in _UNITS:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {name}" + ("s" if amount != 1 else ""))
        if parts and (amount == 0 or len(parts) == 2):
            break
    return " ".join(parts)


def meeting_token(when: datetime) -> str:
    """`<!date^…^{date_long_pretty} at {time}|Wed 2026-12-09 15:00 UTC>`."""
    return date_token(when, with_weekday=True)


def _listed(lines: Sequence[str], total: int) -> list[str]:
    shown = lines[:MAX_LISTED]
    more = total - len(shown)
    return [*shown, *([f"• and {more} more"] if more > 0 else [])]


def _objections(proposal: ProposalSnapshot) -> list[str]:
    return objection_list(
        proposal,
        bullet="      ◦",
        limit=OBJECTIONS_LISTED,
        reason_limit=REASON_LIMIT,
        missing="_no reason given_",
    )


def _escalated(proposals: Listing) -> list[str]:
    lines = []
    for p in proposals.items[:MAX_LISTED]:
        count = p.objection_total
        lines.append(
            f"• {title_ref(p.number, p.title)}: {count} objection" + ("s" if count != 1 else "")
        )
        lines += _objections(p)
    more = proposals.total - min(len(proposals.items), MAX_LISTED)
    if more > 0:
        lines.append(f"• and {more} more")
    return lines


def _open_line(p: ProposalSnapshot) -> str:
    return (
        f"• {title_ref(p.number, p.title)} · closes {date_token(p.closes_at)} · "
        f"{p.joined_total} joined, {p.objection_total} objecting"
    )


def _outcome_words(p: ProposalSnapshot) -> str:
    """How the consensus ended; an initiative delivered or dropped since says so too."""
    since = f", since {p.state.value}" if p.state in FINISHED_STATES else ""
    if p.decision is not None and p.state in (State.ADOPTED, State.DECLINED, *FINISHED_STATES):
        verb = "adopted" if p.decision.verdict is Verdict.ADOPT else "declined"
        return f"*{verb}* after escalation, decided by {mention(p.decision.moderator_id)}{since}"
    if p.consensus_found_at is not None:
        return f"*adopted* by consensus after the close (the last objection withdrawn){since}"
    if p.state is State.ADOPTED or p.state in FINISHED_STATES:
        return f"*adopted* by lazy consensus{since}"
    return f"*{p.state.value}*"


def _initiative_parts(
    delivered: Listing, dropped: Listing, stalled: Listing, since_words: str
) -> list[str]:
    """Deliveries, drops and stalled initiatives, for agendas and digests; bounded sections."""
    parts = []
    if delivered:
        parts.append(
            initiative_blocks.listing_text(
                f"{initiative_blocks.DELIVERED_EMOJI} *Delivered {since_words}* "
                f"({delivered.total})",
                [initiative_blocks.delivered_line(p) for p in delivered.items],
                delivered.more,
            )
        )
    if dropped:
        parts.append(
            initiative_blocks.listing_text(
                f"{initiative_blocks.DROPPED_EMOJI} *Dropped {since_words}* ({dropped.total})",
                [initiative_blocks.dropped_line(p) for p in dropped.items],
                dropped.more,
            )
        )
    if stalled:
        parts.append(
            initiative_blocks.listing_text(
                f"{initiative_blocks.STALLED_EMOJI} *Stalled: active initiatives with no update "
                f"or new join lately* ({stalled.total})",
                [initiative_blocks.stalled_line(p) for p in stalled.items],
                stalled.more,
            )
        )
    return parts


def _partners_line(p: ProposalSnapshot) -> str:
    orgs = len(p.organizations)
    engaged = "no organization set yet" if orgs == 0 else "one organization so far"
    return f"• {title_ref(p.number, p.title)} · {engaged}: join with `/mwg join {p.number}`"


# --- agendas, `/mwg next`, reminders, notices -------------------------------------------------


def agenda_text(agenda: Agenda) -> str:
    """The agenda as mrkdwn: escalations, closings, outcomes, deliveries, stalled initiatives,
    initiatives seeking partners."""
    return "\n\n".join(agenda_parts(agenda))


def agenda_parts(agenda: Agenda, *, with_topics: bool = True) -> list[str]:
    """The agenda's parts, in order; a reminder posts each as its own section. The topics
    members added come first (over several parts when they are long)."""
    parts: list[str] = topics_parts(agenda.topics) if with_topics else []
    from_topics = len(parts)
    if agenda.escalated:
        parts.append(
            ":warning: *Escalated, waiting for a decision*\n"
            + "\n".join(_escalated(agenda.escalated))
        )
    if agenda.closing:
        lines = _listed([_open_line(p) for p in agenda.closing], agenda.closing.total)
        parts.append(
            ":hourglass_flowing_sand: *Open, closing before the following meeting* "
            f"({date_token(agenda.following)})\n" + "\n".join(lines)
        )
    if agenda.outcomes:
        lines = _listed(
            [f"• {title_ref(p.number, p.title)} · {_outcome_words(p)}" for p in agenda.outcomes],
            agenda.outcomes.total,
        )
        parts.append(":scales: *Adopted or declined since the last meeting*\n" + "\n".join(lines))
    # What ended since the last meeting, and what stalled, before what seeks partners.
    parts += _initiative_parts(
        agenda.delivered, agenda.dropped, agenda.stalled, "since the last meeting"
    )
    if agenda.seeking_partners:
        lines = _listed(
            [_partners_line(p) for p in agenda.seeking_partners], agenda.seeking_partners.total
        )
        parts.append(
            ":handshake: *Adopted, still seeking partners from another organization*\n"
            + "\n".join(lines)
        )
    if len(parts) == from_topics:
        parts.append(NOTHING_ON_AGENDA)
    if agenda.open_later:
        n = agenda.open_later
        parts.append(
            f"_{n} more open proposal{'s' if n != 1 else ''} close"
            f"{'' if n != 1 else 's'} after the following meeting: `/mwg list`._"
        )
    return parts


def next_text(view: NextMeetings) -> str:
    """The `/mwg next` answer."""
    lines = [
        f":calendar: *Next meeting:* {meeting_token(view.next)} "
        f"(in {in_words(view.next - view.agenda.as_of)})",
        f"*The one after:* {meeting_token(view.after)}",
    ]
    for skipped in view.skipped:
        lines.append(f"_The meeting of {meeting_token(skipped)} is skipped._")
    lines.append("")
    lines.append("*Agenda as it stands*")
    lines.append(agenda_text(view.agenda))
    return truncate_mrkdwn("\n".join(lines), SECTION_LIMIT)


def reminder(agenda: Agenda) -> Rendered:
    """The reminder posted in the channel before a meeting."""
    head = (
        f":calendar: *{escape(agenda.group_name)} meeting* {meeting_token(agenda.meeting)}: "
        f"starts in {in_words(agenda.meeting - agenda.as_of)}. Everyone is welcome."
    )
    parts = agenda_parts(agenda)
    body = ["*Agenda*\n" + parts[0], *parts[1:]]
    return Rendered(
        text=truncate_mrkdwn("\n".join([head, "\n\n".join(body)]), SECTION_LIMIT),
        blocks=[section(head), *(section(part) for part in body)],
    )


def meeting_change(change: MeetingChange, actor_id: str) -> Rendered:
    """The channel notice of a skipped or restored meeting."""
    if change.skipped:
        text = (
            f":no_entry_sign: The {escape(change.group_name)} meeting of "
            f"{meeting_token(change.meeting)} is "
            f"*skipped* (organizer {mention(actor_id)}). "
            f"The next meeting is {meeting_token(change.next_meeting)}."
        )
        if change.topics_moved:
            n = change.topics_moved
            text += (
                f" Its {n} agenda topic{'s are' if n != 1 else ' is'} carried over to the next "
                "meeting held: `/mwg agenda`."
            )
    else:
        text = (
            f":calendar: The {escape(change.group_name)} meeting of "
            f"{meeting_token(change.meeting)} is *back on* "
            f"(restored by organizer {mention(actor_id)})."
        )
        if change.topics_returned:
            n = change.topics_returned
            text += (
                f" The {n} agenda topic{'s' if n != 1 else ''} its skip carried over "
                f"{'are' if n != 1 else 'is'} back on it: `/mwg agenda`."
            )
        if change.topics_left:
            where = ", ".join(meeting_token(m) for m in change.topics_left[:MAX_LISTED])
            text += (
                f" Topics its skip carried over to the meeting of {where} stay there, as that "
                "meeting has begun: `/mwg meetings` lists them."
            )
    return Rendered(text=text, blocks=[section(text)])


# --- the digest ------------------------------------------------------------------------------


def _new_members(d: Digest) -> list[str]:
    """Who joined the channel since the last digest, welcomed by name: new members are
    valued."""
    if not d.new_members:
        return []
    named = people([(u, None) for u in d.new_members], "")
    return [f":wave: *Joined the channel ({len(d.new_members)}):* welcome, {named}!"]


def _updates(updates: Updates) -> str:
    """Progress posted since the last digest: the initiative, who posted, the update's start;
    whole lines within one section, then how many more."""
    lines = [
        f"• {title_ref(u.number, u.title)} · {mention(u.author_id)}: "
        f"{escape(truncate(' '.join(u.text.split()), UPDATE_EXCERPT))}"
        for u in updates
    ]
    return initiative_blocks.listing_text(
        f":memo: *Updates since the last digest ({updates.total})*", lines, updates.more
    )


def digest_sections(d: Digest) -> list[str]:
    """The digest as mrkdwn sections; a quiet period is one short line."""
    since = f" since {date_token(d.since)}" if d.since is not None else ""
    if d.quiet:
        line = (
            f":zzz: *{escape(d.group_name)} digest:* nothing new{since}: no proposals, outcomes, "
            "updates or "
            "newcomers, and nothing open or waiting. Start one with `/mwg propose &lt;title&gt;`."
        )
        return [line]
    parts = [f":newspaper: *{escape(d.group_name)} digest*{since}", *_new_members(d)]
    if d.new:
        lines = [
            f"• {title_ref(p.number, p.title)} by "
            f"{person(p.proposer_id, p.proposer_organization)} · "
            + (f"closes {date_token(p.closes_at)}" if p.state is State.OPEN else p.state.value)
            for p in d.new
        ]
        parts.append(
            f":new: *New proposals ({d.new.total})*\n" + "\n".join(_listed(lines, d.new.total))
        )
    if d.open:
        lines = _listed([_open_line(p) for p in d.open], d.open.total)
        parts.append(
            f":hourglass_flowing_sand: *Open: join or object before they close ({d.open.total})*\n"
            + "\n".join(lines)
        )
    if d.escalated:
        parts.append(
            f":warning: *Escalated, waiting for a decision ({d.escalated.total})*\n"
            + "\n".join(_escalated(d.escalated))
        )
    if d.outcomes:
        lines = _listed(
            [f"• {title_ref(p.number, p.title)} · {_outcome_words(p)}" for p in d.outcomes],
            d.outcomes.total,
        )
        parts.append(f":scales: *Outcomes ({d.outcomes.total})*\n" + "\n".join(lines))
    if d.updates:
        parts.append(_updates(d.updates))
    if d.notes:
        parts.append(_notes_part(d.notes))
    parts += _initiative_parts(d.delivered, d.dropped, d.stalled, "since the last digest")
    if d.seeking_partners:
        lines = _listed([_partners_line(p) for p in d.seeking_partners], d.seeking_partners.total)
        parts.append(
            f":handshake: *Adopted, seeking partners ({d.seeking_partners.total})*\n"
            + "\n".join(lines)
        )
    if d.uncovered_stages:
        parts.append(
            ":compass: *Adopter-journey stages no open or adopted initiative covers:* "
            + stages_text(d.uncovered_stages)
        )
    else:
        parts.append(":compass: Every adopter-journey stage has an open or adopted initiative.")
    return [truncate_mrkdwn(p, SECTION_LIMIT) for p in parts]


def digest_text(d: Digest) -> str:
    """The digest as one mrkdwn text, as `mwgbot digest --dry-run` prints it."""
    return "\n\n".join(digest_sections(d))


def digest(d: Digest) -> Rendered:
    sections = digest_sections(d)
    return Rendered(
        text=truncate_mrkdwn("\n\n".join(sections), SECTION_LIMIT),
        blocks=[section(s) for s in sections],
    )


# --- agenda topics and notes -----------------------------------------------------------------

# The Home tab and `/mwg meetings` quote the start of each topic; the reminder has them whole.
TOPIC_EXCERPT = 120
SUMMARY_EXCERPT = 300
NOTHING_ADDED = "_No topics yet: add one with `/mwg agenda add &lt;topic&gt;`._"


def topic_line(topic: AgendaTopic, *, excerpt: int | None = None, discussed: bool = False) -> str:
    """`• *2.* Budget for the booth · added by @ann · _carried over_`."""
    text = topic.text if excerpt is None else truncate(topic.text, excerpt)
    line = f"• *{topic.number}.* {as_typed(text)} · added by {mention(topic.added_by)}"
    if topic.carried_over:
        line += " · _carried over_"
    if discussed:
        line += " · discussed"
    if topic.carried_to is not None:
        line += f", carried over to the meeting of {meeting_token(topic.carried_to)}"
    return line


def topic_lines(
    topics: Topics, *, excerpt: int | None = None, discussed: bool = False
) -> list[str]:
    return [topic_line(t, excerpt=excerpt, discussed=discussed) for t in topics]


# Room left in a section for a heading put before a part ("*Agenda*").
_CHUNK_LIMIT = SECTION_LIMIT - 40


def _chunks(header: str, lines: Sequence[str], limit: int = _CHUNK_LIMIT) -> list[str]:
    """A header and its lines as sections of at most ``limit`` characters, cut between lines:
    every line is shown, over as many sections as it takes."""
    parts: list[str] = []
    current = [header]
    size = len(header)
    for whole in lines:
        line = truncate_mrkdwn(whole, limit - 1)
        if size + 1 + len(line) > limit:
            parts.append("\n".join(current))
            current, size = [line], len(line)
        else:
            current.append(line)
            size += 1 + len(line)
    parts.append("\n".join(current))
    return parts


def topics_parts(topics: Topics, *, discussed: bool = False) -> list[str]:
    """A meeting's topics, whole, as one or more sections (20 topics of 300 characters take a
    few); nothing when there are none."""
    if not topics:
        return []
    header = f":speech_balloon: *Topics members added* ({topics.total})"
    lines = topic_lines(topics, discussed=discussed)
    if topics.more:
        lines.append(f"• and {topics.more} more: `/mwg agenda`")
    return _chunks(header, lines)


def agenda_answer(meeting: datetime, topics: Topics) -> Rendered:
    """`/mwg agenda`: the next meeting's topics, with who added them."""
    head = f":speech_balloon: *Topics for the meeting of {meeting_token(meeting)}*"
    if not topics:
        text = f"{head}\n{NOTHING_ADDED}"
        return Rendered(text=text, blocks=[section(text)])
    parts = _chunks(head + f" ({topics.total})", topic_lines(topics))
    tip = (
        "Add one with `/mwg agenda add &lt;topic&gt;`; remove yours with "
        "`/mwg agenda remove &lt;n&gt;`."
    )
    return Rendered(
        text=truncate_mrkdwn("\n".join(parts), SECTION_LIMIT),
        blocks=[*(section(p) for p in parts), context(tip)],
    )


def topic_added(change: TopicChange) -> str:
    return (
        f"Topic *{change.topic.number}* is on the agenda of the meeting of "
        f"{meeting_token(change.meeting)}: {as_typed(truncate(change.topic.text, 200))}. "
        "`/mwg agenda` lists them all."
    )


def topic_removed(change: TopicChange) -> str:
    return (
        f"Topic {change.topic.number} ({as_typed(truncate(change.topic.text, 200))}) is off the "
        f"agenda of the meeting of {meeting_token(change.meeting)}."
    )


def topic_carried(change: TopicChange) -> str:
    since = (
        f" from the meeting of {meeting_token(change.from_meeting)}"
        if change.from_meeting is not None
        else ""
    )
    return (
        f"Topic {change.from_number} ({as_typed(truncate(change.topic.text, 200))}) is carried "
        f"over{since} to the meeting of {meeting_token(change.meeting)}, as topic "
        f"*{change.topic.number}*."
    )


def notes_ask(meeting: datetime, organizers: Sequence[str]) -> Rendered:
    """At a meeting's end, in its reminder's thread: who has the notes and the recording?"""
    who = ", ".join(mention(u) for u in organizers[:MAX_LISTED])
    asked = f"{who}: the" if who else "The"
    text = (
        f":memo: {asked} meeting of {meeting_token(meeting)} is over. Please share its notes "
        "and recording, so whoever missed it can catch up: `/mwg notes &lt;link&gt; "
        "[&lt;summary&gt;]` (one link each time)."
    )
    text = truncate_mrkdwn(text, SECTION_LIMIT)
    return Rendered(text=text, blocks=[section(text)])


def _note_text(note: MeetingNote) -> str:
    line = f"{link(note.link)} · added by {mention(note.added_by)}"
    if note.summary:
        line += f": {escape(truncate(note.summary, SUMMARY_EXCERPT))}"
    return line


def meeting_note(note: MeetingNote) -> Rendered:
    """A link to the meeting's notes or recording, posted in its thread."""
    text = truncate_mrkdwn(
        f":memo: *Notes of the meeting of {meeting_token(note.meeting)}:* {_note_text(note)}",
        SECTION_LIMIT,
    )
    return Rendered(text=text, blocks=[section(text)])


def note_attached(attached: NoteAttached) -> str:
    """The `/mwg notes` answer: which meeting (the most recent one held, with the skipped
    ones since), and where the link was posted."""
    when = meeting_token(attached.note.meeting)
    skipped = ""
    if attached.skipped_since:
        shown = attached.skipped_since[:MAX_LISTED]
        days = ", ".join(meeting_token(m) for m in shown)
        verb = "was" if len(attached.skipped_since) == 1 else "were"
        skipped = f" (the most recent meeting held: {days} {verb} skipped)"
    where = "in its thread" if attached.in_thread else "in the channel (it had no reminder thread)"
    return (
        f"The notes are attached to the meeting of {when}{skipped} and posted {where}; "
        "`/mwg meetings` lists them."
    )


def meetings_answer(meetings: Sequence[PastMeeting]) -> Rendered:
    """`/mwg meetings`: the last meetings, newest first, with their topics and notes."""
    if not meetings:
        text = (
            "No meeting has taken place since the group's record began. "
            "`/mwg next` shows the next one."
        )
        return Rendered(text=text, blocks=[section(text)])
    n = len(meetings)
    heading = f"*The last {n} meetings*" if n != 1 else "*The last meeting*"
    parts = [f":calendar: {heading}, newest first"]
    for past in meetings:
        if past.skipped:
            parts.append(f"*{meeting_token(past.meeting)}*: _skipped_")
            continue
        lines = topic_lines(past.topics, excerpt=TOPIC_EXCERPT, discussed=True)
        if not lines:
            lines = ["_No topics were added._"]
        if past.notes:
            lines += [f"• :memo: {_note_text(n)}" for n in past.notes]
        else:
            lines.append("• _No notes yet: `/mwg notes &lt;link&gt;` adds them._")
        header = f"*{meeting_token(past.meeting)}*"
        parts.append(initiative_blocks.listing_text(header, lines, 0))
    return Rendered(
        text=truncate_mrkdwn("\n\n".join(parts), SECTION_LIMIT),
        blocks=[section(p) for p in parts],
    )


def _notes_part(notes: MeetingNotes) -> str:
    lines = [f"• {meeting_token(n.meeting)} · {_note_text(n)}" for n in notes]
    return initiative_blocks.listing_text(
        f":memo: *Meeting notes ({notes.total})*", lines, notes.more
    )


def next_message(view: NextMeetings) -> Rendered:
    """The `/mwg next` answer: one text while no topic was added; with topics, blocks that
    show them whole (they may take several sections), then the rest of the agenda."""
    if not view.agenda.topics:
        return Rendered(text=next_text(view), blocks=[])
    lines = [
        f":calendar: *Next meeting:* {meeting_token(view.next)} "
        f"(in {in_words(view.next - view.agenda.as_of)})",
        f"*The one after:* {meeting_token(view.after)}",
    ]
    for skipped in view.skipped:
        lines.append(f"_The meeting of {meeting_token(skipped)} is skipped._")
    head = truncate_mrkdwn("\n".join(lines), SECTION_LIMIT)
    parts = agenda_parts(view.agenda)
    body = ["*Agenda as it stands*\n" + parts[0], *parts[1:]]
    return Rendered(
        text=next_text(view),
        blocks=[section(head), *(section(p) for p in body)],
    )
