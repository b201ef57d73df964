"""Root query fields."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema._arguments import Transferables
from schema._context import Context, Json, SnapshotKey
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
        return await info.context.snapshots.load(SnapshotKey(id, transferables))
