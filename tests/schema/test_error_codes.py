"""`with_codes` and `log_error` on errors as graphql-core raises them (`schema._error_codes`).

Found by the mutation run (`make mutation`): no test raised a TypeError that is a bug, kept
an error's other extensions, or looked at what `log_error` logs.
"""

from __future__ import annotations

import logging

import pytest
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, SourceLocation, parse

from schema._error_codes import log_error, with_codes
from schema.errors import NotFound

MISSING = "Cannot return null for non-nullable field Application.platform."


def _field() -> FieldNode:
    operation = parse("{ workstreamEvent(id: 1) { id } }").definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    field = operation.selection_set.selections[0]
    assert isinstance(field, FieldNode)
    return field


def _raised(original: Exception | None, **extensions: str) -> GraphQLError:
    return GraphQLError(
        "as raised",
        _field(),
        path=["workstreamEvent"],
        original_error=original,
        extensions=extensions or None,
    )


def test_a_type_error_of_our_own_is_a_bug_not_a_bad_response() -> None:
    (shown,) = with_codes([_raised(TypeError("'NoneType' object is not iterable"))])
    assert (shown.message, shown.extensions) == (
        "Unexpected error.",
        {"code": "INTERNAL_SERVER_ERROR"},
    )


def test_a_bug_names_the_request_it_broke() -> None:
    (shown,) = with_codes([_raised(KeyError("x"))], request_id="r-1")
    assert shown.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "r-1"}


def test_a_missing_key_keeps_its_words_its_place_and_its_other_extensions() -> None:
    (shown,) = with_codes([_raised(TypeError(MISSING), hint="kept")])
    assert shown.message == "as raised"
    assert shown.extensions == {"hint": "kept", "code": "UPSTREAM_BAD_RESPONSE"}
    assert (shown.path, shown.locations) == (["workstreamEvent"], [SourceLocation(1, 3)])


@pytest.mark.parametrize("original", [None, GraphQLError("Expected value of type 'Tag'")])
def test_another_complaint_of_graphql_cores_is_a_bad_response_in_our_words(
    original: GraphQLError | None,
) -> None:
    (shown,) = with_codes([_raised(original)], request_id="r-1")
    assert (shown.message, shown.extensions) == (
        "Pieces OS sent a value of another shape than this field's type.",
        {"code": "UPSTREAM_BAD_RESPONSE"},
    )


def test_coded_errors_are_shown_as_raised() -> None:
    gateway = _raised(NotFound.event("e"))
    coded = _raised(None, code="MAX_DEPTH_EXCEEDED")
    assert with_codes([gateway, coded]) == [gateway, coded]


def test_a_bug_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    bug = KeyError("x")
    with caplog.at_level(logging.INFO, "pieces_gateway.errors"):
        log_error(_raised(bug))
    (record,) = caplog.records
    assert (record.levelno, record.getMessage()) == (
        logging.ERROR,
        "unexpected error at ['workstreamEvent']",
    )
    assert record.exc_info is not None and record.exc_info[1] is bug


@pytest.mark.parametrize(
    "error",
    [
        _raised(TypeError(MISSING)),
        _raised(NotFound.event("e")),
        _raised(None, code="MAX_DEPTH_EXCEEDED"),
        _raised(GraphQLError("graphql-core's")),
    ],
    ids=["missing key", "gateway error", "coded", "graphql-core's"],
)
def test_anything_else_is_logged_in_a_line(
    caplog: pytest.LogCaptureFixture, error: GraphQLError
) -> None:
    with caplog.at_level(logging.INFO, "pieces_gateway.errors"):
        log_error(error)
    (record,) = caplog.records
    assert (record.levelno, record.getMessage(), record.exc_info) == (
        logging.INFO,
        "as raised (at ['workstreamEvent'])",
        None,
    )


def test_an_error_of_the_document_is_logged_as_such(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "pieces_gateway.errors"):
        log_error(GraphQLError("Syntax Error: Unexpected <EOF>."))
    assert caplog.messages == ["Syntax Error: Unexpected <EOF>. (at the document)"]
