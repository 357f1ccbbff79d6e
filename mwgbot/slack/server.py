"""HTTP transport: Starlette on uvicorn, with Bolt's dispatch in a thread pool.

Bolt's own Starlette adapter calls the synchronous `dispatch` on the event loop, which
serializes every request behind the slowest one; here each request is dispatched on a worker
thread, so slow database or Slack work never blocks the others.

The front door: only `POST /slack/events`, `GET /healthz` and `GET /calendar.ics` answer
(HEAD too, on the GET routes); other paths get 404 and other methods 405. A body over
`MAX_BODY` is refused with 413 before it is read, so it is never hashed; a body that does not
arrive within `BODY_DEADLINE` gets 408. Every refusal closes the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mwgbot.db.session import Database
from mwgbot.services.slack_status import SlackStatus
from mwgbot.slack.bolt_request import bolt_request

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
CALENDAR_PATH = "/calendar.ics"

# Slack's payloads are a few kilobytes; a view submission with a long description is tens.
MAX_BODY = 1024 * 1024
# Slack wants an answer within 3 s of sending; a body still arriving after 5 s is not Slack's.
BODY_DEADLINE = 5.0
# uvicorn's own limits, used where they help (see `server_config`).
KEEP_ALIVE_SECONDS = 5
MAX_CONNECTIONS = 128
MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class FrontDoor:
    max_body: int = MAX_BODY
    body_deadline: float = BODY_DEADLINE


def _to_bolt(request: Request, body: bytes) -> BoltRequest:
    return bolt_request(
        body.decode("utf-8", errors="replace"),
        query=dict(request.query_params),
        headers={k: [v] for k, v in request.headers.items()},
    )


def _to_starlette(response: BoltResponse) -> Response:
    return Response(
        status_code=response.status,
        content=response.body,
        headers=response.first_headers_without_set_cookie(),
    )


def refuse(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    """A refusal that also ends the connection: uvicorn closes the socket after it, so what
    the client still sends is not read (a kept-alive connection would go on receiving it)."""
    return PlainTextResponse(
        text, status_code=status, headers={**(headers or {}), "Connection": "close"}
    )


async def read_body(request: Request, door: FrontDoor) -> bytes | Response:
    """The request body, or the refusal to answer instead.

    uvicorn has no body-size limit and no timeout while a body is read (its keep-alive timer
    only runs between requests; Kludex/uvicorn#157 is the open request for such settings), so
    both live here: the declared length is checked before anything is read, a chunked body is
    counted as it streams, and the whole read has one deadline.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            return refuse(400, "Bad Content-Length")
        if int(declared) > door.max_body:
            return refuse(413, "Request body too large")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(door.body_deadline):
            async for chunk in request.stream():
                size += len(chunk)
                if size > door.max_body:
                    return refuse(413, "Request body too large")
                chunks.append(chunk)
    except TimeoutError:
        return refuse(408, "Request body not received in time")
    except ClientDisconnect:
        return refuse(400, "Client went away")
    return b"".join(chunks)


def build_http_app(
    bolt_app: App,
    db: Database,
    calendar: Callable[[str | None], bytes | None] | None = None,
    door: FrontDoor | None = None,
    slack: SlackStatus | None = None,
) -> Starlette:
    door = door or FrontDoor()
    slack = slack or SlackStatus()

    async def slack_events(request: Request) -> Response:
        body = await read_body(request, door)
        if isinstance(body, Response):
            return body
        response = await run_in_threadpool(bolt_app.dispatch, _to_bolt(request, body))
        return _to_starlette(response)

    async def healthz(_request: Request) -> Response:
        """503 when the bot cannot work: the database is unreachable, or Slack refuses the
        token. A channel that refuses posts is reported (with what to do) but answers 200:
        members are still answered, and the bot catches up once it is invited back."""
        reachable = await run_in_threadpool(db.ping)
        token_works, fields = slack.health()
        working = reachable and token_works
        fine = working and fields["channel"] == "ok"
        return JSONResponse(
            {"status": "ok" if fine else "degraded", "database": reachable, **fields},
            status_code=200 if working else 503,
        )

    routes = [
        Route(EVENTS_PATH, slack_events, methods=["POST"]),
        Route(HEALTH_PATH, healthz, methods=["GET"]),
    ]
    if calendar is not None:
        make_calendar = calendar

        async def calendar_ics(request: Request) -> Response:
            key = request.path_params.get("key")
            content = await run_in_threadpool(make_calendar, key)
            if content is None:
                return refuse(404, "No such group")
            name = f"{key or 'mwg'}-meetings.ics"
            return Response(
                content,
                media_type="text/calendar; charset=utf-8",
                headers={"Content-Disposition": f'inline; filename="{name}"'},
            )

        routes.append(Route(CALENDAR_PATH, calendar_ics, methods=["GET"]))
        # Each group's own series; the key as the groups file spells it (any case).
        routes.append(Route("/calendar/{key:str}.ics", calendar_ics, methods=["GET"]))

    async def not_here(_request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)  # Starlette raises 404 and 405 as these
        return refuse(error.status_code, error.detail, dict(error.headers or {}))

    app = Starlette(routes=routes, exception_handlers={404: not_here, 405: not_here})
    app.router.redirect_slashes = False  # `/slack/events/` is another path: 404, not 307
    return app


def server_config(app: Any, *, host: str, port: int) -> uvicorn.Config:
    """How `mwgbot serve` runs uvicorn; the tests serve the app with this very config.

    uvicorn's settings that help: h11 (pure Python, the same everywhere, and the one whose
    header size is capped: a request line and headers over MAX_HEADER_BYTES get 400), idle
    keep-alive connections closed after KEEP_ALIVE_SECONDS, and at most MAX_CONNECTIONS at once
    (more get 503). uvicorn has no timeout for a request's headers or body: a client that
    trickles its body is dropped by `read_body`'s deadline; one that trickles its headers
    only counts against MAX_CONNECTIONS. A reverse proxy in front (nginx `client_header_timeout`)
    closes that gap.
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_graceful_shutdown=10,
        log_level="warning",
        access_log=False,
    )
