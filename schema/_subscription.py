"""Root subscription fields: workstream events as they change in Pieces OS.

The changes come from a `ChangeSource` in the context (the gateway's shared
change feed, `gateway/_feed.py`): the schema only says what a change looks
like and how a subscriber's stream is made of them.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, AsyncIterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import strawberry
from strawberry.types import Info

from schema._arguments import Transferables
from schema._context import Context, Json, SnapshotKey, check_id
from schema._generated import WorkstreamEvent
from schema._scalars import DateTime, parse_datetime
from schema.errors import NotFound

__all__ = ["Change", "ChangeKind", "ChangeSource", "Subscription", "WorkstreamEventChange"]


@strawberry.enum(description="What happened to a workstream event.")
class ChangeKind(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class Change:
    """One change the feed saw: the event as it now is (None once deleted).

    One object for every subscriber it is offered to, so that what is made of
    it (its GraphQL value, its results) is made once (`schema._execution`).
    """

    kind: ChangeKind
    id: str
    at: str | None  # the event's `updated` instant, as Pieces OS wrote it
    event: Json | None
    made: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class ChangeSource(Protocol):
    def changes(
        self, *, since: str | None, transferables: bool | None, only: str | None = None
    ) -> AbstractAsyncContextManager[AsyncIterable[Change]]:
        """A subscriber's changes (after `since` first, then as they happen), until it leaves."""
        ...


@strawberry.type(description="A change to a workstream event, as Pieces OS recorded it.")
class WorkstreamEventChange:
    kind: ChangeKind
    id: strawberry.ID
    at: DateTime | None = strawberry.field(
        description="When Pieces OS recorded it (the event's `updated`); null for a deletion."
    )
    workstream_event: WorkstreamEvent | None = strawberry.field(
        description="The event as it now is; null for a deletion."
    )

    @classmethod
    def of(cls, change: Change) -> WorkstreamEventChange:
        """The change's value, the same object for every subscriber."""
        made = change.made.get("value")
        if made is None:
            made = change.made["value"] = cls(
                kind=change.kind,
                id=strawberry.ID(change.id),
                at=None if change.at is None else DateTime(change.at),
                workstream_event=change.event,  # type: ignore[arg-type]  # JSON, for read_field
            )
        return made


def _source(info: Info[Context, None]) -> ChangeSource:
    source: ChangeSource | None = info.context.changes
    assert source is not None, "subscriptions run only where a stream carries them"
    return source


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Every workstream event created, updated or deleted in Pieces OS, by anyone, "
            "at most `--live-interval` seconds after it happened. With `since`, the events "
            "created or updated after that instant come first (deletions are not replayed)."
        )
    )
    async def workstream_event_changes(
        self,
        info: Info[Context, None],
        since: DateTime | None = None,
        transferables: Transferables = None,
    ) -> AsyncGenerator[WorkstreamEventChange, None]:
        start = None if since is None else parse_datetime(since)  # the upstream's form
        async with _source(info).changes(since=start, transferables=transferables) as stream:
            async for change in stream:
                yield WorkstreamEventChange.of(change)

    @strawberry.subscription(
        graphql_type=WorkstreamEvent | None,
        description=(
            "One workstream event: its snapshot now, then each new state. Its deletion "
            "ends the stream with a NOT_FOUND error."
        ),
    )
    async def workstream_event(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        transferables: Transferables = None,
    ) -> AsyncGenerator[Json, None]:
        check_id(id)
        source = _source(info)
        async with source.changes(since=None, transferables=transferables, only=id) as stream:
            yield await info.context.event(SnapshotKey(id, transferables))
            async for change in stream:
                if change.event is None:
                    raise NotFound.event(id)
                yield change.event
