"""The GraphQL-over-HTTP endpoint: HTTP in, operations out, JSON back.

Only HTTP concerns, each once per request:

* the method (GET for queries, POST for everything; 405 otherwise) and, for a
  browser's GET, GraphiQL;
* the request's parameters, from the query string (GET) or a JSON body (POST,
  `application/json` only: 415 otherwise), read with orjson; a JSON array is a
  batch, when batching is on;
* the answer's media type, negotiated from `Accept`: clients that ask for
  `application/graphql-response+json` get it, with a 400 and no `data` for a
  request error (a document that does not parse or validate, variables that
  do not coerce); `application/json` clients get a 200 for every GraphQL
  response, as the spec asks of them;
* every refusal as coded JSON (`gateway._refusals`);
* a subscription, to a client whose Accept takes Apollo's multipart
  subscriptions, as a multipart stream (`gateway._multipart`).

What each operation does is `gateway._operations`. Strawberry's HTTP view is
not used: it negotiates the media type by substring, parses batch entries
unchecked, and runs every operation through its per-operation extension
machinery, which the document cache makes unnecessary.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import orjson
from graphql import OperationType
from starlette.types import Receive, Scope, Send
from strawberry.http.ides import get_graphql_ide_html

from gateway._graphiql import LocalGraphiQL
from gateway._media_types import GRAPHQL_RESPONSE_JSON, JSON, negotiate
from gateway._middleware import too_large
from gateway._multipart import stream, wants_multipart
from gateway._operations import Caller, OperationRequest, Operations, Outcome
from gateway._refusals import Refusal

__all__ = ["GraphQLView"]

_NO_BATCHING = "Batching is not enabled: start the gateway with --batching."
_JSON_TYPES = frozenset({JSON, GRAPHQL_RESPONSE_JSON})
# Headers that describe one connection, never forwarded (RFC 9110, section 7.6.1).
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class GraphQLView:
    def __init__(
        self,
        operations: Operations,
        *,
        max_body_bytes: int,
        body_timeout: float = 30.0,
        heartbeat: float = 5.0,
        forward_headers: tuple[str, ...] = (),
        max_batch_operations: int | None = None,
        graphiql: LocalGraphiQL | None = None,
        serves_graphiql: bool = False,
    ) -> None:
        self._operations = operations
        self._max_body = max_body_bytes
        self._body_timeout = body_timeout
        self._heartbeat = heartbeat
        self._forward = frozenset(h.lower() for h in forward_headers) - _HOP_BY_HOP
        self._max_batch = max_batch_operations
        self._graphiql = graphiql
        self._serves_graphiql = serves_graphiql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # (WebSockets at this path are gateway._live's: the route is HTTP only.)
        headers = _headers(scope)
        media_type = negotiate(headers.get("accept"))
        try:
            await self._answer(scope, receive, send, headers, media_type)
        except Refusal as refusal:
            await refusal.send(send, media_type=media_type)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        media_type: str,
    ) -> None:
        method = scope["method"]
        if method == "GET":
            parameters: Any = _query_parameters(scope)
            if self._wants_graphiql(parameters, headers):
                await _send(send, 200, self._graphiql_page(scope), "text/html; charset=utf-8")
                return
        elif method == "POST":
            if _media_type(headers.get("content-type", "")) not in _JSON_TYPES:
                raise Refusal(415, "POST bodies must be application/json.")
            parameters = _parse_json(await _body(receive, self._max_body, self._body_timeout))
        else:
            raise Refusal(
                405,
                "GraphQL is served over GET (queries) and POST.",
                headers={"Allow": "GET, POST"},
            )
        caller = Caller(
            scope["state"]["request_id"], self._forwarded(scope, headers), method == "POST"
        )
        body: dict[str, Any] | list[dict[str, Any]]
        cache_control = None
        if isinstance(parameters, list):
            body = await self._batch(parameters, caller)
            status = 200
        elif (flavour := wants_multipart(headers.get("accept"))) and self._streams(
            request := OperationRequest.of(parameters)
        ):
            results = await self._operations.subscribe(request, caller)
            if isinstance(results, list):  # refused before it started: a JSON answer
                body, status = {"errors": [e.formatted for e in results]}, 200
            else:
                await stream(results, receive, send, flavour=flavour, heartbeat=self._heartbeat)
                return
        else:
            outcome = await self._operations.run(OperationRequest.of(parameters), caller)
            body, status = _response(outcome, media_type)
            if method == "GET":
                cache_control = outcome.cache_control
        await _send(send, status, orjson.dumps(body), media_type, cache_control)

    async def _batch(self, entries: list[Any], caller: Caller) -> list[dict[str, Any]]:
        if self._max_batch is None:
            raise Refusal(400, _NO_BATCHING)
        if not entries:
            raise Refusal(400, "A batch must hold at least one operation.")
        if len(entries) > self._max_batch:
            raise Refusal(400, f"A batch may hold {self._max_batch} operations at most.")
        requests = [OperationRequest.of(entry) for entry in entries]
        outcomes = await asyncio.gather(*(self._operations.run(r, caller) for r in requests))
        return [_response(outcome, JSON)[0] for outcome in outcomes]

    def _streams(self, request: OperationRequest) -> bool:
        return self._operations.kind(request) is OperationType.SUBSCRIPTION

    def _forwarded(self, scope: Scope, headers: dict[str, str]) -> dict[str, str]:
        forwarded = {name: value for name, value in headers.items() if name in self._forward}
        forwarded["x-request-id"] = scope["state"]["request_id"]
        return forwarded

    def _wants_graphiql(self, parameters: dict[str, Any], headers: dict[str, str]) -> bool:
        # A GET with a query, or only a persisted-query hash, is an operation.
        accept = headers.get("accept", "")
        if "text/html" not in accept and "*/*" not in accept:
            return False
        if parameters.get("query") is not None or parameters.get("extensions") is not None:
            return False
        if not self._serves_graphiql:
            raise Refusal(404, "Not Found")
        return True

    def _graphiql_page(self, scope: Scope) -> bytes:
        if self._graphiql is None:  # no local bundles: Strawberry's page, from a CDN
            return get_graphql_ide_html("graphiql").encode()
        return self._graphiql.page(scope.get("root_path", "")).encode()


def _headers(scope: Scope) -> dict[str, str]:
    # The last value of a repeated header wins, as in Starlette's `Headers.get`.
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


async def _body(receive: Receive, limit: int, timeout: float) -> bytes:
    """The request body, refused past `limit` bytes (413) or `timeout` seconds (408)."""
    try:
        async with asyncio.timeout(timeout):
            return await _read(receive, limit)
    except TimeoutError:
        message = "The request's body did not arrive in time."
        raise Refusal(
            408, message, code="REQUEST_TIMEOUT", headers={"Connection": "close"}
        ) from None


async def _read(receive: Receive, limit: int) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refusal(400, "The client went away before sending the whole body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parse_json(data: bytes) -> Any:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = "not valid UTF-8" if "UTF-8" in str(exc) else "not valid JSON"
        raise Refusal(400, f"The request body is {reason}.") from exc
    if not isinstance(parsed, dict | list):
        raise Refusal(400, "The request body must be a JSON object.")
    return parsed


def _query_parameters(scope: Scope) -> dict[str, Any]:
    raw = scope.get("query_string", b"").decode("latin-1")
    parameters: dict[str, Any] = dict(parse_qsl(raw, keep_blank_values=True))
    for name in ("variables", "extensions"):
        if name in parameters:
            try:
                parameters[name] = orjson.loads(parameters[name])
            except orjson.JSONDecodeError as exc:
                raise Refusal(400, f"`{name}` is not valid JSON.") from exc
    return parameters


def _response(outcome: Outcome, media_type: str) -> tuple[dict[str, Any], int]:
    result = outcome.result
    body: dict[str, Any] = {}
    if outcome.executed or media_type == JSON:
        body["data"] = result.data
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    # (No result of ours carries `extensions`: no execution path sets them.)
    status = 400 if not outcome.executed and media_type == GRAPHQL_RESPONSE_JSON else 200
    return body, status


async def _send(
    send: Send, status: int, body: bytes, media_type: str, cache_control: str | None = None
) -> None:
    headers = [
        (b"content-type", media_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("latin-1")),
    ]
    if cache_control is not None:
        # The media type is negotiated from Accept: a cache keys on it too.
        headers.append((b"cache-control", cache_control.encode("latin-1")))
        headers.append((b"vary", b"Accept"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
