"""A wall clock the test moves, for the simulator, and what its change feed lists."""

from __future__ import annotations

from datetime import datetime

import httpx

__all__ = ["Clock", "ids"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def ids(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get("/workstream_events/identifiers", params=params)
    assert response.status_code == 200
    return [item["id"] for item in response.json()["iterable"]]
