"""`mwgbot console`: the real bot against an in-process Slack, driven by piped scripts.

Most tests run the console as a subprocess, the way a newcomer runs it; the renderer, the
names and the clock's stops are also tested directly.
"""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mwgbot.console.people import BadName, Directory
from mwgbot.console.render import Names, blocks_to_lines, mrkdwn_to_text, view_to_lines
from mwgbot.console.session import START, Console
from mwgbot.console.stepping import MAX_STEP, digest_times, meeting_times, next_stop
from mwgbot.services.policy import Policy
from mwgbot.slack import ids

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "examples" / "tour.mwg"
MONTH = ROOT / "examples" / "month.mwg"
BANNER_LINES = 4


def console(
    script: str,
    *,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Pipe `script` into `mwgbot console` (a fresh process) and collect what it prints."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "mwgbot.cli", "console", *args],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
        check=False,
    )


def clean(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def output_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """What the script's lines printed, without the banner."""
    return clean(result).splitlines()[BANNER_LINES:]


# --- the "done when" ----------------------------------------------------------------


def test_two_proposals_join_object_close_show() -> None:
    result = console(
        "/mwg propose Case-study webinar series --close 72h\n"
        "as bob\n"
        "/mwg propose Conference booth --close 72h\n"
        "react raised_hand #1\n"
        "as carol\n"
        "/mwg object 2 the budget is not agreed yet\n"
        "clock +4d\n"
        "/mwg show 1\n"
        "/mwg show 2\n"
    )
    out = clean(result)
    assert "#1 Case-study webinar series" in out
    assert "#2 Conference booth" in out
    assert "Joined (1): @bob" in out
    adopted = out.index("#1 Case-study webinar series is adopted by lazy consensus")
    escalated = out.index("#2 Conference booth is escalated to @dana")
    assert adopted < escalated
    assert "• @carol: “the budget is not agreed yet”" in out[escalated:]
    # `/mwg show` answers, after the clock moved: each names its number and its state.
    lines = out[out.rindex("clock: ") :].splitlines()
    first = lines.index("  (only you see this) #1 Case-study webinar series")
    assert "Adopted by lazy consensus" in lines[first + 1]
    second = lines.index("  (only you see this) #2 Conference booth")
    assert "Escalated: objections stood at close, so it waits for a decision" in lines[second + 1]
    assert first < second
    assert "alice> " not in out  # piped: no prompts


def test_an_empty_environment_answers_help(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    result = console("/mwg help\n", env=env, cwd=tmp_path)
    out = clean(result)
    assert "(only you see this) /mwg runs the Marketing Working Group" in out
    assert "/mwg list" in out
    assert result.stderr == ""


def test_slack_settings_in_the_environment_and_dotenv_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=not-a-token\nMWG_CHANNEL=#marketing\nSLACK_API_URL=ftp://nowhere\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "also-not-a-token",
        "SLACK_API_URL": "https://slack.invalid/api/",
        "SLACK_SIGNING_SECRET": "would-reject-unsigned-requests",
        "MWG_CONSENSUS_WINDOW": "not a duration",
        "HTTPS_PROXY": "http://127.0.0.1:9",  # a dead proxy: loopback calls must not use it
    }
    out = clean(console("/mwg propose Still works\n", env=env, cwd=tmp_path))
    assert "[#marketing] mwgbot: #1 Still works" in out


def test_startup_is_quiet_and_the_banner_names_the_cast() -> None:
    result = console("")
    banner = clean(result).splitlines()
    assert len(banner) == BANNER_LINES
    assert "Mon 2026-12-07 09:00 UTC" in banner[1]
    assert "dana is the moderator (AXIM)" in banner[2]
    assert "eden the organizer" in banner[2]
    assert "Its data is in a temporary database, gone when the console ends" in banner[0]
    assert result.stderr == ""


def test_bad_lines_get_one_line_of_help_each() -> None:
    bad = [
        "frobnicate",
        "react",
        "react raised_hand",
        "react raised_hand #7",
        "react !!! #1",
        "unreact raised_hand one",
        "click",
        "click join #x",
        "click dance #1",
        "clock +",
        "clock +3 days",
        "clock -1d",
        "clock +9w",
        "as",
        "as !!",
        "/other thing",
    ]
    script = "/mwg propose Something\n" + "\n".join(bad) + "\n/mwg show 1\n"
    lines = output_lines(console(script))
    card = 1 + lines.index(  # after the card and the answer to /mwg propose
        next(line for line in lines if line.startswith("  (only you see this) Proposed #1"))
    )
    answers = lines[card : card + len(bad)]
    assert len(answers) == len(bad)
    for line, typed in zip(answers, bad, strict=True):
        assert line.startswith("? "), (typed, line)
    assert "not understood: 'frobnicate'" in answers[0]
    assert "react|unreact" in answers[0]  # the one line is itself help
    assert "there is no proposal #7" in answers[3]
    assert "no 'dance' button" in answers[8]
    assert "[Join / leave] [Object]" in answers[8]
    assert lines[card + len(bad)].startswith("  (only you see this) #1 Something")


def test_comments_blank_lines_and_quit() -> None:
    lines = output_lines(console("# a comment\n\n   \n/mwg org Lakeside\nquit\n/mwg org Other\n"))
    assert lines == ["  (only you see this) Your organization is now Lakeside."]


def test_the_tour_runs_cleanly() -> None:
    result = console("", args=("--script", str(TOUR)))
    out = clean(result)
    assert result.stderr == ""
    assert "alice> /mwg propose Case-study webinar series" in out  # a script is echoed
    for expected in (
        "[#marketing] mwgbot: #1 Case-study webinar series",
        "[#marketing] @bob reacted :raised_hand: on #1",
        "• @carol (Blue Owl Labs): “the budget is not agreed yet”",
        "digest",
        "starts in 1 day",
        "starts in 15 minutes",
        "is adopted by lazy consensus",
        "is escalated to @dana",
        "is declined by moderator @dana",
        # issue 9: a newcomer's welcome, time given, the team's month, a Home tab
        "[#marketing] @frank joined the channel",
        "[DM to @frank] mwgbot: :wave: Welcome to #marketing, @frank!",
        "Logged 2h30m on #1 Case-study webinar series for 2026-12-07",
        "Your time in December 2026: 1h in 1 entry",
        "The team's time in December 2026: 3h30m from 2 members who logged time.",
        "[App Home of @bob] :house: Your working groups",
        "[#wg-educators] mwgbot: #1 Course design clinic",
        "closes Thu 2026-12-10 09:00 UTC · 1 joined, 0 objecting · you joined  [Leave]",
        ":wave: Joined the channel (1): welcome, @frank!",
        ":seedling: Their first proposal: welcome!",
        "Update on #1 from @bob: Two case studies drafted",
        "#1 Case-study webinar series has been quiet for 3 weeks",
        "@alice @bob: how is it going?",
        "#1 Case-study webinar series is delivered by @alice: openedx.org/blog/case-study-webinars",
        ":tada: Delivered by @alice",
        # issue 18: a topic on the agenda, the ask for the notes, the notes attached
        "Which sponsors to approach in 2027 · added by @carol",
        "Please share its notes and recording",
        "docs.example.org/mwg/2026-12-09 · added by @dana: Sponsors for 2027 agreed",
    ):
        assert expected in out, expected
    # In the order they fall due: the reminders before the closes, the closes in order; then
    # the initiative's update, its nudge and its delivery.
    order = [
        out.index("starts in 1 day"),
        out.index("starts in 15 minutes"),
        out.index("#1 Case-study webinar series is adopted"),
        out.index("is escalated to @dana"),
        out.index("is declined by moderator @dana"),
        out.index("Update on #1 from @bob"),
        out.index("has been quiet for 3 weeks"),
        out.index("is delivered by @alice"),
    ]
    assert order == sorted(order)
    # Weekly, from the first Monday after the start: 7, 14, 21 and 28 December, 4 January.
    assert out.count("Marketing Working Group digest") == 5


def test_the_month_gets_the_right_answers() -> None:
    """examples/month.mwg: what members really type in a month, and the answers issue 16 asked
    for (each was once a dead end or a wrong answer)."""
    out = clean(console("", args=("--script", str(MONTH))))
    expected_in_order = (
        # A typo'd option is refused with the nearest one, and no card titled with it is posted.
        "`--closes` is not an option of `/mwg propose`: did you mean `--close`?",
        # `--stage a, b` with a space is two stages, not part of the title.
        "[#marketing] mwgbot: #1 Booth at the conference\n",
        "Adopter journey: Awareness, Interest",
        # The proposer neither joins nor objects to their own proposal.
        "You proposed #2, so you do not join it: it is yours.",
        "You proposed #2, so you do not object to it: it is yours.",
        # Objecting withdraws a join.
        "It withdrew your join: a member either joins a proposal or objects to it.",
        # The closing-soon notice says what really happens when an objection stands.
        "1 objection stands, so at the close it goes to @dana to decide, unless it is withdrawn",
        "so at the close it goes to the organizers (@eden) to decide",
        # The only moderator proposed #3: the organizers decide it, and are told by DM.
        "#2 Newsletter swap with partners is escalated to @dana",
        "[DM to @dana] mwgbot: :warning: mwg#2 Newsletter swap with partners waits for your "
        "decision",
        "#3 Rename the quarterly report is escalated to the organizers (@eden)",
        "[DM to @eden] mwgbot: :warning: mwg#3 Rename the quarterly report waits for your decision",
        "You proposed #3, so you do not decide it: no other moderator can, so the organizers do.",
        "escalated 1 hour ago, waiting for @dana",
        # Consensus found after the close counts.
        "#2 Newsletter swap with partners is adopted by consensus",
        "#3 Rename the quarterly report is declined by organizer @eden",
        # Far dates are range-checked; a day holds 24 hours.
        "9999-12-31 is more than two years ahead",
        "There is no meeting on 2027-12-29 (Wednesday).",
        "You have already logged 24h for 2026-12-09 (entry 1): a day holds 24 hours.",
        # The answer's own text is escaped: `<` and `>` survive.
        "(spaces, <, >, |, quotes)",
        "#2 Newsletter swap with partners is delivered by @bob",
        # Progress is news in the digest.
        ":memo: Updates since the last digest (1)",
        "#2 Newsletter swap with partners · @bob: Three partners agreed; first swap in January",
    )
    position = 0
    for expected in expected_in_order:
        found = out.find(expected, position)
        assert found >= 0, f"{expected!r} missing after position {position}"
        position = found
    assert "#1 Booth at the conference -" not in out
    assert "Something went wrong" not in out
    # The first-proposal line shows on open cards only.
    final_card_2 = out.rsplit("(updated card #2)", 1)[1].split("\n\n", 1)[0]
    assert ":tada: Delivered by @bob" in final_card_2
    assert "first proposal" not in final_card_2.split("bob> ")[0]


def test_a_missing_script_is_one_line() -> None:
    result = console("", args=("--script", "no/such/file.mwg"))
    assert result.returncode == 2
    assert result.stderr.startswith("mwgbot: cannot read the script no/such/file.mwg")
    assert "Traceback" not in result.stderr


def test_reactions_and_buttons_by_name() -> None:
    out = clean(
        console(
            "/mwg propose Webinars --close 72h\n"
            "as bob\n"
            "react :raised_hand: #1\n"
            "react raised_hand #1\n"
            "unreact raised_hand #1\n"
            "as carol\n"
            "react no_entry_sign #1\n"
            "click join #1\n"
            "unreact no_entry_sign #1\n"
            "click join #1\n"
            "click object #1\n"
            "click object #1 because it overlaps the meetup\n"
        )
    )
    assert "[#marketing] @bob reacted :raised_hand: on #1" in out
    assert "Joined (1): @bob" in out
    assert "? you already reacted :raised_hand: on #1" in out
    assert "[#marketing] @bob took back their :raised_hand: on #1" in out
    # carol's objecting reaction asks her (only her) for a reason.
    assert "(only you see this) You object to #1. Please say why" in out
    assert "• @carol: no reason given yet" in out
    # One stance per member: an objector does not join; withdrawn, she may.
    assert "(only you see this) You object to #1, so you cannot join it as well." in out
    assert "(only you see this) You joined #1 Webinars." in out
    assert "Joined (1): @carol" in out
    assert "(a form opens) Object to #1" in out
    assert "`click object #1 because <reason>` sends it" in out
    assert "• @carol: “it overlaps the meetup”" in out
    # Her objection withdrew her join, and she is told so.
    assert "Your objection to #1 is recorded. It withdrew your join" in out
    assert out[out.rindex("Joined (") :].startswith("Joined (0): no one")


def test_enter_welcomes_once_and_home_shows_the_home_tab() -> None:
    lines = output_lines(
        console(
            "as frank\n"
            "enter\n"
            "enter\n"
            "enter now\n"
            "/mwg propose Video series --close 72h\n"
            "/mwg log 1h30m #1 storyboard\n"
            "home\n"
            "home please\n"
        )
    )
    out = "\n".join(lines)
    assert out.count("[#marketing] @frank joined the channel") == 2
    assert out.count("[DM to @frank] mwgbot: :wave: Welcome to #marketing, @frank!") == 1
    assert "The organizers are @eden" in out
    assert "? usage: enter" in out
    home = lines.index("[App Home of @frank] :house: Your Marketing Working Group")
    shown = "\n".join(lines[home:])
    assert "[Propose an initiative] [Log time]" in shown
    assert "#1 Video series" in shown
    assert "Your proposals and initiatives (1)" in shown
    assert "Your time in December 2026: 1h30m" in shown
    assert "? usage: home" in out


def test_kick_holds_the_bots_posts_and_invite_posts_them_in_order() -> None:
    result = console(
        "/mwg propose Press kit --close 72h\n"
        "kick\n"
        "/mwg propose Webinar series --close 4d\n"
        "/mwg withdraw 1\n"
        "as bob\n"
        "/mwg propose Case study --close 4d\n"
        "clock +1h\n"
        "invite\n"
        "invite\n"
        "kick please\n"
    )
    lines = output_lines(result)
    out = "\n".join(lines)
    assert "[#marketing] @alice removed @mwgbot from the channel" in out
    webinar = next(line for line in lines if "Proposed #2 Webinar series" in line)
    assert "I am not in #marketing: type `/invite @mwgbot` there" in webinar
    assert "will appear there shortly" not in out
    # alice read it in her answer; her withdrawal waits with the rest, and no DM repeats it.
    assert "[DM to @alice]" not in out
    invited = lines.index("[#marketing] @bob invited @mwgbot; it joined the channel")
    after = lines[invited:]
    posted = [
        line for line in after if line.startswith(("[#marketing] mwgbot: #", "  ↳ in thread of #1"))
    ]
    # In the order they were queued: #2's card, #1's withdrawal (in #1's thread), #3's card.
    assert [line.split(":", 1)[1].strip()[:5] for line in posted] == ["#2 We", ":left", "#3 Ca"]
    assert out.count("[#marketing] mwgbot: #2 Webinar series") == 1  # the second invite: nothing
    assert "? usage: kick" in out
    assert "not_in_channel" in result.stderr  # the operator's one line, on standard error
    assert result.stderr.count("cannot post") == 1


def test_user_text_cannot_mention_anyone() -> None:
    out = clean(
        console(
            "/mwg org <!here> & Co\n"
            "/mwg propose <!channel> party & <@UBOB0000> <https://x.test|click>\n"
        )
    )
    assert "[#marketing] mwgbot: #1 <!channel> party & <@UBOB0000> <https://x.test|click>" in out
    assert "Your organization is now <!here> & Co." in out
    assert "@channel" not in out
    assert "@here" not in out
    assert "&amp;" not in out
    assert "&lt;" not in out


def test_clock_alone_shows_the_time_and_moves_show_when_things_fired() -> None:
    lines = output_lines(console("clock\nclock +5h\nclock\n"))
    assert lines[0] == "clock: Mon 2026-12-07 09:00 UTC"
    assert "── Mon 2026-12-07 14:00 UTC ──" in lines  # the Monday digest
    assert lines[-2] == "clock: Mon 2026-12-07 14:00 UTC"
    assert lines[-1] == "clock: Mon 2026-12-07 14:00 UTC"


def test_the_consoles_decisions_export_as_the_readme_says(tmp_path: Path) -> None:
    """README: `export DATABASE_URL=sqlite:///console.db`, a console session, then
    `mwgbot export decisions` in the same directory reads what the session decided."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MWG_"))}
    env["DATABASE_URL"] = "sqlite:///console.db"
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///elsewhere.db\n", encoding="utf-8")
    script = "/mwg propose Case-study webinars --close 3d\nclock +3d1m\n"
    out = clean(console(script, env=env, cwd=tmp_path))
    assert "Its data is kept in sqlite:///console.db." in out.splitlines()[0]
    assert "#1 Case-study webinars is adopted by lazy consensus" in out
    exported = subprocess.run(
        [sys.executable, "-m", "mwgbot.cli", "export", "decisions", "--format", "csv"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    [header, row] = exported.stdout.strip().splitlines()
    assert header.startswith("number,title,outcome")
    assert row.startswith("1,Case-study webinars,adopted,")
    assert not (tmp_path / "elsewhere.db").exists()  # the environment wins over .env


def test_database_url_is_honoured_and_a_second_session_is_refused(database_url: str) -> None:
    """The session's data is kept where DATABASE_URL says. A second session on it would post
    new cards over the first one's (the stand-in Slack starts empty): one line refuses it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = database_url
    clean(console("/mwg propose Kept in the database\n", env=env))
    again = console("/mwg propose Posted over the first\n", env=env)
    assert again.returncode == 2
    [line] = again.stderr.splitlines()
    assert "already holds an earlier console session (1 change recorded)" in line
    assert "use a fresh file" in line
    assert again.stdout == ""  # refused before the banner, before anything starts
    assert "Traceback" not in again.stdout + again.stderr
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            titles = connection.execute(text("SELECT title FROM proposals")).scalars().all()
    finally:
        engine.dispose()
    assert titles == ["Kept in the database"]  # the first session's, untouched


def test_a_terminal_gets_a_prompt_and_history(tmp_path: Path) -> None:
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "TERM": "dumb"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mwgbot.cli", "console"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=tmp_path,
    )
    os.close(slave)

    def read_until(marker: str, timeout: float = 30.0) -> str:
        seen = ""
        deadline = time.monotonic() + timeout
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(master, 65536).decode(errors="replace")
                except OSError:
                    break
        return seen

    try:
        assert "alice> " in read_until("alice> ")
        os.write(master, b"/mwg org Lakeside\r")
        assert "Your organization is now Lakeside." in read_until("alice> ")
        os.write(master, b"quit\r")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    history = (tmp_path / ".mwgbot_console_history").read_text()
    assert "/mwg org Lakeside" in history


# --- in process: the clock's stops ----------------------------------------------------------


def test_a_long_move_sends_both_reminders_in_order(
    console_session: tuple[Console, io.StringIO],
) -> None:
    running, out = console_session
    running.handle("clock +3d")
    text = out.getvalue()
    day, quarter = text.index("starts in 1 day"), text.index("starts in 15 minutes")
    assert day < quarter
    assert "── Tue 2026-12-08 15:00 UTC ──" in text
    assert "── Wed 2026-12-09 14:45 UTC ──" in text
    assert running.clock.now() == START + timedelta(days=3)


def test_the_bot_runs_no_background_threads(console_session: tuple[Console, io.StringIO]) -> None:
    running, _ = console_session
    assert running.runtime.bot.delivery.card_update_interval == timedelta(0)
    running.handle("/mwg propose Quiet")
    running.handle("/mwg join 1")
    names = [thread.name for thread in threading.enumerate()]
    assert not any(name.startswith(("delivery", "sweep", "APScheduler")) for name in names)


def test_next_stop_is_the_earliest_due_instant_at_most_an_hour_on() -> None:
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    target = now + timedelta(days=1)
    soon = now + timedelta(minutes=20)
    assert next_stop(now, target, [soon, now + timedelta(minutes=40)]) == soon
    assert next_stop(now, target, [now, now - timedelta(hours=1)]) == now + MAX_STEP
    assert next_stop(now, now + timedelta(minutes=5), []) == now + timedelta(minutes=5)


def test_meeting_and_digest_stops() -> None:
    policy = Policy(channel_id="C1")
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    meetings = sorted(meeting_times(policy, start, start + timedelta(days=3)))
    assert meetings == [
        datetime(2026, 12, 8, 15, 0, tzinfo=UTC),  # 24 h before
        datetime(2026, 12, 9, 14, 45, tzinfo=UTC),  # 15 min before
        datetime(2026, 12, 9, 15, 0, tzinfo=UTC),  # the meeting
    ]
    digests = list(digest_times(policy, start, start + timedelta(days=8)))
    assert digests == [  # 0 14 * * 1: Mondays, 14:00 UTC
        datetime(2026, 12, 7, 14, 0, tzinfo=UTC),
        datetime(2026, 12, 14, 14, 0, tzinfo=UTC),
    ]


# --- names ----------------------------------------------------------------------------------


def test_names_map_to_stable_user_ids() -> None:
    people = Directory()
    assert people.id_of("alice") == "UALICE00"
    assert people.id_of("Alice") == "UALICE00"
    assert people.id_of("@alice") == "UALICE00"
    assert people.id_of("bartholomew") == "UBARTHOL"
    assert people.id_of("bartholomeo") == "UBARTHO2"  # same prefix, another member
    assert people.name_of("UBARTHO2") == "bartholomeo"
    assert re.fullmatch(r"U[A-Z0-9]{7}", people.id_of("o.brien-2"))
    with pytest.raises(BadName):
        people.id_of("!!")


# --- the renderer ---------------------------------------------------------------------------

NAMES = Names({"UALICE00": "alice"}, {"CMARKETING": "marketing"})


def test_mrkdwn_tokens_read_as_slack_shows_them() -> None:
    assert mrkdwn_to_text("hi <@UALICE00> and <@UNKNOWN1>", NAMES) == "hi @alice and @UNKNOWN1"
    assert mrkdwn_to_text("in <#CMARKETING> or <#COTHER|other>", NAMES) == "in #marketing or #other"
    assert mrkdwn_to_text("<!channel> <!here> <!everyone>", NAMES) == "@channel @here @everyone"
    date = "<!date^1796806800^{date_short_pretty} at {time}|Thu 2026-12-10 09:00 UTC>"
    assert mrkdwn_to_text(f"closes {date}.", NAMES) == "closes Thu 2026-12-10 09:00 UTC."
    assert mrkdwn_to_text("<https://x.test/a?b=1&amp;c=2|the link>", NAMES) == "the link"
    assert mrkdwn_to_text("<https://x.test>", NAMES) == "https://x.test"
    assert mrkdwn_to_text("<https://x.test|in <#CMARKETING>>", NAMES) == "in #marketing"


def test_escaped_text_is_unescaped_after_the_tokens() -> None:
    assert mrkdwn_to_text("&lt;!channel&gt; &amp; &lt;@UALICE00&gt;", NAMES) == (
        "<!channel> & <@UALICE00>"
    )
    assert mrkdwn_to_text("&amp;lt;", NAMES) == "&lt;"


def test_bold_and_italic_markers_are_dropped_but_emoji_names_kept() -> None:
    text = "*Joined (1):* @x · _no reason given yet_ :no_entry_sign: :raised_hand: 2*3*4 a_b_c"
    assert mrkdwn_to_text(text) == (
        "Joined (1): @x · no reason given yet :no_entry_sign: :raised_hand: 2*3*4 a_b_c"
    )
    assert mrkdwn_to_text("`/mwg join 1` ~gone~") == "`/mwg join 1` gone"


def test_blocks_become_lines() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Digest &amp; more"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*#1 Title*\nby <@UALICE00>"}},
        {"type": "divider"},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": "*A*"}, {"type": "plain_text", "text": "B"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "React :raised_hand:"}]},
        {
            "type": "actions",
            "block_id": "card-1",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Join / leave"}},
                {"type": "button", "text": {"type": "plain_text", "text": "Object"}},
            ],
        },
    ]
    assert blocks_to_lines(blocks, "fallback", NAMES) == [
        "Digest & more",
        "#1 Title",
        "by @alice",
        "─" * 20,
        "A",
        "B",
        "React :raised_hand:",
        "[Join / leave] [Object]",
    ]


def test_without_blocks_the_fallback_text_shows() -> None:
    assert blocks_to_lines([], "*hi* <@UALICE00>\nthere", NAMES) == ["hi @alice", "there"]
    assert blocks_to_lines(None, "", NAMES) == []


def test_a_form_shows_its_title_inputs_and_submit_button() -> None:
    view = {
        "type": "modal",
        "callback_id": ids.VIEW_OBJECT,
        "title": {"type": "plain_text", "text": "Object to #2"},
        "submit": {"type": "plain_text", "text": "Object"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*#2 Booth*"}},
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why do you object?"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
        ],
    }
    assert view_to_lines(view, NAMES) == [
        "Object to #2",
        "#2 Booth",
        "Why do you object?: [____________]",
        "[Object]",
    ]


def test_home_decisions_and_the_forget_form_can_be_pressed() -> None:
    """A new member's findings: Adopt/Decline in the Home tab and the forget-me form were dead
    ends in the console."""
    out = clean(
        console(
            "/mwg propose Webinars --close 72h\n"
            "as carol\n"
            "/mwg object 1 not yet\n"
            "clock +3d1h\n"
            "as dana\n"
            "click adopt #1 because fine\n"
            "home\n"
            "click adopt #1 because Agreed at the meeting\n"
            "as bob\n"
            "/mwg org Northwind\n"
            "/mwg forget-me\n"
            "submit\n"
            "/mwg mydata\n"
        )
    )
    assert "? open your Home tab first (`home`): Adopt is there" in out
    assert ":warning: Waiting for your decision (1)" in out
    assert "#1 Webinars is adopted by moderator @dana: Agreed at the meeting" in out
    assert "(in the console, `submit` confirms this form; anything else leaves it)" in out
    assert "(the console cannot fill in this form" not in out
    assert '"member": null' in out  # bob's organization is gone: the form erased it
    assert "Northwind" not in out.rsplit("What mwgbot holds about you", 1)[1]


def test_page_prints_the_groups_canvas(console_session: tuple[Console, io.StringIO]) -> None:
    running, out = console_session
    running.handle("/mwg propose Case-study *webinar* series --close 72h")
    running.handle("as bob")
    running.handle("react raised_hand #1")
    running.handle("page")
    text = out.getvalue()
    page = text[text.rindex("[canvas of #") :].splitlines()
    assert page[0] == "[canvas of #marketing]"
    assert "    # Marketing Working Group" in page
    assert "    ## Open proposals (1)" in page
    line = next(line for line in page if "**#1**" in line)
    assert r"Case-study \*webinar\* series" in line
    assert "1 joined, 0 objecting" in line
    running.handle("page now")
    assert "? usage: page" in out.getvalue()


def test_a_session_with_only_a_skip_is_refused_too(database_url: str) -> None:
    """Not only proposals: a skip, a topic, an hour logged would all go on from the old
    session's state (a new member's finding)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = database_url
    clean(console("as eden\n/mwg meeting skip 2026-12-23\n", env=env))
    again = console("/mwg agenda\n", env=env)
    assert again.returncode == 2
    assert "already holds an earlier console session (1 change recorded)" in again.stderr


def test_two_groups_each_in_its_own_channel_with_its_own_numbers_and_rules() -> None:
    out = clean(
        console(
            "/mwg propose Case-study webinars --close 72h\n"
            "in #wg-educators\n"
            "/mwg propose Course design clinic --close 72h\n"
            "/mwg propose Course design clinic --close 14d\n"
            "/mwg list\n"
            "as bob\n"
            "react raised_hand #1\n"
            "in #marketing\n"
            "/mwg list\n"
            "in #nowhere\n"
        )
    )
    assert "Two working groups: #marketing (Marketing, `mwg`) and #wg-educators" in out
    assert "[#marketing] mwgbot: #1 Case-study webinars" in out
    # The educators' minimum is 14 days: refused there, though 72h is fine in #marketing.
    assert "A consensus window must be at least 14 days" in out
    assert "[#wg-educators] mwgbot: #1 Course design clinic" in out  # numbers are per group
    assert "[#wg-educators] @bob reacted :raised_hand: on #1" in out
    assert "Joined (1): @bob" in out.split("[#wg-educators] @bob reacted", 1)[1]
    # Each channel lists its own group.
    educators_list, marketing_list = out.split("Open proposals")[1:3]
    assert "Course design clinic" in educators_list
    assert "Case-study" not in educators_list
    assert "Case-study webinars" in marketing_list
    assert "Course design" not in marketing_list
    assert "? there is no #nowhere here; usage: in #marketing  or  in #wg-educators" in out
