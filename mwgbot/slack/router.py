"""The `/mwg` router: parsed command type → handler. Later features register their own."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from mwgbot.domain.errors import DomainError
from mwgbot.slack.commands import Command, UsageError, parse_reference
from mwgbot.slack.group_routing import proposal_number_of
from mwgbot.slack.text import escape

log = logging.getLogger(__name__)

INTERNAL_ERROR = (
    "Something went wrong on our side and nothing was changed. Please try again in a moment."
)


@dataclass(frozen=True)
class Invocation:
    """Who typed the command, and where."""

    user_id: str
    channel_id: str
    trigger_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer to the member who typed the command."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    changed: bool = False  # something was queued for Slack: wake the delivery


def refusal_text(refusal: DomainError) -> str:
    """A refusal's words as mrkdwn. The rules write plain text (a `<` is a `<`), so it is
    escaped like user text; backticks and asterisks still format."""
    return escape(str(refusal))


C = TypeVar("C", bound=Command)
Handler = Callable[[Any, Invocation], Reply]


E = TypeVar("E", bound=DomainError)


# Around each handler: the scope it runs in (the working group it acts in), from the parsed
# command, the group key its reference named (`edu#3`), and where it was typed. Raising a
# refusal answers the member instead.
Scope = Callable[[Command, str | None, "Invocation"], AbstractContextManager[None]]


def _no_scope(_command: Command, _named: str | None, _invocation: Invocation) -> Any:
    return contextlib.nullcontext()


class CommandRouter:
    def __init__(self, scope: Scope | None = None) -> None:
        self._scope = scope or _no_scope
        self._handlers: dict[type[Any], Handler] = {}
        self._describers: dict[type[Any], Callable[[Any], str]] = {}

    def register(self, command_type: type[C], handler: Callable[[C, Invocation], Reply]) -> None:
        self._handlers[command_type] = handler

    def describe(self, refusal_type: type[E], describer: Callable[[E], str]) -> None:
        """Answer refusals of this type with `describer`'s text instead of the plain message
        (a refusal that carries data, such as a list to show)."""
        self._describers[refusal_type] = describer

    def _text_of(self, refusal: DomainError) -> str:
        for kind in type(refusal).__mro__:
            describer = self._describers.get(kind)
            if describer is not None:
                return describer(refusal)
        return refusal_text(refusal)

    @property
    def handled(self) -> frozenset[type[Any]]:
        return frozenset(self._handlers)

    def handle_text(self, text: str, invocation: Invocation) -> Reply:
        """Parse, route, and turn every refusal or failure into a short answer."""
        named: str | None = None
        number: int | None = None
        try:
            command, named = parse_reference(text)
            number = proposal_number_of(command)
            handler = self._handlers.get(type(command))
            if handler is None:
                return Reply("That subcommand is not available in this installation.")
            with self._scope(command, named, invocation):
                return qualified(handler(command, invocation), named, number)
        except UsageError as refusal:
            return Reply(str(refusal))
        except DomainError as refusal:
            return qualified(Reply(self._text_of(refusal)), named, number)
        except Exception:
            log.exception("/mwg %r from %s failed", text[:200], invocation.user_id)
            return Reply(INTERNAL_ERROR)


def qualified(reply: Reply, key: str | None, number: int | None) -> Reply:
    """A command that named its proposal `key#n` is answered in the same terms: every `#n` of
    that number and every example command on it say `key#n`, so that a hint typed as shown
    acts on the same group's proposal wherever it is typed (a bare number would be the
    channel's own group's)."""
    if key is None or number is None:
        return reply
    return replace(
        reply,
        text=_qualify(reply.text, key, number),
        blocks=[_qualify_block(block, key, number) for block in reply.blocks],
    )


def _qualify(text: str, key: str, number: int) -> str:
    text = re.sub(rf"(?<![\w#]){_HASH}{number}(?!\d)", f"{key}#{number}", text)
    return re.sub(rf"(`/mwg [a-z-]+ ){number}(?![\d#])", rf"\g<1>{key}#{number}", text)


_HASH = "#"
# Fields of a block that are identifiers, not words a member reads.
_NOT_WORDS = frozenset({"action_id", "block_id", "value", "url", "type"})


def _qualify_block(value: Any, key: str, number: int) -> Any:
    if isinstance(value, str):
        return _qualify(value, key, number)
    if isinstance(value, list):
        return [_qualify_block(item, key, number) for item in value]
    if isinstance(value, dict):
        return {
            k: v
            if k in ("action_id", "block_id", "value", "url")
            else _qualify_block(v, key, number)
            for k, v in value.items()
        }
    return value
