"""The builders of agenda topics and meeting notes: escaped, bounded, valid Block Kit at the
largest sizes the rules allow."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from mwgbot.domain.agenda import MAX_TOPIC, MAX_TOPICS
from mwgbot.services.read_models import (
    Agenda,
    AgendaTopic,
    Digest,
    MeetingChange,
    MeetingNote,
    MeetingNotes,
    NextMeetings,
    PastMeeting,
    TopicChange,
    Topics,
)
from mwgbot.slack import meeting_blocks as mb
from tests.block_kit_checks import assert_valid_message

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MEETING = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
FOLLOWING = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U0ADMIN> <https://evil.example|docs> *bold* _it_ & more"
RAW_CONTROL = re.compile(r"<!channel>|<@U0ADMIN>|<https://evil")
# The worst a topic can be for its length once escaped: every character an entity.
WORST = ("&<>" * MAX_TOPIC)[:MAX_TOPIC]


def topics(count: int, text: str = HOSTILE) -> Topics:
    return Topics.of(
        [AgendaTopic(i + 1, text, f"UMEMBER{i}", carried_over=i % 2 == 1) for i in range(count)]
    )


def agenda(found: Topics) -> Agenda:
    return Agenda(meeting=MEETING, following=FOLLOWING, previous=None, as_of=NOW, topics=found)


def test_a_topic_line_is_escaped_numbered_and_marked_carried() -> None:
    [first, second] = mb.topic_lines(topics(2))
    assert first.startswith("• *1.* &lt;!channel&gt;")
    assert "added by <@UMEMBER0>" in first
    assert "carried over" not in first
    assert "_carried over_" in second
    assert not RAW_CONTROL.search(first + second)
    assert "*bold*" not in first  # formatting characters shown as typed


def test_twenty_worst_case_topics_fit_a_reminder() -> None:
    message = mb.reminder(agenda(topics(MAX_TOPICS, WORST)))
    assert_valid_message(message)
    assert len(message.blocks) <= 50
    sections = [b["text"]["text"] for b in message.blocks]
    assert all(len(s) <= 3000 for s in sections)
    shown = "\n".join(sections)
    assert all(f"added by <@UMEMBER{i}>" in shown for i in range(MAX_TOPICS))


def test_next_with_topics_is_blocks_and_without_is_the_text_it_was() -> None:
    plain = NextMeetings(next=MEETING, after=FOLLOWING, agenda=agenda(Topics()))
    assert mb.next_message(plain).blocks == []
    assert mb.next_message(plain).text == mb.next_text(plain)
    full = NextMeetings(next=MEETING, after=FOLLOWING, agenda=agenda(topics(MAX_TOPICS, WORST)))
    message = mb.next_message(full)
    assert_valid_message(message)
    assert len(message.blocks) <= 50
    assert "Agenda as it stands" in "\n".join(b["text"]["text"] for b in message.blocks)


def test_answers_about_topics_are_escaped() -> None:
    topic = AgendaTopic(3, HOSTILE, "UALICE")
    change = TopicChange(FOLLOWING, topic, from_meeting=MEETING, from_number=5)
    for text in (mb.topic_added(change), mb.topic_removed(change), mb.topic_carried(change)):
        assert not RAW_CONTROL.search(text)
        assert "<!date^" in text
    assert "Topic 5" in mb.topic_carried(change)
    assert_valid_message(mb.agenda_answer(MEETING, topics(MAX_TOPICS, WORST)))
    assert "No topics yet" in mb.agenda_answer(MEETING, Topics()).text


def test_notes_are_linked_escaped_and_bounded() -> None:
    note = MeetingNote(MEETING, "https://docs.example.org/n", "UORG", NOW, summary=HOSTILE * 10)
    posted = mb.meeting_note(note)
    assert_valid_message(posted)
    assert "<https://docs.example.org/n|docs.example.org/n>" in posted.text
    assert not RAW_CONTROL.search(posted.text)
    bad = MeetingNote(MEETING, "javascript:alert(1)", "UORG", NOW)
    assert "<javascript" not in mb.meeting_note(bad).text
    ask = mb.notes_ask(MEETING, ["UORG", "UORGTWO"])
    assert "<@UORG>, <@UORGTWO>" in ask.text
    assert mb.notes_ask(MEETING, []).text.startswith(":memo: The meeting of <!date^")


def test_the_last_meetings_and_the_digest_list_notes() -> None:
    notes = tuple(
        MeetingNote(MEETING, f"https://n.example/{i}", "UORG", NOW, summary=WORST)
        for i in range(30)
    )
    past = [
        PastMeeting(MEETING - timedelta(days=14 * i), topics(MAX_TOPICS, WORST), notes)
        for i in range(5)
    ]
    answer = mb.meetings_answer(past)
    assert_valid_message(answer)
    assert len(answer.blocks) == 6
    assert "more" in answer.blocks[1]["text"]["text"]
    digest = Digest(as_of=NOW, since=None, notes=MeetingNotes(notes[:10], 30))
    sections = mb.digest_sections(digest)
    [part] = [s for s in sections if "Meeting notes (30)" in s]
    assert "https://n.example/0" in part
    assert "more" in part
    assert_valid_message(mb.digest(digest))


def test_carried_topics_and_skipped_meetings_in_the_last_meetings() -> None:
    carried = Topics.of(
        [
            AgendaTopic(i + 1, WORST, f"UMEMBER{i}", carried_over=True, carried_to=FOLLOWING)
            for i in range(MAX_TOPICS)
        ]
    )
    answer = mb.meetings_answer(
        [PastMeeting(MEETING, carried), PastMeeting(MEETING - timedelta(days=14), skipped=True)]
    )
    assert_valid_message(answer)
    first, skipped = answer.blocks[1]["text"]["text"], answer.blocks[2]["text"]["text"]
    assert "carried over to the meeting of <!date^" in first
    assert skipped.endswith("_skipped_")
    assert "The last 2 meetings" in answer.text
    assert "The last meeting*" in mb.meetings_answer([PastMeeting(MEETING)]).text


def test_a_restore_notice_says_where_the_topics_are() -> None:
    back = mb.meeting_change(
        MeetingChange(MEETING, False, True, MEETING, topics_returned=1), "UORGANIZER"
    )
    assert_valid_message(back)
    assert "The 1 agenda topic its skip carried over is back on it" in back.text
    left = mb.meeting_change(
        MeetingChange(MEETING, False, True, MEETING, topics_left=(FOLLOWING,)), "UORGANIZER"
    )
    assert_valid_message(left)
    assert "stay there" in left.text
    assert "`/mwg meetings`" in left.text
