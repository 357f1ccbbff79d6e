"""Bolt's request, with its one misreading of Slack's forms put right.

slack-bolt's `parse_body` takes any form body that contains the word "payload" anywhere for an
interactive payload (`payload=<json>`); when it has no such field it reads the body as empty.
A slash command whose text holds the word (`/mwg propose Payload for the newsletter`) is then
answered "unhandled request" (404). Here such a body is read as the form it is, so no word a
member types can make the bot miss their command.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltRequest
from slack_bolt.context.context import BoltContext
from slack_bolt.request.internals import build_context


def bolt_request(
    raw_body: str,
    *,
    headers: dict[str, Any],
    query: dict[str, Any] | None = None,
) -> BoltRequest:
    request = BoltRequest(body=raw_body, query=query, headers=headers)
    if request.body or not raw_body or raw_body.lstrip().startswith("{"):
        return request
    form = dict(parse_qsl(raw_body, keep_blank_values=True))
    if form and "payload" not in form:
        request.body = form
        request.context = build_context(BoltContext({}), form)
    return request
