"""Fault injection: make the simulator slow, failing, garbled or unreachable.

A `Faults` value lives in `app.state.faults`. Tests set it directly; a
simulator in another process is steered over HTTP:

    PUT    /_simulator/faults   {"delay": 2, "count": 5}   set (fields merged)
    DELETE /_simulator/faults                              clear
    GET    /_simulator/faults                              show

Faults apply to every endpoint but these, `count` times (or until cleared):
* `delay`: seconds to wait before answering;
* `status`: answer with this status and a text body (`retry_after`, if set,
  goes into a Retry-After header);
* `garbage`: answer 200 with a body that is not JSON;
* `drop`: close the connection without a complete answer;
* `no_batch`: the batch endpoints (events, summaries) answer 404, as on an
  older Pieces OS.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["FaultInjection", "Faults", "fault_routes"]

ADMIN_PATH = "/_simulator/faults"
_BATCH_PATHS = frozenset({"/workstream_events/batch/fetch", "/workstream_summaries/batch"})


@dataclass
class Faults:
    delay: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    garbage: bool = False
    drop: bool = False
    no_batch: bool = False
    count: int | None = None  # None: until cleared

    def active(self) -> bool:
        return self.count is None or self.count > 0

    def consume(self) -> None:
        if self.count is not None:
            self.count -= 1

    def clear(self) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, field.default)


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised after a response has started: uvicorn then closes the connection,
    and httpx's ASGITransport hands the error to the client as it is. Either
    way the client sees a connection that broke off."""


class FaultInjection:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope.get("app")
        faults: Faults | None = getattr(app.state, "faults", None) if app is not None else None
        if scope["type"] != "http" or faults is None or scope["path"] == ADMIN_PATH:
            await self.app(scope, receive, send)
            return
        if faults.no_batch and scope["path"] in _BATCH_PATHS:
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        if not faults.active() or not (
            faults.delay or faults.status or faults.garbage or faults.drop
        ):
            await self.app(scope, receive, send)
            return
        faults.consume()
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.drop:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
            raise ConnectionDropped("the simulator dropped the connection")
        if faults.status:
            headers = {}
            if faults.retry_after is not None:
                headers["Retry-After"] = f"{faults.retry_after:g}"
            response: Response = PlainTextResponse(
                "Simulated failure", status_code=faults.status, headers=headers
            )
            await response(scope, receive, send)
            return
        if faults.garbage:
            garbage = Response(b"<html>\x00not json", media_type="application/json")
            await garbage(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _show(request: Request) -> Response:
    faults: Faults = request.app.state.faults
    return JSONResponse(dataclasses.asdict(faults))


async def _set(request: Request) -> Response:
    faults: Faults = request.app.state.faults
    try:
        changes = json.loads(await request.body())
        names = {field.name for field in dataclasses.fields(faults)}
        if not isinstance(changes, dict) or not changes.keys() <= names:
            raise ValueError(f"fields are {sorted(names)}")
    except ValueError as exc:
        return PlainTextResponse(f"Bad faults: {exc}", status_code=400)
    for name, value in changes.items():
        setattr(faults, name, value)
    return JSONResponse(dataclasses.asdict(faults))


async def _clear(request: Request) -> Response:
    faults: Faults = request.app.state.faults
    faults.clear()
    return JSONResponse(dataclasses.asdict(faults))


def fault_routes() -> list[Route]:
    return [
        Route(ADMIN_PATH, _show, methods=["GET"]),
        Route(ADMIN_PATH, _set, methods=["PUT"]),
        Route(ADMIN_PATH, _clear, methods=["DELETE"]),
    ]
