"""`mwgbot console`: try the real bot offline, with an in-process Slack in the terminal.

The app is the one `mwgbot run` builds (`mwgbot.runtime.build_runtime`): same listeners, services,
database and sweep. Only Slack is stood in for, by `mwgbot.fakeslack.FakeSlack` on loopback,
and time, by a `ManualClock` that moves with `clock +<duration>`.
"""

from __future__ import annotations

from mwgbot.console.main import run

__all__ = ["run"]
