"""`python -m bench.soak` (`make soak`): a bounded soak of the gateway, with faults.

Starts the simulator and the gateway as processes (bench._session), then keeps
`--concurrency` clients busy for `SOAK_SECONDS` with a mix of reads and a few
mutations while the simulator's faults (`PUT /_simulator/faults`) change on a
timed schedule of phases. Reports operations by outcome, GraphQL errors by
`extensions.code`, HTTP 5xx (which must be none), p50/p99 latency per phase and
the gateway's RSS from after the warm-up to the end (growth must stay < 10%).
A benchmark, not a test: the exit status is 1 when either bound is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench._pyload import percentile
from bench._session import session
from bench._workloads import SMALL_SELECTION, full_selection, ordinary

RESULTS = Path(__file__).with_name("results") / "soak.md"
MAX_RSS_GROWTH = 0.10


@dataclass(frozen=True)
class Phase:
    name: str
    weight: float  # share of the run
    faults: dict[str, Any] | None = None  # PUT to the simulator; None: clean


# Clean stretches between faults, so the breaker closes and the gateway recovers each time.
PHASES: tuple[Phase, ...] = (
    Phase("clean", 2),
    Phase("delay 0.3 s", 1, {"delay": 0.3}),
    Phase("clean", 1),
    Phase("status 503, Retry-After 0.1", 1, {"status": 503, "retry_after": 0.1}),
    Phase("clean", 1),
    Phase("garbage (200, not JSON)", 1, {"garbage": True}),
    Phase("clean", 1),
    Phase("drop (connection broken off)", 1, {"drop": True}),
    Phase("clean", 1),
    Phase("no_batch (batch endpoint 404)", 1, {"no_batch": True}),
    Phase("clean", 1),
)

_ONE = "query One($id: ID!) { workstreamEvent(id: $id) %s }"
_MANY = "query Many($ids: [ID!]!) { workstreamEvents(ids: $ids) { id readable } }"
_TAG = (
    "mutation Tag($e: ID!, $t: ID!) "
    "{ workstreamEvent%sTag(workstreamEvent: $e, tag: $t) { workstreamEventId } }"
)
# Without `seededScoreIncrement` the simulator answers 500 (UPSTREAM_ERROR): always send one.
_SCORE = (
    "mutation Score($e: ID!) { workstreamEventScoresIncrement(workstreamEvent: $e, "
    "seededScoreIncrement: { workstreamEvent: { reuse: true } }) { workstreamEventId } }"
)


@dataclass
class Operations:
    """The mix: (name, weight, make the JSON body from a random generator)."""

    ids: list[str]
    full: str
    names: tuple[str, ...] = ("small", "full", "many", "tag", "score")
    weights: tuple[int, ...] = (40, 25, 20, 10, 5)

    def pick(self, rng: random.Random) -> tuple[str, dict[str, Any]]:
        name = rng.choices(self.names, self.weights)[0]
        event = rng.choice(self.ids)
        if name == "small":
            return name, {"query": _ONE % SMALL_SELECTION, "variables": {"id": event}}
        if name == "full":
            return name, {"query": _ONE % self.full, "variables": {"id": event}}
        if name == "many":
            return name, {"query": _MANY, "variables": {"ids": rng.sample(self.ids, 10)}}
        if name == "tag":
            action = rng.choice(("Associate", "Disassociate"))
            return name, {"query": _TAG % action, "variables": {"e": event, "t": "soak-tag"}}
        return name, {"query": _SCORE, "variables": {"e": event}}


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    by_operation: Counter[tuple[str, str]] = field(default_factory=Counter)
    ok_by_phase: Counter[int] = field(default_factory=Counter)
    latencies: dict[int, list[float]] = field(default_factory=dict)  # phase index -> seconds
    http_5xx: int = 0

    def record(self, phase: int, operation: str, outcome: str, seconds: float) -> None:
        self.outcomes[outcome] += 1
        self.by_operation[operation, outcome] += 1
        self.ok_by_phase[phase] += outcome == "ok"
        self.latencies.setdefault(phase, []).append(seconds)


def _outcome(response: httpx.Response, tally: Tally) -> str:
    if response.status_code >= 500:
        tally.http_5xx += 1
        return f"HTTP {response.status_code}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    errors = response.json().get("errors")
    if not errors:
        return "ok"
    for error in errors:
        tally.codes[str((error.get("extensions") or {}).get("code", "(no code)"))] += 1
    return "GraphQL errors"


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@dataclass
class Clock:
    """Which phase the run is in: set by the conductor, read by the clients."""

    phase: int = 0
    running: bool = True


async def _client(
    http: httpx.AsyncClient, ops: Operations, clock: Clock, tally: Tally, seed: int
) -> None:
    rng = random.Random(seed)
    while clock.running:
        name, body = ops.pick(rng)
        phase = clock.phase
        started = time.perf_counter()
        try:
            response = await http.post("/graphql", json=body)
            outcome = _outcome(response, tally)
        except httpx.HTTPError as exc:
            outcome = f"client error ({type(exc).__name__})"
        tally.record(phase, name, outcome, time.perf_counter() - started)


async def _conduct(
    simulator: httpx.AsyncClient,
    schedule: Sequence[tuple[Phase, float]],
    clock: Clock,
    rss: list[float],
    gateway_pid: int,
) -> None:
    for index, (phase, seconds) in enumerate(schedule):
        if phase.faults is None:
            (await simulator.delete("/_simulator/faults")).raise_for_status()
        else:
            (await simulator.put("/_simulator/faults", json=phase.faults)).raise_for_status()
        clock.phase = index
        await asyncio.sleep(seconds)
        rss.append(_rss_mib(gateway_pid))
    (await simulator.delete("/_simulator/faults")).raise_for_status()
    clock.running = False


async def _soak(
    gateway_url: str,
    simulator_url: str,
    gateway_pid: int,
    ops: Operations,
    schedule: Sequence[tuple[Phase, float]],
    concurrency: int,
    warmup: float,
) -> tuple[Tally, list[float]]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(60.0)
    async with (
        httpx.AsyncClient(
            base_url=gateway_url, limits=limits, timeout=timeout, trust_env=False
        ) as http,
        httpx.AsyncClient(base_url=simulator_url, timeout=10.0, trust_env=False) as simulator,
    ):
        warm = Clock()
        clients = [_client(http, ops, warm, Tally(), i) for i in range(concurrency)]
        stop = asyncio.get_running_loop().call_later(warmup, setattr, warm, "running", False)
        await asyncio.gather(*clients)
        stop.cancel()
        rss = [_rss_mib(gateway_pid)]
        clock, tally = Clock(), Tally()
        await asyncio.gather(
            _conduct(simulator, schedule, clock, rss, gateway_pid),
            *(_client(http, ops, clock, tally, 1000 + i) for i in range(concurrency)),
        )
    return tally, rss


def _schedule(seconds: float) -> list[tuple[Phase, float]]:
    total = sum(phase.weight for phase in PHASES)
    return [(phase, seconds * phase.weight / total) for phase in PHASES]


def _report(
    args: argparse.Namespace,
    schedule: Sequence[tuple[Phase, float]],
    tally: Tally,
    rss: list[float],
    startup_rss: float,
) -> tuple[str, bool]:
    growth = (rss[-1] - rss[0]) / rss[0]
    total = sum(tally.outcomes.values())
    passed = tally.http_5xx == 0 and growth < MAX_RSS_GROWTH
    lines = [
        "# pieces-gateway soak",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.seconds:g} s at c={args.concurrency} after "
        f"a {args.warmup:g} s clean warm-up; simulator with {args.events} events; "
        f"{total:,} operations ({total / args.seconds:,.0f}/s). "
        f"Mix: {_mix()} "
        "(small/full selection of one event, workstreamEvents with 10 ids, "
        "associate/disassociate a tag, score increment).",
        "",
        f"**{'PASS' if passed else 'FAIL'}**: HTTP 5xx {tally.http_5xx} (must be 0); gateway RSS "
        f"{rss[0]:.1f} -> {rss[-1]:.1f} MiB after the warm-up, growth {100 * growth:+.1f}% "
        f"(must be < {100 * MAX_RSS_GROWTH:.0f}%; {startup_rss:.1f} MiB after start-up).",
        "",
        "## Phases",
        "",
        "| # | phase (simulator faults) | s | ops | ok % | p50 ms | p99 ms "
        "| gateway RSS at end MiB |",
        "|--:|---|--:|--:|--:|--:|--:|--:|",
    ]
    for index, (phase, seconds) in enumerate(schedule):
        latencies = sorted(tally.latencies.get(index, []))
        lines.append(
            f"| {index + 1} | {phase.name} | {seconds:.1f} | {len(latencies):,} "
            f"| {100 * tally.ok_by_phase[index] / max(1, len(latencies)):.0f} "
            f"| {1000 * percentile(latencies, 0.5):.1f} | {1000 * percentile(latencies, 0.99):.1f} "
            f"| {rss[index + 1]:.1f} |"
        )
    outcomes = sorted(tally.outcomes.items(), key=lambda item: -item[1])
    lines += ["", "## Operations by outcome", "", "| outcome | ops | % |", "|---|--:|--:|"]
    lines += [f"| {name} | {n:,} | {100 * n / total:.1f} |" for name, n in outcomes]
    kinds = sorted({outcome for _, outcome in tally.by_operation})
    lines += [
        "",
        "| operation | " + " | ".join(kinds) + " |",
        "|---|" + "--:|" * len(kinds),
    ]
    for name in Operations.names:
        counts = " | ".join(f"{tally.by_operation[name, kind]:,}" for kind in kinds)
        lines.append(f"| {name} | {counts} |")
    lines += ["", "## GraphQL errors by `extensions.code`", "", "| code | errors |", "|---|--:|"]
    lines += [f"| `{code}` | {n:,} |" for code, n in tally.codes.most_common()]
    if not tally.codes:
        lines.append("| (none) | 0 |")
    return "\n".join([*lines, ""]), passed


def _mix() -> str:
    pairs = zip(Operations.names, Operations.weights, strict=True)
    return ", ".join(f"{name} {weight}%" for name, weight in pairs)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("SOAK_SECONDS", "60")),
        help="length of the run after the warm-up (env SOAK_SECONDS, default 60)",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=5.0, help="clean seconds before")
    parser.add_argument("--events", type=int, default=1100, help="events in the simulator")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    schedule = _schedule(args.seconds)
    with session(events=args.events, many_ids=()) as s:
        startup_rss = _rss_mib(s.gateway.pid)
        events = httpx.get(f"{s.simulator_url}/workstream_events", trust_env=False, timeout=30)
        typical = ordinary(events.json()["iterable"])
        ops = Operations([event["id"] for event in typical], full_selection(typical[:200]))
        tally, rss = asyncio.run(
            _soak(
                s.gateway_url,
                s.simulator_url,
                s.gateway.pid,
                ops,
                schedule,
                args.concurrency,
                args.warmup,
            )
        )
    report, passed = _report(args, schedule, tally, rss, startup_rss)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f"written to {args.output}", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
