"""The Pieces OS WorkstreamEvent endpoints, answered from the simulator's `Store`.

With them, the endpoints of the records events point at: one GET per relation
(`/tag/{tag}`, ..., the paths of `schema._relations`) and the summaries' batch.
Their `transferables` (and `association_metadata`) parameters are accepted and,
as on the event routes, change nothing.

Failures are answered as Pieces OS does: plain text, 410 for an unknown event
or record snapshot and 500 for everything else, including bodies that break
the contract.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse as _StdlibJSONResponse
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from schema import RELATIONS as RECORD_RELATIONS

from ._instants import parse_instant, to_milliseconds
from ._records import Record, UnknownRecord
from ._store import Store, TimeRange, UnknownEvent
from ._validate import problems

Endpoint = Callable[[Request], Awaitable[Response]]
# Finds what a batch asks for: those found, in request order, and the ids that were not.
Finder = Callable[[Store, list[str]], tuple[list[Record], list[str]]]


class JSONResponse(_StdlibJSONResponse):
    """The same compact JSON, encoded by orjson: the simulator should not be the bottleneck."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


# Path segment of each associate/disassociate endpoint -> the event field it edits.
RELATIONS = {
    "workstream_summaries": "summaries",
    "anchors": "anchors",
    "annotations": "annotations",
    "messages": "messages",
    "persons": "persons",
    "tags": "tags",
    "websites": "websites",
    "workstream_pattern_engine/sources": "sources",
    "workstream_pattern_engine/source_windows": "source_windows",
}
NOT_FOUND = "WorkstreamEvent not found."


class InvalidRequest(Exception):
    """A body or query parameter Pieces OS would refuse; the message is the reason."""


async def invalid_request(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(str(exc), status_code=500)


async def unknown_event(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(NOT_FOUND, status_code=500)


def routes(*, batch_endpoint: bool) -> list[BaseRoute]:
    table: list[BaseRoute] = [
        Route("/.well-known/health", _health, methods=["GET"]),
        Route("/workstream_event/update", _update, methods=["POST"]),
        Route("/workstream_event/{workstream_event}", _snapshot, methods=["GET"]),
        Route(
            "/workstream_event/{workstream_event}/scores/increment", _increment, methods=["POST"]
        ),
        Route("/workstream_events", _all, methods=["GET"]),
        Route("/workstream_events/create", _create, methods=["POST"]),
        Route("/workstream_events/identifiers", _identifiers, methods=["GET"]),
        Route("/workstream_events/{workstream_event}/delete", _delete, methods=["POST"]),
    ]
    if batch_endpoint:
        table.append(Route("/workstream_events/batch/fetch", _events_batch, methods=["POST"]))
        table.append(Route("/workstream_summaries/batch", _summaries_batch, methods=["POST"]))
    for segment, key in RELATIONS.items():
        for action in ("associate", "disassociate"):
            path = f"/workstream_event/{{workstream_event}}/{segment}/{action}/{{other}}"
            table.append(Route(path, _relation(action, key), methods=["POST"]))
    for relation in RECORD_RELATIONS:
        endpoint = _record(relation.key, f"{relation.model} not found.")
        table.append(Route(relation.record_path + "{record}", endpoint, methods=["GET"]))
    return table


def _param(request: Request, name: str) -> str:
    # Paths are routed undecoded (see _app._RawPathRouting): decode the segment here.
    return unquote(request.path_params[name])


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def _body(request: Request, model: str) -> dict[str, Any]:
    try:
        value = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest(f"The body is not JSON; expected a {model}.") from None
    found = problems(model, value)
    if found:
        raise InvalidRequest(f"Invalid {model}: " + "; ".join(found[:5]))
    assert isinstance(value, dict)
    return value


async def _health(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _snapshot(request: Request) -> Response:
    try:
        event = _store(request).get(_param(request, "workstream_event"))
    except UnknownEvent:
        return PlainTextResponse(NOT_FOUND, status_code=410)
    return JSONResponse(event)


async def _update(request: Request) -> Response:
    event = await _body(request, "WorkstreamEvent")
    return JSONResponse(_store(request).update(event))


async def _increment(request: Request) -> Response:
    body = await _body(request, "SeededScoreIncrement")
    _store(request).increment(
        _param(request, "workstream_event"), body.get("workstream_event") or {}
    )
    return Response(status_code=204)


def _relation(action: str, key: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        store = _store(request)
        change = store.associate if action == "associate" else store.disassociate
        change(_param(request, "workstream_event"), key, _param(request, "other"))
        return Response(status_code=204)

    return endpoint


async def _create(request: Request) -> Response:
    seeded = await _body(request, "SeededWorkstreamEvent")
    return JSONResponse(_store(request).create(seeded))


async def _delete(request: Request) -> Response:
    _store(request).delete(_param(request, "workstream_event"))
    return Response(status_code=204)


async def _identifiers(request: Request) -> Response:
    query = request.query_params
    limit = _limit(query.get("limit"))
    created = TimeRange(_instant(query, "created_from"), _instant(query, "created_to"))
    updated = TimeRange(_instant(query, "updated_from"), _instant(query, "updated_to"))
    ids = _store(request).identifiers(limit=limit, created=created, updated=updated)
    return JSONResponse({"iterable": [{"id": event_id} for event_id in ids]})


def _record(key: str, not_found: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            record = _store(request).record(key, _param(request, "record"))
        except UnknownRecord:
            return PlainTextResponse(not_found, status_code=410)
        return JSONResponse(record)

    return endpoint


def _batch(model: str, field: str, find: Finder) -> Endpoint:
    """A batch fetch: a `model` body listing ids under `field`, answered so, with `notFound`."""

    async def endpoint(request: Request) -> Response:
        body = await _body(request, model)
        wanted = [item["id"] for item in (body.get(field) or {}).get("iterable", [])]
        found, missing = find(_store(request), wanted)
        return JSONResponse({field: {"iterable": found}, "notFound": missing})

    return endpoint


_events_batch = _batch(
    "WorkstreamEventsBatchFetchInput", "workstreamEvents", lambda store, ids: store.batch(ids)
)
_summaries_batch = _batch(
    "WorkstreamSummariesBatchInput",
    "workstreamSummaries",
    lambda store, ids: store.records.batch("summaries", ids),
)


async def _all(request: Request) -> Response:
    return JSONResponse({"iterable": list(_store(request).events.values())})


def _limit(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        limit = int(text)
    except ValueError:
        raise InvalidRequest(f"limit must be an integer, got {text!r:.40}") from None
    if limit < 0:
        raise InvalidRequest("limit must not be negative")
    return limit


def _instant(query: QueryParams, name: str) -> datetime | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        return to_milliseconds(parse_instant(text, assume_utc=True))
    except ValueError:
        raise InvalidRequest(f"{name} must be an ISO-8601 instant, got {text!r:.40}") from None
