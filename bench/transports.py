"""`python -m bench.transports`: the upstream pools side by side, CPU per request.

Each candidate fetches the same ~30 KB event from the bundled simulator (its
own process, on loopback) `--requests` times, `--concurrency` at a time, in
this process; the figure is this process's CPU time (user + system) per
request, so the simulator's work is not in it:

* httpcore's pool, through `httpx.AsyncHTTPTransport` (what the gateway used);
* the lean pool (`gateway._pool.LeanPool`), through its own `exchange`, as the
  gateway's transport calls it;
* the lean pool through httpx's transport interface (`handle_async_request`),
  to show what httpx's Request and Response objects cost on top.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench._processes import Service, free_port
from gateway._pool import LeanPool, Origin

Fetch = Callable[[], Awaitable[int]]


async def _measure(fetch: Fetch, requests: int, concurrency: int) -> float:
    """CPU ms per request of `requests` fetches, `concurrency` at a time."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            assert await fetch() > 20_000

    for _ in range(50):  # warm the connections
        await fetch()
    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) * 1000 / requests


async def _main(args: argparse.Namespace) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).with_name("pieces-gateway")), "simulator"]
    with (
        tempfile.TemporaryDirectory() as logs,
        Service(
            "simulator",
            [*command, "--port", str(port), "--events", "20", "--event-kb", "30"],
            f"{base}/.well-known/health",
            Path(logs) / "simulator.log",
        ),
    ):
        ids = httpx.get(f"{base}/workstream_events/identifiers").json()["iterable"]
        path = f"/workstream_event/{ids[-1]['id']}"
        headers = [(b"accept", b"application/json")]
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
        httpcore_pool = httpx.AsyncHTTPTransport(limits=limits)
        lean = LeanPool(
            max_connections=32, connect_timeout=2, pool_timeout=5, max_response_bytes=1 << 26
        )
        origin = Origin("http", "127.0.0.1", port)

        async def through_httpx(transport: httpx.AsyncBaseTransport) -> int:
            request = httpx.Request("GET", base + path, headers=headers)
            response = await transport.handle_async_request(request)
            body = await response.aread()
            await response.aclose()
            return len(body)

        async def exchange() -> int:
            return len((await lean.exchange(origin, b"GET", path.encode(), headers)).content)

        candidates: dict[str, Fetch] = {
            "httpcore pool (httpx.AsyncHTTPTransport)": lambda: through_httpx(httpcore_pool),
            "lean pool, exchange()": exchange,
            "lean pool, via httpx's handle_async_request": lambda: through_httpx(lean),
        }
        print(f"CPU ms per request in this process, median of {args.rounds} rounds")
        print(f"of {args.requests} requests for a ~30 KB event:\n")
        print("| pool | c=1 | c=16 |\n|---|--:|--:|")
        for name, fetch in candidates.items():
            cells = []
            for concurrency in (1, 16):
                rounds = [
                    await _measure(fetch, args.requests, concurrency) for _ in range(args.rounds)
                ]
                cells.append(f"{statistics.median(rounds):.3f}")
            print(f"| {name} | {' | '.join(cells)} |")
        await httpcore_pool.aclose()
        await lean.aclose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.transports", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
