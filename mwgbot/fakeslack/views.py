"""The ``views.*`` family: modals (open, push, update) and the Home tab (publish)."""

from __future__ import annotations

import copy
import time
from typing import Any

from mwgbot.fakeslack.base import ApiError, ApiMethod, FakeSlackBase

#: What the fake keeps about a view besides what Slack answers with.
_VIEW_META = ("trigger_id", "user_id", "opened_by", "updates")


class ViewsMethods(FakeSlackBase):
    """``views.*`` Web API methods, one ``_api_views_*`` each, listed in ``METHODS`` below."""

    def _reset_state(self) -> None:
        super()._reset_state()
        self._views: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ state views

    @property
    def views(self) -> list[dict[str, Any]]:
        """Opened/pushed/published views (current state), plus ``trigger_id``, ``user_id``,
        ``opened_by`` (the method) and ``updates``."""
        with self._lock:
            return copy.deepcopy(self._views)

    # ------------------------------------------------------------------ helpers (lock held)

    def _new_view(self, method: str, args: dict[str, Any], *, root: str | None) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict) or not view.get("type"):
            raise ApiError("invalid_arguments")
        view_id = self._next_id("V")
        external_id = str(view.get("external_id") or "")
        if external_id and any(v["external_id"] == external_id for v in self._views):
            raise ApiError("duplicate_external_id")
        out = self._render_view(view, view_id=view_id, root=root or view_id, external=external_id)
        out.update(
            trigger_id=args.get("trigger_id") or args.get("interactivity_pointer"),
            user_id=args.get("user_id"),
            opened_by=method,
            updates=0,
        )
        self._views.append(out)
        return _strip_view(out)

    def _render_view(
        self, view: dict[str, Any], *, view_id: str, root: str, external: str
    ) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks") or []),
            "private_metadata": str(view.get("private_metadata") or ""),
            "callback_id": str(view.get("callback_id") or ""),
            "state": {"values": {}},
            "hash": f"{time.time():.6f}.{self._next_id('h')}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": None,
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": external,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if "title" in view:
            rendered["title"] = copy.deepcopy(view["title"])
        return rendered

    # ------------------------------------------------------------------ Web API methods

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            raise ApiError("invalid_arguments")
        return {"view": self._new_view("views.open", args, root=None)}

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            raise ApiError("invalid_arguments")
        modals = [v for v in self._views if v["type"] == "modal"]
        root = modals[-1]["root_view_id"] if modals else None
        view = self._new_view("views.push", args, root=root)
        if modals:
            view["previous_view_id"] = modals[-1]["id"]
            self._views[-1]["previous_view_id"] = modals[-1]["id"]
        return {"view": view}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict) or not view.get("type"):
            raise ApiError("invalid_arguments")
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise ApiError("invalid_arguments")
        index = next(
            (
                i
                for i, v in enumerate(self._views)
                if (view_id and v["id"] == view_id)
                or (external_id and v["external_id"] == external_id)
            ),
            None,
        )
        if index is None:
            raise ApiError("not_found")
        current = self._views[index]
        if args.get("hash") and args["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        updated = self._render_view(
            view,
            view_id=current["id"],
            root=current["root_view_id"],
            external=str(view.get("external_id") or current["external_id"]),
        )
        updated["previous_view_id"] = current["previous_view_id"]
        updated["state"] = current["state"]
        updated.update(
            trigger_id=current["trigger_id"],
            user_id=current["user_id"],
            opened_by=current["opened_by"],
            updates=current["updates"] + 1,
        )
        self._views[index] = updated
        return {"view": _strip_view(updated)}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id") or "")
        if not user_id:
            raise ApiError("invalid_arguments")
        view = args.get("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise ApiError("invalid_arguments")
        for index, current in enumerate(self._views):
            if current["type"] == "home" and current["user_id"] == user_id:
                if args.get("hash") and args["hash"] != current["hash"]:
                    raise ApiError("hash_conflict")
                updated = self._render_view(
                    view, view_id=current["id"], root=current["id"], external=""
                )
                updated.update(
                    trigger_id=None,
                    user_id=user_id,
                    opened_by="views.publish",
                    updates=current["updates"] + 1,
                )
                self._views[index] = updated
                return {"view": _strip_view(updated)}
        return {"view": self._new_view("views.publish", args, root=None)}


def _strip_view(view: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in view.items() if k not in _VIEW_META}


METHODS: dict[str, ApiMethod[ViewsMethods]] = {
    "views.open": ViewsMethods._api_views_open,
    "views.push": ViewsMethods._api_views_push,
    "views.update": ViewsMethods._api_views_update,
    "views.publish": ViewsMethods._api_views_publish,
}
