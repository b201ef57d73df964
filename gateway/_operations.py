"""Run one GraphQL operation: persisted query → prepared document → deadline → execution → record.

`Operations.run` is what the HTTP view calls for each operation of a request
(one, or each of a batch). It looks the document up (Apollo's persisted
queries), takes it prepared from the document cache (parsed, validated within
the limits, compiled: once per distinct document), builds the operation's own
`Context` (its upstream view, with the caller's headers, and its DataLoader),
executes it within the operation deadline, and records it: a span, the
metrics and one log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphql import ExecutionResult, GraphQLError, GraphQLSchema, OperationType

from gateway._client import UpstreamClient
from gateway._loaders import SnapshotFetcher
from gateway._metrics import Metrics
from gateway._persisted import PersistedQueries, cache_control
from gateway._refusals import Refusal
from gateway._related import RecordFetcher
from gateway._tracing import Tracing
from schema import Context, Documents, Prepared, run, subscribe

__all__ = ["Caller", "OperationRequest", "Operations", "Outcome"]

logger = logging.getLogger("pieces_gateway.http")
operations_log = logging.getLogger("pieces_gateway.operations")

_TIMEOUT = "UPSTREAM_TIMEOUT"


class OperationRequest(NamedTuple):
    """One operation as a client sent it (GraphQL over HTTP's request parameters)."""

    query: str | None
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None

    @classmethod
    def of(cls, parameters: object) -> OperationRequest:
        """The request parameters of one operation (over HTTP, or a socket's subscribe
        message), each of the type the spec gives it; a coded `Refusal` otherwise."""
        if not isinstance(parameters, dict):
            raise Refusal(400, "Each operation must be a JSON object.")
        query = parameters.get("query")
        if not isinstance(query, str | None):
            raise Refusal(400, "The GraphQL operation's `query` must be a string or null.")
        variables = parameters.get("variables")
        if not isinstance(variables, dict | None):
            raise Refusal(400, "The GraphQL operation's `variables` must be an object or null.")
        name = parameters.get("operationName")
        if not isinstance(name, str | None):
            message = "The GraphQL operation's `operationName` must be a string or null."
            raise Refusal(400, message)
        extensions = parameters.get("extensions")
        if not isinstance(extensions, dict | None):
            message = "The GraphQL operation's `extensions` must be an object or null."
            raise Refusal(400, message)
        return cls(query, variables, name, extensions)


class Caller(NamedTuple):
    """Who asked: the HTTP request's id and the headers it forwards upstream."""

    request_id: str
    headers: Mapping[str, str]
    mutations_allowed: bool  # False over GET


class Outcome(NamedTuple):
    result: ExecutionResult
    executed: bool  # False for a request error: refused before execution began
    cache_control: str | None = None  # what the answer to a GET says, if anything


class _Ran(NamedTuple):
    outcome: Outcome
    name: str | None  # the operation's, once its document is known
    upstream_calls: int


@dataclass(frozen=True, slots=True)
class Operations:
    schema: GraphQLSchema
    documents: Documents
    persisted: PersistedQueries
    upstream: UpstreamClient
    snapshots: SnapshotFetcher
    records: RecordFetcher
    metrics: Metrics
    tracing: Tracing
    timeout: float
    max_page_size: int
    max_ids: int
    hide_suggestions: bool
    # Called after a mutation ran: the change feed polls at once (gateway._feed).
    after_write: Callable[[], None] = lambda: None
    # Where subscriptions get their changes (gateway._feed.Feeds).
    changes: Any = None
    # Monotonic seconds: the durations logged and measured (tests hand in a fake one).
    clock: Callable[[], float] = time.perf_counter

    def kind(self, request: OperationRequest) -> OperationType | None:
        """The kind of operation `request` names; None if it names none (`run` says why)."""
        query = self.persisted.resolve(request.query, request.extensions)
        if not isinstance(query, str):
            return None
        prepared = self.documents.prepare(query, request.operation_name)
        return None if isinstance(prepared, list) else prepared.kind

    async def subscribe(
        self, request: OperationRequest, caller: Caller
    ) -> list[GraphQLError] | AsyncIterator[ExecutionResult]:
        """A subscription's results, or the errors that refuse it before it starts.

        Its callers have asked `kind` first: a query or a mutation goes to `run`, and so
        does a persisted query's miss. No deadline: a subscription lasts as long as its
        subscriber. One log line when it starts and one when it ends.
        """
        query = self.persisted.resolve(request.query, request.extensions)
        if not isinstance(query, str):  # a socket's subscribe message with a null query
            return [GraphQLError("No GraphQL query found.", extensions={"code": "BAD_REQUEST"})]
        prepared = self.documents.prepare(query, request.operation_name)
        if isinstance(prepared, list):
            return prepared
        _, context = self._context(caller, prepared)
        return self._subscription(prepared, context, request.variables)

    def _context(self, caller: Caller, prepared: Prepared) -> tuple[UpstreamClient, Context]:
        """An operation's own context, and the upstream client it calls through."""
        upstream = self.upstream.scoped(caller.headers)
        context = Context(
            upstream=upstream,
            snapshots=self.snapshots.loader(upstream),
            records=self.records.loaders(upstream),
            max_page_size=self.max_page_size,
            max_ids=self.max_ids,
            request_id=caller.request_id,
            operation_name=prepared.name,
            changes=self.changes,
        )
        return upstream, context

    async def _subscription(
        self, prepared: Prepared, context: Context, variables: dict[str, Any] | None
    ) -> AsyncIterator[ExecutionResult]:
        label = self.metrics.operation_label(prepared.name)
        extra = {"operation": label, "request_id": context.request_id}
        operations_log.info("subscription %s started", label, extra=extra)
        started = self.clock()
        try:
            async for result in subscribe(
                self.schema, prepared, context, variables, hide_suggestions=self.hide_suggestions
            ):
                yield result
        finally:
            seconds = self.clock() - started
            operations_log.info("subscription %s ended after %.1f s", label, seconds, extra=extra)

    async def run(self, request: OperationRequest, caller: Caller) -> Outcome:
        started = self.clock()
        with self.tracing.span("graphql.operation", request_id=caller.request_id) as span:
            ran = await self._run(request, caller)
            if span is not None:
                span.set_attribute("graphql.operation.name", ran.name or "")
                span.set_attribute("graphql.errors", len(ran.outcome.result.errors or ()))
        self._record(ran, caller, started)
        if request.query is None:  # hash-only: the URL of a GET names the document
            # (A GET never runs a mutation: it is refused before execution.)
            # The request id goes upstream too, but no answer depends on it.
            personal = bool(caller.headers.keys() - {"x-request-id"})
            caching = cache_control(ran.outcome.result, personal=personal)
            return ran.outcome._replace(cache_control=caching)
        return ran.outcome

    async def _run(self, request: OperationRequest, caller: Caller) -> _Ran:
        query = self.persisted.resolve(request.query, request.extensions)
        if isinstance(query, ExecutionResult):
            return _Ran(Outcome(query, executed=False), request.operation_name, 0)
        if query is None:
            raise Refusal(400, "No GraphQL query found in the request.")
        prepared = self.documents.prepare(query, request.operation_name)
        if isinstance(prepared, list):
            refused = Outcome(ExecutionResult(None, prepared), executed=False)
            return _Ran(refused, request.operation_name, 0)
        if prepared.kind is OperationType.SUBSCRIPTION:
            message = (
                "Subscriptions are served over WebSocket (graphql-transport-ws) at this path,"
                " or over HTTP to an Accept of multipart/mixed (Apollo's"
                ' multipart/mixed;subscriptionSpec="1.0", or plain).'
            )
            raise Refusal(400, message, code="SUBSCRIPTION_NEEDS_WEBSOCKET")
        if prepared.kind is not OperationType.QUERY and not caller.mutations_allowed:
            raise Refusal(405, "Mutations are only accepted over POST.", headers={"Allow": "POST"})
        upstream, context = self._context(caller, prepared)
        try:
            async with asyncio.timeout(self.timeout):
                result = await run(
                    self.schema,
                    prepared,
                    context,
                    request.variables,
                    hide_suggestions=self.hide_suggestions,
                )
        except TimeoutError:
            logger.warning("operation timed out after %ss", self.timeout)
            message = f"The operation did not finish within {self.timeout:g} seconds."
            error = GraphQLError(message, extensions={"code": _TIMEOUT})
            timed_out = Outcome(ExecutionResult(None, [error]), executed=True)
            return _Ran(timed_out, prepared.name, upstream.calls)
        if prepared.kind is OperationType.MUTATION:
            self.after_write()
        # Field errors have a path; errors of the variables do not, and come
        # before execution, with no data.
        executed = result.data is not None or any(e.path for e in result.errors or ())
        return _Ran(Outcome(result, executed), prepared.name, upstream.calls)

    def _record(self, ran: _Ran, caller: Caller, started: float) -> None:
        """The metrics and the one log line of an operation."""
        seconds = self.clock() - started
        errors = ran.outcome.result.errors or ()
        codes = [str((e.extensions or {}).get("code", "")) for e in errors]
        label = self.metrics.operation(ran.name, codes, seconds)
        operations_log.info(
            "%s in %.1f ms, %d upstream calls%s",
            label,
            seconds * 1000,
            ran.upstream_calls,
            f", errors: {', '.join(codes)}" if codes else "",
            extra={
                "operation": ran.name,
                "duration_ms": round(seconds * 1000, 3),
                "upstream_calls": ran.upstream_calls,
                "error_codes": codes,
                "request_id": caller.request_id,
            },
        )
