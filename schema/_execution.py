"""Run a prepared operation: its compiled plan, or graphql-core's executor.

A candidate for the compiled path (`schema.compiled`) has its variables
coerced here, by graphql-core's own `get_variable_values`, and is answered by
its plan for those variables; when it has none, or the plan bails, graphql-core's
`execute` runs it, with Strawberry's executor subclass (so resolvers get
Strawberry's `Info`). Strawberry's per-operation extension machinery is not
involved: the limits were applied once, when the document was prepared.
Every error of the result is logged as raised, then given its code.
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, GraphQLSchema, execute
from graphql.execution import Executor
from graphql.execution.values import get_variable_values
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema._context import Context
from schema._documents import Prepared
from schema._error_codes import log_error, with_codes
from schema.compiled import Bail, answer

__all__ = ["run"]

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
        return ExecutionResult(None, coerced)

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
        executor_class=StrawberryGraphQLCoreExecutionContext,
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        hide_suggestions=hide_suggestions,
    )
    if not isinstance(result, ExecutionResult):
        result = await result
    return result
