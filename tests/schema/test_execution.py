"""Running a prepared operation (`schema.run`): either path codes its errors alike, runs
the operation the request names, and leaves graphql-core's suggestions out when asked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from strawberry.dataloader import DataLoader

from schema import Context, Documents, Prepared, SchemaOptions, Snapshot, SnapshotKey, run
from schema._build import build_schema
from tests.documents import refused_variables_flood

SCHEMA = build_schema()._schema


class _Broken:
    """An upstream whose every call fails as a bug would: not with a gateway error."""

    def __getattr__(self, name: str) -> Any:
        async def call(*args: object, **kwargs: object) -> Any:
            raise RuntimeError("a bug")

        return call


async def _broken_loads(keys: Sequence[SnapshotKey]) -> list[Snapshot]:
    raise RuntimeError("a bug")


def _context() -> Context:
    return Context(
        upstream=_Broken(),  # type: ignore[arg-type]
        snapshots=DataLoader(load_fn=_broken_loads),
        records=None,  # type: ignore[arg-type]
        max_page_size=10,
        request_id="r-5",
    )


def _prepared(query: str, operation_name: str | None = None, *, compiled: bool) -> Prepared:
    options = SchemaOptions(compiled_execution=compiled)
    prepared = Documents(SCHEMA, options).prepare(query, operation_name)
    assert isinstance(prepared, Prepared)
    return prepared


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "regular"])
async def test_an_unexpected_error_carries_the_request_id(compiled: bool) -> None:
    query = 'query { workstreamEvent(id: "e1") { id } }'
    result = await run(SCHEMA, _prepared(query, compiled=compiled), _context(), None)
    assert result.data == {"workstreamEvent": None}
    (error,) = result.errors or ()
    assert (error.message, error.path) == ("Unexpected error.", ["workstreamEvent"])
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "r-5"}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "regular"])
async def test_the_operation_the_request_names_is_the_one_run(compiled: bool) -> None:
    query = """mutation Write { workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "e1")
      { workstreamEventId } }
    query Read { __typename }"""
    prepared = _prepared(query, "Read", compiled=compiled)
    result = await run(SCHEMA, prepared, _context(), None)
    assert (result.data, result.errors) == ({"__typename": "Query"}, None)


_UPDATE = """mutation($event: WorkstreamEventInput!) {
  workstreamEventUpdate(workstreamEvent: $event) { id }
}"""


@pytest.mark.parametrize("hidden", [True, False])
async def test_a_refused_variable_suggests_nothing_when_suggestions_are_hidden(
    hidden: bool,
) -> None:
    prepared = _prepared(_UPDATE, compiled=True)
    variables = {"event": {"idd": "e1"}}
    options = {"hide_suggestions": True} if hidden else {}  # `run`'s default shows them
    result = await run(SCHEMA, prepared, _context(), variables, **options)
    assert result.data is None
    messages = " ".join(error.message for error in result.errors or ())
    assert "not to include unknown field 'idd'" in messages
    assert ("Did you mean" in messages) is not hidden
    assert {error.extensions["code"] for error in result.errors or ()} == {"BAD_USER_INPUT"}


async def test_a_flood_of_refused_variables_of_a_mutation_stops_at_fifty() -> None:
    field = 'workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "e1")'
    query = refused_variables_flood("mutation", field, leaf="workstreamEventId")
    result = await run(SCHEMA, _prepared(query, compiled=True), _context(), {})
    messages = [error.message for error in result.errors or ()]
    assert len(messages) == 51
    assert messages[-1].endswith("error limit reached. Execution aborted.")


async def test_an_unexpected_error_that_nulls_the_whole_result_is_still_unexpected() -> None:
    # A non-null root field's error leaves no data at all, as a refused variable does.
    query = """mutation { workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "e1")
      { workstreamEventId } }"""
    result = await run(SCHEMA, _prepared(query, compiled=True), _context(), None)
    assert result.data is None
    (error,) = result.errors or ()
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "r-5"}
