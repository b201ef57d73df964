"""Root query fields."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry
from strawberry.types import Info

from schema._arguments import Transferables
from schema._connection import WorkstreamEventConnection, workstream_events_connection
from schema._context import Context, Json, SnapshotKey
from schema._generated import WorkstreamEvent
from schema.errors import BadUserInput

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
        return await info.context.snapshots.load(SnapshotKey(id, transferables))

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
        if len(ids) > info.context.max_ids:
            raise BadUserInput(
                f"`ids` may name {info.context.max_ids} events at most.", argument="ids"
            )
        # One awaitable per item, so a failed id fails its own index only.
        return [info.context.snapshots.load(SnapshotKey(i, transferables)) for i in ids]

    workstream_events_connection: WorkstreamEventConnection = strawberry.field(
        resolver=workstream_events_connection,
        description=(
            "Workstream events, newest first, a page at a time (Relay cursor connection), "
            "optionally only those created or updated within a range."
        ),
    )
