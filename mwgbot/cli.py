"""The `mwgbot` command: parses arguments, loads settings, runs one subcommand."""

from __future__ import annotations

import argparse
import io
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import FrameType
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from mwgbot import decision_log
from mwgbot.config import ConfigError, Settings, load_settings
from mwgbot.db import migrate
from mwgbot.db.models import OutboxRow
from mwgbot.db.session import Database
from mwgbot.domain import time_log
from mwgbot.domain.activity import Via
from mwgbot.domain.clock import SystemClock
from mwgbot.runtime import build_runtime
from mwgbot.services.delivery import Delivery
from mwgbot.services.digest import DigestService
from mwgbot.services.meetings import MeetingService
from mwgbot.services.policy import Groups, load_groups
from mwgbot.slack.app import SlackUnavailableError, verify_slack
from mwgbot.slack.notifier import SlackNotifier, make_web_client
from mwgbot.slack.renderer import BlockKitRenderer

log = logging.getLogger("mwgbot")

EXIT_CONFIG = 2
EXIT_UNAVAILABLE = 3
# users.info for an export: an unreachable Slack should not stall it for long.
EXPORT_SLACK_TIMEOUT = 5


# --- commands ------------------------------------------------------------------------------


def cmd_db_upgrade(settings: Settings, groups: Groups, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url, groups=groups)
    print(f"database is at the newest schema ({_safe_url(settings.database_url)})")
    return 0


def cmd_serve(settings: Settings, groups: Groups, args: argparse.Namespace) -> int:
    import uvicorn

    from mwgbot.slack.server import server_config

    _require_to_post(settings, "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    runtime = build_runtime(settings, http=True, groups=groups)
    http_app = runtime.http_app()
    runtime.start_background()
    log.info("serving Slack requests on http://%s:%s/slack/events", args.host, args.port)
    # uvicorn catches SIGTERM/SIGINT, drains requests, then re-raises the signal to the
    # handler that was there before it; a no-op handler lets it return so we close cleanly.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _note_signal)
    server = uvicorn.Server(server_config(http_app, host=args.host, port=args.port))
    try:
        server.run()
    finally:
        runtime.close()
    if not server.started:
        print(f"mwgbot: could not serve on {args.host}:{args.port}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    log.info("stopped")
    return 0


def _note_signal(signum: int, _frame: FrameType | None) -> None:
    log.info("received %s; stopping", signal.Signals(signum).name)


def cmd_run(settings: Settings, groups: Groups, _args: argparse.Namespace) -> int:
    from mwgbot.slack.socket_mode import SocketModeHandler

    _require_to_post(settings, "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    assert settings.slack_app_token is not None
    runtime = build_runtime(settings, http=False, groups=groups)
    handler = SocketModeHandler(runtime.app, app_token=settings.slack_app_token)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runtime.start_background()
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        log.info("connected to Slack over Socket Mode")
        stop.wait()
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        runtime.close()
    log.info("stopped")
    return 0


def _existing_database(settings: Settings) -> Database:
    """The database of DATABASE_URL, which must already have the schema; nothing is created."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        from pathlib import Path

        if not Path(url.database).exists():
            given = (
                "DATABASE_URL points at"
                if "database_url" in settings.model_fields_set
                else ("DATABASE_URL is not set, so the default is")
            )
            raise ConfigError(
                f"{given} {url.database}, which does not exist: "
                "set DATABASE_URL to the bot's database"
            )
    db = Database(settings.database_url)
    if not inspect(db.engine).has_table("outbox"):
        db.dispose()
        raise ConfigError(
            f"DATABASE_URL ({_safe_url(settings.database_url)}) has no mwgbot schema yet: "
            "run `mwgbot db upgrade` first"
        )
    return db


def _groups(settings: Settings) -> Groups:
    """The groups, read once at start; a command that posts nothing does not need MWG_CHANNEL
    (without a groups file), so it gets a stand-in channel that nothing is posted to."""
    if settings.mwg_groups_file is None and settings.mwg_channel is None:
        settings = settings.model_copy(update={"mwg_channel": "C0UNSET"})
    return load_groups(settings)


def _require_to_post(settings: Settings, *names: str) -> None:
    """What a command that posts needs: its tokens, and MWG_CHANNEL unless a groups file
    names each group's channel."""
    settings.require(*names)
    if settings.mwg_groups_file is None:
        settings.require("MWG_CHANNEL")


def cmd_digest(settings: Settings, groups: Groups, args: argparse.Namespace) -> int:
    """Print the digest as it would be posted (--dry-run), or post it now (--post)."""
    from mwgbot.slack import meeting_blocks

    if args.post:
        _require_to_post(settings, "SLACK_BOT_TOKEN")
    db = _existing_database(settings)
    try:
        policy = groups.first
        renderer = BlockKitRenderer()
        clock = SystemClock()
        if not args.post:
            with db.unit_of_work() as session:
                digest = DigestService(session, policy, renderer, clock.now()).build()
                session.rollback()  # a dry run leaves no trace
            print(meeting_blocks.digest_text(digest))
            return 0
        client = make_web_client(settings.slack_bot_token, settings.slack_api_url)
        verify_slack(client)
        delivery = Delivery(db, SlackNotifier(client), renderer, policy, clock)
        with db.unit_of_work() as session:
            key = DigestService(session, policy, renderer, clock.now()).enqueue_now()
        delivery.run_once()
        with db.unit_of_work() as session:
            row = session.scalars(select(OutboxRow).where(OutboxRow.dedupe_key == key)).one()
            state, ts, error = row.state, row.message_ts, row.last_error
        if state != "sent":
            print(
                f"mwgbot: the digest is queued but Slack did not take it yet ({error}); "
                "a running bot delivers it",
                file=sys.stderr,
            )
            return EXIT_UNAVAILABLE
        print(f"posted the digest to {policy.channel_id} (ts {ts})")
        return 0
    finally:
        db.dispose()


def cmd_calendar(settings: Settings, groups: Groups, _args: argparse.Namespace) -> int:
    """Print the meeting series as iCalendar, skipped meetings as EXDATEs."""
    db = _existing_database(settings)
    try:
        with db.unit_of_work() as session:
            ics = MeetingService(
                session, groups.first, BlockKitRenderer(), SystemClock().now(), Via.CLI
            ).calendar()
    finally:
        db.dispose()
    sys.stdout.flush()
    sys.stdout.buffer.write(ics)
    sys.stdout.buffer.flush()
    return 0


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return time_log.parse_day(value)
    except time_log.BadTime:
        raise ConfigError(
            f"--since {value[:40]!r} is not a date: write it as YYYY-MM-DD, e.g. --since 2026-01-01"
        ) from None


@contextmanager
def _export_output(path: str | None) -> Iterator[TextIO]:
    """Standard output, or FILE written whole: a temporary file beside it, renamed at the end,
    so a failed export never leaves half a file."""
    if path is None:
        sys.stdout.flush()
        # UTF-8 whatever the locale, and newline="" so CSV's CRLFs go out as they are.
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            yield stream
            stream.flush()
        except BrokenPipeError:
            # The reader stopped early (`| head`): the rest goes nowhere, without a traceback.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise
        finally:
            stream.detach()
        return
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"cannot write --output {path}: it is a directory")
    try:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as error:
        raise ConfigError(f"cannot write --output {path}: {error.strerror or error}") from None
    try:
        with open(handle, "w", encoding="utf-8", newline="") as stream:
            yield stream
        # mkstemp makes the file private; give it the permissions any new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _export_meetings(settings: Settings, groups: Groups, args: argparse.Namespace) -> int:
    """Write every meeting with topics or notes, per group, as Markdown, CSV or JSON."""
    from mwgbot import meeting_log
    from mwgbot.services.agenda_queries import noted_meetings, notes_by_meeting, topics_by_meeting

    since = _since(args.since)
    since_at = datetime.combine(since, time(), UTC) if since else None
    now = SystemClock().now()
    db = _existing_database(settings)
    try:
        records: list[meeting_log.MeetingRecord] = []
        with db.unit_of_work() as session:
            for policy in groups:
                meetings = [
                    m
                    for m in noted_meetings(session, policy.key)
                    if since_at is None or m >= since_at
                ]
                topics = topics_by_meeting(session, policy.key, meetings, with_carried=True)
                notes = notes_by_meeting(session, policy.key, meetings)
                records += [
                    meeting_log.MeetingRecord(
                        policy.key, m, topics[m].items if m in topics else (), notes.get(m, ())
                    )
                    for m in meetings
                ]
        try:
            with _export_output(args.output) as out:
                if args.format == "json":
                    count = meeting_log.write_json(out, records)
                elif args.format == "csv":
                    count = meeting_log.write_csv(out, records)
                else:
                    count = meeting_log.write_markdown(
                        out, records, exported_at=now, several=len(groups) > 1
                    )
        except BrokenPipeError:
            return 1
    finally:
        db.dispose()
    if args.output:
        print(f"exported {count} meeting{'s' if count != 1 else ''} to {args.output}")
    return 0


def cmd_export(settings: Settings, groups: Groups, args: argparse.Namespace) -> int:
    """Write the decision log (every proposal with an outcome) as Markdown, CSV or JSON: one
    group's (`--group KEY`) or every group's, each row naming its group when there are
    several; or, with `meetings`, the meetings with their topics and notes."""
    from mwgbot.services.decisions import DecisionLog, NameSource

    if args.what == "meetings":
        return _export_meetings(settings, groups, args)
    from mwgbot.slack.directory import SlackDirectory

    since = _since(args.since)
    since_at = datetime.combine(since, time(), UTC) if since else None
    db = _existing_database(settings)
    try:
        # The groups configured, and those the data holds (a database written with a groups
        # file, exported without it: the console's, say).
        from mwgbot.db.models import ProposalRow

        with db.unit_of_work() as session:
            stored = set(session.scalars(select(ProposalRow.group_key).distinct()))
        known = sorted({*groups.keys, *stored})
        group = None
        if args.group is not None:
            group = args.group.lower()
            if group not in known:
                print(
                    f"mwgbot: --group: there is no group {args.group!r} "
                    f"(groups: {', '.join(known)})",
                    file=sys.stderr,
                )
                return 2
        with_group = len(known) > 1 and group is None
        names: NameSource | None = None
        note = None
        if not args.ids:
            if settings.slack_bot_token:
                # An unreachable Slack is reported once, in the note below, not per retry.
                logging.getLogger("slack_sdk.web.base_client").setLevel(logging.CRITICAL)
                client = make_web_client(
                    settings.slack_bot_token, settings.slack_api_url, timeout=EXPORT_SLACK_TIMEOUT
                )
                names = SlackDirectory(client)
            else:
                note = "SLACK_BOT_TOKEN is not set"
        now = SystemClock().now()
        log_ = DecisionLog(db, now=now, names=names, use_names=not args.ids, group=group)
        try:
            with _export_output(args.output) as out:
                if args.format == "json":
                    count = decision_log.write_json(
                        out, log_.records(since_at), with_group=with_group
                    )
                elif args.format == "csv":
                    count = decision_log.write_csv(
                        out, log_.records(since_at), with_group=with_group
                    )
                else:
                    count = decision_log.write_markdown(
                        out,
                        lambda: log_.records(since_at),
                        count=log_.count(since_at),
                        exported_at=now,
                        since=since,
                        names=not args.ids,
                        with_group=with_group,
                    )
        except BrokenPipeError:
            return 1  # the reader went away, as Python itself answers EPIPE
    finally:
        db.dispose()
    note = log_.names_unavailable or note
    if note:
        print(
            f"mwgbot: {note}; people are shown by cached display name or by user ID",
            file=sys.stderr,
        )
    if args.output:
        print(f"exported {count} proposal{'s' if count != 1 else ''} to {args.output}")
    return 0


def cmd_forget(settings: Settings, groups: Groups, args: argparse.Namespace) -> int:
    """Erase a member's data and pseudonymize their part in the record (a member's request)."""
    from mwgbot.services import privacy

    user = args.user_id.strip()
    if not privacy.is_user_id(user):
        raise ConfigError(
            f"{user[:40]!r} is not a Slack user ID: it looks like U0123ABCD "
            "(in Slack: the member's profile, ⋮, Copy member ID)"
        )
    db = _existing_database(settings)
    try:
        with db.unit_of_work() as session:
            forgotten = privacy.forget(session, user, now=SystemClock().now(), via=Via.CLI)
    finally:
        db.dispose()
    if not forgotten.found:
        print(f"nothing is held about {user}: nothing to forget")
        return 0
    cards = len(forgotten.cards)
    print(
        f"forgot {user}: erased {forgotten.erased} row{'s' if forgotten.erased != 1 else ''}; "
        f"{forgotten.pseudonymized} now read as "
        f"{forgotten.pseudonym!r}"
        + (f"; the running bot updates {cards} card{'s' if cards != 1 else ''}" if cards else "")
    )
    listed = _where_listed(settings, groups, user)
    if listed:
        print(
            f"mwgbot: {user} is still listed in {' and '.join(listed)}: settings are "
            "configuration, not data; remove it there",
            file=sys.stderr,
        )
    return 0


def _where_listed(settings: Settings, groups: Groups, user: str) -> list[str]:
    """Where the configuration still names a member as a moderator or organizer."""
    if settings.mwg_groups_file is None:
        return [
            name
            for name, users in (
                ("MWG_MODERATORS", settings.mwg_moderators),
                ("MWG_ORGANIZERS", settings.mwg_organizers),
            )
            if user in users
        ]
    return [
        f'{settings.mwg_groups_file} (group "{policy.key}" {role})'
        for policy in groups
        for role, users in (("moderators", policy.moderators), ("organizers", policy.organizers))
        if user in users
    ]


def cmd_groups_check(settings: Settings, _groups: Groups, _args: argparse.Namespace) -> int:
    """Validate MWG_GROUPS_FILE (or the one group of the environment) and print each group's
    effective settings, with where each value came from."""
    from mwgbot.groups_file import describe_groups, group_configs

    # Strict, unlike the start's reading: the environment's one group needs its channel.
    print("\n".join(describe_groups(group_configs(settings), settings)))
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mwgbot",
        description="The Open edX Marketing Working Group's Slack bot.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="connect to Slack over Socket Mode")
    run.set_defaults(handler=cmd_run)
    serve = sub.add_parser("serve", help="serve Slack's HTTP requests on /slack/events")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=3000, help="port to bind (default 3000)")
    serve.set_defaults(handler=cmd_serve)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="bring the schema to the newest version")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    digest = sub.add_parser("digest", help="the channel digest: print it, or post it now")
    digest_mode = digest.add_mutually_exclusive_group(required=True)
    digest_mode.add_argument(
        "--dry-run",
        action="store_true",
        help="print the digest as it would be posted (mrkdwn); post nothing, no Slack token needed",
    )
    digest_mode.add_argument(
        "--post", action="store_true", help="post the digest to the (first) group's channel now"
    )
    digest.set_defaults(handler=cmd_digest)
    calendar = sub.add_parser("calendar", help="print the meeting series as iCalendar (.ics)")
    calendar.set_defaults(handler=cmd_calendar)
    export = sub.add_parser(
        "export",
        help="export the decision log or the meetings (Markdown for a wiki, CSV, or JSON)",
    )
    export.add_argument(
        "what",
        choices=["decisions", "meetings"],
        help="what to export: decisions, or meetings with their topics and notes",
    )
    export.add_argument(
        "--format",
        choices=decision_log.FORMATS,
        default="markdown",
        help="markdown (a wiki page), csv (RFC 4180) or json; default markdown",
    )
    export.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        help="only proposals proposed or settled (meetings held) on or after this day (UTC)",
    )
    export.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    export.add_argument(
        "--ids", action="store_true", help="show people by Slack user ID, never by name"
    )
    export.add_argument(
        "--group", metavar="KEY", help="one working group's decisions (default: every group's)"
    )
    export.set_defaults(handler=cmd_export)
    forget = sub.add_parser(
        "forget",
        help="erase a member's data; their part in decisions stays under a pseudonym",
    )
    forget.add_argument("user_id", metavar="USER_ID", help="the member's Slack user ID (U…)")
    forget.set_defaults(handler=cmd_forget)
    groups = sub.add_parser("groups", help="the working groups (MWG_GROUPS_FILE)")
    groups_sub = groups.add_subparsers(dest="groups_command", required=True, metavar="ACTION")
    check = groups_sub.add_parser(
        "check", help="validate the groups and print each group's effective settings"
    )
    check.set_defaults(handler=cmd_groups_check)
    console = sub.add_parser(
        "console", help="try the bot offline: a stand-in Slack in the terminal, nothing to set"
    )
    console.add_argument("--script", metavar="FILE", help="replay a file of console lines")
    return parser


def configure_logging(level: str) -> None:
    """One line per event on stderr. Library chatter stays out unless LOG_LEVEL=DEBUG:
    APScheduler logs every run of the one-second delivery job, and Bolt logs the body of
    every refused request, which would copy members' text into the logs."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if level != "DEBUG":
        for noisy in ("apscheduler", "slack_bolt", "slack_sdk"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        # websocket-client logs each dropped connection as an ERROR ("… - goodbye"); the
        # Socket Mode transport reconnects and says so itself (mwgbot.slack.socket_mode).
        logging.getLogger("websocket").setLevel(logging.CRITICAL)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "console":  # its own settings: reads no SLACK_* and no .env
        from mwgbot.console import run as run_console

        return run_console(args.script)
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        groups = _groups(settings)  # a bad groups file stops every command here
        return int(args.handler(settings, groups, args))
    except ConfigError as error:
        print(f"mwgbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except SlackUnavailableError as error:
        print(f"mwgbot: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except OperationalError as error:
        first_line = str(error.orig or error).strip().splitlines()[0]
        where = _safe_url(settings.database_url)
        print(
            f"mwgbot: cannot use the database {where} (DATABASE_URL): {first_line}", file=sys.stderr
        )
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
