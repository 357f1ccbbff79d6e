"""The installed `mwgbot` command as an operator runs it: in its own process, with only the
documented variables (or a `.env`), from any directory."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from mwgbot.db import migrate
from mwgbot.fakeslack import FakeSlack
from tests import slack_requests as sr
from tests.conftest import CHANNEL
from tests.processes import STOP_TIMEOUT, ServeProcess, free_port, mwgbot_executable

UNREACHABLE_SLACK = "http://127.0.0.1:9/api/"  # the discard port: connection refused


def bare_env(home: Path, **variables: str) -> dict[str, str]:
    """Nothing but PATH, HOME and the given variables: no setting leaks in from outside."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), **variables}


def mwgbot(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*mwgbot_executable(), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], names: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert names in lines[0], lines[0]
    assert lines[0].startswith("mwgbot: "), lines[0]


def valid_settings(tmp_path: Path, api_url: str = UNREACHABLE_SLACK) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-cli-test",
        "SLACK_APP_TOKEN": "xapp-1-cli-test",
        "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "MWG_CHANNEL": CHANNEL,
    }


# --- configuration errors -----------------------------------------------------------------


@pytest.mark.slow
def test_serve_without_a_bot_token_stops_with_one_line(tmp_path: Path) -> None:
    result = mwgbot("serve", cwd=tmp_path, env=bare_env(tmp_path))
    assert_one_line_error(result, "SLACK_BOT_TOKEN")
    assert "is not set" in result.stderr
    assert not list(tmp_path.glob("*.db")), "a refused start must not create the database"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "missing"),
    [
        ("serve", "SLACK_SIGNING_SECRET"),
        ("serve", "MWG_CHANNEL"),
        ("run", "SLACK_APP_TOKEN"),
        ("run", "SLACK_BOT_TOKEN"),
        ("run", "MWG_CHANNEL"),
    ],
)
def test_each_command_names_the_setting_it_lacks(
    tmp_path: Path, command: str, missing: str
) -> None:
    variables = valid_settings(tmp_path)
    del variables[missing]
    result = mwgbot(command, cwd=tmp_path, env=bare_env(tmp_path, **variables))
    assert_one_line_error(result, missing)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MWG_CONSENSUS_WINDOW", "soon"),
        ("MWG_CONSENSUS_WINDOW", "1h"),  # shorter than MWG_CONSENSUS_MIN
        ("DATABASE_URL", "nonsense"),
        ("MWG_MEETING_FIRST", "2026-01-07T15:00:00"),  # no offset
        ("MWG_DIGEST_CRON", "every monday"),
        ("MWG_DIGEST_CRON", "61 * * * *"),
        ("MWG_SWEEP_INTERVAL", "0s"),
        ("MWG_MEETING_REMINDERS", "24h,soon"),
        ("MWG_MODERATORS", "alice"),
        ("MWG_CHANNEL", "#marketing"),
        ("SLACK_BOT_TOKEN", "xoxp-a-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token"),
        ("SLACK_API_URL", "slack.com/api"),
    ],
)
def test_a_malformed_setting_stops_with_one_line_naming_it(
    tmp_path: Path, name: str, value: str
) -> None:
    variables = {**valid_settings(tmp_path), name: value}
    result = mwgbot("serve", cwd=tmp_path, env=bare_env(tmp_path, **variables), timeout=30)
    assert_one_line_error(result, name)


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ("run",),
        ("serve",),
        ("db", "upgrade"),
        ("digest", "--dry-run"),
        ("calendar",),
        ("export", "decisions"),
        ("forget", "UALICE"),
        ("console",),
    ],
    ids="-".join,
)
@pytest.mark.parametrize("url", ["mysql://mwg:secret@db/mwg", "postgresql+psycopg2://db/mwg"])
def test_an_unsupported_database_is_one_line_naming_what_is_supported(
    tmp_path: Path, command: tuple[str, ...], url: str
) -> None:
    variables = {**valid_settings(tmp_path), "DATABASE_URL": url}
    result = mwgbot(*command, cwd=tmp_path, env=bare_env(tmp_path, **variables), timeout=30)
    assert_one_line_error(result, "DATABASE_URL")
    line = result.stderr.strip()
    assert url.partition("://")[0] + "://" in line
    for supported in ("sqlite:///", "postgresql://", "postgres://"):
        assert supported in line, line
    assert "secret" not in line  # the URL's password is never repeated
    assert result.stdout == ""  # refused before anything starts (the console's banner too)


@pytest.mark.slow
def test_db_upgrade_on_an_unusable_database_stops_with_one_clear_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"
    result = mwgbot("db", "upgrade", cwd=tmp_path, env=bare_env(tmp_path, DATABASE_URL=url))
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr.strip().splitlines()[-1]


# --- db upgrade ---------------------------------------------------------------------------


@pytest.mark.slow
def test_db_upgrade_twice_from_another_directory(tmp_path: Path, database_url: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = bare_env(tmp_path, DATABASE_URL=database_url)
    for _ in range(2):
        result = mwgbot("db", "upgrade", cwd=elsewhere, env=env)
        assert result.returncode == 0, result.stderr
        assert "newest schema" in result.stdout
    head = ScriptDirectory.from_config(migrate.alembic_config(database_url)).get_current_head()
    engine = create_engine(database_url)
    try:
        assert "alembic_version" in inspect(engine).get_table_names()
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert [row[0] for row in rows] == [head]
    assert not list(elsewhere.iterdir()), "db upgrade must not write into the working directory"


# --- the groups file ----------------------------------------------------------------------

EXAMPLE_GROUPS = Path(__file__).resolve().parent.parent / "examples" / "groups.toml"
BAD_GROUPS = """\
[[group]]
key = "edu"
name = "Educators Working Group"
channel = "C0EDU"
moderators = []
organizers = []
consensus_min = "3x"
"""
BAD_GROUPS_LINE = (
    "mwgbot: groups.toml: group \"edu\": consensus_min is malformed ('3x' is not a duration "
    'like 90s, 45m, 72h, 7d, 2w or 1d12h): expected a duration such as "72h"'
)


@pytest.mark.slow
def test_groups_check_prints_each_groups_effective_settings(tmp_path: Path) -> None:
    env = bare_env(tmp_path, MWG_GROUPS_FILE=str(EXAMPLE_GROUPS), MWG_STALE_AFTER="2w")
    result = mwgbot("groups", "check", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"{EXAMPLE_GROUPS}: 2 groups, valid"
    mwg = lines.index('group "mwg": Marketing Working Group')
    edu = lines.index('group "edu": Educators Working Group')
    assert "  channel              C0123456789  (file)" in lines[mwg:edu]
    assert "  stale_after          14d  (MWG_STALE_AFTER)" in lines[mwg:edu]
    assert "  consensus_min        3d  (default of MWG_CONSENSUS_MIN)" in lines[mwg:edu]
    assert "  consensus_min        14d  (file)" in lines[edu:]
    assert "  channel              C0EDUCATORS  (file)" in lines[edu:]
    assert any(line.startswith("  tags                 courses, instructors") for line in lines)


@pytest.mark.slow
def test_groups_check_without_the_file_checks_the_environments_group(tmp_path: Path) -> None:
    result = mwgbot("groups", "check", cwd=tmp_path, env=bare_env(tmp_path, MWG_CHANNEL=CHANNEL))
    assert result.returncode == 0, result.stderr
    assert "MWG_GROUPS_FILE is not set: 1 group from the MWG_* settings, valid" in result.stdout
    assert f"  channel              {CHANNEL}  (MWG_CHANNEL)" in result.stdout

    unset = mwgbot("groups", "check", cwd=tmp_path, env=bare_env(tmp_path))
    assert_one_line_error(unset, "MWG_CHANNEL is not set")


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ("groups", "check"),
        ("serve",),
        ("run",),
        ("db", "upgrade"),
        ("digest", "--dry-run"),
        ("calendar",),
        ("export", "decisions"),
        ("forget", "U0AAAAAAA"),
    ],
)
def test_a_bad_groups_file_stops_every_command_before_anything_starts(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    (tmp_path / "groups.toml").write_text(BAD_GROUPS, encoding="utf-8")
    variables = {**valid_settings(tmp_path), "MWG_GROUPS_FILE": "groups.toml"}
    result = mwgbot(*command, cwd=tmp_path, env=bare_env(tmp_path, **variables))
    assert_one_line_error(result, 'groups.toml: group "edu": consensus_min')
    assert result.stderr.strip() == BAD_GROUPS_LINE
    assert result.stdout == ""
    assert not list(tmp_path.glob("*.db")), "a refused start must not create the database"


@pytest.mark.slow
def test_serve_with_a_groups_file_needs_no_mwg_channel(
    tmp_path: Path, fake_slack: FakeSlack, serve_env: dict[str, str]
) -> None:
    variables = {**serve_env, "MWG_GROUPS_FILE": str(EXAMPLE_GROUPS)}
    del variables["MWG_CHANNEL"]
    server = ServeProcess(tmp_path, bare_env(tmp_path, **variables))
    try:
        assert server.wait_healthy().json() == {
            "status": "ok",
            "database": True,
            "slack": "ok",
            "channel": "ok",
        }
        answer = sr.send(server.url, sr.slash_command("help", channel_id="C0123456789"))
        assert answer.status == 200, answer
        assert "/mwg propose" in answer.json()["text"]
        code, _elapsed = server.terminate()
    finally:
        server.kill()
    assert code == 0, server.output()
    assert "Traceback" not in server.output()


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = mwgbot("--help", cwd=tmp_path, env=bare_env(tmp_path))
    assert result.returncode == 0, result.stderr
    for command in ("run", "serve", "db", "groups"):
        assert command in result.stdout


# --- serve as a real process --------------------------------------------------------------


@pytest.fixture
def serve_env(tmp_path: Path, fake_slack: FakeSlack) -> dict[str, str]:
    return valid_settings(tmp_path, api_url=fake_slack.url)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["environment", "dotenv"])
def test_serve_answers_slack_and_stops_on_sigterm(
    tmp_path: Path, fake_slack: FakeSlack, serve_env: dict[str, str], source: str
) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    if source == "dotenv":
        lines = [f"{name}={value}" for name, value in serve_env.items()]
        (workdir / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = bare_env(tmp_path)
    else:
        env = bare_env(tmp_path, **serve_env)

    server = ServeProcess(workdir, env)
    try:
        health = server.wait_healthy()
        assert health.json() == {"status": "ok", "database": True, "slack": "ok", "channel": "ok"}
        assert [c.method for c in fake_slack.calls] == ["auth.test"]
        assert fake_slack.calls[0].token == "xoxb-cli-test"

        help_answer = sr.send(server.url, sr.slash_command("help"))
        assert help_answer.status == 200, help_answer
        assert help_answer.seconds < 3  # Slack's deadline, not a benchmark
        body = help_answer.json()
        assert body["response_type"] == "ephemeral"
        assert "/mwg propose" in body["text"]
        # Bolt's SingleTeamAuthorization may call auth.test once on the first request.
        calls_before = len(fake_slack.calls)

        forged = sr.send(server.url, sr.slash_command("propose Forged"), secret="not-the-secret")
        assert forged.status == 401
        stale = sr.send(
            server.url, sr.slash_command("propose Stale"), timestamp=int(time.time()) - 6 * 60
        )
        assert stale.status == 401
        challenge = sr.send(server.url, sr.url_verification("a-challenge"))
        assert challenge.json() == {"challenge": "a-challenge"}
        time.sleep(0.3)
        assert len(fake_slack.calls) == calls_before, "no Slack call for refused requests"
        assert {c.method for c in fake_slack.calls} == {"auth.test"}

        code, elapsed = server.terminate()
    finally:
        server.kill()
    output = server.output()
    assert code == 0, output
    assert elapsed < STOP_TIMEOUT, output
    assert "Traceback" not in output, output


@pytest.mark.slow
def test_serve_stops_with_one_clear_line_when_slack_is_unreachable(tmp_path: Path) -> None:
    env = bare_env(tmp_path, **valid_settings(tmp_path, api_url=UNREACHABLE_SLACK))
    result = mwgbot("serve", "--port", str(free_port()), cwd=tmp_path, env=env)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("mwgbot: could not reach Slack"), last


# --- the files an operator copies ---------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_setting_with_its_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dotenv import dotenv_values

    from mwgbot.config import EXPECTATIONS, Settings

    example = ROOT / ".env.example"
    values = dotenv_values(example)
    fields = {name.upper() for name in Settings.model_fields}
    assert set(values) == fields
    assert set(EXPECTATIONS) == fields
    for name in fields:
        monkeypatch.delenv(name, raising=False)
    from_example = Settings(_env_file=example)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_example.model_dump() == defaults.model_dump()
    for token in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        assert values[token] == "", f"{token} must be left empty in .env.example"


def test_the_dockerfile_installs_as_ci_checks_it() -> None:
    from mwgbot.cli import build_parser
    from mwgbot.slack.server import HEALTH_PATH

    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    copies = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert copies == [["pyproject.toml", "README.md"], ["mwgbot/"], ["migrations/"]]
    assert "cp pyproject.toml README.md" in ci
    assert "-cf - mwgbot migrations" in ci
    install = "pip install --no-cache-dir '.[postgres]'"
    assert f"RUN {install}" in dockerfile
    assert install in ci
    assert 'CMD ["mwgbot", "run"]' in dockerfile
    assert "USER mwgbot" in dockerfile
    port = build_parser().parse_args(["serve"]).port
    assert f"EXPOSE {port}" in dockerfile
    assert f"http://127.0.0.1:{port}{HEALTH_PATH}" in dockerfile
    assert "DATABASE_URL=sqlite:////data/" in dockerfile
    assert "VOLUME /data" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for secret_or_state in (".env", "*.db", ".git", ".venv"):
        assert secret_or_state in ignored


def test_ci_runs_the_suite_on_both_databases_and_fails_on_no_tests() -> None:
    ci = ROOT / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    script = ci.read_text(encoding="utf-8")
    assert "set -euo pipefail" in script
    # The README's install and test command, exactly.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for words in (
        "python3 -m venv .venv",
        ".venv/bin/pip install",
        "-e '.[dev]'",
        ".venv/bin/pytest",
    ):
        assert words in readme
        assert words in script
    for step in ("ruff check .", "ruff format --check .", "mypy --strict mwgbot"):
        assert step in script
    assert 'MWGBOT_TEST_DATABASE_URL="$PG_URL" run_tests' in script
    assert '"$code" -eq 5' in script


def test_a_missing_default_database_is_named_as_the_default(tmp_path: Path) -> None:
    """With DATABASE_URL unset the answer does not claim it points somewhere (a new member's
    finding); with it set, it names where it points."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    unset = mwgbot("export", "decisions", cwd=tmp_path, env=env)
    assert_one_line_error(unset, "DATABASE_URL is not set, so the default is mwgbot.db")
    given = mwgbot(
        "export", "decisions", cwd=tmp_path, env={**env, "DATABASE_URL": "sqlite:///nope.db"}
    )
    assert_one_line_error(given, "DATABASE_URL points at nope.db, which does not exist")
