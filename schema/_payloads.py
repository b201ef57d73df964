"""The payload of mutations that Pieces OS answers with no body (204)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema._arguments import Transferables
from schema._context import Context, Json, SnapshotKey
from schema._generated import WorkstreamEvent

__all__ = ["WorkstreamEventDeletePayload", "WorkstreamEventMutationPayload"]


@strawberry.type(
    description=(
        "What a mutation acted on. Select `workstreamEvent` to fetch the event as it is "
        "afterwards (one upstream read, made only when selected), so a client cache can "
        "update the event by its id."
    )
)
class WorkstreamEventMutationPayload:
    workstream_event_id: strawberry.ID = strawberry.field(
        description="The id of the workstream event the mutation acted on."
    )

    @strawberry.field(
        graphql_type=WorkstreamEvent | None,
        description="The workstream event as it is after the mutation.",
    )
    async def workstream_event(
        self, info: Info[Context, None], transferables: Transferables = None
    ) -> Json | None:
        return await info.context.event(SnapshotKey(self.workstream_event_id, transferables))


@strawberry.type(description="What a delete removed.")
class WorkstreamEventDeletePayload:
    workstream_event_id: strawberry.ID = strawberry.field(
        description="The id of the workstream event that was deleted."
    )
