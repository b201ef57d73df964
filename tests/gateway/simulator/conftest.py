"""What the simulator's tests share: an httpx client of the module's `simulator`, in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette


@pytest.fixture
async def client(simulator: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(simulator)
    async with httpx.AsyncClient(transport=transport, base_url="http://pieces-os") as client:
        yield client
