"""Subscriptions at the schema's level: a change executed once per cohort, and refusals coded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from strawberry.dataloader import DataLoader

from schema import (
    Context,
    Documents,
    Prepared,
    Relation,
    SchemaOptions,
    Snapshot,
    SnapshotKey,
    subscribe,
)
from schema._build import build_schema
from schema._subscription import Change, ChangeKind
from schema.errors import RecordsExceeded
from tests.documents import refused_variables_flood

SCHEMA = build_schema()._schema
QUERY = "subscription($since: DateTime) { workstreamEventChanges(since: $since) { kind id } }"


class _Changes:
    """A change source that offers the same Change objects to every subscriber."""

    def __init__(self, changes: Sequence[Change]) -> None:
        self._changes = changes

    @asynccontextmanager
    async def changes(self, **_: Any) -> AsyncIterator[AsyncIterable[Change]]:
        async def stream() -> AsyncIterator[Change]:
            for change in self._changes:
                yield change

        yield stream()


class _Tags:
    """Tags whose text changes with every read: `reads` counts them."""

    def __init__(self) -> None:
        self.reads = 0
        self.loader: DataLoader[str, Any] = DataLoader(load_fn=self._load)

    async def _load(self, ids: Sequence[str]) -> list[Any]:
        self.reads += len(ids)
        return [{"id": i, "text": f"{i} read {self.reads}"} for i in ids]

    def load(self, relation: Relation, record_id: str) -> Awaitable[Any]:
        return self.loader.load(record_id)

    def renewed(self) -> _Tags:
        self.loader = DataLoader(load_fn=self._load)
        return self


def _context(source: _Changes, records: _Tags | None = None) -> Context:
    async def load(keys: Sequence[SnapshotKey]) -> list[Snapshot]:
        raise AssertionError("no snapshot is read")

    return Context(
        upstream=None,  # type: ignore[arg-type]
        snapshots=DataLoader(load_fn=load),
        records=records or _Tags(),
        max_page_size=10,
        changes=source,
    )


def _prepared(query: str = QUERY) -> Prepared:
    prepared = Documents(SCHEMA, SchemaOptions()).prepare(query, None)
    assert isinstance(prepared, Prepared)
    return prepared


async def _results(prepared: Prepared, source: _Changes, variables: Any = None) -> list[Any]:
    return [r async for r in subscribe(SCHEMA, prepared, _context(source), variables)]


async def test_one_change_is_executed_once_for_every_subscriber_of_one_shape() -> None:
    changes = [Change(ChangeKind.UPDATED, "e1", "2026-12-01T00:00:00.000Z", {"id": "e1"})]
    source = _Changes(changes)
    prepared = _prepared()
    first, second = await asyncio.gather(_results(prepared, source), _results(prepared, source))
    assert first[0].data == {"workstreamEventChanges": {"kind": "UPDATED", "id": "e1"}}
    assert first[0] is second[0]  # one result, shared
    since = {"since": "2026-11-30T00:00:00Z"}
    (other,) = await _results(prepared, source, since)  # other variables: another cohort
    assert other is not first[0] and other.data == first[0].data


async def test_each_change_reads_the_records_it_points_at_anew() -> None:
    query = """subscription { workstreamEventChanges {
      workstreamEvent { tags { iterable { reference { text } } } }
    } }"""
    tagged = {"id": "e1", "tags": {"iterable": [{"id": "t1"}, {"id": "t1"}]}}
    changes = [
        Change(ChangeKind.UPDATED, "e1", f"2026-12-01T00:00:0{n}.000Z", {**tagged})
        for n in range(2)
    ]
    tags = _Tags()
    results = [
        r
        async for r in subscribe(SCHEMA, _prepared(query), _context(_Changes(changes), tags), None)
    ]
    texts = [
        [
            i["reference"]["text"]
            for i in r.data["workstreamEventChanges"]["workstreamEvent"]["tags"]["iterable"]
        ]
        for r in results
    ]
    assert texts == [["t1 read 1", "t1 read 1"], ["t1 read 2", "t1 read 2"]]


async def test_a_refused_variable_is_coded() -> None:
    (result,) = await _results(_prepared(), _Changes([]), {"since": "not a date"})
    assert result.data is None
    assert [e.extensions["code"] for e in result.errors] == ["BAD_USER_INPUT"]


async def test_cohorts_are_by_document_and_by_the_values_of_the_variables() -> None:
    changes = [Change(ChangeKind.UPDATED, "e1", "2026-12-01T00:00:00.000Z", {"id": "e1"})]
    source = _Changes(changes)
    query = """subscription($since: DateTime, $t: Boolean) {
      workstreamEventChanges(since: $since, transferables: $t) { kind id }
    }"""
    prepared = _prepared(query)
    (first,) = await _results(prepared, source, {"since": "2026-11-30T00:00:00Z", "t": True})
    (reordered,) = await _results(prepared, source, {"t": True, "since": "2026-11-30T00:00:00Z"})
    (other,) = await _results(prepared, source, {"since": "2026-11-29T00:00:00Z", "t": True})
    assert reordered is first  # the same values: one cohort, whatever their order
    assert other is not first and other.data == first.data
    (narrower,) = await _results(
        _prepared("subscription { workstreamEventChanges { id } }"), source
    )
    (wider,) = await _results(_prepared(), source)
    assert narrower.data == {"workstreamEventChanges": {"id": "e1"}}
    assert wider.data == {"workstreamEventChanges": {"kind": "UPDATED", "id": "e1"}}


class _Ending(_Changes):
    """One change, then the stream fails with a gateway error; `closed` once it is left."""

    closed = False

    @asynccontextmanager
    async def changes(self, **_: Any) -> AsyncIterator[AsyncIterable[Change]]:
        async def stream() -> AsyncIterator[Change]:
            for change in self._changes:
                yield change
            raise RecordsExceeded("This subscriber fell behind the changes.")

        try:
            yield stream()
        finally:
            self.closed = True


_ONE = [Change(ChangeKind.UPDATED, "e1", "2026-12-01T00:00:00.000Z", {"id": "e1"})]


async def test_an_error_that_ends_the_stream_is_the_last_result_at_its_field() -> None:
    aliased = _prepared("subscription { changes: workstreamEventChanges { id } }")
    source = _Ending(_ONE)
    first, last = await _results(aliased, source)
    assert first.data == {"changes": {"id": "e1"}}
    assert last.data is None
    (error,) = last.errors
    assert (error.message, error.path) == ("This subscriber fell behind the changes.", ["changes"])
    assert error.extensions == {"code": "MAX_RECORDS_EXCEEDED"}
    assert source.closed
    spread = _prepared("subscription { ... on Subscription { workstreamEventChanges { id } } }")
    *_, last = await _results(spread, _Ending(_ONE))
    assert last.errors[0].path is None  # no one field to put it at


async def test_a_subscriber_that_leaves_closes_its_stream() -> None:
    source = _Ending(_ONE * 3)
    results = subscribe(SCHEMA, _prepared(), _context(source), None)
    first = await anext(results)
    assert first.data == {"workstreamEventChanges": {"kind": "UPDATED", "id": "e1"}}
    assert not source.closed
    await results.aclose()
    assert source.closed


async def test_an_error_executing_a_change_is_coded() -> None:
    query = "subscription { workstreamEventChanges { workstreamEvent { application { name } } } }"
    broken = {"id": "e1", "application": {"name": None}}  # null in a non-null field
    source = _Changes([Change(ChangeKind.UPDATED, "e1", "2026-12-01T00:00:00.000Z", broken)])
    (result,) = await _results(_prepared(query), source)
    (error,) = result.errors
    assert error.extensions == {"code": "UPSTREAM_BAD_RESPONSE"}


class _Failing(_Tags):
    async def _load(self, ids: Sequence[str]) -> list[Any]:
        raise RuntimeError("a bug")


async def test_an_unexpected_error_in_a_change_carries_the_request_id() -> None:
    query = """subscription { workstreamEventChanges {
      workstreamEvent { tags { iterable { reference { text } } } }
    } }"""
    tagged = {"id": "e1", "tags": {"iterable": [{"id": "t1"}]}}
    source = _Changes([Change(ChangeKind.UPDATED, "e1", "2026-12-01T00:00:00.000Z", tagged)])
    context = _context(source, _Failing())
    context.request_id = "r-9"
    (result,) = [r async for r in subscribe(SCHEMA, _prepared(query), context, None)]
    (error,) = result.errors
    assert error.message == "Unexpected error."
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "r-9"}


async def test_a_flood_of_refused_variables_stops_at_fifty() -> None:
    query = refused_variables_flood("subscription", "workstreamEventChanges")
    (result,) = await _results(_prepared(query), _Changes([]), {})
    messages = [error.message for error in result.errors]
    assert len(messages) == 51
    assert messages[-1].endswith("error limit reached. Execution aborted.")
    assert {error.extensions["code"] for error in result.errors} == {"BAD_USER_INPUT"}
