"""Root mutation fields, named after the SDK's methods.

Every mutation forgets what the request read before it (`Context.forget`: its
snapshots, and the related records, whose back references a write changes), so
a payload that is read after it never shows an event or a record as it was
before. A creation forgets the records alone: no event read before it changed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

import strawberry
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from schema._arguments import EventId, Transferables
from schema._context import Context, Json, SnapshotKey
from schema._convert import to_upstream
from schema._generated import (
    SeededScoreIncrementInput,
    SeededWorkstreamEventInput,
    WorkstreamEvent,
    WorkstreamEventInput,
)
from schema._payloads import WorkstreamEventDeletePayload, WorkstreamEventMutationPayload
from schema._relations import RELATIONS, Relation

__all__ = ["Mutation"]

Action = Literal["associate", "disassociate"]
ACTIONS: tuple[Action, ...] = ("associate", "disassociate")


async def _update(
    info: Info[Context, None],
    workstream_event: WorkstreamEventInput,
    transferables: Transferables = None,
) -> Json:
    try:
        event = await info.context.upstream.update(
            to_upstream(workstream_event), transferables=transferables
        )
    finally:
        info.context.forget()
    info.context.remember(SnapshotKey(event["id"], transferables), event)
    return event


async def _increment_scores(
    info: Info[Context, None],
    workstream_event: EventId,
    seeded_score_increment: SeededScoreIncrementInput | None = None,
) -> WorkstreamEventMutationPayload:
    increment = None if seeded_score_increment is None else to_upstream(seeded_score_increment)
    try:
        await info.context.upstream.increment_scores(workstream_event, increment)
    finally:
        info.context.forget()
    return WorkstreamEventMutationPayload(workstream_event_id=workstream_event)


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _relation_mutation(relation: Relation, action: Action) -> StrawberryField:
    async def resolve(
        info: Info[Context, None],
        workstream_event: EventId,
        other: strawberry.ID,
    ) -> WorkstreamEventMutationPayload:
        try:
            await info.context.upstream.relate(workstream_event, relation.segment, action, other)
        finally:
            info.context.forget()
        return WorkstreamEventMutationPayload(workstream_event_id=workstream_event)

    # The other record's argument is named per relation (`tag`, `person`, ...).
    resolve.__annotations__["other"] = Annotated[
        strawberry.ID,
        strawberry.argument(name=relation.argument, description=f"The id of the {relation.noun}."),
    ]
    verb = "Associates" if action == "associate" else "Disassociates"
    preposition = "with" if action == "associate" else "from"
    field = strawberry.mutation(
        resolver=resolve,
        name=f"workstreamEvent{action.title()}{relation.suffix}",
        description=f"{verb} a workstream event {preposition} {_a(relation.noun)}.",
    )
    return cast(StrawberryField, field)


async def _create(
    info: Info[Context, None],
    seeded_workstream_event: SeededWorkstreamEventInput,
    transferables: Transferables = None,
) -> Json:
    try:
        event = await info.context.upstream.create(
            to_upstream(seeded_workstream_event), transferables=transferables
        )
    finally:
        info.context.records.forget()
    info.context.remember(SnapshotKey(event["id"], transferables), event)
    return event


async def _delete(
    info: Info[Context, None], workstream_event: EventId
) -> WorkstreamEventDeletePayload:
    try:
        await info.context.upstream.delete(workstream_event)
    finally:
        info.context.forget()
    return WorkstreamEventDeletePayload(workstream_event_id=workstream_event)


def _fields() -> dict[str, Any]:
    fields: dict[str, Any] = {
        "workstream_event_update": strawberry.mutation(
            resolver=_update,
            name="workstreamEventUpdate",
            graphql_type=WorkstreamEvent,
            description="Replaces a workstream event with the one given; returns it as stored.",
        ),
        "workstream_events_create_new_workstream_event": strawberry.mutation(
            resolver=_create,
            name="workstreamEventsCreateNewWorkstreamEvent",
            graphql_type=WorkstreamEvent,
            description="Records a new workstream event; returns it as stored.",
        ),
        "workstream_events_delete_specific_workstream_event": strawberry.mutation(
            resolver=_delete,
            name="workstreamEventsDeleteSpecificWorkstreamEvent",
            description="Deletes a workstream event.",
        ),
        "workstream_event_scores_increment": strawberry.mutation(
            resolver=_increment_scores,
            name="workstreamEventScoresIncrement",
            description="Increments the scores a SeededScoreIncrement names.",
        ),
    }
    for relation in RELATIONS:
        for action in ACTIONS:
            field = _relation_mutation(relation, action)
            fields[field.graphql_name or ""] = field
    return fields


Mutation = strawberry.type(type("Mutation", (), _fields()))
