"""Finding Pieces OS on this machine, as the official SDKs do.

Pieces OS listens on the first free port of 39300-39333 (older builds: 1000)
and answers `GET /.well-known/health`. `Discovery` probes every candidate port
on loopback at once and takes the first, in the configured order, that
answers; when none does, the last candidate. When the upstream disappears (a
refused connection), `rediscover` looks again, at most once per
`_MIN_INTERVAL`, and moves the gateway's `Endpoint` to the new port.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from gateway._transport import Endpoint

__all__ = ["Discovery", "parse_ports"]

logger = logging.getLogger("pieces_gateway.discovery")

_PROBE_TIMEOUT = 0.5
_MIN_INTERVAL = 1.0


def parse_ports(spec: str) -> tuple[int, ...]:
    """`"39300-39333,1000"` -> (39300, ..., 39333, 1000), in that order."""
    ports: list[int] = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        low, high = int(first), int(last or first)
        if not 0 < low <= high < 65536:
            raise ValueError(f"not a port or port range: {part!r}")
        ports.extend(range(low, high + 1))
    if not ports:
        raise ValueError("no ports to look on")
    return tuple(dict.fromkeys(ports))


class Discovery:
    def __init__(
        self,
        ports: tuple[int, ...],
        *,
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ports = ports
        self._host = host
        self._clock = clock
        self._lock = asyncio.Lock()
        self._last = -math.inf
        self._tasks: set[asyncio.Task[None]] = set()

    def _url(self, port: int) -> str:
        return f"http://{self._host}:{port}"

    async def find(self) -> str:
        """The base URL of the Pieces OS that answers first in port order."""
        async with httpx.AsyncClient(timeout=_PROBE_TIMEOUT, trust_env=False) as probe:

            async def answers(port: int) -> bool:
                try:
                    response = await probe.get(f"{self._url(port)}/.well-known/health")
                except httpx.HTTPError:
                    return False
                return response.is_success

            found = await asyncio.gather(*(answers(port) for port in self._ports))
        for port, ok in zip(self._ports, found, strict=True):
            if ok:
                logger.info("found Pieces OS on port %d", port)
                return self._url(port)
        logger.warning(
            "no Pieces OS answered on ports %d-%d; using port %d until one does",
            min(self._ports),
            max(self._ports),
            self._ports[-1],
        )
        return self._url(self._ports[-1])

    def rediscover_soon(self, endpoint: Endpoint) -> asyncio.Task[None]:
        """Look again in the background (the upstream stopped answering); the task that looks."""
        task = asyncio.get_running_loop().create_task(self._rediscover(endpoint))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _rediscover(self, endpoint: Endpoint) -> None:
        if self._lock.locked() or self._clock() - self._last < _MIN_INTERVAL:
            return
        async with self._lock:
            self._last = self._clock()
            found = await self.find()
            if found != endpoint.url:
                logger.info("Pieces OS moved: now using %s", found)
                endpoint.move(found)
