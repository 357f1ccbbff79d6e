"""Proposals and lazy consensus end to end: signed requests in, fake Slack calls out."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest

from mwgbot.slack import ids
from tests import slack_requests as sr
from tests.conftest import CHANNEL, RunningBot

WINDOW = timedelta(days=4)


def propose(bot: RunningBot, title: str = "Case-study series", user: str = "UALICE") -> int:
    reply = bot.answer(f"propose {title} --close 4d", user=user)
    assert reply.startswith("Proposed #"), reply
    return int(reply.split("#", 1)[1].split(" ", 1)[0])


def outcome_posts(bot: RunningBot, number: int) -> list[dict[str, Any]]:
    return [m for m in bot.thread_replies(number) if m.get("reply_broadcast")]


def test_propose_posts_the_card_and_answers_with_a_link(bot: RunningBot) -> None:
    reply = bot.answer("propose Case-study series --close 4d --stage consideration,evaluation")
    assert reply.startswith("Proposed #1 *Case-study series*")
    assert f"in <#{CHANNEL}> (<https://openedx.slack.com/archives/{CHANNEL}/p" in reply
    assert "<!date^" in reply
    posts = bot.fake.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].args["channel"] == CHANNEL
    card = bot.card_text(1)
    assert "#1 Case-study series" in card
    assert "<@UALICE>" in card
    assert "Consideration, Evaluation" in card


def test_propose_from_a_direct_message_posts_in_the_channel(bot: RunningBot) -> None:
    reply = bot.answer("propose Translate the brochure --close 4d", channel="D0ALICEDM")
    assert "Proposed #1" in reply
    assert bot.fake.calls_to("chat.postMessage")[0].args["channel"] == CHANNEL


def test_proposals_are_numbered_in_order(bot: RunningBot) -> None:
    assert [propose(bot, f"Idea {i}") for i in range(1, 4)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("propose Too quick --close 1h", "at least 3 days"),
        ("propose Forever --close 52w", "too long"),
        ("propose Bad --close sometime", "not a duration"),
        ("propose Bad --stage fame", "adopter-journey stage"),
    ],
)
def test_bad_windows_and_stages_are_refused(bot: RunningBot, text: str, words: str) -> None:
    assert words in bot.answer(text)
    assert bot.fake.calls_to("chat.postMessage") == []


def test_join_and_leave_by_reaction_update_the_card(bot: RunningBot) -> None:
    propose(bot)
    assert bot.react(1, "UBOB").status == 200
    bot.settle()
    assert "<@UBOB>" in bot.card_text(1)
    assert "<@UBOB>" in bot.answer("show 1")
    assert bot.react(1, "UBOB", added=False).status == 200
    bot.settle()
    assert "<@UBOB>" not in bot.card_text(1)
    assert "Joined (0)" in bot.answer("show 1")


def test_a_retried_event_changes_nothing(bot: RunningBot) -> None:
    propose(bot)
    first = bot.react(1, "UBOB", event_id="Ev0RETRY1", event_ts="1800000000.000100")
    assert first.status == 200
    bot.settle()
    calls_before = len(bot.sent())
    # Slack redelivers the same event (same event_id) with X-Slack-Retry-Num.
    for retry in (1, 2, 3):
        again = bot.react(
            1, "UBOB", event_id="Ev0RETRY1", event_ts="1800000000.000100", retry_num=retry
        )
        assert again.status == 200
    bot.settle()
    assert len(bot.sent()) == calls_before
    assert "Joined (1)" in bot.answer("show 1")


def test_add_and_remove_out_of_order_end_in_the_later_state(bot: RunningBot) -> None:
    propose(bot)
    # The removal happened after the add, but is delivered first.
    bot.react(1, "UBOB", added=False, event_id="Ev0REMOVE", event_ts="1800000002.000000")
    bot.react(1, "UBOB", added=True, event_id="Ev0ADD", event_ts="1800000001.000000")
    assert "Joined (0)" in bot.answer("show 1")
    # And the other way round for another member.
    bot.react(1, "UCAROL", added=True, event_id="Ev1ADD", event_ts="1800000004.000000")
    bot.react(1, "UCAROL", added=False, event_id="Ev1REMOVE", event_ts="1800000003.000000")
    assert "<@UCAROL>" in bot.answer("show 1")


def test_reactions_that_are_not_ours_are_ignored_quietly(bot: RunningBot) -> None:
    propose(bot)
    bot.settle()
    calls_before = len(bot.sent())
    assert bot.react(1, "UBOB", emoji="tada").status == 200
    assert bot.react(1, "UBOTMWG").status == 200  # the bot itself
    other = sr.reaction_event(
        added=True,
        user_id="UBOB",
        reaction="raised_hand",
        channel_id=CHANNEL,
        message_ts="1111111111.000100",
        event_ts=f"{time.time():.6f}",
    )
    assert bot.send(sr.event_callback(other, event_id="Ev0OTHERMSG")).status == 200
    bot.settle()
    assert len(bot.sent()) == calls_before
    assert "Joined (0)" in bot.answer("show 1")


def test_skin_tone_variants_count(bot: RunningBot) -> None:
    propose(bot)
    bot.react(1, "UBOB", emoji="raised_hand::skin-tone-4")
    assert "<@UBOB>" in bot.answer("show 1")


def test_join_and_leave_by_command(bot: RunningBot) -> None:
    propose(bot)
    assert "You joined #1" in bot.answer("join 1", user="UBOB")
    assert "already joined" in bot.answer("join 1", user="UBOB")
    assert "You left #1" in bot.answer("leave 1", user="UBOB")
    assert "had not joined" in bot.answer("leave 1", user="UBOB")
    assert "no proposal #9" in bot.answer("join 9", user="UBOB")


def test_unopposed_proposal_is_adopted_exactly_once(bot: RunningBot) -> None:
    propose(bot)
    bot.answer("org Abstract", user="UALICE")
    bot.answer("org OpenCraft", user="UBOB")
    bot.answer("join 1", user="UBOB")
    bot.advance(WINDOW - timedelta(minutes=1))
    assert outcome_posts(bot, 1) == []
    bot.advance(timedelta(minutes=2))
    bot.sweep()
    bot.advance(timedelta(hours=1))
    posts = outcome_posts(bot, 1)
    assert len(posts) == 1
    assert "#1" in posts[0]["text"]
    assert "adopted" in posts[0]["text"]
    assert "lazy consensus" in posts[0]["text"]
    assert "seeking partners" not in posts[0]["text"]
    assert "Adopted" in bot.card_text(1)
    assert "adopted" in bot.answer("show 1").lower()


def test_adopted_by_one_organization_seeks_partners(bot: RunningBot) -> None:
    propose(bot)
    bot.answer("org Abstract", user="UALICE")
    bot.answer("join 1", user="UBOB")  # no organization set
    bot.advance(WINDOW + timedelta(minutes=1))
    [post] = outcome_posts(bot, 1)
    assert "adopted" in post["text"]
    assert "seeking partners from another organization" in post["text"]


def test_objected_proposal_is_escalated_to_the_moderators(bot: RunningBot) -> None:
    propose(bot)
    reply = bot.answer("object 1 It overlaps the Q3 webinar", user="UBOB")
    assert "objection to #1 is recorded" in reply
    bot.advance(WINDOW + timedelta(minutes=1))
    [post] = outcome_posts(bot, 1)
    assert "#1" in post["text"]
    assert "escalated" in post["text"]
    assert "<@UMODERATOR>" in post["text"]
    assert "<@UMODTWO>" in post["text"]
    assert "It overlaps the Q3 webinar" in post["text"]
    assert "Escalated" in bot.card_text(1)


def test_a_withdrawn_objection_lets_it_pass(bot: RunningBot) -> None:
    propose(bot)
    bot.answer("object 1 Not now", user="UBOB")
    assert "withdrew" in bot.answer("unobject 1", user="UBOB")
    bot.advance(WINDOW + timedelta(minutes=1))
    [post] = outcome_posts(bot, 1)
    assert "adopted" in post["text"]


def test_objection_by_reaction_asks_for_a_reason_and_counts(bot: RunningBot) -> None:
    propose(bot)
    bot.react(1, "UBOB", emoji="no_entry_sign")
    bot.settle()
    [asked] = [e for e in bot.fake.ephemerals if e["user"] == "UBOB"]
    assert "/mwg object 1 &lt;reason&gt;" in asked["text"]
    assert "Objections (1)" in bot.answer("show 1")
    # Removing the reaction withdraws it.
    bot.react(1, "UBOB", emoji="no_entry_sign", added=False)
    assert "Objections:* none" in bot.answer("show 1")


def test_an_objection_after_the_window_closed_changes_nothing(bot: RunningBot) -> None:
    propose(bot)
    bot.advance(WINDOW + timedelta(minutes=1))
    reply = bot.answer("object 1 Too late", user="UBOB")
    assert "does not change the outcome" in reply
    bot.react(1, "UCAROL", emoji="no_entry_sign")
    bot.settle()
    assert "Objections:* none" in bot.answer("show 1")
    assert len(outcome_posts(bot, 1)) == 1


def test_resolve_by_a_non_moderator_is_refused_and_by_a_moderator_applied(
    bot: RunningBot,
) -> None:
    propose(bot)
    bot.answer("object 1 Budget", user="UBOB")
    bot.advance(WINDOW + timedelta(minutes=1))
    refusal = bot.answer("resolve 1 adopt I like it", user="UBOB")
    assert "Only a moderator" in refusal
    assert "escalated" in bot.answer("show 1").lower()
    decided = bot.answer("resolve 1 decline Not this quarter", user="UMODERATOR")
    assert "#1 is declined" in decided
    bot.settle()
    posts = outcome_posts(bot, 1)
    assert len(posts) == 2
    assert "declined" in posts[1]["text"]
    assert "<@UMODERATOR>" in posts[1]["text"]
    assert "Not this quarter" in posts[1]["text"]
    assert "Decision:* decline" in bot.answer("show 1")
    assert "only an escalated" in bot.answer("resolve 1 adopt Again", user="UMODTWO")


def test_a_moderator_does_not_resolve_their_own_proposal(bot: RunningBot) -> None:
    propose(bot, user="UMODERATOR")
    bot.answer("object 1 Budget", user="UBOB")
    bot.advance(WINDOW + timedelta(minutes=1))
    assert "another moderator" in bot.answer("resolve 1 adopt Mine", user="UMODERATOR")
    assert "is adopted" in bot.answer("resolve 1 adopt Fine by AXIM", user="UMODTWO")


def test_withdraw_by_the_proposer_or_a_moderator_only(bot: RunningBot) -> None:
    propose(bot)
    assert "Only the proposer" in bot.answer("withdraw 1", user="UBOB")
    assert "withdrawn" in bot.answer("withdraw 1", user="UALICE")
    bot.settle()
    [post] = outcome_posts(bot, 1)
    assert "withdrawn" in post["text"]
    bot.advance(WINDOW + timedelta(minutes=1))
    assert len(outcome_posts(bot, 1)) == 1  # a withdrawn proposal does not close
    propose(bot, "Second")
    assert "withdrawn" in bot.answer("withdraw 2", user="UMODERATOR")


def test_channel_pings_in_a_title_reach_slack_only_as_text(bot: RunningBot) -> None:
    propose(bot, "Free pizza <!channel> <!here> <@UMODERATOR> <https://evil.example|docs>")
    bot.answer("object 1 <!everyone> says no", user="UBOB")
    bot.advance(WINDOW + timedelta(minutes=1))
    bot.answer("list")
    everything = json.dumps([c.args for c in bot.fake.calls])
    for dangerous in ("<!channel>", "<!here>", "<!everyone>", "<https://evil"):
        assert dangerous not in everything
    assert "&lt;!channel&gt;" in everything
    # Mentions come only from user IDs the bot knows, never from the title.
    assert "<@UMODERATOR>" in everything  # the escalation mentions the moderator on purpose
    card = bot.card_text(1)
    assert "&lt;@UMODERATOR&gt;" in card


def test_propose_without_a_title_opens_a_modal_and_submits(bot: RunningBot) -> None:
    answer = bot.command("propose")
    assert answer.status == 200
    [opened] = bot.fake.calls_to("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == ids.VIEW_PROPOSE
    values: dict[str, dict[str, Any]] = {
        ids.BLOCK_TITLE: {ids.INPUT: {"type": "plain_text_input", "value": "Webinar"}},
        ids.BLOCK_DESCRIPTION: {ids.INPUT: {"type": "plain_text_input", "value": "Q1 webinar"}},
        ids.BLOCK_STAGES: {
            ids.INPUT: {"type": "multi_static_select", "selected_options": [{"value": "intent"}]}
        },
        ids.BLOCK_WINDOW: {ids.INPUT: {"type": "plain_text_input", "value": "1h"}},
        ids.BLOCK_FLAGS: {
            ids.INPUT: {
                "type": "checkboxes",
                "selected_options": [{"value": ids.FLAG_LEADS}, {"value": ids.FLAG_COBRANDED}],
            }
        },
    }
    # A too-short window shows its error on the field, and nothing is proposed.
    refused = bot.send(sr.view_submission(ids.VIEW_PROPOSE, values, user_id="UALICE"))
    assert refused.status == 200
    body = refused.json()
    assert body["response_action"] == "errors"
    assert "at least 3 days" in body["errors"][ids.BLOCK_WINDOW]
    assert "no proposal #1" in bot.answer("show 1")
    values[ids.BLOCK_WINDOW][ids.INPUT]["value"] = "5d"
    accepted = bot.send(sr.view_submission(ids.VIEW_PROPOSE, values, user_id="UALICE"))
    assert accepted.status == 200
    assert accepted.body == ""
    bot.settle()
    card = bot.card_text(1)
    assert "Webinar" in card
    assert "Q1 webinar" in card
    assert "Intent" in card
    assert "AXIM's property" in card
    assert "trademark guidelines" in card


def test_modal_without_a_title_shows_the_error_on_the_field(bot: RunningBot) -> None:
    values = {ids.BLOCK_TITLE: {ids.INPUT: {"type": "plain_text_input", "value": "   "}}}
    answer = bot.send(sr.view_submission(ids.VIEW_PROPOSE, values, user_id="UALICE"))
    assert answer.json() == {
        "response_action": "errors",
        "errors": {ids.BLOCK_TITLE: "A proposal needs a title."},
    }


def test_join_button_toggles_and_object_button_opens_a_modal(bot: RunningBot) -> None:
    propose(bot)
    ts = bot.card_ts(1)
    press = sr.block_action(ids.ACTION_JOIN, "1", user_id="UBOB", channel_id=CHANNEL, message_ts=ts)
    assert bot.send(press).status == 200
    assert "<@UBOB>" in bot.answer("show 1")
    assert bot.send(press).status == 200
    assert "Joined (0)" in bot.answer("show 1")
    bot.settle()
    told = [e["text"] for e in bot.fake.ephemerals if e["user"] == "UBOB"]
    assert told == [told[0], "You left #1."]
    assert told[0].startswith("You joined #1")
    object_press = sr.block_action(
        ids.ACTION_OBJECT, "1", user_id="UBOB", channel_id=CHANNEL, message_ts=ts
    )
    assert bot.send(object_press).status == 200
    [opened] = bot.fake.calls_to("views.open")
    assert opened.args["view"]["callback_id"] == ids.VIEW_OBJECT
    reason = {ids.BLOCK_REASON: {ids.INPUT: {"type": "plain_text_input", "value": "Budget"}}}
    submitted = bot.send(
        sr.view_submission(ids.VIEW_OBJECT, reason, user_id="UBOB", private_metadata="1")
    )
    assert submitted.status == 200
    assert "<@UBOB>" in bot.answer("show 1")
    assert "Budget" in bot.answer("show 1")


def test_list_and_show(bot: RunningBot) -> None:
    propose(bot, "First")
    propose(bot, "Second")
    bot.answer("object 2 Needs a budget", user="UBOB")
    bot.answer("org OpenCraft", user="UBOB")
    bot.answer("join 1", user="UBOB")
    bot.advance(WINDOW + timedelta(minutes=1))
    propose(bot, "Third")
    listing = bot.answer("list")
    assert "#3 Third" in listing
    assert "#2 Second" in listing
    assert "escalated" in listing
    assert "*Active initiatives (1)*" in listing
    assert "#1 First · adopted just now, no update yet · 1 joined" in listing
    details = bot.answer("show 1").lower()
    for words in ("adopted", "<@ubob> (opencraft)", "organizations:* opencraft", "<!date^"):
        assert words in details


def test_organization_command(bot: RunningBot) -> None:
    assert "not set an organization" in bot.answer("org")
    assert "now *Abstract &amp; Co*" in bot.answer("org Abstract & Co")
    assert "Abstract &amp; Co" in bot.answer("org")
    assert "cleared" in bot.answer("org none")


def test_fifty_reactions_are_coalesced_into_a_handful_of_updates(bot: RunningBot) -> None:
    propose(bot)
    bot.settle()
    bot.fake.rate_limit("chat.update", per_second=1, burst=3)
    started = time.monotonic()
    for i in range(50):
        assert bot.react(1, f"UMEMBER{i:02d}").status == 200
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    # Let the coalescing interval pass, then the last update goes out.
    bot.fake.wait_until(lambda: "Joined (50)" in bot.card_text(1), timeout=10)
    updates = len(bot.fake.calls_to("chat.update", include_failed=False))
    assert bot.fake.rate_limited_count == 0
    assert updates <= elapsed / 2 + 3, (updates, elapsed)


def test_malformed_commands_each_get_a_clear_answer(bot: RunningBot) -> None:
    propose(bot)
    malformed = [
        "",
        "   ",
        "unknowncommand",
        "show",
        "show 999",
        "show -1",
        "show 1.5",
        "join #abc",
        "leave 999999999",
        "object 999 because",
        "object 1",
        "resolve 1 perhaps so",
        "withdraw 999",
        "propose --close 4d",
        "propose Something --close tomorrow",
        "propose Something --close 1000w",
        "propose " + "A" * 5000,
        "propose Nul\x00and\x1bescape\x07bell",
        "propose " + ":tada:" * 100,
        "object 1 " + ":fire:" * 200,
        "meeting skip someday",
        "\u202e\u200b",
    ]
    for text in malformed:
        answer = bot.command(text)
        assert answer.status == 200, text
        assert answer.seconds < 3, text
        body = answer.json()
        assert body["response_type"] == "ephemeral", text
        assert body["text"], text
        assert "went wrong" not in body["text"], (text, body["text"])
        assert len(body["text"]) < 600, text
