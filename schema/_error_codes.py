"""Give every error in a response an `extensions.code`, and mask the unexpected.

Strawberry's own `MaskErrors` replaces errors wholesale and drops their
extensions; here each error keeps its message when it is meant for the client
and gains the code that says what kind of failure it was:

* our own `GatewayError`s, and the errors of our own validation rules,
  already carry their code;
* an operation over a limit: MAX_DEPTH_EXCEEDED, MAX_ALIASES_EXCEEDED,
  MAX_TOKENS_EXCEEDED (Strawberry's limiters word their errors so);
* a document that does not parse: GRAPHQL_PARSE_FAILED;
* a variable the schema cannot accept: BAD_USER_INPUT;
* any other document error: GRAPHQL_VALIDATION_FAILED;
* a field whose upstream value the schema cannot represent (an enum value from
  a newer Pieces OS, a missing required key): UPSTREAM_BAD_RESPONSE, on that
  field only;
* anything else is a bug: shown as INTERNAL_SERVER_ERROR, and logged in full
  by `log_error` (which the schema calls with the errors as they were raised).

`schema._documents` applies `with_codes` to the errors that refuse a document
(once, as the refusal is cached), and `schema._execution` to every result,
whichever path (compiled or graphql-core's) produced its errors.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError, GraphQLSyntaxError

from schema.errors import GatewayError

__all__ = ["log_error", "with_codes"]

logger = logging.getLogger("pieces_gateway.errors")

_MISSING = "Cannot return null for non-nullable field"
_VARIABLE = "Variable '$"
_LIMITS = (
    (re.compile(r"exceeds maximum operation depth of \d+"), "MAX_DEPTH_EXCEEDED"),
    (re.compile(r"^\d+ aliases found\. Allowed: \d+"), "MAX_ALIASES_EXCEEDED"),
    (re.compile(r"Document contains more than \d+ tokens"), "MAX_TOKENS_EXCEEDED"),
)


def _classify(error: GraphQLError, request_id: str = "") -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError):
        return error
    if original is None and (error.extensions or {}).get("code"):
        return error  # coded where it was raised (a rule of schema._limits)
    if _is_bug(error):
        extensions = {"requestId": request_id} if request_id else {}
        return _with_code(error, "Unexpected error.", "INTERNAL_SERVER_ERROR", **extensions)
    if error.path is None:
        limit = next((code for pattern, code in _LIMITS if pattern.search(error.message)), None)
        if limit is not None:
            code = limit
        elif isinstance(error, GraphQLSyntaxError):
            code = "GRAPHQL_PARSE_FAILED"
        elif error.message.startswith(_VARIABLE):
            # graphql-core words every variable coercion failure this way.
            code = "BAD_USER_INPUT"
        else:
            code = "GRAPHQL_VALIDATION_FAILED"
        return _with_code(error, error.message, code)
    return _with_code(error, error.message, "UPSTREAM_BAD_RESPONSE")


def _is_bug(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GatewayError | GraphQLError):
        return False
    if error.path is None and isinstance(original, ValueError | ArithmeticError):
        return False  # a variable or literal our scalar refused: the client's mistake
    # graphql-core raises a TypeError, worded so, when a non-null field
    # resolves to null: here, a required key the upstream left out.
    return not (isinstance(original, TypeError) and str(original).startswith(_MISSING))


def log_error(error: GraphQLError) -> None:
    """Log an error as raised: a bug with its traceback, anything else in a line."""
    if _is_bug(error):
        logger.error("unexpected error at %s", error.path, exc_info=error.original_error)
    else:
        logger.info("%s (at %s)", error.message, error.path or "the document")


def _with_code(error: GraphQLError, message: str, code: str, **extra: str) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code, **extra},
    )


def with_codes(errors: list[GraphQLError], *, request_id: str = "") -> list[GraphQLError]:
    """The errors as a client may see them, each with its code."""
    return [_classify(error, request_id) for error in errors]
