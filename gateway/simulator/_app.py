"""Assembling the simulator: seeded store, routes and Pieces OS style error answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from ._faults import FaultInjection, Faults, fault_routes
from ._routes import InvalidRequest, invalid_request, routes, unknown_event
from ._seed import generate_events
from ._store import Store, UnknownEvent, utc_now


class _RawPathRouting:
    """Route on the path as it was sent, as Pieces OS does.

    Starlette routes on the decoded path, where an id holding `%2F` would turn
    into two segments; the routes here see the raw path and decode each
    parameter themselves (see `_routes._param`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("raw_path"):
            scope = {**scope, "path": scope["raw_path"].decode("latin-1")}
        await self.app(scope, receive, send)


def create_simulator(
    *,
    events: int = 50,
    seed: int = 0,
    event_kb: int | None = None,
    batch_endpoint: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> Starlette:
    """An in-memory Pieces OS answering the WorkstreamEvent endpoints.

    Its events are ordinary (~2 KB), or about `event_kb` KB each with their
    nested references, screen text and anchors (see `generate_events`).
    `batch_endpoint=False` imitates an older Pieces OS without
    `POST /workstream_events/batch/fetch`, which then answers 404. Faults can
    be injected through `app.state.faults` (see `_faults`). Writes are stamped
    with `clock`'s now (an aware datetime).
    """
    app = Starlette(
        routes=[*fault_routes(), *routes(batch_endpoint=batch_endpoint)],
        exception_handlers={InvalidRequest: invalid_request, UnknownEvent: unknown_event},
        middleware=[Middleware(FaultInjection), Middleware(_RawPathRouting)],
    )
    app.state.store = Store(generate_events(events, seed, event_kb=event_kb), clock=clock)
    app.state.faults = Faults()
    return app
