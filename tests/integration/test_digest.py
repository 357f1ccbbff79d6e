"""The channel digest on MWG_DIGEST_CRON: exactly once per scheduled time (two sweeps, two
runtimes, restarts), never for a time before the bot first ran, never a backlog; and the
`mwgbot digest` command: --dry-run prints it and posts nothing, --post posts it now."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from mwgbot.db.models import OutboxRow
from mwgbot.domain.clock import ManualClock
from mwgbot.fakeslack import FakeSlack
from tests.conftest import CHANNEL, START, RunningBot
from tests.integration.meeting_support import (
    Launcher,
    advance,
    digests,
    drain,
    launcher_fixture,  # noqa: F401 (the `launcher` fixture)
    mwgbot_command,
    top_level,
)

# The default crontab, `0 14 * * 1`: Mondays at 14:00 UTC. START is Tuesday 2026-12-01 12:00.
MONDAY = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def outbox_rows(bot: RunningBot, prefix: str) -> list[tuple[str, str]]:
    with bot.runtime.db.unit_of_work() as session:
        rows = session.execute(
            select(OutboxRow.dedupe_key, OutboxRow.state)
            .where(OutboxRow.dedupe_key.like(f"{prefix}%"))
            .order_by(OutboxRow.id)
        ).all()
    return [(str(key), str(state)) for key, state in rows]


def advance_to(bot: RunningBot, when: datetime) -> None:
    advance(bot, when - bot.clock.now())


def first_sweep(bot: RunningBot) -> None:
    """The sweep the scheduler runs at start, done now: the bot's first run is START."""
    bot.sweep()


def test_no_digest_for_a_scheduled_time_before_the_bot_first_ran(bot: RunningBot) -> None:
    bot.sweep()
    drain(bot)
    assert digests(bot.fake) == []
    # Monday 2026-11-30 14:00 was before the first start: marked, never posted.
    assert outbox_rows(bot, "digest:") == [("digest:2026-11-30T14:00:00+00:00", "skipped")]


def test_the_digest_is_posted_once_per_scheduled_time(bot: RunningBot) -> None:
    first_sweep(bot)
    bot.answer("propose Case-study series --close 10d")
    advance_to(bot, MONDAY - timedelta(seconds=1))
    assert digests(bot.fake) == []
    advance(bot, timedelta(seconds=1))
    assert len(digests(bot.fake)) == 1
    for _ in range(3):
        advance(bot, timedelta(minutes=10))
    assert len(digests(bot.fake)) == 1
    advance_to(bot, MONDAY + timedelta(days=7, minutes=1))
    assert len(digests(bot.fake)) == 2
    assert [key for key, _ in outbox_rows(bot, "digest:")] == [
        "digest:2026-11-30T14:00:00+00:00",
        "digest:2026-12-07T14:00:00+00:00",
        "digest:2026-12-14T14:00:00+00:00",
    ]


def test_two_runtimes_on_one_database_post_each_digest_once(launcher: Launcher) -> None:
    clock = ManualClock(START)
    first = launcher.start(clock=clock)
    second = launcher.start(clock=clock)
    first_sweep(first)
    first.answer("propose Case-study series --close 10d")
    clock.set(MONDAY + timedelta(seconds=30))
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda b: b.sweep(), [first, second] * 3))
    drain(first)
    drain(second)
    assert len(digests(first.fake)) == 1


def test_a_restart_does_not_post_the_digest_again(launcher: Launcher) -> None:
    bot = launcher.start()
    first_sweep(bot)
    advance_to(bot, MONDAY + timedelta(minutes=1))
    assert len(digests(bot.fake)) == 1
    launcher.stop(bot)
    again = launcher.start(clock=bot.clock)
    advance(again, timedelta(minutes=1))
    assert len(digests(again.fake)) == 1


class TickingClock(ManualClock):
    """A clock that moves a microsecond at each reading, as the system clock does between two
    readings: the instants of one sweep's closes and of its digest differ, as in production."""

    def now(self) -> datetime:
        return self.advance(timedelta(microseconds=1))


def test_after_a_long_downtime_only_the_latest_missed_digest_is_posted(
    launcher: Launcher,
) -> None:
    bot = launcher.start(clock=TickingClock(START))
    bot.answer("propose Case-study series --close 10d")
    bot.sweep()
    launcher.stop(bot)
    bot.clock.set(datetime(2026, 12, 22, 9, 0, tzinfo=UTC))  # missed Dec 7, 14 and 21
    again = launcher.start(clock=bot.clock)
    again.fake.wait_until(lambda: len(digests(again.fake)) == 1, timeout=10)
    again.sweep()
    drain(again)
    assert len(digests(again.fake)) == 1
    keys = [key for key, _ in outbox_rows(again, "digest:")]
    assert keys == ["digest:2026-11-30T14:00:00+00:00", "digest:2026-12-21T14:00:00+00:00"]
    # It covers the whole time since the previous one: #1 was adopted meanwhile, by the very
    # sweep that posted the digest.
    adopted = "#1 *Case-study series* · *adopted* by lazy consensus"
    assert adopted in digests(again.fake)[0]
    # The next digest starts where that one ended: the adoption is not told again.
    advance_to(again, datetime(2026, 12, 28, 14, 0, 1, tzinfo=UTC))
    assert len(digests(again.fake)) == 2
    assert adopted not in digests(again.fake)[1]


def test_the_digest_content(bot: RunningBot) -> None:
    first_sweep(bot)  # marks the bot's first start
    bot.clock.advance(timedelta(minutes=1))
    bot.answer("org Abstract", user="UALICE")
    bot.answer("propose Conference booth --close 3d --stage awareness")
    bot.answer("propose How-to videos --close 3d --stage consideration", user="UBOB")
    bot.answer("propose Brand book --close 3d")
    bot.answer("object 2 The <!here> budget is not there", user="UCAROL")
    bot.answer("withdraw 3")
    advance(bot, timedelta(days=3, minutes=1))  # #1 adopted, #2 escalated
    bot.answer("propose SEO sprint --close 10d --stage intent,evaluation", user="UCAROL")
    advance_to(bot, MONDAY + timedelta(seconds=5))
    [text] = [str(m["text"]) for m in bot.fake.messages(CHANNEL) if "Group digest" in m["text"]]

    def section(title: str) -> str:
        return text.split(title, 1)[1].split("\n\n", 1)[0]

    new = section("*New proposals (4)*")
    assert "#4 *SEO sprint* by <@UCAROL> · closes <!date^" in new
    assert "#3 *Brand book* by <@UALICE> (Abstract) · withdrawn" in new
    assert "#4 *SEO sprint* · closes <!date^" in section("*Open: join or object before they close")
    escalated = section("*Escalated, waiting for a decision (1)*")
    assert "#2 *How-to videos*: 1 objection" in escalated
    assert "<@UCAROL>: “The &lt;!here&gt; budget is not there”" in escalated
    outcomes = section("*Outcomes (2)*")
    assert "#3 *Brand book* · *withdrawn*" in outcomes
    assert "#1 *Conference booth* · *adopted* by lazy consensus" in outcomes
    assert "#1 *Conference booth* · one organization so far" in section(
        "*Adopted, seeking partners (1)*"
    )
    # Covered: awareness (#1 adopted), intent and evaluation (#4 open). #2 is escalated.
    assert section("*Adopter-journey stages no open or adopted initiative covers:*").strip() == (
        "Interest, Consideration, Action"
    )
    assert "<!here>" not in text


def test_a_quiet_period_yields_one_short_line(bot: RunningBot) -> None:
    first_sweep(bot)
    advance_to(bot, MONDAY + timedelta(seconds=5))
    [text] = digests(bot.fake)
    message = next(m for m in bot.fake.messages(CHANNEL) if "digest" in str(m.get("text")))
    assert "\n" not in message["text"]
    assert len(message["text"]) < 300
    assert text.startswith(":zzz: *Marketing Working Group digest:* nothing new since <!date^")


def test_digest_posts_go_only_to_the_channel(bot: RunningBot) -> None:
    first_sweep(bot)
    advance_to(bot, MONDAY + timedelta(seconds=5))
    posts = [c for c in bot.fake.calls_to("chat.postMessage") if "digest" in c.args["text"]]
    assert [c.args["channel"] for c in posts] == [CHANNEL]


# --- the command line --------------------------------------------------------------------------


def prepared_database(launcher: Launcher) -> RunningBot:
    """A database where #1 is open, and the bot that made it is stopped."""
    bot = launcher.start()
    bot.answer("propose Case-study <series> for adopters --close 10d")
    bot.card_ts(1)
    drain(bot)
    launcher.stop(bot)
    return bot


def count_outbox(bot: RunningBot) -> int:
    with bot.runtime.db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxRow)) or 0)


def test_dry_run_lists_an_open_proposal_and_posts_nothing(
    launcher: Launcher, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    bot = prepared_database(launcher)
    calls_before, rows_before = len(fake_slack.calls), count_outbox(bot)
    env = {
        "DATABASE_URL": launcher.database_url,
        # Slack settings present and pointing at the fake: any call would be recorded.
        "SLACK_BOT_TOKEN": "xoxb-dry-run",
        "SLACK_API_URL": fake_slack.url,
        "MWG_CHANNEL": CHANNEL,
    }
    result = mwgbot_command("digest", "--dry-run", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "*Marketing Working Group digest*" in result.stdout
    assert "#1 *Case-study &lt;series&gt; for adopters* · closes <!date^" in result.stdout
    assert len(fake_slack.calls) == calls_before
    assert count_outbox(bot) == rows_before


def test_dry_run_needs_only_the_database(launcher: Launcher, tmp_path: Path) -> None:
    prepared_database(launcher)
    result = mwgbot_command(
        "digest", "--dry-run", cwd=tmp_path, env={"DATABASE_URL": launcher.database_url}
    )
    assert result.returncode == 0, result.stderr
    assert "#1 *Case-study" in result.stdout


def test_dry_run_on_a_database_without_the_schema_says_so_in_one_line(tmp_path: Path) -> None:
    result = mwgbot_command(
        "digest",
        "--dry-run",
        cwd=tmp_path,
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'missing.db'}"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("mwgbot: DATABASE_URL")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "missing.db").exists()


def test_post_posts_the_digest_now(
    launcher: Launcher, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    bot = prepared_database(launcher)
    env = {
        "DATABASE_URL": launcher.database_url,
        "SLACK_BOT_TOKEN": "xoxb-post",
        "SLACK_API_URL": fake_slack.url,
        "MWG_CHANNEL": CHANNEL,
    }
    result = mwgbot_command("digest", "--post", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert f"posted the digest to {CHANNEL}" in result.stdout
    posted = digests(fake_slack)
    assert len(posted) == 1
    assert "#1 *Case-study" in posted[0]
    assert [key for key, _ in outbox_rows(bot, "digest-manual:")] != []
    assert len(top_level(fake_slack)) == 1


def test_post_needs_the_slack_token(launcher: Launcher, tmp_path: Path) -> None:
    prepared_database(launcher)
    result = mwgbot_command(
        "digest",
        "--post",
        cwd=tmp_path,
        env={"DATABASE_URL": launcher.database_url, "MWG_CHANNEL": CHANNEL},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("mwgbot: SLACK_BOT_TOKEN is not set")
