"""The groups registry the bot uses (`Groups`), and what `mwgbot groups check` prints: each
group's effective settings with where each value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from mwgbot.config import Settings, load_settings
from mwgbot.groups_file import describe_groups, group_configs
from mwgbot.services.policy import Groups, Policy, load_groups
from tests.unit.test_groups_file import TWO_GROUPS, with_file


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


# --- the registry ----------------------------------------------------------------------------


def test_groups_find_a_group_by_key_or_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    groups = load_groups(with_file(monkeypatch, TWO_GROUPS))
    mwg, edu = groups.policies

    assert len(groups) == 2
    assert list(groups) == [mwg, edu]
    assert groups.keys == ("mwg", "edu")
    assert groups.first is mwg
    assert groups.only is None
    assert groups.by_key("edu") is edu
    assert groups.by_key("EDU") is edu  # as a member may type it
    assert groups.by_key("data") is None
    assert groups.by_channel("C0EDU") is edu
    assert groups.by_channel("C0MKT") is mwg
    assert groups.by_channel("D0DIRECT") is None


def test_groups_are_immutable_and_refuse_what_the_file_would() -> None:
    one = Groups((Policy(channel_id="C0MKT"),))
    assert one.only is one.first
    with pytest.raises(AttributeError):
        one.policies = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="at least one group"):
        Groups(())
    with pytest.raises(ValueError, match="own key"):
        Groups((Policy(channel_id="C0MKT"), Policy(channel_id="C0EDU")))
    with pytest.raises(ValueError, match="own channel"):
        Groups((Policy(channel_id="C0MKT"), Policy(channel_id="C0MKT", key="edu")))


# --- what `groups check` prints --------------------------------------------------------------


def test_the_check_shows_each_value_and_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MWG_STALE_AFTER", "2w")
    monkeypatch.setenv("MWG_CHANNEL", "C0ELSEWHERE")
    settings = with_file(monkeypatch, TWO_GROUPS)
    lines = describe_groups(group_configs(settings), settings)

    assert lines[0] == "groups.toml: 2 groups, valid"
    assert (
        lines[1] == "note: MWG_CHANNEL is ignored: the file names each group's channel, moderators "
        "and organizers"
    )
    assert 'group "mwg": Marketing Working Group' in lines
    assert 'group "edu": Educators Working Group' in lines
    edu = lines[lines.index('group "edu": Educators Working Group') :]
    for line in (
        "  consensus_min        14d  (file)",
        "  stale_after          1d12h  (file)",
        "  meeting_first        2026-01-14T16:00:00Z  (file)",
        "  meeting_reminders    none  (file)",
        "  welcome              off  (file)",
        "  tags                 courses, instructors, open-data  (file)",
        "  join_emojis          hand, raised_hand  (file)",
    ):
        assert line in edu
    mwg = lines[: lines.index('group "edu": Educators Working Group')]
    for line in (
        "  consensus_min        3d  (default of MWG_CONSENSUS_MIN)",
        "  stale_after          14d  (MWG_STALE_AFTER)",
        "  tags                 awareness, interest, consideration, intent, evaluation, "
        "action  (default)",
        "  about                none  (default)",
    ):
        assert line in mwg
    assert "  reconcile_interval   15m  (default of MWG_RECONCILE_INTERVAL)" in lines


def test_the_check_without_the_file_names_the_environments_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MWG_CHANNEL", "C0MKT")
    monkeypatch.setenv("MWG_MODERATORS", "U0MOD")
    settings = load_settings()
    lines = describe_groups(group_configs(settings), settings)
    assert lines[0] == "MWG_GROUPS_FILE is not set: 1 group from the MWG_* settings, valid"
    for line in (
        'group "mwg": Marketing Working Group',
        "  key                  mwg  (default)",
        "  channel              C0MKT  (MWG_CHANNEL)",
        "  moderators           U0MOD  (MWG_MODERATORS)",
        "  organizers           none  (default of MWG_ORGANIZERS)",
    ):
        assert line in lines
