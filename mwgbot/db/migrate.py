"""Alembic, driven from code. The scripts live in the top-level `migrations/` folder and are
installed as the package `mwgbot.migrations`, so they are found the same way from a checkout
(editable install) and from an installed wheel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Protocol

from alembic import command
from alembic.config import Config


def scripts_dir() -> Path:
    """Where the installed migration scripts are (a plain directory; wheels install unzipped)."""
    scripts = files("mwgbot.migrations")
    if not isinstance(scripts, Path):
        raise RuntimeError(f"the migrations must be installed as files, not in {scripts}")
    return scripts


class _Group(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def channel_id(self) -> str: ...


def group_channels(groups: Iterable[_Group]) -> Mapping[str, str]:
    """Channel → group key, for migration 0004 to move today's data into its group."""
    return {group.channel_id: group.key for group in groups if group.channel_id}


def alembic_config(database_url: str, groups: Iterable[_Group] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(scripts_dir()))
    # Alembic's config is an INI parser: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["group_channels"] = dict(group_channels(groups))
    return config


def upgrade(database_url: str, revision: str = "head", groups: Iterable[_Group] = ()) -> None:
    """Up to `revision`; `groups` (the loaded groups) say which group today's data is in."""
    command.upgrade(alembic_config(database_url, groups), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
