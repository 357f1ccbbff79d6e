"""HTTP transport: Starlette on uvicorn, with Bolt's dispatch in a thread pool.

Bolt's own Starlette adapter calls the synchronous `dispatch` on the event loop, which
serializes every request behind the slowest one; here each request is dispatched on a worker
thread, so slow database or Slack work never blocks the others.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltRequest, BoltResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mwgbot.db.session import Database

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
CALENDAR_PATH = "/calendar.ics"


def _to_bolt(request: Request, body: bytes) -> BoltRequest:
    return BoltRequest(
        body=body.decode("utf-8", errors="replace"),
        query=dict(request.query_params),
        headers={k: [v] for k, v in request.headers.items()},
    )


def _to_starlette(response: BoltResponse) -> Response:
    return Response(
        status_code=response.status,
        content=response.body,
        headers=response.first_headers_without_set_cookie(),
    )


def build_http_app(
    bolt_app: App, db: Database, calendar: Callable[[], bytes] | None = None
) -> Starlette:
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(bolt_app.dispatch, _to_bolt(request, body))
        return _to_starlette(response)

    async def healthz(_request: Request) -> Response:
        reachable = await run_in_threadpool(db.ping)
        return JSONResponse(
            {"status": "ok" if reachable else "degraded", "database": reachable},
            status_code=200 if reachable else 503,
        )

    routes = [
        Route(EVENTS_PATH, slack_events, methods=["POST"]),
        Route(HEALTH_PATH, healthz, methods=["GET"]),
    ]
    if calendar is not None:
        make_calendar = calendar

        async def calendar_ics(_request: Request) -> Response:
            content = await run_in_threadpool(make_calendar)
            return Response(
                content,
                media_type="text/calendar; charset=utf-8",
                headers={"Content-Disposition": 'inline; filename="mwg-meetings.ics"'},
            )

        routes.append(Route(CALENDAR_PATH, calendar_ics, methods=["GET"]))
    return Starlette(routes=routes)
