"""Root query fields."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry
from strawberry.types import Info

from schema._arguments import Transferables
from schema._connection import WorkstreamEventConnection, workstream_events_connection
from schema._context import Context, Json, snapshot_keys
from schema._generated import WorkstreamEvent

__all__ = ["Query"]


@strawberry.type
class Query:
    @strawberry.field(
        graphql_type=WorkstreamEvent | None,
        description=(
            "A snapshot of one workstream event. Null, with a NOT_FOUND error, when "
            "Pieces OS has no event with this id."
        ),
    )
    async def workstream_event(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        transferables: Transferables = None,
    ) -> Json | None:
        (key,) = snapshot_keys([id], transferables, max_ids=info.context.max_ids)
        return await info.context.event(key)

    @strawberry.field(
        graphql_type=list[WorkstreamEvent | None],
        description=(
            "Snapshots of several workstream events, in the order of `ids` (repeats "
            "allowed). An id Pieces OS does not know gives null at its index, with a "
            "NOT_FOUND error whose path names that index."
        ),
    )
    def workstream_events(
        self,
        info: Info[Context, None],
        ids: list[strawberry.ID],
        transferables: Transferables = None,
    ) -> list[Awaitable[Json]]:
        keys = snapshot_keys(ids, transferables, max_ids=info.context.max_ids)
        # One awaitable per item, so a failed id fails its own index only.
        return [info.context.event(key) for key in keys]

    workstream_events_connection: WorkstreamEventConnection = strawberry.field(
        resolver=workstream_events_connection,
        description=(
            "Workstream events, newest first, a page at a time (Relay cursor connection), "
            "optionally only those created or updated within a range."
        ),
    )
