"""Run a prepared operation: its compiled plan, or graphql-core's executor.

A candidate for the compiled path (`schema.compiled`) has its variables
coerced here, by graphql-core's own `get_variable_values`, and is answered by
its plan for those variables; when it has none, or the plan bails, graphql-core's
`execute` runs it, with Strawberry's executor subclass (so resolvers get
Strawberry's `Info`). Strawberry's per-operation extension machinery is not
involved: the limits were applied once, when the document was prepared.

Errors are coded here where they arise: a variable the schema cannot accept is
BAD_USER_INPUT (graphql-core's message: it quotes the client's own value), and
a leaf value from the upstream that its type cannot represent is
UPSTREAM_BAD_RESPONSE, worded by `_Executor` with the type and the kind of
value it was, never the value. Every error of the result is logged as raised,
then `with_codes` codes what is left.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import orjson
from cachetools import LRUCache
from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLLeafType,
    GraphQLSchema,
    Undefined,
    execute,
)
from graphql.execution import (
    Executor,
    create_source_event_stream,
    execute_subscription_event,
    map_source_to_response_event,
)
from graphql.execution.values import get_variable_values
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema._context import Context
from schema._documents import Prepared
from schema._error_codes import log_error, with_codes
from schema.compiled import Bail, answer
from schema.errors import GatewayError, UpstreamBadResponse

__all__ = ["run", "subscribe"]

_INF = float("inf")
_MAX_COERCION_ERRORS = 50  # graphql-core's default, so both paths refuse alike


async def run(
    schema: GraphQLSchema,
    prepared: Prepared,
    context: Context,
    variables: dict[str, Any] | None,
    *,
    hide_suggestions: bool = False,
) -> ExecutionResult:
    result = await _compiled(schema, prepared, context, variables, hide_suggestions)
    if result is None:
        result = await _regular(schema, prepared, context, variables, hide_suggestions)
    if result.errors:
        for error in result.errors:
            log_error(error)
        result.errors = with_codes(result.errors, request_id=context.request_id)
    return result


async def _compiled(
    schema: GraphQLSchema,
    prepared: Prepared,
    context: Context,
    variables: dict[str, Any] | None,
    hide_suggestions: bool,
) -> ExecutionResult | None:
    """The plan's answer; None when the regular executor must give it."""
    plans = prepared.plans
    if plans is None:
        return None
    coerced = get_variable_values(
        schema,
        prepared.operation.variable_definitions or (),
        variables or {},
        max_errors=_MAX_COERCION_ERRORS,
        hide_suggestions=hide_suggestions,
    )
    if isinstance(coerced, list):
        return ExecutionResult(None, [_refused_variable(error) for error in coerced])

    def executor() -> Executor[Any] | list[Any]:  # to compile with, once per variant
        return Executor.build(
            schema,
            prepared.document,
            context_value=context,
            raw_variable_values=variables,
            operation_name=prepared.name,
            hide_suggestions=hide_suggestions,
        )

    plan = plans.plan(coerced, executor)
    if plan is None:
        return None
    try:
        result = await answer(plan, context, coerced, hide_suggestions=hide_suggestions)
    except Bail:
        plans.bails += 1
        return None
    plans.runs += 1
    return result


async def _regular(
    schema: GraphQLSchema,
    prepared: Prepared,
    context: Context,
    variables: dict[str, Any] | None,
    hide_suggestions: bool,
) -> ExecutionResult:
    result = execute(
        schema,
        prepared.document,
        context_value=context,
        variable_values=variables,
        operation_name=prepared.name,
        max_coercion_errors=_MAX_COERCION_ERRORS,
        executor_class=_Executor,
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        hide_suggestions=hide_suggestions,
    )
    if not isinstance(result, ExecutionResult):
        result = await result
    if result.data is None and result.errors:
        # No data at all: the variables were refused before anything ran (a
        # field's error leaves `data`, if only a null in it).
        result.errors = [_refused_variable(error) for error in result.errors]
    return result


async def subscribe(
    schema: GraphQLSchema,
    prepared: Prepared,
    context: Context,
    variables: dict[str, Any] | None,
    *,
    hide_suggestions: bool = False,
) -> AsyncIterator[ExecutionResult]:
    """A subscription's results, each coded as `run`'s are.

    A refusal of the stream itself (a variable refused, the resolver's error
    before its first change) is one result with errors. A `GatewayError` the
    stream raises later (the subscriber fell behind, the event was deleted)
    ends it with one last result carrying that error.

    Each change is one object for all its subscribers (`gateway._feed`), so
    the result of one document with the same variables for it is executed
    once and shared by every subscriber in that cohort (`_SHARED`): a thousand
    subscribers of one shape cost one execution per change, not a thousand.
    """
    executor = _Executor.build(
        schema,
        prepared.document,
        context_value=context,
        raw_variable_values=variables,
        operation_name=prepared.name,
        max_coercion_errors=_MAX_COERCION_ERRORS,
        hide_suggestions=hide_suggestions,
    )
    if isinstance(executor, list):
        yield _coded(ExecutionResult(None, [_refused_variable(e) for e in executor]), context)
        return
    source = await _awaited(create_source_event_stream(executor))
    if isinstance(source, ExecutionResult):
        yield _coded(source, context)
        return
    # By identity: a prepared document is one object per distinct document (the
    # cache's), and hashing it by value would walk its whole syntax tree.
    cohort = (id(prepared), orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS))
    results = map_source_to_response_event(
        executor, source, partial(_shared, cohort, prepared, context)
    )
    try:
        async for result in results:
            yield result
    except GatewayError as exc:
        field = prepared.operation.selection_set.selections[0]
        key = (field.alias or field.name).value if isinstance(field, FieldNode) else None
        error = GraphQLError(exc.message, path=[key] if key else None, original_error=exc)
        yield _coded(ExecutionResult(None, [error]), context)
    finally:
        await results.aclose()
        await _close(source)


# Results of recent events, by (event, document, variables): an event and a
# prepared document are each one object for every subscriber, so their
# identities are the key while they are held here (the entry keeps them alive).
# Bounded: a few recent changes' worth.
_SHARED: LRUCache[tuple[int, int, bytes], tuple[Any, Any, ExecutionResult]] = LRUCache(4096)


async def _shared(
    cohort: tuple[int, bytes], prepared: Prepared, context: Context, executor: Executor[Any]
) -> ExecutionResult:
    event = executor.root_value
    key = (id(event), *cohort)
    held = _SHARED.get(key)
    if held is not None and held[0] is event and held[1] is prepared:
        return held[2]
    # A subscription lasts: each change reads the records it points at anew.
    context.records = context.records.renewed()
    result = _coded(await _awaited(execute_subscription_event(executor)), context)
    _SHARED[key] = (event, prepared, result)  # held: their ids stay theirs
    return result


def _coded(result: ExecutionResult, context: Context) -> ExecutionResult:
    if result.errors:
        for error in result.errors:
            log_error(error)
        result.errors = with_codes(result.errors, request_id=context.request_id)
    return result


async def _awaited(value: Any) -> Any:
    return await value if optimized_is_awaitable(value) else value


async def _close(source: Any) -> None:
    close = getattr(source, "aclose", None)
    if close is not None:
        await close()


def _refused_variable(error: GraphQLError) -> GraphQLError:
    if error.path is None and not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
    return error


class _Executor(StrawberryGraphQLCoreExecutionContext):
    @staticmethod
    def complete_leaf_value(return_type: GraphQLLeafType, result: Any) -> Any:
        # graphql-core's own messages quote the value; this one says what kind it was.
        try:
            coerced = return_type.coerce_output_value(result)
        except (GraphQLError, ValueError, TypeError, ArithmeticError):
            coerced = None
        if coerced is None or coerced is Undefined:
            raise UpstreamBadResponse(
                f"{return_type.name} cannot represent {_kind(return_type, result)}."
            )
        return coerced


def _kind(of: GraphQLLeafType, value: Any) -> str:
    """What a value is, in a few words that do not repeat it."""
    if isinstance(of, GraphQLEnumType) and isinstance(value, str):
        return "a value it does not define"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer out of its range"
    if isinstance(value, float):
        return "a non-finite number" if value != value or value in (_INF, -_INF) else "a number"
    if isinstance(value, str):
        return "a string" if value else "an empty string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"
