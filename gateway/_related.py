"""Related records (tags, websites, summaries, ...): batched, deduplicated, and per operation.

`RecordFetcher` lives for the process; each operation gets a `RecordLoaders`
from it, with one DataLoader per relation, made when the operation first asks
for a record of it. However many events, aliases or entities of one operation
point at the same tag, it is fetched once; all the distinct ids of a relation
asked for in one tick go upstream together. Workstream summaries go through
`POST /workstream_summaries/batch` in chunks (one GET each on a Pieces OS
without it); the other relations have only a GET by id, sent concurrently
within the process's bound on single reads (`--upstream-concurrency`, shared
with the snapshots). One operation fetches `--max-records` distinct records at
most, whatever its documents' shape: a reference past them is null with
MAX_RECORDS_EXCEEDED (a thousand events of ten tags each, each tag's websites,
... would otherwise be as many GETs).

Each caller of `load` gets a future of its own, settled as the record's shared
one is: graphql-core cancels the pending siblings of a field that failed in a
non-null position, and a task cancelled while it awaits a future cancels that
future, so the record's one future, awaited directly, would be cancelled for
every other field waiting on it (a CancelledError out of the whole execution).
The shared future is cancelled only once every caller has left (an operation
past its deadline), so that its batch is given up with it: Strawberry's
DataLoader cancels a batch whose futures all are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from strawberry.dataloader import DataLoader

from gateway._client import BatchResult, UpstreamClient
from gateway._loaders import ById
from schema import RELATIONS, Json, Relation, as_flattened, check_id
from schema.errors import GatewayError, RecordsExceeded

__all__ = ["RecordFetcher", "RecordLoaders"]

Outcome = Json | BaseException


class RecordFetcher:
    def __init__(
        self,
        *,
        batch_size: int,
        singles: asyncio.Semaphore,
        max_records: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_records = max_records
        self._by_id = {
            relation.key: ById[Json](
                relation.noun, batch_size=batch_size, singles=singles, clock=clock
            )
            for relation in RELATIONS
        }

    def loaders(self, upstream: UpstreamClient) -> RecordLoaders:
        """The loaders of one operation (their caches must not outlive it)."""
        return RecordLoaders(self, upstream)

    async def fetch(
        self, upstream: UpstreamClient, relation: Relation, ids: Sequence[str]
    ) -> list[Outcome]:
        """One outcome per id, in order: the record in its flattened form, or the
        error for that id alone."""
        outcomes: dict[str, Outcome] = {}
        valid: list[str] = []
        for record_id in ids:
            try:
                valid.append(check_id(record_id))
            except GatewayError as exc:
                outcomes[record_id] = exc
        if valid:
            single = partial(upstream.record, relation)
            batch = _batch_endpoint(upstream, relation)
            for record_id, outcome in (
                await self._by_id[relation.key].fetch(valid, single, batch)
            ).items():
                outcomes[record_id] = (
                    outcome
                    if isinstance(outcome, BaseException)
                    else as_flattened(relation, outcome)
                )
        return [outcomes[record_id] for record_id in ids]


def _batch_endpoint(
    upstream: UpstreamClient, relation: Relation
) -> Callable[[list[str]], Awaitable[BatchResult[Json]]] | None:
    """The relation's batch endpoint, where Pieces OS has one."""
    return upstream.batch_summaries if relation.key == "summaries" else None


class RecordLoaders:
    """`schema.Records` for one operation."""

    __slots__ = ("_callers", "_fetcher", "_left", "_loaders", "_upstream")

    def __init__(self, fetcher: RecordFetcher, upstream: UpstreamClient) -> None:
        self._fetcher = fetcher
        self._upstream = upstream
        self._loaders: dict[str, DataLoader[str, Json]] = {}
        self._left = fetcher.max_records  # distinct records this operation may still fetch
        self._callers: dict[asyncio.Future[Json], int] = {}  # pending record -> its callers

    def renewed(self) -> RecordLoaders:
        return RecordLoaders(self._fetcher, self._upstream)

    def forget(self) -> None:
        # New loaders from the next load on; the budget is the operation's still.
        self._loaders.clear()

    def load(self, relation: Relation, record_id: str) -> Awaitable[Json]:
        loader = self._loaders.get(relation.key)
        if loader is None:
            fetch = partial(self._fetch, relation)
            loader = self._loaders[relation.key] = DataLoader(load_fn=fetch, max_batch_size=None)
        shared = loader.load(record_id)
        assert isinstance(shared, asyncio.Future)  # what Strawberry's DataLoader hands out
        return self._own(shared)

    def _own(self, shared: asyncio.Future[Json]) -> asyncio.Future[Json]:
        """A future of the caller's own for `shared` (see the module's docstring)."""
        if shared.done():  # awaiting a done future cannot cancel it
            return shared
        own: asyncio.Future[Json] = shared.get_loop().create_future()
        callers = self._callers
        callers[shared] = callers.get(shared, 0) + 1

        def settle(_: object) -> None:
            callers.pop(shared, None)
            if own.done():
                return
            if shared.cancelled():
                own.cancel()
            elif (error := shared.exception()) is not None:
                own.set_exception(error)
            else:
                own.set_result(shared.result())

        def leave(_: object) -> None:
            if not own.cancelled() or shared.done():
                return
            callers[shared] -= 1
            if not callers[shared]:
                shared.cancel()

        shared.add_done_callback(settle)
        own.add_done_callback(leave)
        return own

    async def _fetch(self, relation: Relation, ids: Sequence[str]) -> list[Outcome]:
        """One DataLoader batch (distinct ids), within what the operation may still fetch."""
        allowed = list(ids[: self._left])
        self._left -= len(allowed)
        outcomes = await self._fetcher.fetch(self._upstream, relation, allowed) if allowed else []
        message = f"This operation asked for more than {self._fetcher.max_records} related records."
        return [*outcomes, *(RecordsExceeded(message) for _ in ids[len(allowed) :])]
