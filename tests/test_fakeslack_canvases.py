"""The fake Slack's channel canvases, driven by a real slack_sdk WebClient over loopback HTTP:
creation once per channel, edits of every documented kind, the plan and permission refusals,
the 1 MiB limit, and `conversations.info` showing the canvas (docs/slack-canvases.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from mwgbot.fakeslack import FakeSlack
from mwgbot.fakeslack.canvases import ERRORS, MAX_MARKDOWN

CHANNEL = "CMARKETING"
PAGE = "# Marketing Working Group\n\n## Open proposals\n- **#1** Webinar\n"


def markdown(text: str) -> dict[str, str]:
    return {"type": "markdown", "markdown": text}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        yield f


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url, timeout=10)


def create(client: WebClient, text: str = PAGE, channel: str = CHANNEL) -> str:
    answer = client.conversations_canvases_create(
        channel_id=channel, document_content=markdown(text)
    )
    return str(answer["canvas_id"])


def edit(client: WebClient, canvas_id: str, **change: Any) -> None:
    client.canvases_edit(canvas_id=canvas_id, changes=[change])


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as err:
        call(*args, **kwargs)
    return dict(err.value.response.data)  # type: ignore[arg-type]


def test_a_channel_gets_one_canvas_and_conversations_info_shows_it(
    fake: FakeSlack, client: WebClient
) -> None:
    before = client.conversations_info(channel=CHANNEL)["channel"]
    assert before["id"] == CHANNEL
    assert before["is_channel"] is True
    assert "properties" not in before  # as Slack: no properties until there is a canvas
    assert fake.canvas_of(CHANNEL) is None
    assert fake.channel_page(CHANNEL) is None

    canvas_id = create(client)
    assert canvas_id.startswith("F")
    assert fake.canvas_of(CHANNEL) == canvas_id
    assert fake.canvas_markdown(canvas_id) == PAGE == fake.channel_page(CHANNEL)
    properties = client.conversations_info(channel=CHANNEL)["channel"]["properties"]
    assert properties["canvas"]["file_id"] == canvas_id
    assert properties["canvas"]["is_empty"] is False

    again = refused(create, client)
    assert again["error"] == "channel_canvas_already_exists"
    assert "canvas_id" not in again  # Slack does not say which: conversations.info does
    assert fake.canvas_markdown(canvas_id) == PAGE
    assert [c["id"] for c in fake.canvases()] == [canvas_id]


def test_an_empty_canvas_is_empty_and_a_hand_made_one_is_found(
    fake: FakeSlack, client: WebClient
) -> None:
    empty = create(client, "")
    info = client.conversations_info(channel=CHANNEL)["channel"]
    assert info["properties"]["canvas"] == {
        "file_id": empty,
        "is_empty": True,
        "quip_thread_id": f"Q{empty[1:]}",
    }
    by_hand = fake.add_channel_canvas("CEDUCATORS", "Welcome!\n", title="Educators")
    found = client.conversations_info(channel="CEDUCATORS")["channel"]["properties"]["canvas"]
    assert found["file_id"] == by_hand
    assert refused(create, client, channel="CEDUCATORS")["error"] == "channel_canvas_already_exists"
    assert fake.canvas(by_hand) == {
        "id": by_hand,
        "channel": "CEDUCATORS",
        "title": "Educators",
        "markdown": "Welcome!\n",
        "edits": 0,
        "sections": fake.canvas(by_hand)["sections"],  # type: ignore[index]
    }
    with pytest.raises(ValueError, match="already has"):
        fake.add_channel_canvas("CEDUCATORS")


def test_conversations_info_of_a_dm_and_of_nothing(fake: FakeSlack, client: WebClient) -> None:
    dm = client.conversations_open(users="UALICE")["channel"]["id"]
    info = client.conversations_info(channel=dm)["channel"]
    assert (info["is_im"], info["user"]) == (True, "UALICE")
    for channel in ("", "nope", "#marketing"):
        assert refused(client.conversations_info, channel=channel)["error"] == "channel_not_found"
    assert refused(create, client, channel="marketing")["error"] == "channel_not_found"


def test_replace_without_a_section_replaces_the_whole_document(
    fake: FakeSlack, client: WebClient
) -> None:
    canvas_id = create(client)
    page = "# Marketing Working Group\n\nNothing open.\n\n---\n\n```\ncode\n\nstill code\n```\n"
    edit(client, canvas_id, operation="replace", document_content=markdown(page))
    assert fake.canvas_markdown(canvas_id) == page  # byte for byte
    edit(client, canvas_id, operation="replace", document_content=markdown("no newline"))
    assert fake.canvas_markdown(canvas_id) == "no newline"
    found = fake.canvas(canvas_id)
    assert found is not None
    assert found["edits"] == 2
    assert len(found["sections"]) == 1


def test_section_edits_insert_replace_and_delete(fake: FakeSlack, client: WebClient) -> None:
    canvas_id = create(client, "# Title\nfirst\nsecond")
    title, first, second = fake.canvas(canvas_id)["sections"]  # type: ignore[index]
    edit(client, canvas_id, operation="insert_at_end", document_content=markdown("last"))
    edit(client, canvas_id, operation="insert_at_start", document_content=markdown("top\n"))
    assert fake.canvas_markdown(canvas_id) == "top\n# Title\nfirst\nsecond\nlast"
    edit(
        client,
        canvas_id,
        operation="insert_after",
        section_id=first,
        document_content=markdown("after first"),
    )
    edit(
        client,
        canvas_id,
        operation="insert_before",
        section_id=title,
        document_content=markdown("before title\n"),
    )
    edit(
        client,
        canvas_id,
        operation="replace",
        section_id=second,
        document_content=markdown("SECOND\n"),
    )
    edit(client, canvas_id, operation="delete", section_id=first)
    assert fake.canvas_markdown(canvas_id) == (
        "top\nbefore title\n# Title\nafter first\nSECOND\nlast"
    )
    client.canvases_edit(
        canvas_id=canvas_id, changes=[{"operation": "rename", "title_content": markdown("Page")}]
    )
    found = fake.canvas(canvas_id)
    assert found is not None
    assert (found["title"], found["edits"]) == ("Page", 7)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ([], "invalid_arguments"),  # at least one change
        (
            [
                {"operation": "insert_at_end", "document_content": markdown("a")},
                {"operation": "insert_at_end", "document_content": markdown("b")},
            ],
            "invalid_arguments",  # "only one operation per API call"
        ),
        ([{"operation": "append", "document_content": markdown("a")}], "invalid_arguments"),
        ([{"operation": "replace", "document_content": {"type": "html"}}], "invalid_arguments"),
        ([{"operation": "replace"}], "invalid_arguments"),
        ([{"operation": "delete"}], "invalid_arguments"),
        ([{"operation": "delete", "section_id": "temp:C:nope"}], "canvas_editing_failed"),
        ([{"operation": "rename", "title_content": "Page"}], "invalid_arguments"),
    ],
)
def test_a_malformed_edit_is_refused_and_changes_nothing(
    fake: FakeSlack, client: WebClient, changes: list[dict[str, Any]], error: str
) -> None:
    canvas_id = create(client)
    assert refused(client.canvases_edit, canvas_id=canvas_id, changes=changes)["error"] == error
    assert fake.canvas_markdown(canvas_id) == PAGE
    assert fake.canvas(canvas_id)["edits"] == 0  # type: ignore[index]


def test_an_unknown_canvas_is_not_found(client: WebClient) -> None:
    change = {"operation": "replace", "document_content": markdown("x")}
    assert refused(client.canvases_edit, canvas_id="FNOPE", changes=[change])["error"] == (
        "canvas_not_found"
    )
    assert refused(client.canvases_delete, canvas_id="FNOPE")["error"] == "canvas_not_found"
    criteria = {"section_types": ["h1"]}
    assert refused(client.canvases_sections_lookup, canvas_id="FNOPE", criteria=criteria)[
        "error"
    ] == ("canvas_not_found")


def test_sections_are_found_by_heading_and_text(fake: FakeSlack, client: WebClient) -> None:
    canvas_id = create(client, "# One\n## Two\n### Three\nplain two\n#### four\n")
    ids = fake.canvas(canvas_id)["sections"]  # type: ignore[index]

    def lookup(**criteria: Any) -> list[str]:
        found = client.canvases_sections_lookup(canvas_id=canvas_id, criteria=criteria)
        return [s["id"] for s in found["sections"]]

    assert lookup(section_types=["any_header"]) == ids[:3]  # `####` is no heading of Slack's
    assert lookup(section_types=["h2", "h3"]) == ids[1:3]
    assert lookup(contains_text="TWO") == [ids[1], ids[3]]
    assert lookup(section_types=["h2"], contains_text="two") == [ids[1]]
    for criteria in ({}, {"section_types": []}, {"section_types": ["h4"]}):
        answer = refused(client.canvases_sections_lookup, canvas_id=canvas_id, criteria=criteria)
        assert answer["error"] == "invalid_arguments"


def test_a_deleted_canvas_leaves_the_channel_free(fake: FakeSlack, client: WebClient) -> None:
    canvas_id = create(client)
    client.canvases_delete(canvas_id=canvas_id)
    assert fake.canvas_of(CHANNEL) is None
    assert fake.canvas(canvas_id) is None
    assert "properties" not in client.conversations_info(channel=CHANNEL)["channel"]
    assert create(client) != canvas_id


@pytest.mark.parametrize(
    ("plan", "error"),
    [
        ("no_channel_canvases", "team_tier_cannot_create_channel_canvases"),
        ("disabled", "canvas_disabled_user_team"),
    ],
)
def test_a_plan_that_forbids_channel_canvases_refuses_them(
    fake: FakeSlack, client: WebClient, plan: str, error: str
) -> None:
    fake.set_team_plan(plan)
    assert refused(create, client)["error"] == error
    assert fake.canvas_of(CHANNEL) is None
    fake.set_team_plan("paid")
    assert create(client)


def test_a_free_team_has_one_canvas_tab_a_channel(fake: FakeSlack, client: WebClient) -> None:
    fake.add_canvas_tab(CHANNEL)
    fake.add_canvas_tab("CEDUCATORS")
    assert create(client, channel="CEDUCATORS")  # a paid team may have several tabs
    fake.set_team_plan("free")
    assert refused(create, client)["error"] == "free_team_canvas_tab_already_exists"
    assert create(client, channel="CDATA")  # no other tab there
    with pytest.raises(ValueError, match="unknown plan"):
        fake.set_team_plan("enterprise+")


def test_disabled_canvases_and_restricted_channels_refuse_edits(
    fake: FakeSlack, client: WebClient
) -> None:
    canvas_id = create(client)
    change = {"operation": "replace", "document_content": markdown("x")}
    fake.set_team_plan("disabled")
    assert refused(client.canvases_edit, canvas_id=canvas_id, changes=[change])["error"] == (
        "canvas_disabled_user_team"
    )
    fake.set_team_plan("paid")
    fake.restrict_canvases(CHANNEL)
    assert refused(client.canvases_edit, canvas_id=canvas_id, changes=[change])["error"] == (
        "restricted_action"
    )
    assert refused(client.canvases_delete, canvas_id=canvas_id)["error"] == "restricted_action"
    assert refused(create, client)["error"] == "restricted_action"  # permission comes first
    fake.restrict_canvases("CEDUCATORS")
    assert refused(create, client, channel="CEDUCATORS")["error"] == "restricted_action"
    fake.restrict_canvases(CHANNEL, restricted=False)
    client.canvases_edit(canvas_id=canvas_id, changes=[change])
    assert fake.canvas_markdown(canvas_id) == "x"


def test_one_mebibyte_of_markdown_is_the_most(fake: FakeSlack, client: WebClient) -> None:
    most = "x" * MAX_MARKDOWN
    canvas_id = create(client, most)
    assert fake.canvas_markdown(canvas_id) == most
    over = refused(create, client, "x" * (MAX_MARKDOWN + 1), channel="CEDUCATORS")
    assert over["error"] == "canvas_creation_failed"
    assert "1,048,577 characters" in over["detail"]
    assert fake.canvas_of("CEDUCATORS") is None
    change = {"operation": "insert_at_end", "document_content": markdown("one more")}
    # Each change fits, but the canvas it would make does not.
    assert refused(client.canvases_edit, canvas_id=canvas_id, changes=[change])["error"] == (
        "canvas_too_large"
    )
    change = {"operation": "replace", "document_content": markdown("y" * (MAX_MARKDOWN + 1))}
    assert refused(client.canvases_edit, canvas_id=canvas_id, changes=[change])["error"] == (
        "canvas_too_large"
    )
    assert fake.canvas_markdown(canvas_id) == most


def test_a_list_inside_a_quote_is_refused_as_slack_documents(
    fake: FakeSlack, client: WebClient
) -> None:
    bad = "# Page\n\n> a quote\n> - with a list\n"
    answer = refused(create, client, bad)
    assert answer["error"] == "canvas_creation_failed"
    assert answer["detail"] == (
        "'content' error: line 4: Unsupported block type (List) within block quote"
    )
    canvas_id = create(client, "```\n> - in code it is text\n```\n")
    change = {"operation": "replace", "document_content": markdown("> 1. item")}
    answer = refused(client.canvases_edit, canvas_id=canvas_id, changes=[change])
    assert (answer["error"], answer["detail"]) == (
        "canvas_editing_failed",
        "'content' error: line 1: Unsupported block type (List) within block quote",
    )


@pytest.mark.parametrize(
    ("method", "error"), [(method, error) for method, errors in ERRORS.items() for error in errors]
)
def test_every_documented_error_can_be_answered(
    fake: FakeSlack, client: WebClient, method: str, error: str
) -> None:
    canvas_id = create(client, channel="CEDUCATORS")
    fake.fail_next(method, error=error)
    calls = {
        "conversations.canvases.create": lambda: create(client),
        "canvases.edit": lambda: edit(
            client, canvas_id, operation="replace", document_content=markdown("x")
        ),
        "canvases.sections.lookup": lambda: client.canvases_sections_lookup(
            canvas_id=canvas_id, criteria={"contains_text": "x"}
        ),
        "canvases.delete": lambda: client.canvases_delete(canvas_id=canvas_id),
    }
    assert refused(calls[method])["error"] == error
    assert fake.canvas_markdown(canvas_id) == PAGE  # a refused call changed nothing
    assert fake.canvas_of(CHANNEL) is None


@pytest.mark.parametrize("error", ["canvas_editing_locked", "not_allowed", "not_in_channel"])
def test_any_error_slack_can_give_is_injected(
    fake: FakeSlack, client: WebClient, error: str
) -> None:
    canvas_id = create(client)
    fake.fail_next("canvases.edit", error=error)
    change = {"operation": "replace", "document_content": markdown("new")}
    assert refused(client.canvases_edit, canvas_id=canvas_id, changes=[change])["error"] == error
    assert fake.canvas_markdown(canvas_id) == PAGE  # the refused edit did nothing
    client.canvases_edit(canvas_id=canvas_id, changes=[change])
    assert fake.canvas(canvas_id)["edits"] == 1  # type: ignore[index]
    assert [c.error for c in fake.calls_to("canvases.edit")] == [error, None]


def test_form_encoded_arguments_are_json_strings(fake: FakeSlack, client: WebClient) -> None:
    canvas_id = create(client)
    change = {"operation": "replace", "document_content": markdown("formed")}
    client.api_call("canvases.edit", data={"canvas_id": canvas_id, "changes": json.dumps([change])})
    assert fake.canvas_markdown(canvas_id) == "formed"
    answer = refused(
        client.api_call, "canvases.edit", data={"canvas_id": canvas_id, "changes": "[not json"}
    )
    assert answer["error"] == "invalid_arguments"


def test_slacks_tiers_limit_canvas_methods(fake: FakeSlack, client: WebClient) -> None:
    canvas_id = create(client)
    fake.rate_limit_tier("canvases.edit", "conversations.canvases.create")
    change = {"operation": "replace", "document_content": markdown("x")}
    for _ in range(9):  # Tier 3: 50 a minute, ten seconds' worth at once
        client.canvases_edit(canvas_id=canvas_id, changes=[change])
    answer = refused(client.canvases_edit, canvas_id=canvas_id, changes=[change])
    assert answer["error"] == "ratelimited"
    assert fake.canvas(canvas_id)["edits"] == 9  # type: ignore[index]
    for channel in ("C1", "C2", "C3", "C4"):  # Tier 2: 20 a minute, 4 at once
        create(client, channel=channel)
    assert refused(create, client, channel="C5")["error"] == "ratelimited"
    assert fake.rate_limited_count == 2
    with pytest.raises(ValueError, match="no documented tier"):
        fake.rate_limit_tier("chat.postMessage")


def test_reset_forgets_canvases_and_plans(fake: FakeSlack, client: WebClient) -> None:
    create(client)
    fake.set_team_plan("free")
    fake.reset()
    assert fake.canvas_of(CHANNEL) is None
    assert fake.canvases() == []
    assert create(client)
