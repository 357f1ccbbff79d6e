"""A title's Slack formatting characters cannot break a layout: wherever a title is set inside
mrkdwn (the card's bold header, `#n *title*` in lists, notices, the Home tab and digests) it
reads as typed, and the bold around it stays whole."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mwgbot.console.render import mrkdwn_to_text
from mwgbot.domain.proposals import ProposalSnapshot, State
from mwgbot.services.read_models import Digest, Listing, UpdateNote, Updates
from mwgbot.slack import blocks, initiative_blocks, meeting_blocks
from mwgbot.slack.block_kit import title_ref
from mwgbot.slack.text import AS_TYPED, as_typed, escape, truncate, truncate_mrkdwn
from tests.block_kit_checks import assert_valid_message

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TITLES = [
    "*bold*",
    "_it_",
    "~strike~",
    "`code`",
    "*bold* _it_ ~strike~ `code` mixed",
    "a_b*c~d`e and *_nested_* ~`x`~",
    "Ship it :white_check_mark: 2*3",
]
FORMATTING = re.compile(r"[*_~`]")


def proposal(**overrides: Any) -> ProposalSnapshot:
    values: dict[str, Any] = {
        "number": 5,
        "title": "Case-study series",
        "proposer_id": "UALICE",
        "created_at": NOW,
        "closes_at": NOW + timedelta(days=7),
        "state": State.OPEN,
    }
    values.update(overrides)
    return ProposalSnapshot(**values)


def without_shortcodes(text: str) -> str:
    return re.sub(r":[a-z0-9_+'-]+:", "", text)


@pytest.mark.parametrize("title", TITLES)
def test_formatting_characters_become_lookalikes_and_read_back_as_typed(title: str) -> None:
    shown = as_typed(title)
    assert not FORMATTING.search(without_shortcodes(shown))
    assert len(shown) == len(title)
    back = shown.translate(str.maketrans({v: k for k, v in AS_TYPED.items()}))
    assert back == title
    assert mrkdwn_to_text(shown) == title  # as the console (a stand-in for Slack) shows it


def test_escaping_still_applies_and_emoji_shortcodes_are_kept() -> None:
    assert as_typed("<!channel> & *x*") == "&lt;!channel&gt; &amp; \u2217x\u2217"
    assert as_typed("Done :white_check_mark: _ok_") == "Done :white_check_mark: \u02cdok\u02cd"
    assert as_typed("plain title") == escape("plain title")


@pytest.mark.parametrize("title", TITLES)
def test_the_card_header_stays_one_bold_title(title: str) -> None:
    card = blocks.card(proposal(title=title), "raised_hand", "no_entry_sign")
    assert_valid_message(card)
    header = card.blocks[0]["text"]["text"]
    assert header == f"*#5 {as_typed(title)}*"
    # One bold span, from the first character to the last: the title's own markers are inert.
    inner = without_shortcodes(header[1:-1])
    assert not FORMATTING.search(inner)
    assert mrkdwn_to_text(header) == f"#5 {title}"
    # The plain-text fallback still starts with the number (notifications, and tests, find
    # cards by it).
    assert card.text.startswith("#5 ")


@pytest.mark.parametrize("title", TITLES)
def test_lists_notices_and_digests_show_the_title_as_typed(title: str) -> None:
    p = proposal(title=title)
    adopted = proposal(title=title, state=State.ADOPTED, closed_at=NOW)
    assert title_ref(5, title) == f"#5 *{as_typed(title)}*"
    texts = {
        "list": blocks.proposal_list(Listing.of((p,)), (adopted,), Listing.of((adopted,)), NOW),
        "show": blocks.proposal_details(p),
        "nudge": initiative_blocks.stale_nudge(adopted, timedelta(days=21)).text,
        "digest": meeting_blocks.digest_text(
            Digest(
                as_of=NOW,
                since=NOW - timedelta(days=7),
                new=Listing.of((p,)),
                open=Listing.of((p,)),
                updates=Updates((UpdateNote(5, title, "UBOB", "progress", NOW),), 1),
            )
        ),
    }
    for name, text in texts.items():
        for line in text.split("\n"):
            if "#5" not in line:
                continue
            assert as_typed(title) in line, (name, line)
            # Only the bot's own markers are left, and they come in pairs.
            visible = without_shortcodes(line)
            assert all(visible.count(marker) % 2 == 0 for marker in "*_~`"), (name, line)
            assert title in mrkdwn_to_text(line), (name, line)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("ab &amp;amp; cd", 7, "ab…"),
        ("x <@U123> y", 6, "x…"),
        ("&lt;b&gt; plain", 8, "&lt;b…"),
        ("short", 10, "short"),
        ("plain words here", 8, "plain w…"),
    ],
)
def test_a_cut_never_splits_an_entity_or_a_token(text: str, limit: int, expected: str) -> None:
    assert truncate_mrkdwn(text, limit) == expected
    assert len(truncate_mrkdwn(text, limit)) <= limit


def test_raw_text_is_cut_where_it_is_cut() -> None:
    """Text not yet escaped has no entities: its `&` is a character like any other."""
    assert truncate("Progress & plans: lorem", 14) == "Progress & pl…"
