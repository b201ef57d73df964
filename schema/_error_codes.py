"""Give every error of an execution result its `extensions.code`, and mask the unexpected.

Errors are coded where they arise: a document's refusals in
`schema._documents`, a variable's in `schema._execution`, a resolver's by the
`GatewayError` it raises (`schema.errors`), a value the schema cannot
represent by the executor (`schema._execution`, UPSTREAM_BAD_RESPONSE, its
message naming the type and what the value was, never the value). What is
left uncoded when a result is complete is one of:

* a required key the upstream left out: graphql-core reports the null in a
  non-null position with a TypeError worded "Cannot return null for non-nullable
  field …" (pinned by tests/gateway/test_upstream_values.py); it is the
  upstream's mistake, UPSTREAM_BAD_RESPONSE, on that field only;
* any other complaint of graphql-core's about a value (a list where none
  belongs, say): UPSTREAM_BAD_RESPONSE too, in words of ours, as graphql-core's
  may quote the value;
* anything else is a bug: shown as INTERNAL_SERVER_ERROR with the request's id,
  and logged in full by `log_error` (called with the errors as they were raised).
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from schema.errors import GatewayError

__all__ = ["log_error", "with_codes"]

logger = logging.getLogger("pieces_gateway.errors")

_MISSING = "Cannot return null for non-nullable field"


_UNFIT = "Pieces OS sent a value of another shape than this field's type."


def _classify(error: GraphQLError, request_id: str = "") -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError) or (error.extensions or {}).get("code"):
        return error
    if _is_missing(original):
        return _with_code(error, error.message, "UPSTREAM_BAD_RESPONSE")
    if original is None or isinstance(original, GraphQLError):
        return _with_code(error, _UNFIT, "UPSTREAM_BAD_RESPONSE")
    extensions = {"requestId": request_id} if request_id else {}
    return _with_code(error, "Unexpected error.", "INTERNAL_SERVER_ERROR", **extensions)


def _is_missing(original: Exception | None) -> bool:
    # graphql-core raises a TypeError, worded so, when a non-null field
    # resolves to null: here, a required key the upstream left out.
    return isinstance(original, TypeError) and str(original).startswith(_MISSING)


def _is_bug(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GatewayError | GraphQLError):
        return False
    return not (error.extensions or {}).get("code") and not _is_missing(original)


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
