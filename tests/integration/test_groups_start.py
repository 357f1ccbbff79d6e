"""A bot started from MWG_GROUPS_FILE: every group is read and kept on the runtime, and until
the services serve several groups, the bot serves the file's first group with its own values
(its channel, its moderators, its minimum window), not the MWG_* settings'."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mwgbot.config import ConfigError
from mwgbot.domain.clock import ManualClock
from mwgbot.fakeslack import FakeSlack
from tests.conftest import CHANNEL, START, RunningBot, make_settings, start_bot
from tests.test_cli import bare_env, mwgbot

GROUPS = f"""\
[[group]]
key = "mwg"
name = "Marketing Working Group"
channel = "{CHANNEL}"
moderators = ["UFILEMOD"]
organizers = ["UFILEORG"]
consensus_window = "5d"
consensus_min = "96h"

[[group]]
key = "edu"
name = "Educators Working Group"
channel = "CEDUCATORS"
moderators = ["UEDMOD"]
organizers = []
consensus_window = "21d"
consensus_min = "14d"
tags = ["courses", "instructors"]
"""


@pytest.fixture
def groups_file(tmp_path: Path) -> str:
    path = tmp_path / "groups.toml"
    path.write_text(GROUPS, encoding="utf-8")
    return str(path)


@pytest.fixture
def file_bot(database_url: str, fake_slack: FakeSlack, groups_file: str) -> Iterator[RunningBot]:
    # MWG_CHANNEL unset, and the environment's moderators (UMODERATOR…) are not the file's.
    clock = ManualClock(START)
    runtime, server, url = start_bot(
        database_url, fake_slack, clock, mwg_groups_file=groups_file, mwg_channel=""
    )
    try:
        yield RunningBot(runtime, url, fake_slack, clock)
    finally:
        server.stop()
        runtime.close()


def test_the_runtime_keeps_every_group_and_serves_the_first(file_bot: RunningBot) -> None:
    groups = file_bot.runtime.groups
    assert groups.keys == ("mwg", "edu")
    assert file_bot.runtime.bot.policy is groups.first
    assert groups.by_channel("CEDUCATORS") is groups.by_key("edu")

    refused = file_bot.answer("propose Webinar series --close 3d")
    assert refused.startswith("A consensus window must be at least 4 days"), refused
    assert file_bot.answer("propose Webinar series --close 4d").startswith("Proposed #1")
    file_bot.settle()
    assert "Webinar series" in file_bot.card_text(1)  # in the first group's channel

    # The file's moderator decides; the environment's MWG_MODERATORS no longer does.
    refused = file_bot.answer("withdraw 1", user="UMODERATOR")
    assert refused == "Only the proposer of #1 or a moderator can withdraw it."
    assert file_bot.answer("withdraw 1", user="UFILEMOD") == "#1 is withdrawn."


def test_a_bad_file_stops_the_start_before_the_database_is_made(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(GROUPS.replace('consensus_min = "14d"', 'consensus_min = "3x"'), "utf-8")
    database = tmp_path / "never.db"
    with pytest.raises(ConfigError, match=r'bad\.toml: group "edu": consensus_min is malformed'):
        start_bot(f"sqlite:///{database}", fake_slack, ManualClock(START), mwg_groups_file=str(bad))
    assert not database.exists()
    assert fake_slack.calls == []


def test_without_the_file_the_runtime_holds_todays_one_group(
    database_url: str, fake_slack: FakeSlack
) -> None:
    runtime, server, _url = start_bot(database_url, fake_slack, ManualClock(START))
    try:
        assert runtime.groups.keys == ("mwg",)
        assert runtime.groups.only is runtime.bot.policy
        assert runtime.bot.policy.channel_id == CHANNEL
        settings = make_settings(database_url, fake_slack.url)
        assert runtime.bot.policy.moderators == frozenset(settings.mwg_moderators)
    finally:
        server.stop()
        runtime.close()


@pytest.mark.slow
def test_forget_names_the_groups_file_where_the_member_is_still_listed(
    file_bot: RunningBot, groups_file: str, database_url: str, tmp_path: Path
) -> None:
    assert file_bot.answer("propose Webinar series", user="UFILEORG").startswith("Proposed #1")
    env = bare_env(tmp_path, DATABASE_URL=database_url, MWG_GROUPS_FILE=groups_file)
    result = mwgbot("forget", "UFILEORG", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [
        f'mwgbot: UFILEORG is still listed in {groups_file} (group "mwg" organizers): '
        "settings are configuration, not data; remove it there"
    ]
