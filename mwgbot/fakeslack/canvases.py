"""The canvas family: a channel's canvas (``conversations.canvases.create``), its edits
(``canvases.edit``), finding its sections (``canvases.sections.lookup``) and
``canvases.delete``, as docs/slack-canvases.md describes Slack's.

Each canvas keeps its current markdown document as Slack keeps sections (one a line, a fenced
code block whole, blank lines with the section before them), its title and how many edits it
had, so tests and the console read the page as members see it (``channel_page``). A team's plan
(``set_team_plan``), a channel where the app may not touch canvases (``restrict_canvases``) and
a canvas tab someone else added (``add_canvas_tab``) give the refusals Slack gives for those;
any other error is ``fail_next``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mwgbot.fakeslack.base import CONVERSATION_ID, ApiError, ApiMethod, FakeSlackBase

#: "The markdown content is limited to 1 MiB (1,048,576 characters)": per create, per change.
MAX_MARKDOWN = 1_048_576
#: ``paid``: everything; ``free``: one canvas tab a channel; ``no_channel_canvases``: a tier
#: that cannot create channel canvases; ``disabled``: an admin turned canvases off.
PLANS = frozenset({"paid", "free", "no_channel_canvases", "disabled"})
OPERATIONS = frozenset(
    {"insert_after", "insert_before", "insert_at_start", "insert_at_end", "replace", "delete"}
)
SECTION_TYPES = frozenset({"any_header", "h1", "h2", "h3"})
#: Each method's own documented errors (its docs.slack.dev page; the common ones such as
#: `ratelimited` or `missing_scope` aside). `fail_next(method, error=...)` answers any of them.
ERRORS: dict[str, frozenset[str]] = {
    "conversations.canvases.create": frozenset(
        {
            "canvas_creation_failed",
            "canvas_disabled_user_team",
            "canvas_tab_creation_failed",
            "channel_canvas_already_exists",
            "channel_canvas_creation_failed",
            "free_team_canvas_tab_already_exists",
            "restricted_action",
            "team_tier_cannot_create_channel_canvases",
        }
    ),
    "canvases.edit": frozenset(
        {
            "canvas_disabled_user_team",
            "canvas_editing_failed",
            "canvas_editing_locked",
            "canvas_not_found",
            "canvas_too_large",
            "free_teams_cannot_edit_standalone_canvases",
            "restricted_action",
        }
    ),
    "canvases.sections.lookup": frozenset(
        {"canvas_deleted", "canvas_disabled_user_team", "canvas_not_found", "internal_error"}
    ),
    "canvases.delete": frozenset(
        {"canvas_deleting_disabled", "canvas_not_found", "restricted_action"}
    ),
}

_FENCE = re.compile(r"\s*(```|~~~)")
# Slack's documented refusal: "Unsupported block type (List) within block quote".
_QUOTED_LIST = re.compile(r"\s*>\s*(?:[-*+]|\d+[.)])\s")
_HEADING = re.compile(r"(#{1,3})\s+\S")


@dataclass
class _Section:
    id: str
    text: str  # as written, with its line break and any blank lines after it


@dataclass
class _Canvas:
    id: str
    channel: str
    title: str
    sections: list[_Section] = field(default_factory=list)
    edits: int = 0

    @property
    def markdown(self) -> str:
        return "".join(section.text for section in self.sections)


def _blocks(markdown: str) -> list[str]:
    """The document cut into sections; joined again they are the document, byte for byte."""
    blocks: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        if fence is not None:
            blocks[-1] += line
            if line.strip().startswith(fence):
                fence = None
            continue
        if not line.strip() and blocks:
            blocks[-1] += line
            continue
        opening = _FENCE.match(line)
        fence = opening.group(1) if opening else None
        blocks.append(line)
    return blocks


def _refusal(markdown: str) -> str | None:
    """What Slack says it refuses in a document, as its ``detail`` says it."""
    fence = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if _FENCE.match(line):
            fence = not fence
        elif not fence and _QUOTED_LIST.match(line):
            return (
                f"'content' error: line {number}: Unsupported block type (List) within block quote"
            )
    return None


def _markdown_of(content: Any, *, too_large: str, refused: str) -> str:
    """The markdown of a ``document_content`` object (Slack's only type is markdown)."""
    if not isinstance(content, dict) or content.get("type") != "markdown":
        raise ApiError("invalid_arguments")
    markdown = content.get("markdown")
    if not isinstance(markdown, str):
        raise ApiError("invalid_arguments")
    if len(markdown) > MAX_MARKDOWN:
        raise ApiError(too_large, f"{len(markdown):,} characters; the most is {MAX_MARKDOWN:,}")
    problem = _refusal(markdown)
    if problem is not None:
        raise ApiError(refused, problem)
    return markdown


def _seamed(sections: list[_Section]) -> list[_Section]:
    """Sections put side by side by an insert still start on lines of their own."""
    for section in sections[:-1]:
        if not section.text.endswith("\n"):
            section.text += "\n"
    return sections


class CanvasesMethods(FakeSlackBase):
    """Canvas Web API methods, one ``_api_*`` each, listed in ``METHODS`` below, and what
    tests and the console read of the canvases."""

    def _reset_state(self) -> None:
        super()._reset_state()
        self._canvases: dict[str, _Canvas] = {}
        self._channel_canvases: dict[str, str] = {}  # channel -> its channel canvas
        self._canvas_tabs: set[str] = set()  # channels with another canvas tab
        self._restricted: set[str] = set()
        self._plans: dict[str, str] = {}  # team -> plan; "paid" unless set

    # ------------------------------------------------------------------ test-side helpers

    def set_team_plan(self, plan: str, *, team_id: str | None = None) -> None:
        """The workspace's plan, one of ``PLANS`` (``paid`` until set)."""
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; one of {sorted(PLANS)}")
        with self._lock:
            self._plans[team_id or self.team_id] = plan

    def restrict_canvases(self, channel: str, *, restricted: bool = True) -> None:
        """The app may not create or edit canvases in ``channel``: `restricted_action`."""
        with self._lock:
            if restricted:
                self._restricted.add(channel)
            else:
                self._restricted.discard(channel)

    def add_canvas_tab(self, channel: str) -> None:
        """A member added a canvas tab to ``channel``: a free plan allows no other."""
        with self._lock:
            self._canvas_tabs.add(channel)

    def add_channel_canvas(self, channel: str, markdown: str = "", *, title: str = "") -> str:
        """A channel canvas a member made by hand (found with `conversations.info`); its ID."""
        with self._lock:
            if channel in self._channel_canvases:
                raise ValueError(f"{channel} already has a channel canvas")
            return self._new_canvas(channel, markdown, title).id

    def canvas_of(self, channel: str) -> str | None:
        """The ID of ``channel``'s channel canvas, if it has one."""
        with self._lock:
            return self._channel_canvases.get(channel)

    def canvas_markdown(self, canvas_id: str) -> str | None:
        """A canvas's whole document as it stands."""
        with self._lock:
            canvas = self._canvases.get(canvas_id)
            return None if canvas is None else canvas.markdown

    def channel_page(self, channel: str) -> str | None:
        """The document of ``channel``'s canvas: what members read in the canvas tab."""
        with self._lock:
            canvas_id = self._channel_canvases.get(channel)
            return None if canvas_id is None else self._canvases[canvas_id].markdown

    def canvas(self, canvas_id: str) -> dict[str, Any] | None:
        """``id, channel, title, markdown, edits, sections`` (section IDs) of a canvas."""
        with self._lock:
            canvas = self._canvases.get(canvas_id)
            if canvas is None:
                return None
            return {
                "id": canvas.id,
                "channel": canvas.channel,
                "title": canvas.title,
                "markdown": canvas.markdown,
                "edits": canvas.edits,
                "sections": [section.id for section in canvas.sections],
            }

    def canvases(self) -> list[dict[str, Any]]:
        """Every canvas, oldest first (see ``canvas``)."""
        with self._lock:
            ids = list(self._canvases)
        return [found for found in map(self.canvas, ids) if found is not None]

    # ------------------------------------------------------------------ helpers (lock held)

    def _plan(self) -> str:
        return self._plans.get(self.team_id, "paid")

    def _sections(self, markdown: str) -> list[_Section]:
        return [_Section(self._next_id("temp:C:S"), text) for text in _blocks(markdown)]

    def _new_canvas(self, channel: str, markdown: str, title: str) -> _Canvas:
        canvas = _Canvas(self._next_id("F"), channel, title, self._sections(markdown))
        self._canvases[canvas.id] = canvas
        self._channel_canvases[channel] = canvas.id
        return canvas

    def _canvas_for(self, args: dict[str, Any]) -> _Canvas:
        canvas = self._canvases.get(str(args.get("canvas_id") or ""))
        if canvas is None:
            raise ApiError("canvas_not_found")
        return canvas

    def _conversation_properties(self, channel: str) -> dict[str, Any]:
        properties = dict(super()._conversation_properties(channel))
        canvas_id = self._channel_canvases.get(channel)
        if canvas_id is not None:
            properties["canvas"] = {
                "file_id": canvas_id,
                "is_empty": not self._canvases[canvas_id].markdown.strip(),
                "quip_thread_id": f"Q{canvas_id[1:]}",
            }
        return properties

    def _apply(self, canvas: _Canvas, change: dict[str, Any]) -> None:
        operation = change.get("operation")
        if operation == "rename":
            title = change.get("title_content")
            if not isinstance(title, dict) or not isinstance(title.get("markdown"), str):
                raise ApiError("invalid_arguments")
            canvas.title = title["markdown"]
            return
        if operation not in OPERATIONS:
            raise ApiError("invalid_arguments")
        section_id = change.get("section_id")
        if operation in {"insert_after", "insert_before", "delete"} and not section_id:
            raise ApiError("invalid_arguments")
        sections = canvas.sections
        at: int | None = None
        if section_id:
            at = next((i for i, s in enumerate(sections) if s.id == section_id), None)
            if at is None:
                raise ApiError("canvas_editing_failed", f"no section {section_id}")
        if operation == "delete":
            assert at is not None
            canvas.sections = sections[:at] + sections[at + 1 :]
            return
        markdown = _markdown_of(
            change.get("document_content"),
            too_large="canvas_too_large",
            refused="canvas_editing_failed",
        )
        new = self._sections(markdown)
        if operation == "replace":
            edited = new if at is None else sections[:at] + new + sections[at + 1 :]
        elif operation == "insert_at_start":
            edited = new + sections
        elif operation == "insert_at_end":
            edited = sections + new
        else:
            assert at is not None
            cut = at + 1 if operation == "insert_after" else at
            edited = sections[:cut] + new + sections[cut:]
        if sum(len(section.text) for section in edited) > MAX_MARKDOWN:
            raise ApiError("canvas_too_large")
        canvas.sections = _seamed(edited)

    # ------------------------------------------------------------------ Web API methods

    def _api_conversations_canvases_create(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel_id") or "")
        if not channel:
            raise ApiError("invalid_arguments")
        if not CONVERSATION_ID.fullmatch(channel):
            raise ApiError("channel_not_found")
        plan = self._plan()
        if plan == "disabled":
            raise ApiError("canvas_disabled_user_team")
        if plan == "no_channel_canvases":
            raise ApiError("team_tier_cannot_create_channel_canvases")
        if channel in self._restricted:
            raise ApiError("restricted_action")
        if channel in self._channel_canvases:
            raise ApiError("channel_canvas_already_exists")
        if plan == "free" and channel in self._canvas_tabs:
            raise ApiError("free_team_canvas_tab_already_exists")
        markdown = ""
        if args.get("document_content") is not None:
            markdown = _markdown_of(
                args["document_content"],
                too_large="canvas_creation_failed",
                refused="canvas_creation_failed",
            )
        title = args.get("title")
        canvas = self._new_canvas(channel, markdown, title if isinstance(title, str) else "")
        return {"canvas_id": canvas.id}

    def _api_canvases_edit(self, args: dict[str, Any]) -> dict[str, Any]:
        canvas = self._canvas_for(args)
        if self._plan() == "disabled":
            raise ApiError("canvas_disabled_user_team")
        if canvas.channel in self._restricted:
            raise ApiError("restricted_action")
        changes = args.get("changes")
        # "Only one operation per API call is currently supported" (minItems 1, maxItems 1).
        if not isinstance(changes, list) or len(changes) != 1 or not isinstance(changes[0], dict):
            raise ApiError("invalid_arguments")
        self._apply(canvas, changes[0])
        canvas.edits += 1
        return {}

    def _api_canvases_sections_lookup(self, args: dict[str, Any]) -> dict[str, Any]:
        canvas = self._canvas_for(args)
        if self._plan() == "disabled":
            raise ApiError("canvas_disabled_user_team")
        criteria = args.get("criteria")
        if not isinstance(criteria, dict):
            raise ApiError("invalid_arguments")
        types, text = criteria.get("section_types"), criteria.get("contains_text")
        if types is None and text is None:
            raise ApiError("invalid_arguments")
        if types is not None and (
            not isinstance(types, list)
            or not 1 <= len(types) <= 3
            or not set(types) <= SECTION_TYPES
        ):
            raise ApiError("invalid_arguments")
        if text is not None and not isinstance(text, str):
            raise ApiError("invalid_arguments")

        def matches(section: _Section) -> bool:
            if text is not None and text.lower() not in section.text.lower():
                return False
            if types is None:
                return True
            heading = _HEADING.match(section.text)
            if heading is None:
                return False
            return "any_header" in types or f"h{len(heading.group(1))}" in types

        return {"sections": [{"id": s.id} for s in canvas.sections if matches(s)]}

    def _api_canvases_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        canvas = self._canvas_for(args)
        if canvas.channel in self._restricted:
            raise ApiError("restricted_action")
        del self._canvases[canvas.id]
        if self._channel_canvases.get(canvas.channel) == canvas.id:
            del self._channel_canvases[canvas.channel]
        return {}


METHODS: dict[str, ApiMethod[CanvasesMethods]] = {
    "conversations.canvases.create": CanvasesMethods._api_conversations_canvases_create,
    "canvases.edit": CanvasesMethods._api_canvases_edit,
    "canvases.sections.lookup": CanvasesMethods._api_canvases_sections_lookup,
    "canvases.delete": CanvasesMethods._api_canvases_delete,
}
