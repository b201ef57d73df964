"""Run a prepared operation: variables coerced, then the compiled path or graphql-core's executor.

graphql-core's `execute` is called directly, with Strawberry's executor
subclass (so resolvers get Strawberry's `Info`) wrapped by the compiled path.
Strawberry's per-operation extension machinery is not involved: the limits
were applied once, when the document was prepared. Every error of the result
is logged as raised and then given its code.
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, GraphQLSchema, execute
from strawberry.execution.is_awaitable import optimized_is_awaitable

from schema._context import Context
from schema._documents import Prepared
from schema._error_codes import log_error, with_codes
from schema.compiled import CompiledExecutor

__all__ = ["run"]


async def run(
    schema: GraphQLSchema,
    prepared: Prepared,
    context: Context,
    variables: dict[str, Any] | None,
    *,
    hide_suggestions: bool = False,
) -> ExecutionResult:
    result = execute(
        schema,
        prepared.document,
        context_value=context,
        variable_values=variables,
        operation_name=prepared.name,
        executor_class=CompiledExecutor,
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        hide_suggestions=hide_suggestions,
        plans=prepared.plans,
    )
    if not isinstance(result, ExecutionResult):
        result = await result
    if result.errors:
        for error in result.errors:
            log_error(error)
        result.errors = with_codes(result.errors, request_id=context.request_id)
    return result
