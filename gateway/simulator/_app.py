"""Assembling the simulator: seeded store, routes and Pieces OS style error answers."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from ._activity import Activity
from ._faults import FaultInjection, Faults, fault_routes
from ._record_seed import new_record
from ._records import Records
from ._routes import InvalidRequest, invalid_request, routes, unknown_event
from ._seed import base_instant, generate_events
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


# Seeds small enough to keep: tests make hundreds of simulators of a few seeds.
_KEPT_SEEDS = 200  # events


@lru_cache(maxsize=32)
def _generated(events: int, seed: int, event_kb: int | None) -> tuple[dict[str, Any], ...]:
    return tuple(generate_events(events, seed, event_kb=event_kb))


def _seeded(events: int, seed: int, event_kb: int | None) -> list[dict[str, Any]]:
    """`generate_events`, each simulator's own copy. Filling every field of the
    contract costs ~0.2 s a seed (the coverage filler), a copy a tenth of it:
    small seeds are generated once per process."""
    if events > _KEPT_SEEDS:
        return generate_events(events, seed, event_kb=event_kb)
    return copy.deepcopy(list(_generated(events, seed, event_kb)))


def create_simulator(
    *,
    events: int = 50,
    seed: int = 0,
    event_kb: int | None = None,
    batch_endpoint: bool = True,
    clock: Callable[[], datetime] = utc_now,
    activity: float | None = None,
) -> Starlette:
    """An in-memory Pieces OS answering the WorkstreamEvent endpoints.

    Its events are ordinary (~3 KB), or about `event_kb` KB each with their
    nested references, screen text and anchors (see `generate_events`). It
    holds every record they reference and answers each record's own endpoint
    (`GET /tag/{tag}`, ...; see `_records`). `batch_endpoint=False` imitates an
    older Pieces OS without `POST /workstream_events/batch/fetch` and
    `POST /workstream_summaries/batch`, which then answer 404. Faults can
    be injected through `app.state.faults` (see `_faults`). Writes are stamped
    with `clock`'s now (an aware datetime).

    With `activity`, while the app's lifespan runs, a round of what Pieces OS
    does as its user works (a new event, an edit, now and then a deletion)
    follows every `activity` seconds. `app.state.activity.step()` does one
    round at once, lifespan or not (see `_activity`).
    """
    if activity is not None and not activity > 0:
        raise ValueError(f"activity must be a positive number of seconds, got {activity!r}")
    records = Records(partial(new_record, base=base_instant(seed)))
    store = Store(_seeded(events, seed, event_kb), records, clock=clock)
    rounds = Activity(store, seed=seed, event_kb=event_kb)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if activity is None:
            yield
            return
        async with rounds.running(activity):
            yield

    app = Starlette(
        routes=[*fault_routes(), *routes(batch_endpoint=batch_endpoint)],
        exception_handlers={InvalidRequest: invalid_request, UnknownEvent: unknown_event},
        middleware=[Middleware(FaultInjection), Middleware(_RawPathRouting)],
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.activity = rounds
    app.state.faults = Faults()
    return app
