"""Pure builders of meeting and digest messages: what they say, in which order, and that every
user-written string is inert."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mwgbot.domain.proposals import (
    Decision,
    Objection,
    Participant,
    ProposalSnapshot,
    Stage,
    State,
    Verdict,
)
from mwgbot.services.read_models import (
    Agenda,
    Digest,
    Listing,
    MeetingChange,
    NextMeetings,
    UpdateNote,
    Updates,
)
from mwgbot.slack import meeting_blocks as mb
from mwgbot.slack.block_kit import SECTION_LIMIT
from mwgbot.slack.renderer import BlockKitRenderer
from tests.block_kit_checks import assert_valid_message

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MEETING = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
FOLLOWING = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
PREVIOUS = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U0ADMIN> <https://evil.example|docs> <!here>"
RAW_CONTROL = re.compile(r"<!channel>|<!here>|<@U0ADMIN>|<https://evil")


def proposal(number: int = 7, **overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {
        "number": number,
        "title": f"Initiative {number}",
        "proposer_id": "UALICE",
        "created_at": NOW - timedelta(days=1),
        "closes_at": NOW + timedelta(days=6),
        "state": State.OPEN,
    }
    values.update(overrides)
    return ProposalSnapshot(**values)


def agenda(**overrides: Any) -> Agenda:
    values: dict[str, Any] = {
        "meeting": MEETING,
        "following": FOLLOWING,
        "previous": PREVIOUS,
        "as_of": NOW,
    }
    values.update(overrides)
    return Agenda(**values)


def escalated(
    number: int = 2, reason: str | None = "Not before the conference"
) -> ProposalSnapshot:
    return proposal(
        number,
        state=State.ESCALATED,
        closed_at=NOW - timedelta(hours=2),
        objections=(Objection("UBOB", reason, "Abstract"),),
    )


def adopted(number: int = 3, **overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {"state": State.ADOPTED, "closed_at": NOW - timedelta(days=2)}
    values.update(overrides)
    return proposal(number, **values)


def everything(output: Any) -> str:
    if isinstance(output, str):
        return output
    return json.dumps(dataclasses.asdict(output), ensure_ascii=False)


# --- small pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(0), "now"),
        (timedelta(seconds=-5), "now"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(seconds=4), "4 seconds"),
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(hours=24), "1 day"),
        (timedelta(days=8, hours=3, minutes=20), "8 days 3 hours"),
        (timedelta(hours=1, seconds=30), "1 hour"),
        (timedelta(minutes=1, seconds=30), "1 minute 30 seconds"),
    ],
)
def test_in_words(delta: timedelta, words: str) -> None:
    assert mb.in_words(delta) == words


def test_meeting_token_shows_the_readers_zone_and_falls_back_to_utc() -> None:
    assert mb.meeting_token(MEETING) == (
        f"<!date^{int(MEETING.timestamp())}^{{date_long_pretty}} at {{time}}"
        "|Wed 2026-12-09 15:00 UTC>"
    )


# --- agendas and /mwg next -------------------------------------------------------------------


def test_an_empty_agenda_says_so() -> None:
    assert mb.agenda_text(agenda()) == mb.NOTHING_ON_AGENDA


def test_the_agenda_in_order_with_objections() -> None:
    text = mb.agenda_text(
        agenda(
            escalated=Listing.of((escalated(),)),
            closing=Listing.of((proposal(1),)),
            outcomes=Listing.of((adopted(3),)),
            seeking_partners=Listing.of((adopted(3),)),
            open_later=2,
        )
    )
    headings = [
        "*Escalated, waiting for a decision*",
        "*Open, closing before the following meeting*",
        "*Adopted or declined since the last meeting*",
        "*Adopted, still seeking partners from another organization*",
        "_2 more open proposals close after the following meeting",
    ]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert (
        "#2 *Initiative 2*: 1 objection\n      ◦ <@UBOB> (Abstract): “Not before the conference”"
        in (text)
    )
    assert "#1 *Initiative 1* · closes <!date^" in text
    assert "#3 *Initiative 3* · *adopted* by lazy consensus" in text
    assert "#3 *Initiative 3* · no organization set yet: join with `/mwg join 3`" in text


def test_outcomes_name_the_moderator_and_the_verdict() -> None:
    decision = Decision("UMODERATOR", Verdict.DECLINE, "Out of scope", NOW)
    text = mb.agenda_text(
        agenda(outcomes=Listing.of((proposal(4, state=State.DECLINED, decision=decision),)))
    )
    assert "#4 *Initiative 4* · *declined* after escalation, decided by <@UMODERATOR>" in text


def test_an_objection_without_a_reason_says_so() -> None:
    text = mb.agenda_text(agenda(escalated=Listing.of((escalated(reason=None),))))
    assert "<@UBOB> (Abstract): _no reason given_" in text


def test_many_objections_are_cut_short() -> None:
    crowd = tuple(Objection(f"UUSER{i:03d}", "no") for i in range(9))
    text = mb.agenda_text(
        agenda(escalated=Listing.of((proposal(2, state=State.ESCALATED, objections=crowd),)))
    )
    assert "#2 *Initiative 2*: 9 objections" in text
    assert text.count("◦ <@UUSER") == mb.OBJECTIONS_LISTED
    assert "◦ and 4 more" in text


def test_next_text_has_both_meetings_skips_and_the_agenda() -> None:
    view = NextMeetings(
        next=FOLLOWING,
        after=FOLLOWING + timedelta(days=14),
        agenda=agenda(meeting=FOLLOWING, following=FOLLOWING + timedelta(days=14)),
        skipped=(MEETING,),
    )
    text = mb.next_text(view)
    lines = text.splitlines()
    assert lines[0].startswith(f":calendar: *Next meeting:* {mb.meeting_token(FOLLOWING)}")
    assert lines[0].endswith("(in 22 days 3 hours)")
    assert lines[1] == f"*The one after:* {mb.meeting_token(FOLLOWING + timedelta(days=14))}"
    assert lines[2] == f"_The meeting of {mb.meeting_token(MEETING)} is skipped._"
    assert "*Agenda as it stands*" in text
    assert mb.NOTHING_ON_AGENDA in text


def test_hostile_text_is_inert_everywhere() -> None:
    hostile = proposal(
        5,
        title=HOSTILE,
        proposer_organization=HOSTILE,
        joiners=(Participant("UCAROL", HOSTILE),),
    )
    hostile_escalated = proposal(
        6, state=State.ESCALATED, objections=(Objection("UBOB", HOSTILE, HOSTILE),)
    )
    hostile_adopted = adopted(8, title=HOSTILE, proposer_organization=HOSTILE)
    full = agenda(
        escalated=Listing.of((hostile_escalated,)),
        closing=Listing.of((hostile,)),
        outcomes=Listing.of((hostile_adopted,)),
        seeking_partners=Listing.of((hostile_adopted,)),
    )
    renderer = BlockKitRenderer()
    digest = Digest(
        as_of=NOW,
        since=PREVIOUS,
        new=Listing.of((hostile,)),
        open=Listing.of((hostile,)),
        escalated=Listing.of((hostile_escalated,)),
        outcomes=Listing.of((hostile_adopted,)),
        seeking_partners=Listing.of((hostile_adopted,)),
        updates=Updates((UpdateNote(8, HOSTILE, "UCAROL", HOSTILE, NOW),), 1),
    )
    outputs = [
        mb.agenda_text(full),
        mb.next_text(NextMeetings(MEETING, FOLLOWING, full)),
        renderer.meeting_reminder(full),
        renderer.digest(digest),
        mb.digest_text(digest),
    ]
    for output in outputs:
        assert not RAW_CONTROL.search(everything(output))
        assert "&lt;!channel&gt;" in everything(output)
        # The only angle brackets left are ours: date tokens and mentions built from user IDs.
        assert re.findall(r"<(?!!date\^\d+\^|@U[A-Z0-9]+>)", everything(output)) == []


@pytest.mark.parametrize("digest", [Digest(as_of=NOW, since=None), Digest(as_of=NOW, since=NOW)])
def test_usage_hints_are_escaped_too(digest: Digest) -> None:
    for text in (mb.digest_text(digest), mb.agenda_text(agenda())):
        assert "`/mwg propose &lt;title&gt;`" in text
        assert re.findall(r"<(?!!date\^)", text) == []


# --- reminders and notices -------------------------------------------------------------------


def test_the_reminder_names_the_meeting_and_carries_the_agenda() -> None:
    message = mb.reminder(
        agenda(as_of=MEETING - timedelta(minutes=15), closing=Listing.of((proposal(1),)))
    )
    head = (
        f":calendar: *Marketing Working Group meeting* {mb.meeting_token(MEETING)}: "
        "starts in 15 minutes. Everyone is welcome."
    )
    assert message.text.startswith(head)
    assert "#1 *Initiative 1*" in message.text
    assert [b["type"] for b in message.blocks] == ["section", "section"]
    assert message.blocks[0]["text"]["text"] == head
    assert message.blocks[1]["text"]["text"].startswith("*Agenda*\n")


def test_a_long_agenda_stays_within_slacks_limits() -> None:
    many = tuple(proposal(n, title="x" * 150) for n in range(1, 60))
    message = mb.reminder(agenda(closing=Listing.of(many), open_later=3))
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in message.blocks)
    assert len(message.text) <= SECTION_LIMIT


def test_skip_and_restore_notices() -> None:
    skipped = mb.meeting_change(MeetingChange(MEETING, True, True, FOLLOWING), "UORGANIZER")
    assert "*skipped* (organizer <@UORGANIZER>)" in skipped.text
    assert skipped.text.index(mb.meeting_token(MEETING)) < skipped.text.index(
        mb.meeting_token(FOLLOWING)
    )
    restored = mb.meeting_change(MeetingChange(MEETING, False, True, MEETING), "UORGANIZER")
    assert "*back on* (restored by organizer <@UORGANIZER>)" in restored.text


# --- the digest ------------------------------------------------------------------------------


def note(number: int = 3, text: str = "Two case studies drafted", **overrides: Any) -> UpdateNote:
    values: dict[str, Any] = {
        "number": number,
        "title": f"Initiative {number}",
        "author_id": "UBOB",
        "text": text,
        "created_at": NOW - timedelta(days=2),
    }
    values.update(overrides)
    return UpdateNote(**values)


def test_a_quiet_digest_is_one_short_line() -> None:
    sections = mb.digest_sections(Digest(as_of=NOW, since=PREVIOUS))
    assert len(sections) == 1
    assert "\n" not in sections[0]
    assert sections[0].startswith(":zzz: *Marketing Working Group digest:* nothing new since")
    first_ever = mb.digest_sections(Digest(as_of=NOW, since=None))
    assert first_ever[0].startswith(":zzz: *Marketing Working Group digest:* nothing new: ")


def test_a_digest_shows_only_the_sections_it_has() -> None:
    text = mb.digest_text(Digest(as_of=NOW, since=PREVIOUS, open=Listing.of((proposal(1),))))
    assert "*Open: join or object before they close (1)*" in text
    for absent in ("New proposals", "Escalated", "Outcomes", "seeking partners"):
        assert absent not in text
    assert text.endswith(
        "*Adopter-journey stages no open or adopted initiative covers:* "
        "Awareness, Interest, Consideration, Intent, Evaluation, Action"
    )


def test_a_digest_with_every_stage_covered_says_so() -> None:
    digest = Digest(as_of=NOW, since=None, open=Listing.of((proposal(1),)), uncovered_stages=())
    assert mb.digest_text(digest).endswith(
        ":compass: Every adopter-journey stage has an open or adopted initiative."
    )


def test_a_full_digest() -> None:
    withdrawn = proposal(9, state=State.WITHDRAWN, closed_at=NOW)
    digest = Digest(
        as_of=NOW,
        since=PREVIOUS,
        new=Listing.of((proposal(1, proposer_organization="Abstract"), withdrawn)),
        open=Listing.of((proposal(1),)),
        escalated=Listing.of((escalated(),)),
        outcomes=Listing.of((adopted(3), withdrawn)),
        seeking_partners=Listing.of((adopted(3, proposer_organization="Abstract"),)),
        uncovered_stages=(Stage.INTENT, Stage.ACTION),
    )
    sections = mb.digest_sections(digest)
    assert sections[0].startswith(":newspaper: *Marketing Working Group digest* since <!date^")
    assert "#1 *Initiative 1* by <@UALICE> (Abstract) · closes <!date^" in sections[1]
    assert "#9 *Initiative 9* by <@UALICE> · withdrawn" in sections[1]
    assert sections[2].startswith(":hourglass_flowing_sand: *Open")
    assert sections[3].startswith(":warning: *Escalated, waiting for a decision (1)*")
    assert "#9 *Initiative 9* · *withdrawn*" in sections[4]
    assert "one organization so far" in sections[5]
    assert sections[6].endswith("covers:* Intent, Action")
    message = BlockKitRenderer().digest(digest)
    assert [b["text"]["text"] for b in message.blocks] == sections
    assert message.text == "\n\n".join(sections)


def test_an_update_alone_is_news() -> None:
    digest = Digest(as_of=NOW, since=PREVIOUS, updates=Updates((note(3),), 1))
    assert not digest.quiet
    sections = mb.digest_sections(digest)
    assert "nothing new" not in mb.digest_text(digest)
    [updates] = [s for s in sections if "Updates since the last digest" in s]
    assert updates == (
        ":memo: *Updates since the last digest (1)*\n"
        "• #3 *Initiative 3* · <@UBOB>: Two case studies drafted"
    )


@pytest.mark.parametrize(
    "news",
    [
        {"new": Listing.of((proposal(1),))},
        {"outcomes": Listing.of((adopted(3),))},
        {"updates": Updates((note(),), 1)},
        {"delivered": Listing.of((adopted(3, state=State.DELIVERED),))},
        {"dropped": Listing.of((adopted(3, state=State.DROPPED),))},
        {"new_members": ("UDANA",)},
        {"open": Listing.of((proposal(1),))},
        {"escalated": Listing.of((escalated(),))},
        {"stalled": Listing.of((adopted(3),))},
    ],
    ids=lambda news: next(iter(news)),
)
def test_nothing_new_only_when_nothing_happened(news: dict[str, Any]) -> None:
    assert Digest(as_of=NOW, since=PREVIOUS).quiet
    digest = Digest(as_of=NOW, since=PREVIOUS, **news)
    assert not digest.quiet
    assert "nothing new" not in mb.digest_text(digest)


def test_an_update_reads_on_one_line_cut_short_and_escaped() -> None:
    text = "Line one\nline   two *done* " + "x" * 300 + " <!channel>"
    [line] = mb.digest_sections(Digest(NOW, PREVIOUS, updates=Updates((note(4, text),), 1)))[
        1
    ].split("\n")[1:]
    assert line.startswith("• #4 *Initiative 4* · <@UBOB>: Line one line two *done* xxx")
    assert line.endswith("…")
    assert len(line) < 200
    assert "<!channel>" not in line


def test_dozens_of_updates_stay_within_one_section_and_say_how_many_more() -> None:
    hostile_title = "*Bold* _title_ " + "t" * 150
    notes = tuple(note(n % 12 + 1, "u" * 400, title=hostile_title) for n in range(25))
    digest = Digest(as_of=NOW, since=PREVIOUS, updates=Updates(notes, 80))
    message = mb.digest(digest)
    assert_valid_message(message)
    [section] = [b["text"]["text"] for b in message.blocks if "Updates since" in str(b)]
    assert len(section) <= SECTION_LIMIT
    assert section.startswith(":memo: *Updates since the last digest (80)*")
    shown = section.count("\n• #")
    more = int(re.findall(r"• and (\d+) more$", section)[0])
    assert shown + more == 80
    assert 10 <= shown < 25
