"""Working groups from MWG_GROUPS_FILE: good files give each group's policy, with the
environment's values for what a group leaves out; a bad file is one line naming the file, the
group and the field; without the file, the MWG_* settings give exactly today's one group."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mwgbot.config import ConfigError, Settings, load_settings
from mwgbot.domain.proposals import Stage
from mwgbot.groups_file import DEFAULT_TAGS, MAX_TAGS
from mwgbot.services.policy import Policy, load_groups

ROOT = Path(__file__).resolve().parents[2]

EDU = """\
[[group]]
key = "edu"
name = "Educators Working Group"
channel = "C0EDU"
moderators = ["U0MOD"]
organizers = []
"""
MWG = """\
[[group]]
key = "mwg"
name = "Marketing Working Group"
channel = "C0MKT"
moderators = []
organizers = []
"""
TWO_GROUPS = """\
[[group]]
key = "mwg"
name = "Marketing Working Group"
channel = "C0MKT"
moderators = ["U0MOD1", "U0MOD2"]
organizers = ["U0ORG"]

[[group]]
key = "edu"
name = "Educators Working Group"
channel = "C0EDU"
moderators = ["U0EDMOD"]
organizers = ["U0EDORG"]
consensus_window = "21d"
consensus_min = "14d"
join_emojis = [":hand:", "raised_hand"]
object_emojis = ["x"]
meeting_first = 2026-01-14T11:00:00-05:00
meeting_every = "4w"
meeting_reminders = []
digest_cron = "0 15 * * 3"
stale_after = "1d12h"
welcome = false
calendar_url = "https://cal.example/edu.ics"
max_open_per_member = 2
escalation_reminder = "3d"
tags = ["courses", "instructors", "open-data"]
about = "We share course design practice."
"""


def tags_of(count: int) -> str:
    return "tags = [" + ", ".join(f'"t{i}"' for i in range(count)) + "]\n"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env; groups.toml is relative to here


def with_file(monkeypatch: pytest.MonkeyPatch, text: str) -> Settings:
    Path("groups.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("MWG_GROUPS_FILE", "groups.toml")
    return load_settings()


# --- good files ----------------------------------------------------------------------------


def test_a_good_file_gives_each_groups_policy_in_file_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    groups = load_groups(with_file(monkeypatch, TWO_GROUPS))

    assert groups.keys == ("mwg", "edu")
    assert groups.first == Policy(
        channel_id="C0MKT",
        moderators=frozenset({"U0MOD1", "U0MOD2"}),
        organizers=frozenset({"U0ORG"}),
        key="mwg",
        name="Marketing Working Group",
    )
    assert groups.by_key("edu") == Policy(
        channel_id="C0EDU",
        moderators=frozenset({"U0EDMOD"}),
        organizers=frozenset({"U0EDORG"}),
        consensus_window=timedelta(days=21),
        consensus_min=timedelta(days=14),
        join_emojis=("hand", "raised_hand"),
        object_emojis=("x",),
        meeting_first=datetime(2026, 1, 14, 16, 0, tzinfo=UTC),
        meeting_every=timedelta(weeks=4),
        meeting_reminders=(),
        digest_cron="0 15 * * 3",
        stale_after=timedelta(days=1, hours=12),
        welcome=False,
        calendar_url="https://cal.example/edu.ics",
        max_open_per_member=2,
        key="edu",
        name="Educators Working Group",
        tags=("courses", "instructors", "open-data"),
        about="We share course design practice.",
        escalation_reminder=timedelta(days=3),
    )


def test_what_a_group_leaves_out_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "MWG_CONSENSUS_WINDOW": "10d",
        "MWG_CONSENSUS_MIN": "4d",
        "MWG_JOIN_EMOJIS": "hand,raised_hand",
        "MWG_OBJECT_EMOJIS": "x",
        "MWG_MEETING_FIRST": "2026-02-04T10:00:00-05:00",
        "MWG_MEETING_EVERY": "7d",
        "MWG_MEETING_REMINDERS": "1h",
        "MWG_DIGEST_CRON": "0 9 * * 5",
        "MWG_STALE_AFTER": "2w",
        "MWG_WELCOME": "off",
        "MWG_CALENDAR_URL": "https://cal.example/all.ics",
        "MWG_MAX_OPEN_PER_MEMBER": "3",
        "MWG_ESCALATION_REMINDER": "2d",
        "MWG_RECONCILE_INTERVAL": "5m",
        "MWG_COMMANDS_PER_MINUTE": "10",
        # Not used with a file: the file names each group's channel and people.
        "MWG_CHANNEL": "C0ELSEWHERE",
        "MWG_MODERATORS": "U0ENVMOD",
    }.items():
        monkeypatch.setenv(name, value)
    text = TWO_GROUPS.replace('calendar_url = "https://cal.example/edu.ics"', 'calendar_url = ""')
    mwg, edu = load_groups(with_file(monkeypatch, text))

    assert (mwg.channel_id, mwg.moderators) == ("C0MKT", frozenset({"U0MOD1", "U0MOD2"}))
    assert mwg.consensus_window == timedelta(days=10)
    assert mwg.consensus_min == timedelta(days=4)
    assert mwg.join_emojis == ("hand", "raised_hand")
    assert mwg.object_emojis == ("x",)
    assert mwg.meeting_first == datetime(2026, 2, 4, 15, 0, tzinfo=UTC)
    assert mwg.meeting_every == timedelta(days=7)
    assert mwg.meeting_reminders == (timedelta(hours=1),)
    assert mwg.digest_cron == "0 9 * * 5"
    assert mwg.stale_after == timedelta(weeks=2)
    assert mwg.welcome is False
    assert mwg.calendar_url == "https://cal.example/all.ics"
    assert mwg.max_open_per_member == 3
    assert mwg.escalation_reminder == timedelta(days=2)
    assert mwg.tags == tuple(stage.value for stage in Stage)
    assert mwg.about is None
    # The file's own values win, and "" turns the environment's feed off for that group.
    assert edu.consensus_min == timedelta(days=14)
    assert edu.meeting_reminders == ()
    assert edu.calendar_url is None
    # Workspace-wide values are the environment's, for every group.
    for policy in (mwg, edu):
        assert policy.reconcile_interval == timedelta(minutes=5)
        assert policy.commands_per_minute == 10


@pytest.mark.parametrize(
    ("line", "attribute", "expected"),
    [
        (
            'meeting_first = "2026-01-07T10:00:00-05:00"',
            "meeting_first",
            datetime(2026, 1, 7, 15, tzinfo=UTC),
        ),
        (
            "meeting_first = 2026-01-07T15:00:00Z",
            "meeting_first",
            datetime(2026, 1, 7, 15, tzinfo=UTC),
        ),
        ('welcome = "off"', "welcome", False),
        ("canvas = true", "canvas", True),
        ('canvas = "off"', "canvas", False),
        ('consensus_min = " 1W "', "consensus_min", timedelta(weeks=1)),
        ('join_emojis = [":wave:"]', "join_emojis", ("wave",)),
        ('about = "  "', "about", None),
        (tags_of(MAX_TAGS), "tags", tuple(f"t{i}" for i in range(MAX_TAGS))),
    ],
)
def test_file_values_are_read_as_the_settings_read_them(
    monkeypatch: pytest.MonkeyPatch, line: str, attribute: str, expected: object
) -> None:
    (edu,) = load_groups(with_file(monkeypatch, EDU + line + "\n"))
    assert getattr(edu, attribute) == expected


def test_the_example_file_and_the_readme_example_are_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = (ROOT / "examples" / "groups.toml").read_text(encoding="utf-8")
    mwg, edu = load_groups(with_file(monkeypatch, example))
    assert (mwg.key, mwg.name, mwg.tags) == ("mwg", "Marketing Working Group", DEFAULT_TAGS)
    assert (edu.key, edu.name) == ("edu", "Educators Working Group")
    assert edu.consensus_min == timedelta(days=14)
    assert "courses" in edu.tags
    assert edu.about is not None
    assert "lazy consensus" in edu.about

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```toml\n(.*?)```", readme, re.DOTALL)
    assert snippet is not None
    (only,) = load_groups(with_file(monkeypatch, snippet.group(1)))
    assert (only.key, only.channel_id, only.tags) == ("mwg", "C0123456789", DEFAULT_TAGS)


# --- bad files: one line naming the file, the group and the field --------------------------

AT = "groups.toml: "
EDU_AT = 'groups.toml: group "edu": '
NO_GROUP = (
    f"{AT}no [[group]] table: define each group as a [[group]] table with key, name, channel, "
    "moderators and organizers (see examples/groups.toml)"
)
KEY_RULE = "is not a key: 1 to 16 lowercase letters and digits, starting with a letter"
KEY_EXPECTED = 'expected a short key such as "edu"'
NAME_EXPECTED = 'expected the group\'s name, e.g. "Educators Working Group"'
CHANNEL_EXPECTED = 'expected the channel ID (C…), e.g. "C0123456789"'
IDS_EXPECTED = 'expected an array of Slack user IDs, e.g. ["U0AAAAAAA"], or []'
START_EXPECTED = 'expected one meeting\'s start with an offset, e.g. "2026-01-07T15:00:00Z"'
NOT_A_DURATION = "is not a duration like 90s, 45m, 72h, 7d, 2w or 1d12h"
TAG_RULE = "is not a tag: lowercase letters, digits and inner hyphens, at most 30 characters"
TAGS_EXPECTED = 'expected an array of 1 to 10 lowercase tags, e.g. ["courses", "instructors"]'
SHORTER = "set consensus_window to at least consensus_min"
ONE_PER_CHANNEL = "a channel belongs to one group at most"
MAX_OPEN_EXPECTED = "expected a whole number of proposals, at least 1, e.g. 5"

BAD_FILES = [
    # The file as a whole.
    ('key = "mwg\n', f"{AT}is not valid TOML: Illegal character '\\n' (at line 1, column 11)"),
    (
        EDU + 'name = "again"\n',
        f"{AT}is not valid TOML: Cannot overwrite a value (at line 7, column 15)",
    ),
    ("", NO_GROUP),
    ("group = []\n", NO_GROUP),
    ('[group]\nkey = "edu"\n', f"{AT}group must be [[group]] tables (with two brackets)"),
    (
        EDU + "[defaults]\nwelcome = false\n",
        f'{AT}unknown key "defaults" at the top level: the file holds only [[group]] tables',
    ),
    # Unknown keys.
    (
        EDU + 'consensus_windw = "10d"\n',
        f'{EDU_AT}unknown key "consensus_windw": did you mean consensus_window?',
    ),
    (
        EDU + "commands_per_minute = 10\n",
        f"{EDU_AT}commands_per_minute is not a group's setting: it is workspace-wide, "
        "set MWG_COMMANDS_PER_MINUTE in the environment",
    ),
    # The key: without a good one, the group is named by its place in the file.
    ('[[group]]\nname = "Educators"\n', f"{AT}group 1: key is missing: {KEY_EXPECTED}"),
    (
        EDU.replace('"edu"', '"Edu"'),
        f"{AT}group 1: key is malformed ('Edu' {KEY_RULE}): {KEY_EXPECTED}",
    ),
    (
        EDU.replace('"edu"', '"educatorsgroup2026"'),
        f"{AT}group 1: key is malformed ('educatorsgroup2026' {KEY_RULE}): {KEY_EXPECTED}",
    ),
    (
        MWG + '\n[[group]]\nkey = "2x"\n',
        f"{AT}group 2: key is malformed ('2x' {KEY_RULE}): {KEY_EXPECTED}",
    ),
    # Required values.
    (
        EDU.replace('name = "Educators Working Group"\n', ""),
        f"{EDU_AT}name is missing: {NAME_EXPECTED}",
    ),
    (
        EDU.replace('"Educators Working Group"', '"  "'),
        f"{EDU_AT}name is malformed (is empty): {NAME_EXPECTED}",
    ),
    (
        EDU.replace('"Educators Working Group"', '"' + "x" * 81 + '"'),
        f"{EDU_AT}name is malformed (is 81 characters; the most is 80): {NAME_EXPECTED}",
    ),
    (
        EDU.replace('"Educators Working Group"', '"Educators\\nGroup"'),
        f"{EDU_AT}name is malformed (must be one line): {NAME_EXPECTED}",
    ),
    (EDU.replace('channel = "C0EDU"\n', ""), f"{EDU_AT}channel is missing: {CHANNEL_EXPECTED}"),
    (
        EDU.replace('"C0EDU"', '"#wg-educators"'),
        f"{EDU_AT}channel is malformed (must be a channel ID such as C0123456789, not a #name): "
        f"{CHANNEL_EXPECTED}",
    ),
    (
        EDU.replace('moderators = ["U0MOD"]\n', ""),
        f"{EDU_AT}moderators is missing: {IDS_EXPECTED}",
    ),
    (
        EDU.replace('["U0MOD"]', '"U0MOD"'),
        f"{EDU_AT}moderators is malformed ('U0MOD' is not an array): {IDS_EXPECTED}",
    ),
    (
        EDU.replace('["U0MOD"]', '["U0MOD", "eden"]'),
        f"{EDU_AT}moderators is malformed (eden is not a Slack user ID): {IDS_EXPECTED}",
    ),
    (
        EDU.replace("organizers = []", "organizers = [1]"),
        f"{EDU_AT}organizers is malformed (every item must be a string): "
        'expected an array of Slack user IDs, e.g. ["U0BBBBBBB"], or []',
    ),
    # The optional values, each by the rule of its MWG_* setting.
    (
        EDU + 'consensus_min = "3x"\n',
        f"{EDU_AT}consensus_min is malformed ('3x' {NOT_A_DURATION}): "
        'expected a duration such as "72h"',
    ),
    (
        EDU + "consensus_min = 72\n",
        f'{EDU_AT}consensus_min is malformed (72 is not a duration in quotes, e.g. "72h"): '
        'expected a duration such as "72h"',
    ),
    (
        EDU + 'consensus_window = "3d"\nconsensus_min = "4d"\n',
        f"{EDU_AT}consensus_window (3d) is shorter than consensus_min (4d): {SHORTER}",
    ),
    (
        EDU + 'consensus_min = "14d"\n',
        f"{EDU_AT}consensus_window (7d, from MWG_CONSENSUS_WINDOW) is shorter than "
        f"consensus_min (14d): {SHORTER}",
    ),
    (
        EDU + "join_emojis = []\n",
        f"{EDU_AT}join_emojis is malformed (needs at least one emoji name): "
        'expected an array of reaction names without colons, e.g. ["raised_hand"]',
    ),
    (
        EDU + "meeting_first = 2026-01-07T15:00:00\n",
        f"{EDU_AT}meeting_first is malformed (needs an offset such as Z or -05:00): "
        f"{START_EXPECTED}",
    ),
    (
        EDU + "meeting_first = 2026-01-07\n",
        f"{EDU_AT}meeting_first is malformed (2026-01-07 is a day without a time and its "
        f"offset): {START_EXPECTED}",
    ),
    (
        EDU + 'meeting_every = "0s"\n',
        f"{EDU_AT}meeting_every is malformed ('0s' must be longer than zero): "
        'expected a duration such as "14d"',
    ),
    (
        EDU + 'meeting_reminders = ["24h", "soon"]\n',
        f"{EDU_AT}meeting_reminders is malformed ('soon' {NOT_A_DURATION}): "
        'expected an array of durations such as ["24h", "15m"], or []',
    ),
    (
        EDU + 'digest_cron = "0 25 * * 1"\n',
        f"{EDU_AT}digest_cron is malformed (Error validating expression '25': the last value "
        "(25) is higher than the maximum value (23)): "
        'expected a five-field crontab in UTC, e.g. "0 14 * * 1"',
    ),
    (
        EDU + 'stale_after = "99999999999999d"\n',
        f"{EDU_AT}stale_after is malformed ('99999999999999d' is too long; the most is 3660 "
        'days): expected a duration such as "21d"',
    ),
    (
        EDU + 'welcome = "sometimes"\n',
        f"{EDU_AT}welcome is malformed ('sometimes' is neither true nor false): "
        "expected true or false",
    ),
    (
        EDU + 'calendar_url = "webcal://cal.example/edu.ics"\n',
        f"{EDU_AT}calendar_url is malformed (must be an http(s) URL): "
        'expected the public http(s) URL of the meeting feed, or ""',
    ),
    (
        EDU + "max_open_per_member = 0\n",
        f"{EDU_AT}max_open_per_member is malformed (0 is less than 1): {MAX_OPEN_EXPECTED}",
    ),
    (
        EDU + "max_open_per_member = true\n",
        f"{EDU_AT}max_open_per_member is malformed (true is not a whole number): "
        f"{MAX_OPEN_EXPECTED}",
    ),
    (
        EDU + 'escalation_reminder = "never"\n',
        f"{EDU_AT}escalation_reminder is malformed ('never' {NOT_A_DURATION}): "
        'expected a duration such as "7d"',
    ),
    # Tags and about.
    (
        EDU + "tags = []\n",
        f"{EDU_AT}tags is malformed (needs at least one tag): {TAGS_EXPECTED}",
    ),
    (
        EDU + tags_of(MAX_TAGS + 1),
        f"{EDU_AT}tags is malformed (has 11 tags; the most is 10): {TAGS_EXPECTED}",
    ),
    (
        EDU + 'tags = ["Courses"]\n',
        f"{EDU_AT}tags is malformed ('Courses' {TAG_RULE}): {TAGS_EXPECTED}",
    ),
    (
        EDU + 'tags = ["course design"]\n',
        f"{EDU_AT}tags is malformed ('course design' {TAG_RULE}): {TAGS_EXPECTED}",
    ),
    (EDU + 'tags = ["-x"]\n', f"{EDU_AT}tags is malformed ('-x' {TAG_RULE}): {TAGS_EXPECTED}"),
    (
        EDU + 'tags = ["' + "a" * 31 + '"]\n',
        f"{EDU_AT}tags is malformed ('{'a' * 28}… {TAG_RULE}): {TAGS_EXPECTED}",
    ),
    (
        EDU + 'tags = ["courses", "research", "courses"]\n',
        f"{EDU_AT}tags is malformed (courses appears twice): {TAGS_EXPECTED}",
    ),
    (
        EDU + 'tags = "courses"\n',
        f"{EDU_AT}tags is malformed ('courses' is not an array): {TAGS_EXPECTED}",
    ),
    (
        EDU + 'about = "' + "a" * 1001 + '"\n',
        f"{EDU_AT}about is malformed (is 1001 characters; the most is 1000): "
        "expected one paragraph of text, at most 1000 characters",
    ),
    # Keys and channels are unique.
    (
        EDU + "\n" + EDU.replace('"C0EDU"', '"C0EDX"'),
        f'{AT}group 2: key "edu" is already group 1\'s: each group needs its own key',
    ),
    (
        MWG + "\n" + EDU.replace('"C0EDU"', '"C0MKT"'),
        f'{EDU_AT}channel C0MKT is already group "mwg"\'s: {ONE_PER_CHANNEL}',
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_a_bad_file_is_one_line_naming_the_file_the_group_and_the_field(
    monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    settings = with_file(monkeypatch, text)
    with pytest.raises(ConfigError) as raised:
        load_groups(settings)
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)


def test_an_unknown_key_unlike_any_lists_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as raised:
        load_groups(with_file(monkeypatch, EDU + 'colour = "blue"\n'))
    message = str(raised.value)
    assert message.startswith(
        'groups.toml: group "edu": unknown key "colour": expected one of key,'
    )
    assert message.endswith("tags, about")


@pytest.mark.parametrize(
    ("path", "reason"), [("missing.toml", "No such file or directory"), (".", "Is a directory")]
)
def test_a_file_that_cannot_be_read_is_named(
    monkeypatch: pytest.MonkeyPatch, path: str, reason: str
) -> None:
    monkeypatch.setenv("MWG_GROUPS_FILE", path)
    with pytest.raises(ConfigError) as raised:
        load_groups(load_settings())
    assert str(raised.value) == (
        f"{path}: cannot read the groups file ({reason}): MWG_GROUPS_FILE must be the path of a "
        "TOML file of [[group]] tables (see examples/groups.toml), or empty for one group from "
        "the MWG_* settings"
    )


def test_a_file_that_is_not_utf8_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("groups.toml").write_bytes(b'[[group]]\nname = "\xff"\n')
    monkeypatch.setenv("MWG_GROUPS_FILE", "groups.toml")
    with pytest.raises(
        ConfigError, match=r"^groups\.toml: is not UTF-8 text: expected a TOML file$"
    ):
        load_groups(load_settings())


@pytest.mark.parametrize(
    ("variable", "env_value", "field", "file_value"),
    [
        ("MWG_CONSENSUS_MIN", "3x", "consensus_min", '"3x"'),
        ("MWG_STALE_AFTER", "0s", "stale_after", '"0s"'),
        ("MWG_MEETING_REMINDERS", "24h,soon", "meeting_reminders", '["24h", "soon"]'),
        ("MWG_MEETING_FIRST", "2026-01-07T15:00:00", "meeting_first", '"2026-01-07T15:00:00"'),
        ("MWG_DIGEST_CRON", "61 * * * *", "digest_cron", '"61 * * * *"'),
        (
            "MWG_CALENDAR_URL",
            "webcal://cal.example/x.ics",
            "calendar_url",
            '"webcal://cal.example/x.ics"',
        ),
        ("MWG_JOIN_EMOJIS", " , ", "join_emojis", '[" "]'),
        ("MWG_CHANNEL", "#marketing", "channel", '"#marketing"'),
        ("MWG_MODERATORS", "U0MOD,eden", "moderators", '["U0MOD", "eden"]'),
    ],
)
def test_a_value_means_the_same_in_the_file_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, env_value: str, field: str, file_value: str
) -> None:
    """The same rule, so the same reason, whichever place the value is written in."""

    def reason(message: str) -> str:
        found = re.search(r"is malformed \((.*)\): expected", message)
        assert found, message
        return found.group(1)

    monkeypatch.setenv(variable, env_value)
    with pytest.raises(ConfigError) as from_environment:
        load_settings()
    monkeypatch.delenv(variable)
    table = "\n".join(line for line in EDU.splitlines() if not line.startswith(f"{field} ="))
    with pytest.raises(ConfigError) as from_file:
        load_groups(with_file(monkeypatch, f"{table}\n{field} = {file_value}\n"))
    assert reason(str(from_file.value)) == reason(str(from_environment.value))


# --- without the file: exactly today's one group -------------------------------------------


def test_without_the_file_the_environment_defines_todays_one_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "MWG_CHANNEL": "C0MKT",
        "MWG_MODERATORS": "U0MOD1,U0MOD2",
        "MWG_ORGANIZERS": "U0ORG",
        "MWG_CONSENSUS_WINDOW": "5d",
        "MWG_CONSENSUS_MIN": "96h",
        "MWG_WELCOME": "off",
        "MWG_RECONCILE_INTERVAL": "5m",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    groups = load_groups(settings)

    assert groups.only == Policy.from_settings(settings)
    assert groups.only == Policy(
        channel_id="C0MKT",
        moderators=frozenset({"U0MOD1", "U0MOD2"}),
        organizers=frozenset({"U0ORG"}),
        consensus_window=timedelta(days=5),
        consensus_min=timedelta(hours=96),
        welcome=False,
        reconcile_interval=timedelta(minutes=5),
    )
    assert (groups.first.key, groups.first.name) == ("mwg", "Marketing Working Group")
    assert groups.first.tags == tuple(stage.value for stage in Stage)
    assert groups.first.about is None
    assert groups.first.escalation_reminder == timedelta(days=7)


def test_without_the_file_every_policy_value_is_the_environments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Policy.from_settings copies each MWG_* setting it always did, none left at a default."""
    monkeypatch.setenv("MWG_CHANNEL", "C0MKT")
    settings = load_settings()
    policy = Policy.from_settings(settings)
    not_settings = {"channel_id", "closing_soon_lead", "key", "name", "tags", "about"}
    for field in fields(Policy):
        if field.name in not_settings:
            continue
        value = getattr(settings, f"mwg_{field.name}")
        expected = (
            frozenset(value)
            if field.name in ("moderators", "organizers")
            else tuple(value)
            if isinstance(value, list)
            else value
        )
        assert getattr(policy, field.name) == expected, field.name


def test_without_the_file_mwg_channel_is_required() -> None:
    with pytest.raises(ConfigError) as raised:
        load_groups(load_settings())
    assert str(raised.value).startswith("MWG_CHANNEL is not set: ")


def test_a_blank_groups_file_setting_means_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MWG_GROUPS_FILE", "  ")
    monkeypatch.setenv("MWG_CHANNEL", "C0MKT")
    assert load_groups(load_settings()).keys == ("mwg",)


def test_mwg_canvas_is_each_groups_default_and_the_file_may_turn_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MWG_CANVAS", "on")
    (edu,) = load_groups(with_file(monkeypatch, EDU))
    assert edu.canvas is True
    (edu,) = load_groups(with_file(monkeypatch, EDU + "canvas = false\n"))
    assert edu.canvas is False
    monkeypatch.delenv("MWG_CANVAS")
    (edu,) = load_groups(with_file(monkeypatch, EDU))
    assert edu.canvas is False
