"""Group commit: small units of work that arrive together are committed together.

A reaction must be committed before Slack gets its acknowledgement, and each commit costs a
BEGIN, a COMMIT (an fsync) and, on SQLite, a turn at the single write lock. Under load, one
writer thread takes every reaction waiting at that moment and applies them in one unit of
work: one commit for the lot. A lone reaction waits for nobody: the batch is whatever is
queued when the writer is free.

Each caller still gets its own result once the batch is committed, or its own exception. If
the batch fails (the database went away mid-way), nothing of it was committed; each piece of
work is then tried again alone, in its own unit of work, so one bad piece fails only itself.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from mwgbot.db.session import Database

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Session], Any]

# Enough to amortize a commit; small enough that a batch never holds the write lock long.
MAX_BATCH = 64


class GroupCommitter:
    def __init__(self, db: Database, name: str = "group-commit") -> None:
        self.db = db
        self._queue: queue.SimpleQueue[tuple[Work, Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._closed = False
        self._thread.start()

    def run(self, work: Callable[[Session], T]) -> T:
        """Apply `work` in a unit of work, possibly shared with others; its result once
        committed."""
        if self._closed:
            raise RuntimeError("the group committer is closed")
        done: Future[Any] = Future()
        self._queue.put((work, done))
        result: T = done.result()
        return result

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._apply(batch)
                    return
                batch.append(more)
            self._apply(batch)

    def _apply(self, batch: list[tuple[Work, Future[Any]]]) -> None:
        try:
            with self.db.unit_of_work() as session:
                results = [work(session) for work, _done in batch]
        except Exception:
            if len(batch) > 1:
                log.warning("a batch of %s failed; applying each alone", len(batch))
            for work, done in batch:
                self._apply_alone(work, done)
            return
        for (_work, done), result in zip(batch, results, strict=True):
            done.set_result(result)

    def _apply_alone(self, work: Work, done: Future[Any]) -> None:
        try:
            with self.db.unit_of_work() as session:
                result = work(session)
        except Exception as error:
            done.set_exception(error)
        else:
            done.set_result(result)
