"""Subscriptions over HTTP: Apollo's multipart protocol (`multipart/mixed;subscriptionSpec="1.0"`).

What Apollo Client's `HttpLink` and Apollo Router speak. The response is one
`multipart/mixed` body with the boundary `graphql`; each part is JSON:
`{"payload": <the GraphQL result>}` for a result, `{}` for a heartbeat (every
`heartbeat` seconds while nothing else is sent, so that proxies and the
client know the stream lives), and the closing boundary ends it. The stream
ends when the subscription does, or when the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import ExecutionResult
from starlette.types import Receive, Send

__all__ = ["MEDIA_TYPE", "stream", "wants_multipart"]

MEDIA_TYPE = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
_PART = b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
_END = b"\r\n--graphql--\r\n"
_HEARTBEAT = _PART + b"{}"


def wants_multipart(accept: str | None) -> bool:
    """Whether the client takes Apollo's multipart subscriptions (its Accept says so)."""
    if not accept:
        return False
    for item in accept.split(","):
        media_type, _, parameters = item.partition(";")
        if media_type.strip().lower() == "multipart/mixed" and "subscriptionspec" in (
            parameters.lower()
        ):
            return True
    return False


def _part(result: ExecutionResult) -> bytes:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    return _PART + orjson.dumps({"payload": payload})


async def stream(
    results: AsyncIterator[ExecutionResult], receive: Receive, send: Send, *, heartbeat: float
) -> None:
    headers = [(b"content-type", MEDIA_TYPE.encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    gone: asyncio.Future[Any] = asyncio.ensure_future(_disconnected(receive))
    upcoming: asyncio.Future[Any] | None = None
    try:
        while True:
            if upcoming is None:
                upcoming = asyncio.ensure_future(anext(results))
            done, _ = await asyncio.wait(
                {upcoming, gone}, timeout=heartbeat, return_when=asyncio.FIRST_COMPLETED
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
            await send({"type": "http.response.body", "body": _part(result), "more_body": True})
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
