"""What the resolvers need from the running gateway, per request.

The schema does not know how the upstream is reached: the gateway hands each
request a `Context` holding an object that speaks the upstream API and the
request's DataLoader of snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

from strawberry.dataloader import DataLoader

__all__ = ["Context", "Json", "SnapshotKey", "WorkstreamEventApi"]

Json = dict[str, Any]


class SnapshotKey(NamedTuple):
    id: str
    transferables: bool | None


class WorkstreamEventApi(Protocol):
    """The upstream REST calls the schema makes (one method per endpoint)."""

    async def snapshot(self, event_id: str, *, transferables: bool | None) -> Json: ...

    async def update(self, event: Json, *, transferables: bool | None) -> Json: ...

    async def create(self, seeded: Json, *, transferables: bool | None) -> Json: ...

    async def delete(self, event_id: str) -> None: ...

    async def identifiers(
        self, filters: dict[str, str], *, limit: int | None = None
    ) -> list[str]: ...

    async def relate(
        self,
        event_id: str,
        segment: str,
        action: Literal["associate", "disassociate"],
        other_id: str,
    ) -> None: ...

    async def increment_scores(self, event_id: str, increment: Json | None) -> None: ...


@dataclass(slots=True)
class Context:
    upstream: WorkstreamEventApi
    snapshots: DataLoader[SnapshotKey, Json]
    max_page_size: int
    max_ids: int = 1000
    request_id: str = ""
    operation_name: str | None = None  # set once the document is parsed
