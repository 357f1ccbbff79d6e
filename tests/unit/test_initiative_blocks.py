"""Pure builders of initiatives after adoption: status lines, update notes, delivered and
dropped announcements, nudges, lists, agendas and digests; that user text and links are inert,
and that every message is valid Block Kit at realistic sizes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mwgbot.domain.proposals import (
    Decision,
    Participant,
    ProgressUpdate,
    ProposalSnapshot,
    State,
    Verdict,
)
from mwgbot.services.read_models import Agenda, Digest, Listing
from mwgbot.slack import blocks, ids
from mwgbot.slack import initiative_blocks as ib
from mwgbot.slack import meeting_blocks as mb
from mwgbot.slack.block_kit import SECTION_LIMIT
from mwgbot.slack.renderer import BlockKitRenderer
from tests.block_kit_checks import assert_valid_blocks

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RENDERER = BlockKitRenderer()
HOSTILE = "<!channel> <@U0ADMIN> <https://evil.example|docs> &amp; <!here>"
RAW_CONTROL = re.compile(r"<!channel>|<!here>|<@U0ADMIN>|<https://evil")
# The only angle brackets a message may hold: date tokens, mentions, links to the delivery.
OURS = re.compile(r"<(?!!date\^\d+\^|@U[A-Z0-9]+>|https://example\.org/)")


def initiative(number: int = 7, **overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {
        "number": number,
        "title": f"Initiative {number}",
        "proposer_id": "UALICE",
        "created_at": NOW - timedelta(days=30),
        "closes_at": NOW - timedelta(days=23),
        "closed_at": NOW - timedelta(days=23),
        "state": State.ADOPTED,
        "last_activity_at": NOW - timedelta(days=23),
    }
    values.update(overrides)
    return ProposalSnapshot(**values)


def delivered(number: int = 7, **overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {
        "state": State.DELIVERED,
        "finished_at": NOW,
        "finished_by": "UBOB",
        "delivery_link": "https://example.org/case-studies?a=1&b=2",
        "finish_note": "Three published",
    }
    values.update(overrides)
    return initiative(number, **values)


def dropped(number: int = 7, **overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {
        "state": State.DROPPED,
        "finished_at": NOW,
        "finished_by": "UBOB",
        "finish_note": "The sponsor withdrew",
    }
    values.update(overrides)
    return initiative(number, **values)


def everything(message: Any) -> str:
    return message if isinstance(message, str) else json.dumps(message.__dict__)


# --- links ------------------------------------------------------------------------------------


def test_a_link_escapes_its_ampersands_and_reads_without_its_scheme() -> None:
    assert ib.link("https://example.org/a?b=1&c=2") == (
        "<https://example.org/a?b=1&amp;c=2|example.org/a?b=1&amp;c=2>"
    )
    assert ib.link("http://example.org/") == "<http://example.org/|example.org>"
    assert ib.link("https://example.org", "Read <it> & share") == (
        "<https://example.org|Read &lt;it&gt; &amp; share>"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a|<!channel>",
        "https://example.org/a>b",
        "https://exa mple.org",
        "javascript:alert(1)",
        'https://example.org/"onmouseover',
        "https://example.org/\n<!here>",
    ],
)
def test_a_link_that_could_break_out_is_shown_as_inert_text(url: str) -> None:
    shown = ib.link(url)
    assert "<" not in shown
    assert ">" not in shown.replace("&gt;", "")


def test_a_long_link_gets_a_short_label() -> None:
    shown = ib.link("https://example.org/" + "p" * 900)
    label = shown.split("|", 1)[1]
    assert len(label) <= ib.LABEL_LIMIT + 1
    assert label.endswith("…>")


# --- words ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=30), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(hours=5, minutes=59), "5 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=13), "13 days ago"),
        (timedelta(days=14), "2 weeks ago"),
        (timedelta(days=200), "28 weeks ago"),
        (timedelta(seconds=-5), "just now"),
    ],
)
def test_age_words(delta: timedelta, words: str) -> None:
    assert ib.age_words(delta) == words


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=21), "3 weeks"),
        (timedelta(days=7), "1 week"),
        (timedelta(days=10), "10 days"),
        (timedelta(days=20), "20 days"),
        (timedelta(hours=36), "1 day"),
        (timedelta(hours=12), "12 hours"),
        (timedelta(minutes=90), "1 hour"),
        (timedelta(seconds=45), "45 seconds"),
    ],
)
def test_span_words(delta: timedelta, words: str) -> None:
    assert ib.span_words(delta) == words


def test_owners_are_the_proposer_then_the_joiners_bounded() -> None:
    joiners = tuple(Participant(f"UMEMBER{i:03d}") for i in range(40))
    crowd = initiative(joiners=(Participant("UALICE"), *joiners))
    text = ib.owners_text(crowd)
    assert text.startswith("<@UALICE> <@UMEMBER000>")
    assert text.count("<@") == 25
    assert text.endswith("and 16 more")


# --- the card ---------------------------------------------------------------------------------


def actions(message: Any) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_an_active_initiative_without_updates_says_how_to_post_one() -> None:
    card = blocks.card(initiative(), "raised_hand", "no_entry_sign")
    text = everything(card)
    assert "Active initiative" in text
    assert "No update yet" in text
    assert "`/mwg update 7 &lt;text&gt;`" in text
    assert actions(card) == [ids.ACTION_JOIN]
    assert_valid_blocks(card.blocks)


def test_an_active_initiative_shows_its_latest_update_shortened() -> None:
    update = ProgressUpdate("UBOB", "x" * 600, NOW - timedelta(days=2))
    card = blocks.card(initiative(latest_update=update), "raised_hand", "no_entry_sign")
    [status] = [b for b in card.blocks if "Latest update" in json.dumps(b)]
    text = status["text"]["text"]
    assert f"*Latest update:* <@UBOB> · <!date^{int(update.created_at.timestamp())}^" in text
    assert "x" * 299 + "…" in text
    assert "x" * 301 not in text


def test_an_open_proposal_shows_its_latest_update_too() -> None:
    update = ProgressUpdate("UALICE", "Found two translators", NOW)
    snapshot = initiative(state=State.OPEN, closes_at=NOW + timedelta(days=3), latest_update=update)
    text = everything(blocks.card(snapshot, "raised_hand", "no_entry_sign"))
    assert "Found two translators" in text
    assert "Active initiative" not in text


@pytest.mark.parametrize("snapshot", [delivered(), dropped()], ids=["delivered", "dropped"])
def test_a_finished_initiative_shows_how_it_ended_and_no_buttons(
    snapshot: ProposalSnapshot,
) -> None:
    card = blocks.card(snapshot, "raised_hand", "no_entry_sign")
    text = everything(card)
    assert actions(card) == []
    assert "React :raised_hand:" not in text
    assert "seeking partners" not in text.lower()
    assert "by <@UBOB>" in text
    if snapshot.state is State.DELIVERED:
        assert ":tada: *Delivered* by <@UBOB>" in text
        assert "<https://example.org/case-studies?a=1&amp;b=2|" in text
        assert "Three published" in text
    else:
        assert ":end: *Dropped* by <@UBOB>" in text
        assert "The sponsor withdrew" in text
    assert card.text.endswith(f": {snapshot.state.value}")
    assert_valid_blocks(card.blocks)


def test_a_card_with_hundreds_of_joiners_and_long_texts_is_valid() -> None:
    joiners = tuple(Participant(f"UMEMBER{i:04d}", "Org " + "o" * 70) for i in range(500))
    update = ProgressUpdate("UBOB", HOSTILE * 20, NOW)
    for snapshot in (
        initiative(title="t" * 150, description="d" * 2500, joiners=joiners, latest_update=update),
        delivered(
            title="t" * 150,
            joiners=joiners,
            delivery_link="https://example.org/" + "p" * 980,
            finish_note=HOSTILE * 40,
        ),
        dropped(joiners=joiners, finish_note="r" * 500),
    ):
        card = blocks.card(snapshot, "raised_hand", "no_entry_sign")
        assert_valid_blocks(card.blocks)
        assert not RAW_CONTROL.search(everything(card))


# --- notices ----------------------------------------------------------------------------------


def test_the_update_note_names_the_initiative_and_the_author() -> None:
    note = RENDERER.update_posted(initiative(), ProgressUpdate("UBOB", "Two drafts & more", NOW))
    assert note.text == ":memo: Update on #7 from <@UBOB>: Two drafts &amp; more"
    assert_valid_blocks(note.blocks)


def test_a_delivery_names_who_the_link_and_thanks_the_owners() -> None:
    snapshot = delivered(joiners=(Participant("UCAROL"),))
    text = RENDERER.initiative_finished(snapshot).text
    assert text.startswith(":tada: #7 *Initiative 7* is *delivered* by <@UBOB>: <https://")
    assert "Three published" in text
    assert text.endswith("Thanks to everyone who took part: <@UALICE> <@UCAROL>.")


def test_a_delivery_without_a_link_says_so_plainly() -> None:
    text = RENDERER.initiative_finished(delivered(delivery_link=None, finish_note=None)).text
    assert text.startswith(":tada: #7 *Initiative 7* is *delivered* by <@UBOB>.\n")


def test_a_drop_names_who_and_why() -> None:
    text = RENDERER.initiative_finished(dropped()).text
    assert text == (
        ":end: #7 *Initiative 7* is *dropped* by <@UBOB>: no longer pursued.\n"
        "*Reason:* The sponsor withdrew"
    )


def test_the_nudge_mentions_the_owners_and_says_what_to_do() -> None:
    nudge = RENDERER.stale_nudge(initiative(joiners=(Participant("UBOB"),)), timedelta(days=21))
    assert nudge.text.startswith(":zzz: #7 *Initiative 7* has been quiet for 3 weeks")
    assert "<@UALICE> <@UBOB>: how is it going?" in nudge.text
    for hint in ("`/mwg update 7 &lt;text&gt;`", "`/mwg done 7 [&lt;link&gt;]`", "`/mwg drop 7"):
        assert hint in nudge.text
    assert_valid_blocks(nudge.blocks)


def test_no_user_text_can_ping_or_link_in_any_notice() -> None:
    update = ProgressUpdate("UBOB", HOSTILE, NOW)
    snapshot = delivered(title=HOSTILE, finish_note=HOSTILE, latest_update=update)
    outputs = [
        RENDERER.update_posted(snapshot, update),
        RENDERER.initiative_finished(snapshot),
        RENDERER.initiative_finished(dropped(title=HOSTILE, finish_note=HOSTILE)),
        RENDERER.stale_nudge(initiative(title=HOSTILE), timedelta(days=21)),
        blocks.card(snapshot, "raised_hand", "no_entry_sign"),
        blocks.proposal_details(snapshot, (update,), 3),
        blocks.proposal_list([], [snapshot], Listing((initiative(title=HOSTILE),), 1), NOW),
    ]
    for output in outputs:
        assert not RAW_CONTROL.search(everything(output))
        assert OURS.findall(everything(output)) == []


# --- /mwg show and /mwg list ------------------------------------------------------------------


def test_show_lists_updates_oldest_first_within_the_section_limit() -> None:
    updates = tuple(
        ProgressUpdate("UBOB", f"Update {i:02d} " + "w" * 480, NOW + timedelta(hours=i))
        for i in range(10)
    )
    text = blocks.proposal_details(initiative(description="d" * 800), updates, 25)
    assert len(text) <= SECTION_LIMIT
    assert "*Updates (35):*" in text
    assert "Update 09" in text
    shown = [int(n) for n in re.findall(r"Update (\d\d)", text)]
    assert shown == sorted(shown)
    left_out = int(re.search(r"_(\d+) earlier updates not shown_", text).group(1))  # type: ignore[union-attr]
    assert left_out == 35 - len(shown)


def test_show_without_updates_has_no_updates_heading() -> None:
    assert "*Updates" not in blocks.proposal_details(initiative())


def test_list_shows_active_initiatives_with_the_age_of_their_latest_update() -> None:
    fresh = initiative(1, latest_update=ProgressUpdate("UBOB", "x", NOW - timedelta(days=5)))
    silent = initiative(2, joiners=(Participant("UBOB", "OpenCraft"),))
    text = blocks.proposal_list([], [delivered(3)], Listing((fresh, silent), 17), NOW)
    assert "*Active initiatives (17)*" in text
    assert "• #1 Initiative 1 · latest update 5 days ago · 0 joined" in text
    assert "• #2 Initiative 2 · adopted 3 weeks ago, no update yet · 1 joined" in text
    assert "• and 15 more" in text
    assert "*Recent outcomes*\n• #3 Initiative 3 · delivered · <https://example.org/" in text


def test_list_names_who_decided_for_a_moderators_adoption() -> None:
    decision = Decision("UMOD", Verdict.ADOPT, "ok", NOW - timedelta(days=3))
    text = blocks.proposal_list([], [], Listing((initiative(decision=decision),), 1), NOW)
    assert "adopted 3 days ago, no update yet" in text


# --- agendas and digests ----------------------------------------------------------------------


def many(kind: Any, count: int) -> Listing:
    items = tuple(kind(i, title=f"{HOSTILE} {i}" + "t" * 80) for i in range(1, 26))
    return Listing(items, count)


def test_digest_and_agenda_with_dozens_of_initiatives_are_valid_and_bounded() -> None:
    digest = Digest(
        as_of=NOW,
        since=NOW - timedelta(days=7),
        delivered=many(delivered, 60),
        dropped=many(dropped, 40),
        stalled=many(initiative, 33),
        outcomes=Listing.of(tuple(delivered(i) for i in range(1, 41))),
        seeking_partners=Listing.of(tuple(initiative(i) for i in range(1, 41))),
    )
    agenda = Agenda(
        meeting=NOW + timedelta(days=1),
        following=NOW + timedelta(days=15),
        previous=NOW - timedelta(days=13),
        as_of=NOW,
        delivered=many(delivered, 60),
        dropped=many(dropped, 40),
        stalled=many(initiative, 33),
        seeking_partners=Listing.of(tuple(initiative(i) for i in range(1, 41))),
    )
    for message in (RENDERER.digest(digest), RENDERER.meeting_reminder(agenda)):
        assert_valid_blocks(message.blocks)
        text = everything(message)
        assert not RAW_CONTROL.search(text)
        sections = [b["text"]["text"] for b in message.blocks]
        for title, total in (("Delivered", 60), ("Dropped", 40), ("Stalled", 33)):
            [part] = [s for s in sections if f"*{title}" in s]
            header = next(line for line in part.splitlines() if f"*{title}" in line)
            assert header.endswith(f"({total})")
            shown = part.count("\n• #")
            assert part.endswith(f"• and {total - shown} more")


def test_digest_sections_for_initiatives() -> None:
    digest = Digest(
        as_of=NOW,
        since=NOW - timedelta(days=7),
        delivered=Listing((delivered(),), 1),
        dropped=Listing((dropped(8),), 1),
        stalled=Listing((initiative(9),), 1),
    )
    assert not digest.quiet
    text = mb.digest_text(digest)
    assert ":tada: *Delivered since the last digest* (1)\n• #7 *Initiative 7* · *delivered* by" in (
        text
    )
    assert "<https://example.org/case-studies?a=1&amp;b=2|" in text
    assert ":end: *Dropped since the last digest* (1)\n• #8 *Initiative 8* · *dropped*: The" in (
        text
    )
    assert "• #9 *Initiative 9* · no update or new join since <!date^" in text


@pytest.mark.parametrize(
    ("snapshot", "words"),
    [
        (delivered(), "*adopted* by lazy consensus, since delivered"),
        (dropped(), "*adopted* by lazy consensus, since dropped"),
        (
            delivered(decision=Decision("UMOD", Verdict.ADOPT, "ok", NOW)),
            "*adopted* after escalation, decided by <@UMOD>, since delivered",
        ),
        (
            delivered(consensus_found_at=NOW),
            "*adopted* by consensus after the close (the last objection withdrawn), since "
            "delivered",
        ),
    ],
)
def test_outcomes_of_initiatives_that_ended_since(snapshot: ProposalSnapshot, words: str) -> None:
    digest = Digest(as_of=NOW, since=NOW - timedelta(days=7), outcomes=Listing.of((snapshot,)))
    assert f"#7 *Initiative 7* · {words}" in mb.digest_text(digest)


def test_a_long_list_keeps_room_for_every_part() -> None:
    crowded = [
        initiative(i, state=State.OPEN, title="&" * 80, closes_at=NOW + timedelta(days=2))
        for i in range(1, 31)
    ]
    active = Listing(tuple(initiative(i, title="<" * 80) for i in range(31, 46)), 40)
    outcomes = [delivered(i, delivery_link="https://example.org/" + "p" * 120) for i in range(5)]
    text = blocks.proposal_list(crowded, outcomes, active, NOW)
    assert len(text) <= SECTION_LIMIT
    for header in ("*Open proposals*", "*Active initiatives (40)*", "*Recent outcomes*"):
        assert header in text
    open_part = text.split("*Active initiatives", 1)[0]
    shown = open_part.count("\n• #")
    assert open_part.rstrip().endswith(f"• and {30 - shown} more")
    assert text.count("delivered · <https://example.org/") == 5


@pytest.mark.parametrize("url", ["https://[::1", "https://", "http://x.org:notaport/"])
def test_a_malformed_address_never_breaks_a_builder(url: str) -> None:
    # One whole `<url|label>` token, or inert text.
    assert re.fullmatch(r"<[^<>|]+\|[^<>|]*>|[^<>]*", ib.link(url))
    assert_valid_blocks(
        blocks.card(delivered(delivery_link=url), "raised_hand", "no_entry_sign").blocks
    )
