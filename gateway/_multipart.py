"""Subscriptions over HTTP, as one `multipart/mixed` response: a part per result.

Two flavours, by the client's Accept:

* Apollo's multipart subscriptions (`multipart/mixed;subscriptionSpec="1.0"`),
  what Apollo Client's `HttpLink` and Apollo Router speak: each part is
  `{"payload": <the GraphQL result>}`, or `{}` for a heartbeat (every
  `heartbeat` seconds while nothing else is sent, so that proxies and the
  client know the stream lives);
* plain `multipart/mixed`, what GraphiQL's fetcher takes (as GraphQL Yoga
  serves it): each part is the GraphQL result itself, and no heartbeats, which
  such clients would show as results.

The closing boundary ends the stream, when the subscription ends or the client
goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import ExecutionResult
from starlette.types import Receive, Send

__all__ = ["APOLLO", "PLAIN", "stream", "wants_multipart"]

APOLLO = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
PLAIN = 'multipart/mixed;boundary="graphql"'
# Each part ends with the delimiter, so that a reader hands a part over as
# soon as it arrives (Apollo Client's waits for the delimiter after a part);
# the body opens with the first delimiter and closes with `--` after the last.
_DELIMITER = b"\r\n--graphql"
_HEAD = b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
_END = b"--\r\n"
_HEARTBEAT = _HEAD + b"{}" + _DELIMITER


def wants_multipart(accept: str | None) -> str | None:
    """The multipart flavour the client's Accept takes (APOLLO or PLAIN), if any."""
    flavour = None
    for item in (accept or "").split(","):
        media_type, _, parameters = item.partition(";")
        if media_type.strip().lower() == "multipart/mixed":
            if "subscriptionspec" in parameters.lower():
                return APOLLO
            flavour = PLAIN
    return flavour


def _part(result: ExecutionResult, flavour: str) -> bytes:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return _HEAD + orjson.dumps({"payload": body} if flavour is APOLLO else body) + _DELIMITER


async def stream(
    results: AsyncIterator[ExecutionResult],
    receive: Receive,
    send: Send,
    *,
    flavour: str,
    heartbeat: float,
) -> None:
    headers = [(b"content-type", flavour.encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _DELIMITER, "more_body": True})
    gone: asyncio.Future[Any] = asyncio.ensure_future(_disconnected(receive))
    upcoming: asyncio.Future[Any] | None = None
    try:
        while True:
            if upcoming is None:
                upcoming = asyncio.ensure_future(anext(results))
            done, _ = await asyncio.wait(
                {upcoming, gone},
                timeout=heartbeat if flavour is APOLLO else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if gone in done:
                return
            if upcoming not in done:
                await send({"type": "http.response.body", "body": _HEARTBEAT, "more_body": True})
                continue
            try:
                result = upcoming.result()
            except StopAsyncIteration:
                break
            upcoming = None
            body = _part(result, flavour)
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": _END, "more_body": False})
    finally:
        for task in (gone, upcoming):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await task
        close = getattr(results, "aclose", None)
        if close is not None:
            await close()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
