"""Give every error in a response an `extensions.code`, and mask the unexpected.

Strawberry's own `MaskErrors` replaces errors wholesale and drops their
extensions; here each error keeps its message when it is meant for the client
and gains the code that says what kind of failure it was:

* our own `GatewayError`s already carry their code;
* a document that does not parse: GRAPHQL_PARSE_FAILED;
* a variable the schema cannot accept: BAD_USER_INPUT;
* any other document error: GRAPHQL_VALIDATION_FAILED;
* a field whose upstream value the schema cannot represent (an enum value from
  a newer Pieces OS, a missing required key): UPSTREAM_BAD_RESPONSE, on that
  field only;
* anything else is a bug: shown as INTERNAL_SERVER_ERROR, and logged in full
  by `log_error` (which the schema calls with the errors as they were raised).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from schema.errors import GatewayError

__all__ = ["ErrorCodes", "log_error"]

logger = logging.getLogger("pieces_gateway.errors")

_MISSING = "Cannot return null for non-nullable field"


def _classify(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError):
        return error
    if error.path is None:
        if isinstance(error, GraphQLSyntaxError):
            code = "GRAPHQL_PARSE_FAILED"
        elif error.message.startswith("Variable '$"):
            # graphql-core words every variable coercion failure this way.
            code = "BAD_USER_INPUT"
        else:
            code = "GRAPHQL_VALIDATION_FAILED"
        return _with_code(error, error.message, code)
    if _is_bug(error):
        return _with_code(error, "Unexpected error.", "INTERNAL_SERVER_ERROR")
    return _with_code(error, error.message, "UPSTREAM_BAD_RESPONSE")


def _is_bug(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GatewayError | GraphQLError):
        return False
    # graphql-core raises a TypeError, worded so, when a non-null field
    # resolves to null: here, a required key the upstream left out.
    return not (isinstance(original, TypeError) and str(original).startswith(_MISSING))


def log_error(error: GraphQLError) -> None:
    """Log an error as raised: a bug with its traceback, anything else in a line."""
    if _is_bug(error):
        logger.error("unexpected error at %s", error.path, exc_info=error.original_error)
    else:
        logger.info("%s (at %s)", error.message, error.path or "the document")


def _with_code(error: GraphQLError, message: str, code: str) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code},
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, ExecutionResult | StrawberryExecutionResult) and result.errors:
            result.errors = [_classify(error) for error in result.errors]
