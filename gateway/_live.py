"""Subscriptions over WebSocket: graphql-transport-ws (Apollo Client, urql, graphql-ws).

Strawberry's protocol handler speaks the protocol (connection_init and its
timeout, ping/pong, subscribe/next/error/complete, subscriptions per
connection); this module gives it the gateway's side:

* the handshake: the Host allow-list (`gateway._middleware.TrustedHosts`) has
  run already; here the `Origin` must be one of `--cors-origins` (none sent,
  as by a non-browser client, is allowed), else 403 FORBIDDEN_ORIGIN in coded
  JSON before the upgrade, so that a web page the user opens cannot subscribe
  to a local gateway; and the subprotocol must be graphql-transport-ws;
* each operation: the same prepared documents and limits as over HTTP
  (`schema.Documents`); a subscription runs on `schema.subscribe` with its own
  context, fed by the process's change feeds (`gateway._feed.Feeds`); a query
  or mutation runs as over HTTP (`gateway._operations`);
* keep-alive: a `ping` every `keep_alive` seconds, so that proxies keep the
  socket open and a dead peer is noticed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Collection
from datetime import timedelta
from typing import Any

import orjson
from graphql import GraphQLError, OperationType
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.unset import UNSET

from gateway._feed import Feeds
from gateway._operations import Caller, OperationRequest, Operations
from gateway._refusals import Refusal
from schema import Context, subscribe

__all__ = ["LiveEndpoint"]

logger = logging.getLogger("pieces_gateway.live")


class _View:
    """What Strawberry's handler asks of a view: JSON both ways, and the init hook."""

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()  # a text frame, as the protocol requires

    async def on_ws_connect(self, context: object) -> object:
        return UNSET  # every connection_init is acknowledged


class LiveEndpoint:
    def __init__(
        self,
        operations: Operations,
        feeds: Feeds,
        *,
        allowed_origins: Collection[str],
        init_timeout: float,
        max_per_connection: int,
        keep_alive: float,
    ) -> None:
        self._operations = operations
        self._feeds = feeds
        self._origins = frozenset(allowed_origins)
        self._init_timeout = timedelta(seconds=init_timeout)
        self._max_per_connection = max_per_connection
        self._keep_alive = keep_alive
        self._view = _View()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        origin = websocket.headers.get("origin")
        if origin is not None and origin not in self._origins:
            await _deny(websocket, Refusal(403, _FOREIGN, code="FORBIDDEN_ORIGIN"))
            return
        if GRAPHQL_TRANSPORT_WS_PROTOCOL not in (scope.get("subprotocols") or ()):
            await _deny(websocket, Refusal(400, _PROTOCOL, code="BAD_REQUEST"))
            return
        await websocket.accept(subprotocol=GRAPHQL_TRANSPORT_WS_PROTOCOL)
        caller = Caller(
            scope["state"]["request_id"], {"x-request-id": scope["state"]["request_id"]}, True
        )
        handler = BaseGraphQLTransportWSHandler(
            view=self._view,  # type: ignore[arg-type]
            websocket=ASGIWebSocketAdapter(self._view, websocket, websocket),  # type: ignore[arg-type]
            context=caller,
            root_value=None,
            schema=_Streams(self._operations, self._feeds),  # type: ignore[arg-type]
            connection_init_wait_timeout=self._init_timeout,
            max_subscriptions_per_connection=self._max_per_connection,
        )
        pings = asyncio.create_task(self._ping(handler))
        try:
            await handler.handle()
        finally:
            pings.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pings

    async def _ping(self, handler: BaseGraphQLTransportWSHandler[Any, Any]) -> None:
        while True:
            await asyncio.sleep(self._keep_alive)
            if handler.connection_acknowledged:
                await handler.send_message({"type": "ping"})


_FOREIGN = "This origin may not subscribe (see --cors-origins)."
_PROTOCOL = "Subscriptions speak the graphql-transport-ws subprotocol."


async def _deny(websocket: WebSocket, refusal: Refusal) -> None:
    """Refuse the upgrade: coded JSON where the server can send it, else a 1008 close."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(refusal.response())
    else:
        await websocket.close(code=1008, reason=refusal.message)


class _Streams:
    """What Strawberry's handler calls `schema.stream`: one operation's results."""

    def __init__(self, operations: Operations, feeds: Feeds) -> None:
        self._operations = operations
        self._feeds = feeds

    async def stream(
        self,
        query: str,
        variable_values: dict[str, Any] | None = None,
        context_value: Caller | None = None,
        root_value: object = None,
        operation_name: str | None = None,
    ) -> AsyncIterator[ExecutionResult]:
        assert context_value is not None
        return self._results(query, variable_values, context_value, operation_name)

    async def _results(
        self,
        query: str,
        variable_values: dict[str, Any] | None,
        caller: Caller,
        operation_name: str | None,
    ) -> AsyncIterator[ExecutionResult]:
        ops = self._operations
        prepared = ops.documents.prepare(query, operation_name)
        if isinstance(prepared, list):
            yield PreExecutionError(data=None, errors=prepared)
            return
        if prepared.kind is not OperationType.SUBSCRIPTION:
            request = OperationRequest(query, variable_values, operation_name, None)
            try:
                outcome = await ops.run(request, caller)
            except Refusal as refusal:
                error = GraphQLError(refusal.message, extensions={"code": refusal.code})
                yield PreExecutionError(data=None, errors=[error])
                return
            yield ExecutionResult(outcome.result.data, outcome.result.errors)
            return
        upstream = ops.upstream.scoped(caller.headers)
        context = Context(
            upstream=upstream,
            snapshots=ops.snapshots.loader(upstream),
            max_page_size=ops.max_page_size,
            max_ids=ops.max_ids,
            request_id=caller.request_id,
            operation_name=prepared.name,
            changes=self._feeds,
        )
        label = ops.metrics.operation_label(prepared.name)
        logger.info("subscription %s started", label, extra={"operation": label})
        try:
            async for result in subscribe(
                ops.schema,
                prepared,
                context,
                variable_values,
                hide_suggestions=ops.hide_suggestions,
            ):
                yield ExecutionResult(result.data, result.errors, result.extensions)
        finally:
            logger.info("subscription %s ended", label, extra={"operation": label})
