"""Keeping each group's page, its channel canvas, current (MWG_CANVAS; docs/slack-canvases.md).

The database is the schedule, as for the outbox: a group's `canvas_pages` row says which
revision of the page is wanted (the ledger bumps it, once per unit of work, for every change)
and which one Slack has. The delivery calls `run_once` on each pass; a stale page is claimed
with a conditional UPDATE and a lease (so two instances never edit it at once, and a process
that dies mid-edit leaves it to the next), read fresh, sent outside any transaction as one
`replace` of the whole document (an edit sent twice changes nothing), then marked synced.

- **Created once**: the first time, the channel's existing canvas is looked up
  (`conversations.info`) and used; only a channel without one gets
  `conversations.canvases.create`. Its ID is recorded.
- **Coalesced and paced**: at most one edit of a group's canvas per `gap` (5 s) of the
  clock, whatever changed meanwhile, within a Tier 3 budget for `canvases.edit` (Tier 2 for
  creation); a 429's Retry-After pauses both.
- **Refusals an admin must fix** (the plan, a permission, a scope): one log line naming the
  group, the refusal and the fix; that group's page is off until the next start. Nothing else
  waits for it: the posts and cards of the pass went first, and no other row is held back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mwgbot.db.models import CanvasPageRow
from mwgbot.db.queries import insert_ignoring_duplicates
from mwgbot.db.session import Database
from mwgbot.domain.clock import Clock
from mwgbot.services.group_page import build_page, next_change
from mwgbot.services.pacing import RateBudget
from mwgbot.services.page_models import GroupPage
from mwgbot.services.policy import Policy
from mwgbot.services.ports import CanvasWriter, DeliveryError
from mwgbot.services.slack_status import CHANNEL_REFUSALS, TOKEN_REFUSALS

__all__ = ["OFF_REFUSALS", "PageSync", "fix_for"]

log = logging.getLogger(__name__)

GAP = timedelta(seconds=5)
LEASE = timedelta(seconds=60)
LOOK_EVERY = timedelta(seconds=1)
MAX_BACKOFF = timedelta(minutes=15)
# canvases.edit is Tier 3 (50+ a minute), conversations.canvases.create Tier 2 (20+).
EDITS_PER_MINUTE = 45
CREATES_PER_MINUTE = 18

# What only a person can fix: the workspace's plan, an admin's settings, the app's scopes.
OFF_REFUSALS = frozenset(
    {
        "free_team_canvas_tab_already_exists",
        "team_tier_cannot_create_channel_canvases",
        "free_teams_cannot_edit_standalone_canvases",
        "canvas_disabled_user_team",
        "restricted_action",
        "not_allowed",
        "not_allowed_token_type",
        "missing_scope",
        "no_permission",
        "access_denied",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)


def fix_for(code: str, channel: str) -> str:
    """What an admin can do about a refusal in `OFF_REFUSALS`, in the log's words."""
    off = "or set MWG_CANVAS=off (canvas = false for this group in MWG_GROUPS_FILE)"
    if code == "free_team_canvas_tab_already_exists":
        return (
            f"on a free plan a channel has one canvas tab and {channel} has one already: "
            f"remove that tab, {off}"
        )
    if code in {
        "team_tier_cannot_create_channel_canvases",
        "free_teams_cannot_edit_standalone_canvases",
    }:
        return f"this workspace's plan does not allow the app's channel canvas: {off}"
    if code == "canvas_disabled_user_team":
        return f"canvases are turned off for this workspace: an admin can turn them on, {off}"
    if code in {"missing_scope", "not_allowed_token_type"}:
        return (
            "the app lacks the canvases:write scope: add it (manifest.yml has it) and reinstall "
            f"the app, {off}"
        )
    return (
        f"the app may not create or edit the canvas of {channel}: a workspace admin can allow "
        f"it (the channel's and the workspace's canvas settings), {off}"
    )


@dataclass(frozen=True)
class _Claim:
    group_key: str
    channel_id: str
    canvas_id: str | None
    revision: int
    attempts: int
    markdown: str
    refresh_at: datetime | None


class PageSync:
    """Brings each page-keeping group's canvas up to date, a few calls a pass at most."""

    def __init__(
        self,
        db: Database,
        canvases: CanvasWriter,
        policies: Sequence[Policy],
        clock: Clock,
        page: Callable[[GroupPage], str],
        *,
        gap: timedelta = GAP,
        lease: timedelta = LEASE,
        edits: RateBudget | None = None,
        creates: RateBudget | None = None,
    ) -> None:
        self.db = db
        self.canvases = canvases
        self.policies = tuple(policy for policy in policies if policy.canvas)
        self.clock = clock
        self.page = page
        self.gap = gap
        self.lease = lease
        self.edits = edits or RateBudget(EDITS_PER_MINUTE / 60, 5)
        self.creates = creates or RateBudget(CREATES_PER_MINUTE / 60, 2)
        self._next_look = datetime.min.replace(tzinfo=UTC)

    def start(self) -> None:
        """At each start: every page-keeping group has its row, is on again (a refusal holds
        until restart), and is redrawn once (the bot may draw it differently now)."""
        if not self.policies:
            return
        with self.db.unit_of_work() as session:
            for policy in self.policies:
                _ensure_row(session, policy)

    def run_once(self) -> int:
        """One pass: how many canvases were created or edited.

        The delivery runs a pass after every change and every second; the pages are looked at
        no more often than once a `LOOK_EVERY` of the clock (well within the gap between two
        edits), so that a burst of reactions does not pay for a look each."""
        now = self.clock.now()
        if not self.policies or now < self._next_look or self.edits.available() <= 0:
            return 0
        self._next_look = now + min(self.gap, LOOK_EVERY)
        done = 0
        for policy in self.policies:
            if self.edits.available() <= 0:
                self._next_look = now  # the rest are looked at as soon as the budget allows
                break
            claim = self._claim(policy)
            if claim is not None and self._send(policy, claim):
                done += 1
        return done

    # --- one group's page ------------------------------------------------------------------

    def _claim(self, policy: Policy) -> _Claim | None:
        now = self.clock.now()
        page = CanvasPageRow
        with self.db.unit_of_work() as session:
            # A read first: most passes find nothing due, and write nothing.
            found = session.get(page, policy.key)
            if found is None or not self._due(found, now):
                return None
            claimed = session.execute(
                update(page)
                .where(
                    page.group_key == policy.key,
                    page.off_reason.is_(None),
                    or_(
                        page.revision > page.synced_revision,
                        page.canvas_id.is_(None),
                        page.refresh_at <= now,
                    ),
                    or_(page.lease_until.is_(None), page.lease_until < now),
                    or_(page.next_try_at.is_(None), page.next_try_at <= now),
                    or_(page.edited_at.is_(None), page.edited_at <= now - self.gap),
                )
                .values(lease_until=now + self.lease, attempts=page.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            row = session.scalars(
                select(page)
                .where(page.group_key == policy.key)
                .execution_options(populate_existing=True)
            ).one()
            # Read after the claim, in its unit of work: the page as it stands when sent.
            shown = build_page(session, policy, now)
            return _Claim(
                group_key=row.group_key,
                channel_id=row.channel_id,
                canvas_id=row.canvas_id,
                revision=row.revision,
                attempts=row.attempts,
                markdown=self.page(shown),
                refresh_at=next_change(shown),
            )

    def _due(self, row: CanvasPageRow, now: datetime) -> bool:
        """What the claim's UPDATE checks (which decides, should another instance race)."""
        stale = (
            row.revision > row.synced_revision
            or row.canvas_id is None
            or (row.refresh_at is not None and row.refresh_at <= now)
        )
        return (
            stale
            and row.off_reason is None
            and (row.lease_until is None or row.lease_until < now)
            and (row.next_try_at is None or row.next_try_at <= now)
            and (row.edited_at is None or row.edited_at <= now - self.gap)
        )

    def _send(self, policy: Policy, claim: _Claim) -> bool:
        canvas_id = claim.canvas_id
        method = "canvases.edit"
        try:
            if canvas_id is None:
                method = "conversations.info"
                canvas_id = self.canvases.channel_canvas(claim.channel_id)
            if canvas_id is None:
                if self.creates.available() <= 0:
                    self._release(claim, timedelta(0))
                    self._next_look = self.clock.now()
                    return False
                method = "conversations.canvases.create"
                self.creates.spend()
                self.edits.spend()
                canvas_id = self.canvases.create_channel_canvas(claim.channel_id, claim.markdown)
                log.info(
                    "group %s: created the group's page, canvas %s in %s",
                    policy.key,
                    canvas_id,
                    claim.channel_id,
                )
            else:
                method = "canvases.edit"
                self.edits.spend()
                self.canvases.replace_canvas(canvas_id, claim.markdown)
        except DeliveryError as error:
            self._failed(policy, claim, method, canvas_id, error)
            return False
        self._synced(claim, canvas_id)
        return True

    def _synced(self, claim: _Claim, canvas_id: str) -> None:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            session.execute(
                update(CanvasPageRow)
                .where(CanvasPageRow.group_key == claim.group_key)
                .values(
                    canvas_id=canvas_id,
                    synced_revision=claim.revision,
                    edited_at=now,
                    refresh_at=claim.refresh_at,
                    lease_until=None,
                    next_try_at=None,
                    attempts=0,
                    last_error=None,
                )
            )

    def _release(
        self,
        claim: _Claim,
        delay: timedelta,
        *,
        error: str | None = None,
        canvas_id: str | None = None,
        forget_canvas: bool = False,
    ) -> None:
        values: dict[str, object] = {
            "lease_until": None,
            "next_try_at": self.clock.now() + delay,
        }
        if error is not None:
            values["last_error"] = error[:500]
        if canvas_id is not None:
            values["canvas_id"] = canvas_id
        if forget_canvas:
            values["canvas_id"] = None
        with self.db.unit_of_work() as session:
            session.execute(
                update(CanvasPageRow)
                .where(CanvasPageRow.group_key == claim.group_key)
                .values(**values)
            )

    def _failed(
        self,
        policy: Policy,
        claim: _Claim,
        method: str,
        canvas_id: str | None,
        error: DeliveryError,
    ) -> None:
        code = error.code or ""
        if error.retry_after is not None:
            self.edits.pause(error.retry_after)
            self.creates.pause(error.retry_after)
        if code in OFF_REFUSALS:
            self._switch_off(policy, claim, method, code)
            return
        if code in TOKEN_REFUSALS:
            # The status logs it once and holds every call; the page waits with the rest.
            self._release(claim, timedelta(0), error=str(error))
            return
        if code == "canvas_not_found" and canvas_id is not None:
            # Someone deleted the canvas: the channel's current one is found, or made, again.
            log.info("group %s: canvas %s is gone; the page is made again", policy.key, canvas_id)
            self._release(claim, timedelta(0), error=str(error), forget_canvas=True)
            return
        backoff = min(MAX_BACKOFF, timedelta(seconds=2 ** min(claim.attempts, 10)))
        if error.retry_after is not None:
            backoff = max(backoff, timedelta(seconds=error.retry_after))
        if code == "channel_canvas_already_exists":
            # Made meanwhile (by a member, or by an attempt whose answer was lost): it is
            # looked up again on the next try (backing off, should Slack not show it).
            log.info("group %s: the channel already has a canvas; using it", policy.key)
        elif code in CHANNEL_REFUSALS:
            # The bot's channel problem: its posts say so (the status logs it once).
            backoff = max(backoff, timedelta(minutes=1))
        elif code != "ratelimited" and error.status != 429:
            log.warning(
                "group %s: %s of the group's page failed, attempt %s, retrying in %ss: %s",
                policy.key,
                method,
                claim.attempts,
                int(backoff.total_seconds()),
                error,
            )
        self._release(claim, backoff, error=str(error), canvas_id=canvas_id)

    def _switch_off(self, policy: Policy, claim: _Claim, method: str, code: str) -> None:
        with self.db.unit_of_work() as session:
            switched = session.execute(
                update(CanvasPageRow)
                .where(
                    CanvasPageRow.group_key == claim.group_key, CanvasPageRow.off_reason.is_(None)
                )
                .values(off_reason=f"{method}: {code}", lease_until=None, last_error=code)
                .execution_options(synchronize_session=False)
            )
        if getattr(switched, "rowcount", 0) == 1:
            log.error(
                "group %s: the group's page (the channel canvas of %s) is off until the bot "
                "restarts: Slack refused %s with %s; %s",
                policy.key,
                claim.channel_id,
                method,
                code,
                fix_for(code, claim.channel_id),
            )


def _ensure_row(session: Session, policy: Policy) -> None:
    inserted = insert_ignoring_duplicates(
        session,
        CanvasPageRow,
        {
            "group_key": policy.key,
            "channel_id": policy.channel_id,
            "canvas_id": None,
            "revision": 1,
            "synced_revision": 0,
            "edited_at": None,
            "refresh_at": None,
            "next_try_at": None,
            "lease_until": None,
            "attempts": 0,
            "off_reason": None,
            "last_error": None,
        },
    )
    if inserted:
        return
    row = session.get(CanvasPageRow, policy.key)
    assert row is not None
    if row.channel_id != policy.channel_id:
        # The group moved to another channel: its page is that channel's canvas now.
        row.channel_id = policy.channel_id
        row.canvas_id = None
    row.off_reason = None
    row.next_try_at = None
    row.revision += 1
