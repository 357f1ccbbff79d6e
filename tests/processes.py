"""`mwgbot` as operators run it: a real process, found the way the shell finds it."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests import slack_requests as sr

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def mwgbot_executable() -> list[str]:
    """The installed `mwgbot` console script (beside this interpreter, or on PATH)."""
    beside = Path(sys.executable).with_name("mwgbot")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("mwgbot")
    if found:
        return [found]
    return [sys.executable, "-m", "mwgbot.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServeProcess:
    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"serve-{self.port}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [*mwgbot_executable(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_healthy(self) -> sr.HttpAnswer:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}:\n{self.output()}")
            try:
                answer = sr.get(self.url, "/healthz", timeout=2)
            except OSError:
                time.sleep(0.1)
                continue
            if answer.status == 200:
                return answer
            time.sleep(0.1)
        raise AssertionError(
            f"serve did not answer /healthz in {START_TIMEOUT:g}s:\n{self.output()}"
        )

    def terminate(self) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=STOP_TIMEOUT)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def started(cwd: Path, env: dict[str, str]) -> ServeProcess:
    """`mwgbot serve` in its own process, once it answers /healthz."""
    server = ServeProcess(cwd, env)
    server.wait_healthy()
    return server
