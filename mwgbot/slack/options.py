"""The `--name value` options of `/mwg` subcommands, read as members type them; pure.

Members write `--close 4d`, `--close=4d`, `--Close 4d`, or `—close 4d` (the Slack client turns
`--` into an em dash, some clients into an en dash). A word that starts with two dashes (or
one such dash) and a letter is always an option: one the subcommand does not know is refused
with the options it knows and the nearest one, never taken as text, so a typo is never posted
to the channel as part of a title. A single hyphen before a known name (`-close`) is refused
the same way; any other hyphen (`co-branded`, `Booth - Berlin`, a lone `—`) is text.

A list option (`--stage`) goes on after a comma, so `--stage awareness, interest` is two
stages, and over words that are among its choices (`--stage awareness interest`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mwgbot.slack.text import escape

__all__ = ["Option", "UsageError", "shown", "split_options"]

# Two hyphens or more, or a dash a client made of them, then a name that starts with a letter.
_OPTION_WORD = re.compile(r"^(?:-{2,}|[—–]-*)(?P<name>[^\W\d_][^=]*)(?:=(?P<value>.*))?$")
_SINGLE_HYPHEN = re.compile(r"^-(?P<name>[^\W\d_][^=]*)(?:=(?P<value>.*))?$")
_NAME_SHOWN = 20


class UsageError(Exception):
    """The text does not parse; the message tells the member what to type instead."""


@dataclass(frozen=True)
class Option:
    """One option a subcommand knows."""

    name: str
    example: str  # a command with the option and a value: `/mwg propose <title> --close 7d`
    aliases: tuple[str, ...] = ()
    listed: bool = False  # a comma-separated list, which may go on after ", "
    needs: str = "a value"  # what a refusal says the option is missing
    choices: frozenset[str] = frozenset()  # a list also goes on over a word that is one of these


def shown(text: str, limit: int = _NAME_SHOWN) -> str:
    """Part of what a member typed, safe inside an answer's `code`."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return escape(cut.replace("`", "'"))


def split_options(
    words: Sequence[str], known: Sequence[Option], command: str, text_hint: str
) -> tuple[list[str], dict[str, str]]:
    """The words that are text, and each option's value by its name.

    ``command`` names the subcommand in refusals (`/mwg propose`); ``text_hint`` says how to
    write a word starting with `--` that was meant as text.
    """
    by_name = {alias: option for option in known for alias in (option.name, *option.aliases)}
    text: list[str] = []
    values: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        match = _OPTION_WORD.match(word) or _known_single_hyphen(word, by_name)
        if match is None:
            text.append(word)
            i += 1
            continue
        typed, inline = match.group("name"), match.group("value")
        option = by_name.get(typed.lower())
        if option is None or (word.startswith("-") and not word.startswith("--")):
            raise UsageError(_unknown(typed, option, by_name, known, command, text_hint))
        if option.name in values:
            raise UsageError(f"Give `--{option.name}` once.")
        i += 1
        if inline:
            value = inline
        elif i < len(words) and not is_option(words[i]):
            value = words[i]
            i += 1
        else:
            raise UsageError(f"`--{option.name}` needs {option.needs}, e.g. `{option.example}`.")
        if option.listed:
            while i < len(words) and not is_option(words[i]):
                after_comma = value.endswith(",") or words[i].startswith(",")
                if not after_comma and _bare(words[i]) not in option.choices:
                    break
                value += words[i] if after_comma else "," + words[i]
                i += 1
        values[option.name] = value
    return text, values


def _bare(word: str) -> str:
    return word.strip(",\"'“”‘’").lower()


def is_option(word: str) -> bool:
    return _OPTION_WORD.match(word) is not None


def _known_single_hyphen(word: str, by_name: dict[str, Option]) -> re.Match[str] | None:
    match = _SINGLE_HYPHEN.match(word)
    return match if match is not None and match.group("name").lower() in by_name else None


def _unknown(
    typed: str,
    option: Option | None,
    by_name: dict[str, Option],
    known: Sequence[Option],
    command: str,
    text_hint: str,
) -> str:
    dashes = "-" if option is not None else "--"
    head = f"`{dashes}{shown(typed)}` is not an option of `{command}`"
    listing = "It knows " + ", ".join(f"--{o.name}" for o in known) + "."
    if option is None:
        near = difflib.get_close_matches(typed[:_NAME_SHOWN].lower(), by_name, n=1, cutoff=0.6)
        option = by_name[near[0]] if near else None
    if option is not None:
        return f"{head}: did you mean `--{option.name}`? {listing}"
    return f"{head}. {listing} {text_hint}"
