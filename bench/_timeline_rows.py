"""The timeline page's rows of `python -m bench`.

First each page once, sequentially, through the gateway and through the REST
client (`bench._rest_client`, in this process), each one's upstream calls
counted in the simulator's access log against `bench._timeline.expected_calls`,
and the two pages compared. Then the same closed-loop load at each
concurrency: the gateway's pages from the load generator, then the REST
client's from its own process, each process's CPU (and the simulator's) over
its run, per page.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench._rest_client import RestClient
from bench._results import Measurement, PageCalls, TimelineRow
from bench._session import Timeline, calls_during
from bench._timeline import expected_calls

__all__ = ["check_pages", "measure"]

Load = Callable[..., Measurement]  # bench._wrk.run or bench._pyload.run
_ROOT = Path(__file__).resolve().parents[1]
GATEWAY = "gateway: the timeline query"
REST = "REST client: the same calls, assembled (lean pool, orjson)"


def check_pages(timeline: Timeline, *, batch_size: int, singles: int) -> list[PageCalls]:
    """Each page once through the gateway and once through the REST client, calls counted."""
    return [
        _check_page(timeline, page, request.body, batch_size=batch_size, singles=singles)
        for page, request in zip(timeline.pages, timeline.workload.requests, strict=True)
    ]


def _check_page(
    timeline: Timeline, page: list[str], body: bytes | None, *, batch_size: int, singles: int
) -> PageCalls:
    answers: dict[str, Any] = {}

    def through_gateway() -> None:
        answers[GATEWAY] = _gateway_page(timeline.gateway_url, body)

    def through_rest() -> None:
        answers[REST] = asyncio.run(
            _rest_page(timeline.simulator_url, page, batch_size=batch_size, singles=singles)
        )

    gateway = calls_during(timeline.simulator, through_gateway)
    rest = calls_during(timeline.simulator, through_rest)
    return PageCalls(
        expected_calls(timeline.events, page, batch_size),
        gateway=gateway,
        rest=rest,
        same_page=answers[GATEWAY] == answers[REST],
    )


def _gateway_page(gateway_url: str, body: bytes | None) -> Any:
    response = httpx.post(
        f"{gateway_url}/graphql",
        content=body,
        headers={"Content-Type": "application/json"},
        trust_env=False,
        timeout=30,
    )
    document = response.json() if response.status_code == 200 else {}
    if response.status_code != 200 or "errors" in document:
        raise RuntimeError(f"timeline page: HTTP {response.status_code} {response.text[:500]}")
    return document


async def _rest_page(url: str, ids: list[str], *, batch_size: int, singles: int) -> Any:
    client = RestClient(url, batch_size=batch_size, singles=singles)
    try:
        return await client.page(ids)
    finally:
        await client.aclose()


def measure(
    timeline: Timeline,
    pages: Sequence[PageCalls],
    load: Load,
    *,
    concurrency: Sequence[int],
    seconds: float,
    warmup: float,
    batch_size: int,
    singles: int,
    progress: Callable[[TimelineRow], None],
) -> list[TimelineRow]:
    """The gateway's rows, then the REST client's, each concurrency in turn."""
    expected = sum(page.expected.total for page in pages) / len(pages)
    gateway_calls = sum(page.gateway for page in pages) / len(pages)
    rest_calls = sum(page.rest for page in pages) / len(pages)
    rows: list[TimelineRow] = []
    workload = timeline.workload
    load(timeline.gateway_url, workload, concurrency=max(concurrency), seconds=warmup)
    for c in concurrency:
        cpu = _Cpu(timeline)
        measured = load(timeline.gateway_url, workload, concurrency=c, seconds=seconds)
        cpu_ms, simulator_ms = cpu.per_page(measured.requests, measured.requests)
        rows.append(
            TimelineRow(GATEWAY, c, measured, cpu_ms, simulator_ms, gateway_calls, expected)
        )
        progress(rows[-1])
    rest: dict[int, float | None] = {}
    for c in concurrency:
        cpu = _Cpu(timeline)
        result = _rest_client(timeline, c, seconds, warmup, batch_size, singles)
        measured = Measurement(
            result["requests"],
            result["seconds"],
            result["p50_ms"],
            result["p99_ms"],
            result["errors"],
        )
        _, simulator_ms = cpu.per_page(measured.requests, result["pages_total"])
        own = result["cpu_seconds"]
        cpu_ms = own * 1000 / measured.requests if own is not None and measured.requests else None
        rest[c] = cpu_ms
        rows.append(TimelineRow(REST, c, measured, cpu_ms, simulator_ms, rest_calls, expected))
        progress(rows[-1])
    return [
        dataclasses.replace(row, rest_cpu_ms=rest.get(row.concurrency))
        if row.target == GATEWAY
        else row
        for row in rows
    ]


class _Cpu:
    """The gateway's and the simulator's CPU time from now on."""

    def __init__(self, timeline: Timeline) -> None:
        self._gateway, self._simulator = timeline.gateway, timeline.simulator
        self._before = self._gateway.cpu_seconds(), self._simulator.cpu_seconds()

    def per_page(
        self, gateway_pages: int, simulator_pages: int
    ) -> tuple[float | None, float | None]:
        """CPU ms per page since: the gateway's over `gateway_pages`, the simulator's over
        `simulator_pages`."""
        gateway, simulator = self._before
        return (
            _ms_per(gateway, self._gateway.cpu_seconds(), gateway_pages),
            _ms_per(simulator, self._simulator.cpu_seconds(), simulator_pages),
        )


def _ms_per(before: float | None, after: float | None, pages: int) -> float | None:
    if before is None or after is None or not pages:
        return None
    return (after - before) * 1000 / pages


def _rest_client(
    timeline: Timeline,
    concurrency: int,
    seconds: float,
    warmup: float,
    batch_size: int,
    singles: int,
) -> dict[str, Any]:
    """One run of the REST client's process: its result line."""
    argv = [
        *(sys.executable, "-m", "bench._rest_client", timeline.simulator_url),
        *("--concurrency", str(concurrency), "--seconds", str(seconds), "--warmup", str(warmup)),
        *("--batch-size", str(batch_size), "--singles", str(singles)),
    ]
    done = subprocess.run(
        argv,
        input=json.dumps(timeline.pages).encode(),
        capture_output=True,
        cwd=_ROOT,
        timeout=seconds + warmup + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{REST}: exit {done.returncode}: {done.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result
