"""`mwgbot console [--script FILE]`: reading lines from a terminal, a pipe or a script."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import TextIO

from sqlalchemy.exc import OperationalError

from mwgbot.config import ConfigError, checked_database_url
from mwgbot.console.session import COMMANDS, Console, refuse_an_earlier_session
from mwgbot.slack.app import SlackUnavailableError
from mwgbot.slack.commands import HELP_LINES

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130
HISTORY_FILE = ".mwgbot_console_history"
HISTORY_LENGTH = 1000
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The console talks to 127.0.0.1 only; slack_sdk would send even that through a proxy.
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


class _OneLine(logging.Formatter):
    """A log record as one line; the exception's type and message instead of its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().strip().split("\n", 1)[0]
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            detail = str(error).strip().split("\n", 1)[0]
            message += f" ({type(error).__name__}: {detail})"
        return f"mwgbot console [{record.levelname.lower()}] {record.name}: {message}"


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if level == "DEBUG":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(_OneLine())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def run(
    script: str | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    """The `console` subcommand; its exit status."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    level = (os.environ.get("LOG_LEVEL") or "WARNING").strip().upper()
    if level not in LOG_LEVELS:
        print(
            f"mwgbot: LOG_LEVEL is malformed: expected one of {', '.join(LOG_LEVELS)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    _setup_logging(level)
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)

    lines: list[str] | None = None
    if script is not None:
        try:
            lines = Path(script).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            print(f"mwgbot: cannot read the script {script}: {error}", file=sys.stderr)
            return EXIT_USAGE

    database_url = (os.environ.get("DATABASE_URL") or "").strip()
    try:
        database_url = checked_database_url(database_url) if database_url else ""
    except ConfigError as error:
        print(f"mwgbot: {error}", file=sys.stderr)
        return EXIT_USAGE

    if database_url:
        try:
            refuse_an_earlier_session(database_url)
        except ConfigError as error:
            print(f"mwgbot: {error}", file=sys.stderr)
            return EXIT_USAGE
        except OperationalError as error:
            first = str(error.orig or error).strip().splitlines()[0]
            print(f"mwgbot: cannot use the database (DATABASE_URL): {first}", file=sys.stderr)
            return EXIT_UNAVAILABLE

    with tempfile.TemporaryDirectory(prefix="mwgbot-console-") as scratch:
        console = Console(
            database_url or f"sqlite:///{Path(scratch) / 'console.db'}",
            out,
            log_level=level,
            temporary=not database_url,
        )
        try:
            console.emit(console.banner())
            console.start()
            if lines is not None:
                _replay(console, lines, echo=True)
            elif stdin.isatty():
                _interactive(console)
            else:
                _replay(console, stdin, echo=False)
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except (ConfigError, SlackUnavailableError) as error:
            print(f"mwgbot: {error}", file=sys.stderr)
            return EXIT_USAGE
        except OperationalError as error:
            first = str(error.orig or error).strip().splitlines()[0]
            print(f"mwgbot: cannot use the database (DATABASE_URL): {first}", file=sys.stderr)
            return EXIT_UNAVAILABLE
        finally:
            console.close()
            out.flush()
    return 0


def _replay(console: Console, lines: Iterable[str], *, echo: bool) -> None:
    """A script (echoed, as a transcript) or piped input (no prompts)."""
    for line in lines:
        text = line.rstrip("\r\n")
        if echo and text.strip() and not text.lstrip().startswith("#"):
            console.emit([f"{console.prompt}{text.strip()}"])
        if not console.handle(text):
            return


def _interactive(console: Console) -> None:
    readline = _readline()
    history = _history_path()
    if readline is not None:
        if history is not None:
            with contextlib.suppress(OSError):
                readline.read_history_file(history)
        readline.set_history_length(HISTORY_LENGTH)
        readline.set_completer(_completer(readline))
        readline.parse_and_bind("tab: complete")
    try:
        while True:
            try:
                line = input(console.prompt)
            except KeyboardInterrupt:
                print()  # Ctrl-C drops the line being typed
                continue
            except EOFError:
                print()
                return
            if not console.handle(line):
                return
    finally:
        if readline is not None and history is not None:
            with contextlib.suppress(OSError):  # a read-only home is no reason to fail
                readline.write_history_file(history)


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # not on every platform
        return None
    return readline


def _history_path() -> Path | None:
    try:
        return Path.home() / HISTORY_FILE
    except (RuntimeError, KeyError):  # no home directory
        return None


def _completer(readline: ModuleType) -> object:
    words = [*COMMANDS, *(f"/mwg {usage.split()[0]}" for usage, _ in HELP_LINES)]

    def complete(text: str, state: int) -> str | None:
        line = readline.get_line_buffer()
        prefix = line[: readline.get_endidx()]
        options = [w for w in words if w.startswith(prefix)]
        # Complete only the word under the cursor.
        cut = len(prefix) - len(text)
        matches = [o[cut:] for o in options]
        return matches[state] if state < len(matches) else None

    return complete


def main(argv: list[str] | None = None) -> int:
    """`python -m mwgbot.console.main [--script FILE]`, the same as `mwgbot console`."""
    import argparse

    parser = argparse.ArgumentParser(prog="mwgbot console")
    parser.add_argument("--script", metavar="FILE")
    args = parser.parse_args(argv)
    return run(args.script)


if __name__ == "__main__":
    sys.exit(main())
