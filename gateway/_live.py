"""Subscriptions over WebSocket: graphql-transport-ws (Apollo Client, urql, graphql-ws).

Strawberry's protocol handler speaks the protocol (connection_init and its
timeout, ping/pong, subscribe/next/error/complete, subscriptions per
connection); this module gives it the gateway's side:

* the handshake: the Host allow-list (`gateway._middleware.TrustedHosts`) has
  run already; here the `Origin` must be one of `--cors-origins`, or the
  gateway's own (GraphiQL's page); none sent, as by a non-browser client, is
  allowed; any other is refused 403 FORBIDDEN_ORIGIN in coded JSON before the
  upgrade, so that a web page the user opens cannot subscribe to a local
  gateway; and the subprotocol must be graphql-transport-ws;
* each operation: `gateway._operations`, with the same prepared documents and
  limits as over HTTP; a subscription on `Operations.subscribe` (fed by the
  process's change feeds, `gateway._feed`), a query or mutation on
  `Operations.run`;
* keep-alive: a `ping` every `keep_alive` seconds, so that proxies keep the
  socket open and a peer gone without a close frame is noticed when the
  write fails (no pong is awaited).
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
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.unset import UNSET

from gateway._operations import Caller, OperationRequest, Operations
from gateway._refusals import Refusal

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
        *,
        allowed_origins: Collection[str],
        init_timeout: float,
        max_per_connection: int,
        keep_alive: float,
        max_connections: int = 1000,
    ) -> None:
        self._operations = operations
        self._origins = frozenset(allowed_origins)
        self._init_timeout = timedelta(seconds=init_timeout)
        self._max_per_connection = max_per_connection
        self._keep_alive = keep_alive
        # Open sockets, each a task and buffers whether or not it subscribes.
        self._max_connections = max_connections
        self._connections = 0
        self._view = _View()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        origin = websocket.headers.get("origin")
        if origin is not None and origin not in self._origins and not _same_origin(websocket):
            await _deny(websocket, Refusal(403, _FOREIGN, code="FORBIDDEN_ORIGIN"))
            return
        if GRAPHQL_TRANSPORT_WS_PROTOCOL not in (scope.get("subprotocols") or ()):
            await _deny(websocket, Refusal(400, _PROTOCOL, code="BAD_REQUEST"))
            return
        if self._connections >= self._max_connections:
            message = f"The gateway holds {self._max_connections} WebSockets at most."
            await _deny(websocket, Refusal(503, message, code="MAX_CONNECTIONS_EXCEEDED"))
            return
        self._connections += 1
        try:
            await self._serve(websocket, scope)
        finally:
            self._connections -= 1

    async def _serve(self, websocket: WebSocket, scope: Scope) -> None:
        await websocket.accept(subprotocol=GRAPHQL_TRANSPORT_WS_PROTOCOL)
        caller = Caller(
            scope["state"]["request_id"], {"x-request-id": scope["state"]["request_id"]}, True
        )
        handler = _Handler(
            view=self._view,  # type: ignore[arg-type]
            websocket=ASGIWebSocketAdapter(self._view, websocket, websocket),  # type: ignore[arg-type]
            context=caller,
            root_value=None,
            schema=_Streams(self._operations),  # type: ignore[arg-type]
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

    async def _ping(self, handler: _Handler) -> None:
        while True:
            await asyncio.sleep(self._keep_alive)
            if handler.connection_acknowledged:
                try:
                    await handler.send_message({"type": "ping"})
                except (WebSocketDisconnected, RuntimeError):
                    return  # the peer is gone: the handler ends the connection


_FOREIGN = "This origin may not subscribe (see --cors-origins)."
_PROTOCOL = "Subscriptions speak the graphql-transport-ws subprotocol."


def _same_origin(websocket: WebSocket) -> bool:
    """A page the gateway served itself (GraphiQL): its origin is this Host.

    The Host is one of the allow-list's (`TrustedHosts` ran first), so a page
    of another site that rebinds its name to this machine is not let in.
    """
    host = websocket.headers.get("host")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return host is not None and websocket.headers.get("origin") == f"{scheme}://{host}"


async def _deny(websocket: WebSocket, refusal: Refusal) -> None:
    """Refuse the upgrade: coded JSON where the server can send it, else a 1008 close."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(refusal.response())
    else:
        await websocket.close(code=1008, reason=refusal.message)


class _Handler(BaseGraphQLTransportWSHandler[Caller, None]):
    """Strawberry's handler, its refusal of one subscription too many coded."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.max_subscriptions_per_connection
        busy = limit is not None and len(self.operations) >= limit
        if self.connection_acknowledged and busy and message["id"] not in self.operations:
            error = GraphQLError(
                f"One connection may carry {limit} operations at once.",
                extensions={"code": "MAX_SUBSCRIPTIONS_EXCEEDED"},
            )
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)


class _Streams:
    """What Strawberry's handler calls `schema.stream`: one operation's results."""

    def __init__(self, operations: Operations) -> None:
        self._operations = operations

    async def stream(
        self,
        query: str,
        variable_values: dict[str, Any] | None = None,
        context_value: Caller | None = None,
        root_value: object = None,
        operation_name: str | None = None,
    ) -> AsyncIterator[ExecutionResult]:
        assert context_value is not None
        # The message's payload as the client sent it: Strawberry checks none of its types.
        parameters = {"query": query, "variables": variable_values, "operationName": operation_name}
        return self._results(parameters, context_value)

    async def _results(
        self, parameters: dict[str, Any], caller: Caller
    ) -> AsyncIterator[ExecutionResult]:
        ops = self._operations
        try:  # the message's parameters, and a query or mutation's run, may be refused
            request = OperationRequest.of(parameters)
            if ops.kind(request) in (OperationType.QUERY, OperationType.MUTATION):
                outcome = await ops.run(request, caller)
                yield ExecutionResult(outcome.result.data, outcome.result.errors)
                return
        except Refusal as refusal:
            error = GraphQLError(refusal.message, extensions={"code": refusal.code})
            yield PreExecutionError(data=None, errors=[error])
            return
        results = await ops.subscribe(request, caller)
        if isinstance(results, list):
            yield PreExecutionError(data=None, errors=results)
            return
        async for result in results:
            yield ExecutionResult(result.data, result.errors, result.extensions)
