"""The per-request DataLoader behind every snapshot read.

However many fields, aliases or payloads of one operation ask for the same
(id, transferables), the upstream is asked once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from gateway._upstream import UpstreamClient
from schema import Json, SnapshotKey

__all__ = ["snapshot_loader"]


def snapshot_loader(upstream: UpstreamClient) -> DataLoader[SnapshotKey, Json]:
    async def load(keys: Sequence[SnapshotKey]) -> list[Json | BaseException]:
        # One result per key; a failed key carries its own error (NOT_FOUND for
        # one id must not fail the others).
        return await asyncio.gather(
            *(upstream.snapshot(key.id, transferables=key.transferables) for key in keys),
            return_exceptions=True,
        )

    return DataLoader(load_fn=load)
