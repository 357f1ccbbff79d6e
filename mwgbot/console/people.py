"""The console's members: names typed at the prompt, mapped to stable fake Slack user IDs."""

from __future__ import annotations

import re

_NAME = re.compile(r"[a-z][a-z0-9._-]{0,29}")
_ID_LENGTH = 7  # after the "U": "alice" -> "UALICE00"


class BadName(ValueError):
    pass


def normalize(name: str) -> str:
    """A member's name as the console keeps it: lower case, `as Alice` is alice."""
    cleaned = name.strip().lstrip("@").lower()
    if not _NAME.fullmatch(cleaned):
        raise BadName(
            f"{name.strip()!r} is not a member name: use a letter, then letters, digits, . _ -"
        )
    return cleaned


class Directory:
    """Names <-> user IDs. The same name gets the same ID in every run of the same script."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}  # name -> user id
        self.names: dict[str, str] = {}  # user id -> name

    def id_of(self, name: str) -> str:
        """The user ID of a member, created on first use: alice -> UALICE00."""
        name = normalize(name)
        if name in self.ids:
            return self.ids[name]
        core = re.sub(r"[^A-Z0-9]", "", name.upper())
        base = "U" + core[:_ID_LENGTH].ljust(_ID_LENGTH, "0")
        user_id, n = base, 1
        while user_id in self.names:  # two long names that share a prefix
            n += 1
            suffix = str(n)
            user_id = base[: 1 + _ID_LENGTH - len(suffix)] + suffix
        self.ids[name] = user_id
        self.names[user_id] = name
        return user_id

    def name_of(self, user_id: str) -> str | None:
        return self.names.get(user_id)
