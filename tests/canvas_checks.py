"""What a canvas shows badly or Slack refuses is a defect even if the fake accepts it: every
canvas document the bot sends is checked against the markdown Slack documents for canvases
(docs/slack-canvases.md), the way block_kit_checks checks messages.

Accepted: headings `#`-`###`, paragraphs, `-`/`*`/`+` and `1.` lists (checklists `- [ ]`,
nesting by two spaces under an item), `> ` quotes of text, dividers after a blank line, fenced
code, tables without links in their cells, `[text](http(s)://…)` and reference links, the
canvas mentions `![](@U…)` and `![](#C…)`, `**bold**`, `*italic*`/`_italic_`, `~strike~`,
code spans, emoji, and backslash escapes of punctuation. Refused: anything else that would
change the layout: raw HTML and message-style `<@U…>`/`<url|text>`, `####` and deeper, a
`---`/`===` that would turn the line above into a heading, lists inside quotes (Slack's own
documented refusal), images, other link schemes, lone brackets and backticks, formatting
markers that do not pair up, control characters, and more than 1,048,576 characters.

Strict on purpose where Slack is silent (indented text, `1)` lists, headings in quotes): the
page never needs them, so a builder that writes one has a bug.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mwgbot.fakeslack import FakeSlack

MAX_MARKDOWN = 1_048_576  # "limited to 1 MiB (1,048,576 characters)"
HEADING_LEVELS = 3
CANVAS_METHODS = ("conversations.canvases.create", "canvases.create", "canvases.edit")

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FENCE = re.compile(r"(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"(#+)(?:[ \t]+(.*?))?[ \t]*$")
_DIVIDER = re.compile(r"(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
_ITEM = re.compile(r"( *)([-*+]|\d{1,9}[.)])(?:([ \t]+)(.*))?$")
_CHECKBOX = re.compile(r"\[[ xX]\](?:[ \t]+(.*))?$")
_DEFINITION = re.compile(r"\[([^\]\\]+)\]:[ \t]+(\S+)[ \t]*$")
_MENTION = re.compile(r"!\[\]\((?:@[UW][A-Z0-9]{2,}|#[CG][A-Z0-9]{2,})\)")
_URL = re.compile(r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d+)?(?:[/?#][^\s<>\"`\\]*)?")
_SLACK_TOKEN = re.compile(r"<(?:[@#!]|https?:|mailto:)")


def _destination(rest: str) -> int | None:
    """Where the `(address)` that ``rest`` starts with ends, past its `)`."""
    depth = 0
    for i, char in enumerate(rest):
        if char.isspace():
            return None
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _is_space(char: str) -> bool:
    return char == "" or char.isspace()


def _is_punctuation(char: str) -> bool:
    return char in _PUNCTUATION or (char != "" and not char.isalnum() and not char.isspace())


@dataclass
class _Inline:
    """One line's inline markup, with links allowed or not (none inside a link's text)."""

    definitions: frozenset[str]
    links: bool = True
    problems: list[str] = field(default_factory=list)

    def check(self, text: str) -> list[str]:
        skeleton = self._atoms(text)
        if skeleton is not None:
            self._delimiters(skeleton)
        return self.problems

    def _refuse(self, why: str) -> None:
        self.problems.append(why)

    def _atoms(self, text: str) -> str | None:
        """The text with escapes, code spans, mentions and links made plain letters (so the
        markers around them pair as markdown pairs them), or None once something is refused."""
        out: list[str] = []
        i = 0
        while i < len(text):
            char = text[i]
            if char == "\\":
                out.append("x" if text[i + 1 : i + 2] in _PUNCTUATION else "\\")
                i += 2 if text[i + 1 : i + 2] in _PUNCTUATION else 1
            elif char == "`":
                run = len(text[i:]) - len(text[i:].lstrip("`"))
                close = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(text, i + run)
                if close is None:
                    return self._refuse(f"a backtick that opens no code span: {text[i:]!r}")
                out.append("x")
                i = close.end()
            elif text.startswith("![", i):
                mention = _MENTION.match(text, i)
                if mention is None:
                    return self._refuse(
                        "an image or a malformed mention (canvases show no images; a mention "
                        f"is ![](@U…) or ![](#C…)): {text[i:]!r}"
                    )
                out.append("x")
                i = mention.end()
            elif char == "[":
                end = self._link(text, i)
                if end is None:
                    return None
                out.append("x")
                i = end
            elif char == "]":
                return self._refuse(f"a `]` that closes no link: {text[i:]!r}")
            elif char == "<":
                if _SLACK_TOKEN.match(text, i):
                    return self._refuse(
                        "message mrkdwn (`<@U…>`, `<#C…>`, `<!…>`, `<url|text>`) shows as plain "
                        f"text in a canvas: {text[i:]!r}"
                    )
                return self._refuse(f"raw HTML or an unescaped `<`: {text[i:]!r}")
            else:
                out.append(char)
                i += 1
        return "".join(out)

    def _link(self, text: str, start: int) -> int | None:
        """Where `[text](url)` or `[text][label]` starting at ``start`` ends."""
        if not self.links:
            return self._refuse(f"a link inside a link's text: {text[start:]!r}")
        depth, i = 0, start + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == "[":
                depth += 1
            elif text[i] == "]":
                if depth == 0:
                    break
                depth -= 1
            i += 1
        else:
            return self._refuse(f"a `[` that opens no link: {text[start:]!r}")
        label = text[start + 1 : i]
        if not label.strip():
            return self._refuse(f"a link without text: {text[start:]!r}")
        rest = text[i + 1 :]
        if rest.startswith("("):
            close = _destination(rest)
            if close is None or not _URL.fullmatch(rest[1 : close - 1]):
                return self._refuse(f"a link to something other than an http(s) address: {rest!r}")
            end = i + 1 + close
        elif rest.startswith("["):
            close = rest.find("]")
            name = rest[1:close].lower() if close > 0 else ""
            if name not in self.definitions:
                return self._refuse(f"a reference link to an undefined label: {rest!r}")
            end = i + 1 + close + 1
        else:
            return self._refuse(f"brackets that are not a link (escape them): {text[start:]!r}")
        inner = _Inline(self.definitions, links=False).check(label)
        self.problems.extend(f"in a link's text: {why}" for why in inner)
        return end

    def _delimiters(self, text: str) -> None:
        """`*`, `_` and `~` runs must open and close in pairs, properly nested."""
        stack: list[tuple[str, int]] = []
        i = 0
        while i < len(text):
            char = text[i]
            if char not in "*_~":
                i += 1
                continue
            run = len(text[i:]) - len(text[i:].lstrip(char))
            before = text[i - 1] if i else ""
            after = text[i + run : i + run + 1]
            left = not _is_space(after) and (
                not _is_punctuation(after) or _is_space(before) or _is_punctuation(before)
            )
            right = not _is_space(before) and (
                not _is_punctuation(before) or _is_space(after) or _is_punctuation(after)
            )
            if char == "_":
                opens = left and (not right or _is_punctuation(before))
                closes = right and (not left or _is_punctuation(after))
            else:
                opens, closes = left, right
            longest = 2 if char == "~" else 3
            if run > longest:
                self._refuse(f"{run} `{char}` in a row: {text[i:]!r}")
                return
            if closes and stack and stack[-1] == (char, run):
                stack.pop()
            elif opens:
                stack.append((char, run))
            elif closes and stack:
                mark, length = stack[-1]
                self._refuse(f"a `{char * run}` that crosses the open `{mark * length}`: {text!r}")
                return
            else:
                self._refuse(f"a `{char * run}` that neither opens nor closes: {text!r}")
                return
            i += run
        if stack:
            char, run = stack[-1]
            self._refuse(f"a `{char * run}` that is never closed: {text!r}")


def _definitions(lines: list[str]) -> frozenset[str]:
    found = set()
    for line in lines:
        definition = _DEFINITION.fullmatch(line)
        if definition is not None:
            found.add(definition.group(1).lower())
    return frozenset(found)


def _cells(row: str) -> list[str]:
    body = row.strip()
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", body[1:-1])]


def canvas_problems(markdown: str) -> list[str]:
    """What is wrong with a canvas document, line by line (empty: nothing)."""
    problems: list[str] = []
    if len(markdown) > MAX_MARKDOWN:
        problems.append(f"{len(markdown):,} characters; a canvas takes at most {MAX_MARKDOWN:,}")
    lines = markdown.split("\n")
    definitions = _definitions(lines)
    fence: str | None = None
    previous = "blank"  # the kind of the line before: blank, paragraph, item, table, …
    list_indents: list[int] = []

    def refuse(number: int, line: str, why: str) -> None:
        problems.append(f"line {number}: {why} (in {line[:120]!r})")

    def inline(number: int, line: str, text: str) -> None:
        for why in _Inline(definitions).check(text):
            refuse(number, line, why)

    for number, line in enumerate(lines, start=1):
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence, previous = None, "code"
            continue
        control = _CONTROL.search(line)
        if control is not None:
            refuse(number, line, f"a control character U+{ord(control.group()):04X}")
            continue
        kind = "paragraph"
        opening = _FENCE.match(line)
        heading = _HEADING.fullmatch(line) if line.startswith("#") else None
        item = _ITEM.match(line)
        if not line.strip():
            kind = "blank"
        elif opening is not None:
            fence, kind = opening.group(1), "code"
        elif _SETEXT.fullmatch(line) and previous == "paragraph":
            refuse(number, line, "this line would make the line above a heading (setext)")
        elif _DIVIDER.fullmatch(line.strip()) and not line.startswith(" "):
            kind = "divider"
            if previous not in {"blank", "divider", "heading"}:
                refuse(number, line, "a divider needs a blank line above it")
        elif line.startswith("#"):
            kind = "heading"
            if heading is None or not heading.group(2):
                refuse(number, line, "a `#` that starts a line must start a heading: `# Title`")
            elif len(heading.group(1)) > HEADING_LEVELS:
                refuse(number, line, f"canvases have headings of 1 to {HEADING_LEVELS} `#` only")
            else:
                inline(number, line, heading.group(2))
        elif line.startswith(">"):
            kind = "quote"
            text = line[1:].lstrip(" ")
            if _ITEM.match(text) or text.startswith((">", "#", "```", "|")):
                refuse(number, line, "a quote holds text only (Slack refuses a list in a quote)")
            else:
                inline(number, line, text)
        elif item is not None and item.group(3) is not None:
            kind = "item"
            indent, marker, text = len(item.group(1)), item.group(2), item.group(4) or ""
            while list_indents and list_indents[-1] > indent:
                list_indents.pop()
            if previous == "paragraph" and marker not in {"-", "*", "+", "1."}:
                # Only a bullet or a `1.` starts a list under a paragraph; this continues it.
                refuse(number, line, "a numbered list needs a blank line above it")
            elif previous in {"quote", "table", "definition"}:
                refuse(number, line, "a list needs a blank line above it")
            if indent and (indent % 2 or not list_indents or indent - list_indents[-1] > 4):
                refuse(number, line, "a nested item is indented by 2 or 4 under an item")
            if not list_indents or list_indents[-1] < indent:
                list_indents.append(indent)
            if marker.endswith(")"):
                refuse(number, line, "numbered items are written `1.`")
            box = _CHECKBOX.match(text) if marker in "-*+" else None
            if box is not None:
                text = box.group(1) or ""
            if not text.strip():
                refuse(number, line, "an empty list item")
            else:
                inline(number, line, text)
        elif line.startswith(" ") or line.startswith("\t"):
            refuse(number, line, "indented text (an indented code block, or a lost list line)")
        elif line.startswith("|"):
            kind = "table"
            if previous not in {"table", "blank", "heading"}:
                refuse(number, line, "a table needs a blank line above it")
            if not line.rstrip().endswith("|"):
                refuse(number, line, "a table row starts and ends with `|`")
            else:
                for cell in _cells(line):
                    if re.fullmatch(r":?-{3,}:?", cell):
                        continue
                    if "](" in cell:
                        refuse(number, line, "links in table cells do not render (Slack bug)")
                    else:
                        inline(number, line, cell)
        elif _DEFINITION.fullmatch(line):
            kind = "definition"
            url = _DEFINITION.fullmatch(line)
            assert url is not None
            if not _URL.fullmatch(url.group(2)):
                refuse(number, line, "a link reference to something other than an http(s) URL")
        else:
            if previous in {"item", "quote", "table"}:
                # A "lazy" line: markdown would run it on into the item, quote or table above.
                above = {"item": "a list item", "quote": "a quote", "table": "a table"}[previous]
                refuse(number, line, f"a paragraph needs a blank line after {above}")
            inline(number, line, line.rstrip(" "))
        if kind not in {"item"} and kind != "blank":
            list_indents = []
        previous = kind
    if fence is not None:
        problems.append(f"a code block opened with {fence} is never closed")
    return problems


def assert_valid_canvas_markdown(markdown: str) -> None:
    problems = canvas_problems(markdown)
    assert not problems, "canvas markdown Slack would refuse or show wrongly:\n" + "\n".join(
        problems[:10]
    )


def document_markdown(content: Any) -> str:
    """The markdown of a `document_content` object, checked for its shape."""
    assert isinstance(content, dict), f"document_content is not an object: {content!r}"
    assert content.get("type") == "markdown", f"document_content type {content.get('type')!r}"
    markdown = content.get("markdown")
    assert isinstance(markdown, str), "document_content has no markdown string"
    return markdown


def sent_documents(fake: FakeSlack) -> Iterable[str]:
    """Every canvas document (or edit's fragment) the bot sent and the fake accepted."""
    for call in fake.calls:
        if call.failed or call.method not in CANVAS_METHODS:
            continue
        if call.method == "canvases.edit":
            for change in call.args.get("changes") or []:
                if "document_content" in change:
                    yield document_markdown(change["document_content"])
        elif call.args.get("document_content") is not None:
            yield document_markdown(call.args["document_content"])


def assert_every_canvas_valid(fake: FakeSlack) -> int:
    """Validate every canvas document the bot sent the fake Slack; how many were checked."""
    checked = 0
    for markdown in sent_documents(fake):
        assert_valid_canvas_markdown(markdown)
        checked += 1
    return checked
