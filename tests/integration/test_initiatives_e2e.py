"""Initiatives after adoption end to end, through signed requests as Slack sends them: adopt,
post updates, deliver or drop; who may, when, which links; no joins after the end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mwgbot.db.models import ProposalRow
from mwgbot.domain.activity import Via
from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.block_kit_checks import assert_valid_blocks
from tests.conftest import CHANNEL, RunningBot

WINDOW = timedelta(days=4)
HOSTILE = "<!channel> ping <@U0ADMIN> <https://evil.example|docs>"


def adopt(bot: RunningBot, title: str = "Case-study series", *joiners: str) -> int:
    """Propose as UALICE, let the joiners join, and let the window close unopposed."""
    reply = bot.answer(f"propose {title} --close 4d")
    number = int(reply.split("#", 1)[1].split(" ", 1)[0])
    for joiner in joiners:
        bot.answer(f"join {number}", user=joiner)
    bot.advance(WINDOW + timedelta(minutes=1))
    assert "*Adopted* by lazy consensus" in bot.answer(f"show {number}")
    return number


def broadcasts(bot: RunningBot, number: int) -> list[dict[str, Any]]:
    return [m for m in bot.thread_replies(number) if m.get("reply_broadcast")]


def quiet_replies(bot: RunningBot, number: int) -> list[dict[str, Any]]:
    return [m for m in bot.thread_replies(number) if not m.get("reply_broadcast")]


def card_blocks(bot: RunningBot, number: int) -> list[dict[str, Any]]:
    message = bot.fake.message(CHANNEL, bot.card_ts(number))
    assert message is not None
    return list(message["blocks"])


def row(bot: RunningBot, number: int) -> ProposalRow:
    with bot.runtime.db.unit_of_work() as session:
        found = session.scalars(select(ProposalRow).where(ProposalRow.number == number)).one()
        session.expunge(found)
        return found


def test_adopt_update_done(bot: RunningBot) -> None:
    n = adopt(bot, "Case-study series", "UBOB")
    assert "Active initiative" in bot.card_text(n)
    assert "No update yet" in bot.card_text(n)

    reply = bot.answer(f"update {n} Drafted the first two case studies", user="UALICE")
    assert reply == f"Your update on #{n} is posted in its thread; its card shows it."
    bot.settle()
    [note] = [m for m in quiet_replies(bot, n) if "Update on" in m["text"]]
    assert note["text"].startswith(f":memo: Update on #{n} from <@UALICE>: Drafted the first")
    card = bot.card_text(n)
    assert "*Latest update:* <@UALICE> · <!date^" in card
    assert "Drafted the first two case studies" in card

    bot.clock.advance(timedelta(days=2))
    bot.answer(f"update {n} Third one written", user="UBOB")
    details = bot.answer(f"show {n}")
    assert "*Updates (2):*" in details
    assert details.index("Drafted the first two") < details.index("Third one written")
    assert "<@UALICE> · <!date^" in details
    assert "<@UBOB> · <!date^" in details

    link = "https://openedx.org/blog/case-studies?tag=marketing&page=1"
    reply = bot.answer(f"done {n} {link} Published on the blog", user="UBOB")
    assert f"#{n} *Case-study series* is delivered" in reply
    bot.settle()
    [announced] = broadcasts(bot, n)[1:]  # after the adoption's
    text = announced["text"]
    assert f"#{n} *Case-study series* is *delivered* by <@UBOB>" in text
    # `&` escaped inside the link; the label is the address without its scheme.
    escaped = link.replace("&", "&amp;")
    assert f"<{escaped}|openedx.org/blog/case-studies?tag=marketing&amp;page=1>" in text
    assert "Published on the blog" in text
    assert "<@UALICE>" in text  # thanks to everyone who took part

    card = bot.card_text(n)
    assert "*Delivered* by <@UBOB>" in card
    assert f"<{escaped}|" in card
    assert not [b for b in card_blocks(bot, n) if b["type"] == "actions"]
    details = bot.answer(f"show {n}")
    assert "*Delivered* by <@UBOB>" in details
    listing = bot.answer("list")
    assert f"#{n} Case-study series · delivered · <{escaped}|" in listing
    assert "Active initiatives" not in listing
    stored = row(bot, n)
    assert (stored.state, stored.finished_by, stored.delivery_link) == ("delivered", "UBOB", link)
    assert stored.finish_note == "Published on the blog"


def test_adopt_drop(bot: RunningBot) -> None:
    n = adopt(bot, "Booth at a conference", "UBOB")
    reply = bot.answer(f"drop {n} The sponsor withdrew its budget", user="UBOB")
    assert reply == f"#{n} *Booth at a conference* is dropped; the channel is told."
    bot.settle()
    [announced] = broadcasts(bot, n)[1:]
    assert f"#{n} *Booth at a conference* is *dropped* by <@UBOB>" in announced["text"]
    assert "*Reason:* The sponsor withdrew its budget" in announced["text"]
    card = bot.card_text(n)
    assert "*Dropped* by <@UBOB>" in card
    assert "The sponsor withdrew its budget" in card
    assert not [b for b in card_blocks(bot, n) if b["type"] == "actions"]
    assert "already dropped" in bot.answer(f"drop {n} again", user="UBOB")
    assert "is dropped: only an active initiative" in bot.answer(f"done {n}", user="UBOB")
    assert "is dropped: updates are for open" in bot.answer(f"update {n} x", user="UBOB")
    assert "dropped" in bot.answer("list")


def test_a_moderator_may_act_on_any_initiative(bot: RunningBot) -> None:
    n = adopt(bot, "Video series")
    assert "posted" in bot.answer(f"update {n} Checking in for the group", user="UMODERATOR")
    assert "delivered" in bot.answer(f"done {n}", user="UMODERATOR")
    bot.settle()
    [announced] = broadcasts(bot, n)[1:]
    assert "is *delivered* by <@UMODERATOR>." in announced["text"]


@pytest.mark.parametrize(
    "command",
    ["update {n} I would like to help", "done {n} https://example.org", "drop {n} Not needed"],
)
def test_a_member_who_is_not_an_owner_is_refused(bot: RunningBot, command: str) -> None:
    n = adopt(bot, "Newsletter", "UBOB")
    before = len(bot.thread_replies(n))
    reply = bot.answer(command.format(n=n), user="UCAROL")
    assert reply.startswith("Only its owners (the proposer and the members who joined)")
    assert "or a moderator" in reply
    assert "nothing changed" in reply
    bot.settle()
    assert len(bot.thread_replies(n)) == before
    assert row(bot, n).state == "adopted"


@pytest.mark.parametrize("verb", ["done {n}", "drop {n} Not now"])
def test_done_or_drop_on_an_open_proposal_is_refused(bot: RunningBot, verb: str) -> None:
    bot.answer("propose Translate the brochure --close 4d")
    reply = bot.answer(verb.format(n=1))
    assert reply.startswith("#1 is open: only an active initiative (an adopted proposal)")
    assert row(bot, 1).state == "open"
    # Updates are welcome before adoption too.
    assert "posted" in bot.answer("update 1 Found two translators")


def test_done_on_an_escalated_proposal_is_refused(bot: RunningBot) -> None:
    bot.answer("propose Translate the brochure --close 4d")
    bot.answer("object 1 No budget", user="UBOB")
    bot.advance(WINDOW + timedelta(minutes=1))
    assert bot.answer("done 1").startswith("#1 is escalated: only an active initiative")


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "ftp://files.example.org/brochure.pdf",
        "data:text/html,<b>hi</b>",
        "mailto:someone@example.org",
    ],
)
def test_a_link_that_is_not_http_is_refused(bot: RunningBot, link: str) -> None:
    n = adopt(bot, "Brochure")
    reply = bot.answer(f"done {n} {link} shipped")
    assert "Only web links starting with http:// or https:// are accepted" in reply
    assert row(bot, n).state == "adopted"
    assert row(bot, n).delivery_link is None


@pytest.mark.parametrize("link", ["www.example.org/brochure", "example.org/webinars"])
def test_a_link_without_https_is_refused_with_the_fix_never_lost(
    bot: RunningBot, link: str
) -> None:
    """A new member's finding: `example.org/webinars` was read as the note and lost for good."""
    n = adopt(bot, "Brochure")
    reply = bot.answer(f"done {n} {link} great")
    assert f"A link starts with https:// (or http://): write `https://{link}`." in reply
    assert row(bot, n).state == "adopted"
    assert "is delivered" in bot.answer(f"done {n} https://{link} great")
    assert row(bot, n).delivery_link == f"https://{link}"


def test_a_link_that_could_break_out_is_refused(bot: RunningBot) -> None:
    n = adopt(bot, "Brochure")
    reply = bot.answer(f"done {n} https://example.org/a|<!channel>")
    assert "characters a web address cannot contain" in reply
    assert row(bot, n).state == "adopted"


def test_a_link_the_slack_client_formatted_is_read(bot: RunningBot) -> None:
    n = adopt(bot, "Brochure")
    # Slack sends `<`, `>` and `&` in a command's text as entities.
    text = f"done {n} &lt;https://example.org/brochure|example.org/brochure&gt; Printed"
    assert "delivered" in bot.answer(text)
    assert row(bot, n).delivery_link == "https://example.org/brochure"
    assert row(bot, n).finish_note == "Printed"


def test_no_join_after_delivery_by_command_reaction_or_button(bot: RunningBot) -> None:
    n = adopt(bot, "Webinar", "UBOB")
    old_card = card_blocks(bot, n)
    assert [b for b in old_card if b["type"] == "actions"]  # an active one has Join
    assert "delivered" in bot.answer(f"done {n} https://example.org/webinar")
    bot.settle()

    refusal = f"#{n} is delivered; it takes no new participants."
    assert bot.answer(f"join {n}", user="UCAROL").startswith(refusal)

    assert bot.react(n, "UCAROL").status == 200
    bot.settle()
    told = [e["text"] for e in bot.fake.ephemerals if e["user"] == "UCAROL"]
    assert any(t.startswith(refusal) for t in told)

    # A Join button pressed on a copy of the card from before it was delivered.
    press = sr.block_action(
        ids.ACTION_JOIN, str(n), user_id="UCAROL", channel_id=CHANNEL, message_ts=bot.card_ts(n)
    )
    assert bot.send(press).status == 200
    bot.settle()
    told = [e["text"] for e in bot.fake.ephemerals if e["user"] == "UCAROL"]
    assert sum(t.startswith(refusal) for t in told) == 2

    details = bot.answer(f"show {n}")
    assert "*Joined (1):* <@UBOB>" in details
    assert "<@UCAROL>" not in details
    assert "<@UCAROL>" not in bot.card_text(n)


def test_joins_still_welcome_while_active_and_they_count_as_activity(bot: RunningBot) -> None:
    n = adopt(bot, "Webinar")
    assert row(bot, n).last_activity_at == bot.clock.now()  # adopted just now
    bot.clock.advance(timedelta(days=3))
    assert "You joined" in bot.answer(f"join {n}", user="UCAROL")
    assert row(bot, n).last_activity_at == bot.clock.now()
    bot.clock.advance(timedelta(days=1))
    bot.answer(f"leave {n}", user="UCAROL")  # leaving is not news
    assert row(bot, n).last_activity_at == bot.clock.now() - timedelta(days=1)
    bot.answer(f"update {n} Speakers confirmed")
    assert row(bot, n).last_activity_at == bot.clock.now()


def test_a_moderators_adoption_starts_the_initiative(bot: RunningBot) -> None:
    bot.answer("propose Podcast --close 4d")
    bot.answer("object 1 Who hosts it?", user="UBOB")
    bot.advance(WINDOW + timedelta(minutes=1))
    assert row(bot, 1).last_activity_at is None
    bot.clock.advance(timedelta(days=1))
    bot.answer("resolve 1 adopt Carol hosts", user="UMODERATOR")
    assert row(bot, 1).last_activity_at == bot.clock.now()
    assert "delivered" in bot.answer("done 1 https://example.org/podcast")
    bot.settle()
    assert "*Delivered* by <@UALICE>" in bot.card_text(1)


def test_user_text_is_inert_everywhere(bot: RunningBot) -> None:
    n = adopt(bot, "Guides", "UBOB")
    bot.answer(f"update {n} {HOSTILE}")
    bot.answer(f"done {n} https://example.org/guides {HOSTILE}", user="UBOB")
    bot.settle()
    texts = [m["text"] for m in bot.thread_replies(n)]
    texts += [bot.card_text(n), bot.answer(f"show {n}"), bot.answer("list")]
    for text in texts:
        assert "<!channel>" not in text
        assert "<@U0ADMIN>" not in text
        assert "<https://evil.example" not in text
    assert "&lt;!channel&gt; ping &lt;@U0ADMIN&gt;" in bot.card_text(n)


def test_a_card_with_a_long_update_and_many_joiners_is_valid(bot: RunningBot) -> None:
    n = adopt(bot, "Community call series " + "x" * 120)
    with bot.runtime.db.unit_of_work() as session:
        proposals = bot.runtime.bot.proposals(session, via=Via.COMMAND)
        for i in range(300):
            proposals.join(n, f"UMEMBER{i:04d}")
    long_update = "Progress & plans: " + "lorem ipsum dolor sit amet " * 40
    bot.answer(f"update {n} {long_update[:1000]}")
    bot.settle()
    blocks = card_blocks(bot, n)
    assert_valid_blocks(blocks)
    card = bot.card_text(n)
    assert "and 275 more" in card
    assert "Progress &amp; plans" in card
    [note] = [m for m in quiet_replies(bot, n) if "Update on" in m["text"]]
    assert_valid_blocks(note["blocks"])
    bot.answer(f"done {n} https://example.org/{'p' * 900} {'n' * 1000}")
    bot.settle()
    assert_valid_blocks(card_blocks(bot, n))
    for reply in bot.thread_replies(n):
        assert_valid_blocks(reply["blocks"])


def test_show_bounds_the_updates_and_counts_the_rest(bot: RunningBot) -> None:
    n = adopt(bot, "Blog series")
    for i in range(14):
        bot.clock.advance(timedelta(hours=1))
        bot.answer(f"update {n} Post {i:02d} " + "w" * 900)
    details = bot.answer(f"show {n}")
    assert len(details) <= 2900
    assert "*Updates (14):*" in details
    assert "earlier updates not shown_" in details
    assert "Post 13" in details  # the newest is always there
    assert "Post 00" not in details


def test_recent_outcomes_are_the_five_newest_ends_whatever_their_kind(bot: RunningBot) -> None:
    """Each end state is read on its own; the merge keeps the newest five across them."""
    now = bot.clock.now()
    ends = {  # title -> (state, how many days ago it ended)
        "Withdrawn old": ("withdrawn", 40),
        "Declined recent": ("declined", 2),
        "Delivered newest": ("delivered", 1),
        "Dropped recent": ("dropped", 3),
        "Delivered old": ("delivered", 30),
        "Dropped middle": ("dropped", 5),
        "Withdrawn recent": ("withdrawn", 4),
    }
    with bot.runtime.db.unit_of_work() as session:
        for number, (title, (state, days)) in enumerate(ends.items(), start=100):
            ended = now - timedelta(days=days)
            session.add(
                ProposalRow(
                    group_key="mwg",
                    number=number,
                    title=title,
                    proposer_id="UALICE",
                    state=state,
                    created_at=ended - timedelta(days=10),
                    closes_at=ended - timedelta(days=7),
                    closed_at=ended if state == "withdrawn" else ended - timedelta(days=7),
                    decided_at=ended if state == "declined" else None,
                    finished_at=ended if state in ("delivered", "dropped") else None,
                )
            )
    listing = bot.answer("list")
    outcomes = listing[listing.index("Recent outcomes") :]
    shown = [title for title in ends if title in outcomes]
    assert sorted(shown, key=outcomes.index) == [
        "Delivered newest",
        "Declined recent",
        "Dropped recent",
        "Withdrawn recent",
        "Dropped middle",
    ]
