"""A fallback load generator when wrk is missing: asyncio streams, keep-alive.

Less accurate than wrk (it shares a core and the GIL with its own parsing, and
reads only `Content-Length` answers), so the table says which one ran.
"""

from __future__ import annotations

import asyncio
import math
import time
from urllib.parse import urlsplit

from bench._results import Measurement
from bench._workloads import Request, Workload

__all__ = ["percentile", "run"]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _encode(request: Request, host: str) -> bytes:
    head = f"{request.method} {request.path} HTTP/1.1\r\nHost: {host}\r\n"
    if request.body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n"
    return (head + "\r\n").encode() + (request.body or b"")


async def _read(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
    )
    return status, await reader.readexactly(length)


async def _load(
    host: str, port: int, workload: Workload, concurrency: int, seconds: float
) -> Measurement:
    wire = [_encode(r, f"{host}:{port}") for r in workload.requests]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def connection(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        at = offset
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(wire[at % len(wire)])
                at += 1
                status, body = await _read(reader)
                latencies.append(time.perf_counter() - started)
                if status >= 400 or (workload.graphql and b'"errors":' in body):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(i * 7) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Measurement(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        errors=errors,
    )


def run(base_url: str, workload: Workload, *, concurrency: int, seconds: float) -> Measurement:
    url = urlsplit(base_url)
    assert url.hostname is not None and url.port is not None
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run(_load(url.hostname, url.port, workload, concurrency, seconds))
    return uvloop.run(_load(url.hostname, url.port, workload, concurrency, seconds))
