"""The timeline page as a REST client assembles it: `python -m bench._rest_client URL`.

It makes the calls the gateway makes for `bench._timeline`'s page and no
more: the events in one batch fetch (per batch size), then, concurrently, the
summaries without an embedded copy through their batch endpoint and one GET
per distinct tag or website without one (at most `--singles` GETs at once
across the process, as the gateway's `--upstream-concurrency`); then the page
in the shape the gateway answers, `{"data": {"workstreamEvents": [...]}}`,
encoded, as the gateway encodes its answer.

The HTTP is the gateway's own pool, called as the gateway's transport calls
it (`gateway._pool.LeanPool.exchange`), and the JSON is orjson's, so that the
two processes' CPU differs by what the GraphQL layer costs rather than by two
HTTP stacks: httpx's default pool costs about ten times the CPU per call
(bench/PROFILE.md), and a page is about a hundred calls.

As a process (its own, as the gateway is), it reads the pages (a JSON list of
id lists) from stdin, assembles `--concurrency` pages at a time in a closed
loop for `--warmup` seconds, then for `--seconds`, and prints one JSON line:
the pages of the measured window, their latencies, and the process's own
user+system CPU time over that window (`/proc/self/stat`, as the benchmark
reads the gateway's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Coroutine, Sequence
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from bench._processes import cpu_seconds
from bench._pyload import percentile
from bench._timeline import BATCHED, SELECTED, unfetched
from gateway._pool import LeanPool, Origin
from schema import RELATIONS

__all__ = ["PageError", "RestClient", "shaped"]

Json = dict[str, Any]
_PATHS = {relation.key: relation.record_path for relation in RELATIONS}
_ACCEPT = [(b"accept", b"application/json")]
_POST = [*_ACCEPT, (b"content-type", b"application/json")]


class PageError(Exception):
    """Pieces OS did not answer one of the page's calls with 200."""


class RestClient:
    """Timeline pages from Pieces OS's REST endpoints."""

    def __init__(self, base_url: str, *, batch_size: int, singles: int) -> None:
        self._origin = Origin.of(httpx.URL(base_url))
        self._pool = LeanPool(
            max_connections=32, connect_timeout=2.0, pool_timeout=30.0, max_response_bytes=1 << 25
        )
        self._batch_size = batch_size
        self._singles = asyncio.Semaphore(singles)

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def page(self, ids: Sequence[str]) -> Json:
        """The page of the events `ids`, as the gateway answers the timeline query."""
        events = await self._events(ids)
        wanted = {key: list(unfetched(events.values(), key)) for key, _field in SELECTED}
        records = await self._records(wanted)
        return {"data": {"workstreamEvents": [shaped(events[i], records) for i in ids]}}

    async def _events(self, ids: Sequence[str]) -> dict[str, Json]:
        size = self._batch_size
        chunks = [ids[at : at + size] for at in range(0, len(ids), size)]
        answers = await asyncio.gather(
            *(
                self._call(
                    b"POST",
                    "/workstream_events/batch/fetch",
                    {"workstreamEvents": {"iterable": [{"id": i} for i in chunk]}},
                )
                for chunk in chunks
            )
        )
        events = {e["id"]: e for a in answers for e in a["workstreamEvents"]["iterable"]}
        if missing := [i for i in ids if i not in events]:
            raise PageError(f"events not found: {missing[:3]}")
        return events

    async def _records(self, wanted: dict[str, list[str]]) -> dict[str, dict[str, Json]]:
        """The records of `wanted` (ids by relation), fetched concurrently."""
        size = self._batch_size
        fetches: list[tuple[str, Coroutine[Any, Any, list[Json]]]] = []
        for key, ids in wanted.items():
            if key in BATCHED and len(ids) > 1:  # one id: its GET, as the gateway does
                chunks = (ids[at : at + size] for at in range(0, len(ids), size))
                fetches += ((key, self._summaries(chunk)) for chunk in chunks)
            else:
                fetches += ((key, self._get(key, record_id)) for record_id in ids)
        answers = await asyncio.gather(*(fetch for _key, fetch in fetches))
        records: dict[str, dict[str, Json]] = {key: {} for key in wanted}
        for (key, _fetch), found in zip(fetches, answers, strict=True):
            records[key].update((record["id"], record) for record in found)
        return records

    async def _summaries(self, ids: list[str]) -> list[Json]:
        body = {"workstreamSummaries": {"iterable": [{"id": i} for i in ids]}}
        answer = await self._call(b"POST", "/workstream_summaries/batch", body)
        if answer.get("notFound"):
            raise PageError(f"summaries not found: {answer['notFound'][:3]}")
        found: list[Json] = answer["workstreamSummaries"]["iterable"]
        return found

    async def _get(self, key: str, record_id: str) -> list[Json]:
        async with self._singles:
            return [await self._call(b"GET", _PATHS[key] + quote(record_id, safe=""))]

    async def _call(self, method: bytes, path: str, body: Json | None = None) -> Json:
        content = None if body is None else orjson.dumps(body)
        headers = _ACCEPT if content is None else _POST
        answer = await self._pool.exchange(self._origin, method, path.encode(), headers, content)
        if answer.status_code != 200:
            raise PageError(f"{method.decode()} {path}: HTTP {answer.status_code}")
        document: Json = orjson.loads(answer.content)
        return document


def shaped(event: Json, records: dict[str, dict[str, Json]]) -> Json:
    """The event as the timeline query selects it: each reference's one field, from its
    embedded copy or else from `records` (by relation, then id)."""
    page_event: Json = {"id": event["id"]}
    for key, field in SELECTED:
        relation = event.get(key)
        if relation is None:
            page_event[key] = None
            continue
        items = relation.get("iterable") or []
        page_event[key] = {
            "iterable": [
                {"reference": {field: _record(item, records[key]).get(field)}} for item in items
            ]
        }
    return page_event


def _record(item: Json, fetched: dict[str, Json]) -> Json:
    """What a reference resolves to: its embedded copy, as sent, else the record fetched."""
    copy: Json | None = item.get("reference")
    return copy if copy is not None else fetched[item["id"]]


async def _phase(
    client: RestClient, pages: list[list[str]], concurrency: int, seconds: float
) -> tuple[list[float], int]:
    """Pages assembled (and encoded) for `seconds`, `concurrency` at a time: latencies, errors."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(at: int) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                orjson.dumps(await client.page(pages[at % len(pages)]))
            except (PageError, httpx.TransportError):
                errors += 1
            latencies.append(time.perf_counter() - started)
            at += 1

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies, errors


async def _run(args: argparse.Namespace, pages: list[list[str]]) -> Json:
    client = RestClient(args.url, batch_size=args.batch_size, singles=args.singles)
    try:
        warm, _ = await _phase(client, pages, args.concurrency, args.warmup)
        cpu_before, started = cpu_seconds("self"), time.perf_counter()
        latencies, errors = await _phase(client, pages, args.concurrency, args.seconds)
        elapsed, cpu_after = time.perf_counter() - started, cpu_seconds("self")
    finally:
        await client.aclose()
    latencies.sort()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
        "cpu_seconds": cpu,
        "pages_total": len(warm) + len(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._rest_client", description=__doc__)
    parser.add_argument("url", help="the simulator (or Pieces OS)")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--singles", type=int, default=8, help="most GETs at once")
    args = parser.parse_args(argv)
    pages = json.load(sys.stdin)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        result = asyncio.run(_run(args, pages))
    else:
        result = uvloop.run(_run(args, pages))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
