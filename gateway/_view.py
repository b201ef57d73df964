"""The GraphQL-over-HTTP endpoint: Strawberry's ASGI view, made strict and quiet.

On top of Strawberry's own handling (POST bodies only as JSON, no mutations
over GET, no batching unless enabled) this view
* answers every refused request with a JSON error carrying a code, and the
  status the GraphQL-over-HTTP spec asks for (405, 413, 415, ...);
* reads and writes JSON with orjson (also refusing invalid UTF-8 with a 400);
* answers in `application/graphql-response+json` to a client that asks for it,
  with a 400 and no `data` for a request error (a document that does not
  parse or validate, a variable that does not coerce); `application/json`
  clients keep a 200 for every GraphQL response;
* gives each operation one deadline;
* builds each request's Context: its upstream view (request id and forwarded
  headers) and its snapshot DataLoader.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any, cast

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types.execution import ExecutionResult

from gateway._graphiql import LocalGraphiQL
from gateway._loaders import SnapshotFetcher
from gateway._media_types import GRAPHQL_RESPONSE_JSON, negotiate
from gateway._metrics import Metrics
from gateway._persisted import PersistedQueries
from gateway._settings import Settings
from gateway._tracing import Tracing
from gateway._upstream import UpstreamClient
from schema import Context, build_schema

__all__ = ["GraphQLView"]

logger = logging.getLogger("pieces_gateway.http")
operations_log = logging.getLogger("pieces_gateway.operations")

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

_TIMEOUT = "UPSTREAM_TIMEOUT"

_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


_MUTATION_OVER_GET = "Mutations are only accepted over POST."


def _refine(error: HTTPException, method: str) -> HTTPException:
    # Strawberry says 400 for both of these; the GraphQL-over-HTTP spec is
    # more precise.
    if error.reason == "Unsupported content type":
        return HTTPException(415, "POST bodies must be application/json.")
    if method == "GET" and "not allowed when using GET" in error.reason:
        return HTTPException(405, _MUTATION_OVER_GET)
    if error.status_code == 405:
        return HTTPException(405, "GraphQL is served over GET (queries) and POST.")
    return error


class GraphQLView(GraphQL[Context, None]):
    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        tracing: Tracing,
        *,
        graphiql: LocalGraphiQL | None = None,
    ) -> None:
        super().__init__(
            build_schema(settings.schema_options),
            graphql_ide="graphiql" if settings.serves_graphiql else None,
            # No subscriptions, so no WebSockets: CORS does not guard them, and
            # any web page could otherwise run operations on a local gateway.
            subscription_protocols=(),
        )
        self._max_page_size = settings.max_page_size
        self._max_ids = settings.max_ids
        self._operation_timeout = settings.operation_timeout
        self._forward = frozenset(h.lower() for h in settings.forward_headers) - _HOP_BY_HOP
        self._graphiql = graphiql
        self._metrics = metrics
        self._tracing = tracing
        self._persisted = PersistedQueries(
            enabled=settings.persisted_queries, max_bytes=settings.persisted_queries_max_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            media_type = negotiate(request.headers.get("accept"))
            response = _error_response(_refine(exc, request.method), media_type)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our own page, on local bundles; Strawberry's loads them from a CDN.
        if self._graphiql is None:
            return await super().render_graphql_ide(request)
        return HTMLResponse(self._graphiql.page(request.scope.get("root_path", "")))

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # Read back by create_response, which is not given the request.
        sub_response.media_type = negotiate(request.headers.get("accept"))
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if negotiate(request.headers.get("accept")) == GRAPHQL_RESPONSE_JSON and _is_request_error(
            result
        ):
            # A request error never began executing: the spec says no `data` at all.
            del response["data"]
        return response

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        request_id: str = request.state.request_id
        headers = {name: value for name, value in request.headers.items() if name in self._forward}
        headers["x-request-id"] = request_id
        upstream: UpstreamClient = request.state.upstream
        upstream = upstream.with_headers(headers)
        snapshots: SnapshotFetcher = request.state.snapshots
        return Context(
            upstream=upstream,
            snapshots=snapshots.loader(upstream),
            max_page_size=self._max_page_size,
            max_ids=self._max_ids,
            request_id=request_id,
        )

    @staticmethod
    def _for_one_operation(context: Context, request: Request) -> Context:
        # The operations of one batched request share the request's context:
        # give each its own call count, DataLoader and name, so that one's
        # mutation does not clear another's cache and the logs stay apart.
        upstream = cast(UpstreamClient, context.upstream).with_headers({})
        snapshots: SnapshotFetcher = request.state.snapshots
        return dataclasses.replace(
            context, upstream=upstream, snapshots=snapshots.loader(upstream), operation_name=None
        )

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET with only a persisted-query hash is an operation, not a browser.
        return bool(super().should_render_graphql_ide(request)) and (
            request.query_params.get("extensions") is None
        )

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            reason = "not valid UTF-8" if "UTF-8" in str(exc) else "not valid JSON"
            raise HTTPException(400, f"The request body is {reason}.") from exc
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        started = time.perf_counter()
        context = kwargs["context"] = self._for_one_operation(kwargs["context"], kwargs["request"])
        with self._tracing.span("graphql.operation", request_id=context.request_id) as span:
            resolved = self._persisted.resolve(kwargs["request_data"])
            if isinstance(resolved, ExecutionResult):
                result = resolved
            else:
                kwargs["request_data"] = resolved
                result = await self._execute_within_deadline(*args, **kwargs)
            if span is not None:
                span.set_attribute("graphql.operation.name", context.operation_name or "")
                span.set_attribute("graphql.errors", len(result.errors or ()))
        self._record(kwargs["request_data"], kwargs["context"], result, started)
        return result

    async def _execute_within_deadline(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            async with asyncio.timeout(self._operation_timeout):
                return await super().execute_single(*args, **kwargs)
        except TimeoutError:
            logger.warning("operation timed out after %ss", self._operation_timeout)
            message = f"The operation did not finish within {self._operation_timeout:g} seconds."
            error = GraphQLError(message, extensions={"code": _TIMEOUT})
            return ExecutionResult(data=None, errors=[error])

    def _record(
        self, request: GraphQLRequestData, context: Context, result: ExecutionResult, started: float
    ) -> None:
        """One log line and the metrics of an operation."""
        seconds = time.perf_counter() - started
        codes = [str((e.extensions or {}).get("code", "")) for e in result.errors or ()]
        operation = context.operation_name or request.operation_name
        name = self._metrics.operation_label(operation)
        self._metrics.operations.labels(name, "error" if codes else "ok").inc()
        self._metrics.operation_seconds.labels(name).observe(seconds)
        for code in codes:
            self._metrics.errors.labels(code).inc()
        calls = getattr(context.upstream, "calls", 0)
        operations_log.info(
            "%s in %.1f ms, %d upstream calls%s",
            name,
            seconds * 1000,
            calls,
            f", errors: {', '.join(codes)}" if codes else "",
            extra={
                "operation": operation,
                "duration_ms": round(seconds * 1000, 3),
                "upstream_calls": calls,
                "error_codes": codes,
                "request_id": context.request_id,
            },
        )


def _is_request_error(result: ExecutionResult) -> bool:
    # Field errors have a path; errors of the document or its variables do not.
    # The operation deadline is path-less too, but strikes during execution.
    return (
        result.data is None
        and bool(result.errors)
        and all(
            error.path is None and (error.extensions or {}).get("code") != _TIMEOUT
            for error in result.errors or ()
        )
    )


def _error_response(error: HTTPException, media_type: str) -> Response:
    code = _CODES.get(error.status_code, "BAD_REQUEST")
    headers = None
    if error.status_code == 405:
        headers = {"Allow": "POST" if error.reason == _MUTATION_OVER_GET else "GET, POST"}
    return JSONResponse(
        {"errors": [{"message": error.reason, "extensions": {"code": code}}]},
        status_code=error.status_code,
        headers=headers,
        media_type=media_type,
    )
