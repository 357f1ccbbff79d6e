"""Alembic, driven from code. The scripts live in the top-level `migrations/` folder and are
installed as the package `mwgbot.migrations`, so they are found the same way from a checkout
(editable install) and from an installed wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config


def scripts_dir() -> Path:
    """Where the installed migration scripts are (a plain directory; wheels install unzipped)."""
    scripts = files("mwgbot.migrations")
    if not isinstance(scripts, Path):
        raise RuntimeError(f"the migrations must be installed as files, not in {scripts}")
    return scripts


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(scripts_dir()))
    # Alembic's config is an INI parser: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
