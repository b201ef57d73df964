"""The simulator and the gateway, started as processes, with the workloads they serve."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import _peer
from bench._processes import Service, free_port
from bench._timeline import pages, workload
from bench._workloads import (
    SMALL_SELECTION,
    Workload,
    direct,
    full_selection,
    graphql,
    many,
    mesh,
    ordinary,
)

__all__ = ["Session", "Timeline", "calls_during", "session"]

# uvicorn's access log line, one per request the simulator answered.
_ACCESS = re.compile(rb'"(GET|POST|PUT|DELETE) \S+ HTTP/1\.1" \d{3}')
_RING = 200  # distinct events a single-event workload cycles through


@dataclass
class Timeline:
    """The timeline page's services: a gateway in front of a simulator whose events carry
    most references by id alone (rich events embed every record they point at)."""

    simulator: Service
    gateway: Service
    simulator_url: str
    gateway_url: str
    events: dict[str, dict[str, Any]]  # every event of the simulator, by id
    pages: list[list[str]]
    workload: Workload


@dataclass
class Session:
    simulator: Service
    gateway: Service
    simulator_url: str
    gateway_url: str
    workloads: list[Workload]
    regular: Service | None = None  # a gateway with the compiled path off
    regular_url: str = ""
    mesh: Service | None = None
    mesh_url: str = ""
    event_kib: float = 0.0  # mean JSON size of the events the single-event rows read
    timeline: Timeline | None = None

    def base_url(self, workload: Workload) -> str:
        if workload.target == "mesh":
            return self.mesh_url
        if workload.target == "regular":
            return self.regular_url
        return self.simulator_url if workload.target == "simulator" else self.gateway_url

    def server(self, workload: Workload) -> Service:
        """The process whose memory a row reports: Mesh on its rows, else the gateway."""
        if workload.target == "mesh" and self.mesh is not None:
            return self.mesh
        if workload.target == "simulator":
            return self.simulator
        if workload.target == "regular" and self.regular is not None:
            return self.regular
        return self.gateway

    def check(self, workload: Workload) -> None:
        """One request of `workload` answers 200 with data and no errors, or raise."""
        request = workload.requests[0]
        response = httpx.request(
            request.method,
            self.base_url(workload) + request.path,
            content=request.body,
            headers={"Content-Type": "application/json"} if request.body else None,
            trust_env=False,
            timeout=30,
        )
        document = response.json() if response.status_code == 200 else {}
        if response.status_code != 200 or "errors" in document:
            raise RuntimeError(
                f"{workload.name}: HTTP {response.status_code} {response.text[:500]}"
            )

    def upstream_calls_per_op(self, workload: Workload, ops: int = 3) -> float:
        """Requests the simulator logs for `ops` sequential operations, per operation."""

        def operations() -> None:
            for _ in range(ops):
                self.check(workload)

        return calls_during(self.simulator, operations) / ops


def calls_during(simulator: Service, action: Callable[[], object]) -> int:
    """Requests `simulator` logs while `action` runs (it must wait for its answers)."""
    before = _quiet_log_size(simulator.log)
    action()
    time.sleep(0.3)  # the access log line is written after the answer is sent
    with simulator.log.open("rb") as log:
        log.seek(before)
        return len(_ACCESS.findall(log.read()))


def _quiet_log_size(path: Path, settle: float = 0.3, deadline: float = 5.0) -> int:
    """The access log's size once nothing more is being written to it: a previous row's
    last requests (Mesh's, say, answered after its load generator stopped) stay out."""
    end = time.monotonic() + deadline
    size = _log_size(path)
    while time.monotonic() < end:
        time.sleep(settle)
        now = _log_size(path)
        if now == size:
            break
        size = now
    return size


def _log_size(path: Path) -> int:
    return path.stat().st_size


def _executable() -> str:
    return str(Path(sys.executable).with_name("pieces-gateway"))


def _events(simulator_url: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{simulator_url}/workstream_events", trust_env=False, timeout=30)
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()["iterable"]
    return events


@contextlib.contextmanager
def session(
    *, events: int, many_ids: tuple[int, ...], peer: bool = False, event_kb: int | None = None
) -> Iterator[Session]:
    """Start the services (stopped by pid on the way out) and build the workloads.

    The simulator's events weigh about `event_kb` KB each (None: ordinary, ~3 KB).
    With `peer`, GraphQL Mesh too, with its own small and full selection rows. The
    timeline page reads ordinary events: with `event_kb`, from a simulator and a gateway
    of its own.
    """
    exe = _executable()
    sim_port, gw_port, regular_port = free_port(), free_port(), free_port()
    simulator_url = f"http://127.0.0.1:{sim_port}"
    gateway_url = f"http://127.0.0.1:{gw_port}"
    regular_url = f"http://127.0.0.1:{regular_port}"
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        logs = Path(tmp)
        simulator = Service(
            "simulator",
            [
                *(exe, "simulator", "--port", str(sim_port), "--events", str(events)),
                *("--seed", "0", *(() if event_kb is None else ("--event-kb", str(event_kb)))),
            ],
            f"{simulator_url}/.well-known/health",
            logs / "simulator.log",
        )
        gateway = Service(
            "gateway",
            [exe, "serve", "--port", str(gw_port), "--upstream", simulator_url],
            f"{gateway_url}/readyz",
            logs / "gateway.log",
        )
        regular = Service(
            "gateway, compiled path off",
            [
                *(exe, "serve", "--port", str(regular_port), "--upstream", simulator_url),
                "--no-compiled-execution",
            ],
            f"{regular_url}/readyz",
            logs / "regular.log",
        )
        with contextlib.ExitStack() as stack:
            stack.enter_context(simulator)
            stack.enter_context(gateway)
            stack.enter_context(regular)
            typical = ordinary(_events(simulator_url))
            ids = [event["id"] for event in typical]
            ring = ids[:_RING]
            full = full_selection(typical[:_RING])
            workloads = [
                direct(ring),
                graphql("GraphQL small selection", SMALL_SELECTION, ring, pair="small"),
                graphql("GraphQL full selection", full, ring, pair="full"),
                graphql(
                    "GraphQL small selection, compiled path off",
                    SMALL_SELECTION,
                    ring,
                    pair="small",
                    target="regular",
                ),
            ]
            sizes = [len(json.dumps(event, separators=(",", ":"))) for event in typical[:_RING]]
            s = Session(simulator, gateway, simulator_url, gateway_url, workloads)
            s.regular, s.regular_url = regular, regular_url
            s.event_kib = sum(sizes) / max(len(sizes), 1) / 1024
            if peer:
                s.mesh, s.mesh_url = _peer.mesh_service(simulator_url, logs)
                stack.enter_context(s.mesh)
                full = full_selection(typical[:_RING], keys_as_is=True)
                workloads += [
                    mesh("GraphQL Mesh small selection", SMALL_SELECTION, ring, pair="small"),
                    mesh("GraphQL Mesh full selection", full, ring, pair="full"),
                ]
            workloads += [many(ids, n) for n in many_ids]
            if event_kb is None:
                s.timeline = _timeline(simulator, gateway, simulator_url, gateway_url)
            else:
                s.timeline = _timeline(*_ordinary_pair(stack, exe, events, logs))
            yield s


def _ordinary_pair(
    stack: contextlib.ExitStack, exe: str, events: int, logs: Path
) -> tuple[Service, Service, str, str]:
    """A simulator of ordinary events (same seed and count) and a gateway in front of it."""
    sim_port, gw_port = free_port(), free_port()
    simulator_url = f"http://127.0.0.1:{sim_port}"
    gateway_url = f"http://127.0.0.1:{gw_port}"
    simulator = Service(
        "simulator, ordinary events",
        [exe, "simulator", "--port", str(sim_port), "--events", str(events), "--seed", "0"],
        f"{simulator_url}/.well-known/health",
        logs / "timeline-simulator.log",
    )
    gateway = Service(
        "gateway, ordinary events",
        [exe, "serve", "--port", str(gw_port), "--upstream", simulator_url],
        f"{gateway_url}/readyz",
        logs / "timeline-gateway.log",
    )
    stack.enter_context(simulator)
    stack.enter_context(gateway)
    return simulator, gateway, simulator_url, gateway_url


def _timeline(
    simulator: Service, gateway: Service, simulator_url: str, gateway_url: str
) -> Timeline:
    events = _events(simulator_url)
    timeline = pages([event["id"] for event in ordinary(events)])
    by_id = {event["id"]: event for event in events}
    return Timeline(
        simulator, gateway, simulator_url, gateway_url, by_id, timeline, workload(timeline)
    )
