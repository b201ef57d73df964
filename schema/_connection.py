"""`workstreamEventsConnection`: a Relay connection over the upstream's identifiers.

The upstream lists ids (`GET /workstream_events/identifiers`, newest first, with
created/updated filters); only the events of the requested page are fetched,
through the request's snapshot DataLoader, so in one batch call.

A cursor is opaque to clients: it holds the position of an edge and its id.
The id keeps paging right when events were added or removed in between; the
position is the fallback when the id itself is gone.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

import strawberry
from strawberry.types import Info

from schema._arguments import Transferables
from schema._context import Context, Json, SnapshotKey
from schema._generated import WorkstreamEvent
from schema._scalars import DateTime
from schema.errors import BadUserInput

__all__ = ["WorkstreamEventConnection", "workstream_events_connection"]

_CURSOR_PREFIX = "we1:"
DEFAULT_PAGE_SIZE = 20


def encode_cursor(position: int, event_id: str) -> str:
    raw = f"{_CURSOR_PREFIX}{position}:{event_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _position_after(cursor: str, ids: list[str]) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
        position_text, _, event_id = raw.removeprefix(_CURSOR_PREFIX).partition(":")
        position = int(position_text)
        if not raw.startswith(_CURSOR_PREFIX) or position < 0:
            raise ValueError(cursor)
    except (ValueError, UnicodeError, binascii.Error):
        raise BadUserInput(
            "`after` is not a cursor this gateway gave out.", argument="after"
        ) from None
    if position < len(ids) and ids[position] == event_id:
        return position
    try:
        return ids.index(event_id)
    except ValueError:
        # The cursor's event is gone: the page goes on from where it stood.
        return min(position, len(ids)) - 1


@strawberry.federation.type(
    description="Where a page stands in the whole listing (Relay).", shareable=True
)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One workstream event of a page, with its cursor.")
class WorkstreamEventEdge:
    cursor: str
    key: strawberry.Private[SnapshotKey]

    @strawberry.field(graphql_type=WorkstreamEvent)
    async def node(self, info: Info[Context, None]) -> Json:
        return await info.context.event(self.key)


@strawberry.type(description="A page of workstream events, newest first (Relay connection).")
class WorkstreamEventConnection:
    edges: list[WorkstreamEventEdge | None]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many events match the filters.")


def _filters(**instants: str | None) -> dict[str, str]:
    return {name: value for name, value in instants.items() if value is not None}


Instant = Annotated[DateTime | None, strawberry.argument(description="Inclusive bound.")]


async def workstream_events_connection(
    info: Info[Context, None],
    first: Annotated[
        int | None,
        strawberry.argument(description="Page size (default 20, bounded by the gateway)."),
    ] = DEFAULT_PAGE_SIZE,
    after: Annotated[
        str | None, strawberry.argument(description="The `endCursor` of the page before.")
    ] = None,
    created_from: Instant = None,
    created_to: Instant = None,
    updated_from: Instant = None,
    updated_to: Instant = None,
    transferables: Transferables = None,
) -> WorkstreamEventConnection:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= info.context.max_page_size:
        raise BadUserInput(
            f"`first` must be between 0 and {info.context.max_page_size}.", argument="first"
        )
    ids = await info.context.upstream.identifiers(
        _filters(
            created_from=created_from,
            created_to=created_to,
            updated_from=updated_from,
            updated_to=updated_to,
        )
    )
    start = 0 if after is None else _position_after(after, ids) + 1
    edges = [
        WorkstreamEventEdge(
            cursor=encode_cursor(position, event_id), key=SnapshotKey(event_id, transferables)
        )
        for position, event_id in enumerate(ids[start : start + size], start)
    ]
    return WorkstreamEventConnection(
        edges=list(edges),
        page_info=PageInfo(
            has_next_page=start + size < len(ids),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(ids),
    )
