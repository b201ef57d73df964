"""`python -m bench.live` (`make bench-live`): many subscribers on one gateway process.

For each row (a few subscribers, then `--subscribers`), a fresh simulator
changing one event every `--activity` seconds out of band and a fresh gateway
polling it every `--interval` seconds, as their own processes. Subscriber
processes open graphql-transport-ws connections in batches, each subscribing
to `workstreamEventChanges { kind id at }`; once the gateway counts them all,
the window opens with a snapshot of the simulator's store and closes
`--seconds` later with another (bench._deliveries says what was expected of
it), and the subscribers listen on until the gateway's deletion scan has run
again. Reports, per row: upstream calls per interval, delivery latency (receipt
minus `at`, the event's `updated` as the simulator stamped it), messages
expected, delivered, coalesced, lost and duplicated, the gateway's RSS before
and after the subscribers joined, and its CPU per delivered message.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.process
import os
import platform
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Subprotocol

from bench._deliveries import (
    Message,
    Tally,
    Window,
    first_latencies,
    latencies,
    summary,
    tally,
    upstream_calls,
)
from bench._processes import Service, free_port
from bench._stacks import Profile, parse

RESULTS = Path(__file__).with_name("results") / "live.md"
_DOCUMENT = "subscription { workstreamEventChanges { kind id at } }"
_INIT = orjson.dumps({"type": "connection_init"}).decode()
_SUBSCRIBE = orjson.dumps(
    {"id": "1", "type": "subscribe", "payload": {"query": _DOCUMENT}}
).decode()
_PONG = orjson.dumps({"type": "pong"}).decode()
_SNAPSHOT = "GET /workstream_events"  # the bench's own read of the store, not the gateway's


# --- the subscribers: one asyncio process per share -------------------------------------------


class _Subscriber:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.ended: str | None = None  # why it stopped before the bench closed it
        self.pongs = 0
        self.extensions = ""  # as the gateway accepted them
        self.joined = asyncio.Event()
        self._socket: ClientConnection | None = None
        self._closing = False

    async def run(self, url: str, *, deflate: bool) -> None:
        try:
            # No client pings: the gateway pings (graphql-transport-ws), and a late pong under
            # load would close the connection. permessage-deflate as browsers offer it.
            async with connect(
                url,
                subprotocols=[Subprotocol("graphql-transport-ws")],
                compression="deflate" if deflate else None,
                ping_interval=None,
                open_timeout=60,
                close_timeout=10,
                max_queue=None,
            ) as socket:
                self._socket = socket
                assert socket.response is not None
                self.extensions = socket.response.headers.get("Sec-WebSocket-Extensions", "")
                await socket.send(_INIT)
                reply = orjson.loads(await socket.recv())
                if reply.get("type") != "connection_ack":
                    self.ended = f"no connection_ack: {reply}"
                    return
                await socket.send(_SUBSCRIBE)
                self.joined.set()
                await self._receive(socket)
        except ConnectionClosed as exc:
            if not self._closing:
                self.ended = f"closed: {exc}"
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            self.ended = f"{type(exc).__name__}: {exc}"
        finally:
            self.joined.set()

    async def _receive(self, socket: ClientConnection) -> None:
        intern = sys.intern  # one string per id and instant: the report pickles small
        async for raw in socket:
            receipt = time.time()
            message = orjson.loads(raw)
            kind = message.get("type")
            if kind == "next":
                payload = message["payload"]
                change = (payload.get("data") or {}).get("workstreamEventChanges")
                if payload.get("errors") or change is None:
                    self.ended = f"errors: {payload.get('errors')}"
                    return
                at = change["at"]
                self.messages.append(
                    (
                        intern(change["kind"]),
                        intern(change["id"]),
                        None if at is None else intern(at),
                        receipt,
                    )
                )
            elif kind == "ping":
                await socket.send(_PONG)
                self.pongs += 1
            elif kind in ("error", "complete"):
                self.ended = f"{kind}: {message.get('payload')}"
                return

    async def close(self) -> None:
        self._closing = True
        if self._socket is not None:
            await self._socket.close()


@dataclass(frozen=True)
class _Joined:
    """A subscriber process has opened its share."""

    pid: int
    joined: int
    failures: list[str]  # the first few
    extensions: Counter[str]  # WebSocket extensions the gateway accepted: connections with each


@dataclass(frozen=True)
class _Done:
    """What a subscriber process's subscribers received, once the bench closed them."""

    messages: list[list[Message]]  # per subscriber, in the order received
    ended: list[str | None]  # per subscriber: why it stopped before the bench closed it
    pongs: int


async def _subscribe(
    url: str, count: int, batch: int, deflate: bool, reports: Queue[Any], stop: Event
) -> None:
    subscribers = [_Subscriber() for _ in range(count)]
    tasks: list[asyncio.Task[None]] = []
    for first in range(0, count, batch):
        group = subscribers[first : first + batch]
        tasks += [asyncio.create_task(s.run(url, deflate=deflate)) for s in group]
        await asyncio.gather(*(s.joined.wait() for s in group))
    failed = [s.ended for s in subscribers if s.ended is not None]
    extensions = Counter(s.extensions.split(";")[0] for s in subscribers if s.ended is None)
    reports.put(_Joined(os.getpid(), count - len(failed), failed[:3], extensions))
    await asyncio.get_running_loop().run_in_executor(None, stop.wait)
    await asyncio.gather(*(s.close() for s in subscribers), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)
    reports.put(
        _Done(
            [s.messages for s in subscribers],
            [s.ended for s in subscribers],
            sum(s.pongs for s in subscribers),
        )
    )


def _subscriber_process(
    url: str, count: int, batch: int, deflate: bool, reports: Queue[Any], stop: Event
) -> None:
    asyncio.run(_subscribe(url, count, batch, deflate, reports, stop))


# --- the services, and what the kernel says of them ----------------------------------------


def _executable() -> str:
    return str(Path(sys.executable).with_name("pieces-gateway"))


def _proc_status_mib(pid: int, field: str) -> float:
    """VmRSS or VmHWM of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def _proc_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> float:
    """CPU seconds the machine's cores spent busy (not idle or waiting on I/O), all processes."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _metrics(client: httpx.Client, url: str) -> dict[str, float]:
    """The gateway's samples by name, summed over their labels."""
    response = client.get(f"{url}/metrics", timeout=120)  # late when the gateway is behind
    response.raise_for_status()
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[sample.name] = samples.get(sample.name, 0.0) + sample.value
    return samples


@dataclass(frozen=True)
class _Services:
    simulator: Service
    simulator_url: str
    gateway: Service
    gateway_url: str
    subscribers: list[int]  # their processes' pids


class _Cpu(NamedTuple):
    """CPU seconds so far: of the gateway, the simulator, the subscribers, the whole machine."""

    gateway: float
    simulator: float
    subscribers: float
    machine: float

    def __sub__(self, other: tuple[float, ...]) -> _Cpu:
        return _Cpu(*(a - b for a, b in zip(self, other, strict=True)))


@dataclass(frozen=True)
class _Mark:
    """One end of the window: the store as the simulator has it, and the clocks read with it.

    Nothing here asks the gateway, which may be far behind: the window is the simulator's.
    """

    wall: float
    cpu: _Cpu
    log_offset: int
    store: dict[str, str]  # id -> updated

    @staticmethod
    def read(client: httpx.Client, services: _Services) -> _Mark:
        offset = services.simulator.log.stat().st_size
        wall = time.time()
        cpu = _Cpu(
            _proc_cpu(services.gateway.pid),
            _proc_cpu(services.simulator.pid),
            sum(_proc_cpu(pid) for pid in services.subscribers),
            _machine_cpu(),
        )
        response = client.get(f"{services.simulator_url}/workstream_events")
        response.raise_for_status()
        store = {e["id"]: e["updated"]["value"] for e in response.json()["iterable"]}
        return _Mark(wall, cpu, offset, store)


# --- one row --------------------------------------------------------------------------------

_POLL = "GET /workstream_events/identifiers?updated_from"


@dataclass(frozen=True)
class Row:
    subscribers: int
    join_seconds: float  # from the first connection to the gateway counting them all
    seconds: float  # the window, measured
    tally: Tally
    latency_ms: tuple[float, float, float]  # p50, p99, max
    first_ms: tuple[float, float, float]  # the same of each change's first receipt
    calls: Counter[str]  # upstream requests in the window, by endpoint
    intervals: float  # window / --interval
    rss_started: float
    rss_joined: float
    rss_end: float
    hwm: float
    cpu: _Cpu  # in the window
    messages: int  # received in the window (by receipt time)
    ended: int  # subscribers the gateway ended, or whose connection failed
    gateway: dict[str, float]  # the gateway's metrics at the end of the row
    pongs: int
    extensions: Counter[str]  # accepted by the gateway: connections with each
    profile: Profile | None = None  # py-spy on the gateway in the window

    @property
    def polls(self) -> int:
        return self.calls[_POLL]

    @property
    def calls_per_interval(self) -> float:
        return sum(self.calls.values()) / self.intervals if self.intervals else 0.0

    @property
    def calls_per_poll(self) -> float:
        return sum(self.calls.values()) / self.polls if self.polls else 0.0

    def us_per_message(self, cpu_seconds: float) -> float:
        return cpu_seconds * 1e6 / self.messages if self.messages else 0.0

    @property
    def others_cores(self) -> float:
        """Cores that processes other than the three under test kept busy in the window."""
        cpu = self.cpu
        return max(0.0, cpu.machine - cpu.gateway - cpu.simulator - cpu.subscribers) / self.seconds


def _await_joined(
    reports: Queue[Any], processes: Sequence[multiprocessing.process.BaseProcess], total: int
) -> tuple[list[int], Counter[str]]:
    """The subscriber processes' pids, once each has opened its share of subscriptions, and
    the WebSocket extensions the gateway accepted, with the connections that have them."""
    pids: list[int] = []
    joined, failed, extensions = 0, [], Counter[str]()
    deadline = time.monotonic() + 60 + total / 5
    while len(pids) < len(processes):
        try:
            report: _Joined = reports.get(timeout=1)
        except queue.Empty:
            if any(p.exitcode is not None for p in processes) or time.monotonic() > deadline:
                raise RuntimeError("the subscriber processes did not all join") from None
            continue
        pids.append(report.pid)
        joined += report.joined
        failed += report.failures
        extensions += report.extensions
    if joined != total:
        raise RuntimeError(f"{total - joined} of {total} subscribers did not join: {failed}")
    return pids, extensions


def _await_gauge(client: httpx.Client, url: str, total: int, deadline: float) -> None:
    end = time.monotonic() + deadline
    while _metrics(client, url).get("pieces_gateway_subscriptions", 0) < total:
        if time.monotonic() > end:
            raise RuntimeError(f"the gateway does not count {total} subscriptions")
        time.sleep(0.2)


def _py_spy(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise RuntimeError("py-spy is missing: pip install -r bench/requirements.txt")
    return subprocess.Popen(
        [
            *(py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "100"),
            *("--duration", str(max(1, round(seconds))), "--output", str(output)),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _services(
    args: argparse.Namespace, subscribers: int, logs: Path
) -> tuple[Service, str, Service, str]:
    """The simulator and the gateway, not started yet, with their base URLs."""
    exe = _executable()
    sim_port, gw_port = free_port(), free_port()
    simulator_url = f"http://127.0.0.1:{sim_port}"
    simulator = Service(
        "simulator",
        [
            *(exe, "simulator", "--port", str(sim_port), "--events", str(args.events)),
            *("--seed", "0", "--activity", str(args.activity)),
        ],
        f"{simulator_url}/.well-known/health",
        logs / f"simulator-{subscribers}.log",
    )
    gateway_url = f"http://127.0.0.1:{gw_port}"
    gateway = Service(
        "gateway",
        [
            *(exe, "serve", "--port", str(gw_port), "--upstream", simulator_url),
            *("--live-interval", str(args.interval)),
            *("--live-deletion-scan", str(args.deletion_scan)),
            *("--max-subscriptions", str(max(2000, 2 * subscribers))),
        ],
        f"{gateway_url}/readyz",
        logs / f"gateway-{subscribers}.log",
    )
    return simulator, simulator_url, gateway, gateway_url


def _row(args: argparse.Namespace, subscribers: int, logs: Path, *, profile: float) -> Row:
    simulator, simulator_url, gateway, gateway_url = _services(args, subscribers, logs)
    context = multiprocessing.get_context("spawn")
    reports: Queue[Any] = context.Queue()
    stop = context.Event()
    shares = [
        subscribers // args.processes + (i < subscribers % args.processes)
        for i in range(args.processes)
    ]
    with simulator, gateway, httpx.Client(trust_env=False, timeout=30) as client:
        rss_started = _proc_status_mib(gateway.pid, "VmRSS")
        processes = [
            context.Process(
                target=_subscriber_process,
                args=(
                    gateway_url.replace("http", "ws", 1) + "/graphql",
                    share,
                    args.batch,
                    args.deflate,
                    reports,
                    stop,
                ),
                name=f"subscribers {i}",
            )
            for i, share in enumerate(s for s in shares if s)
        ]
        joining = time.monotonic()
        for process in processes:
            process.start()
        try:
            pids, extensions = _await_joined(reports, processes, subscribers)
            _await_gauge(client, gateway_url, subscribers, deadline=120)
            join_seconds = time.monotonic() - joining
            time.sleep(2 * args.interval)  # the joins' own work done
            rss_joined = _proc_status_mib(gateway.pid, "VmRSS")
            services = _Services(simulator, simulator_url, gateway, gateway_url, pids)
            start = _Mark.read(client, services)
            spy = None
            if profile:
                stacks = logs / f"stacks-{subscribers}.txt"
                spy = _py_spy(gateway.pid, min(profile, args.seconds), stacks)
            time.sleep(args.seconds)
            end = _Mark.read(client, services)
            spied = None
            if spy is not None:
                _, err = spy.communicate()
                if spy.returncode != 0:
                    raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')}")
                spied = parse(stacks.read_text().splitlines())
            # Every change of the window delivered: a poll, and the deletion scan after it.
            time.sleep(args.deletion_scan + 2 * args.interval + 1)
            rss_end = _proc_status_mib(gateway.pid, "VmRSS")
            hwm = _proc_status_mib(gateway.pid, "VmHWM")
            metrics = _metrics(client, gateway_url)
            stop.set()
            done: list[_Done] = [reports.get(timeout=300) for _ in processes]
        finally:
            stop.set()
            for process in processes:
                process.join(timeout=30)
                if process.is_alive():  # it failed, or its report was never read
                    process.kill()
                    process.join()
        with simulator.log.open("rb") as log:
            log.seek(start.log_offset)
            window_log = log.read(end.log_offset - start.log_offset)
    received = [messages for report in done for messages in report.messages]
    window = Window(start.store, end.store)
    seconds = end.wall - start.wall
    return Row(
        subscribers=subscribers,
        join_seconds=join_seconds,
        seconds=seconds,
        tally=tally(window, received),
        latency_ms=summary(latencies(window, received)),
        first_ms=summary(first_latencies(window, received)),
        calls=upstream_calls(window_log, ignore=[_SNAPSHOT]),
        intervals=seconds / args.interval,
        rss_started=rss_started,
        rss_joined=rss_joined,
        rss_end=rss_end,
        hwm=hwm,
        cpu=end.cpu - start.cpu,
        messages=sum(
            start.wall <= receipt <= end.wall for messages in received for *_, receipt in messages
        ),
        ended=sum(reason is not None for report in done for reason in report.ended),
        gateway=metrics,
        pongs=sum(report.pongs for report in done),
        extensions=extensions,
        profile=spied,
    )


# --- the report -----------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument(
        "--few", type=int, default=10, help="subscribers of the first row (0: no such row)"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window")
    parser.add_argument(
        "--activity", type=float, default=0.1, help="seconds between two simulator changes"
    )
    parser.add_argument("--interval", type=float, default=1.0, help="the gateway's --live-interval")
    parser.add_argument(
        "--deletion-scan", type=float, default=10.0, help="the gateway's --live-deletion-scan"
    )
    parser.add_argument("--events", type=int, default=50, help="events the simulator starts with")
    parser.add_argument("--processes", type=int, default=1, help="subscriber processes")
    parser.add_argument("--batch", type=int, default=50, help="connections opened at once")
    parser.add_argument(
        "--deflate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="offer permessage-deflate, as browsers and Node's ws do",
    )
    parser.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="SECONDS",
        help="py-spy on the gateway for SECONDS of the last row's window (needs py-spy)",
    )
    parser.add_argument("--logs", type=Path, help="keep the services' logs in this directory")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    counts = [n for n in (args.few, args.subscribers) if n]
    started = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        for count in dict.fromkeys(counts):
            print(f"  {count} subscribers ...", file=sys.stderr, flush=True)
            row = _row(args, count, logs, profile=args.profile if count == counts[-1] else 0)
            print(f"  {_progress(row)}", file=sys.stderr, flush=True)
            rows.append(row)
    report = _report(args, rows, time.monotonic() - started)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f"\nwritten to {args.output}", file=sys.stderr)
    return 0


def _progress(row: Row) -> str:
    t = row.tally
    p50, p99, _ = row.latency_ms
    return (
        f"{row.calls_per_interval:.2f} upstream calls/interval, "
        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, {t.delivered}/{t.expected} delivered, "
        f"{t.lost} lost, {t.duplicated} duplicated"
    )


def _calls(row: Row) -> str:
    short = {
        "GET /workstream_events/identifiers?updated_from": "changed ids",
        "GET /workstream_events/identifiers": "all ids",
        "POST /workstream_events/batch/fetch": "batch",
    }
    parts = [
        f"{n / row.intervals:.2f} {short.get(endpoint, endpoint)}"
        for endpoint, n in sorted(row.calls.items(), key=lambda item: -item[1])
    ]
    return " + ".join(parts) or "0"


def _report(args: argparse.Namespace, rows: list[Row], elapsed: float) -> str:
    delivery = [
        "| subscribers | window s | changes | expected | delivered | coalesced | lost "
        "| duplicated | wrong kind | ended | pongs | p50 ms | p99 ms | max ms "
        "| first p50 ms | first p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cost = [
        "| subscribers | joined in s | polls | upstream calls / interval | calls / poll "
        "| by endpoint, per interval | RSS started MiB | RSS joined MiB | + MiB | RSS end MiB "
        "| VmHWM MiB | gateway CPU % | gateway CPU µs/msg | subscribers' CPU µs/msg "
        "| other processes, cores |",
        "|---:|---:|---:|---:|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        t = row.tally
        p50, p99, top = row.latency_ms
        delivery.append(
            f"| {row.subscribers:,} | {row.seconds:.1f} | {t.changes} | {t.expected:,} "
            f"| {t.delivered:,} | {t.coalesced:,} | {t.lost:,} | {t.duplicated:,} "
            f"| {t.wrong_kind:,} | {row.ended} | {row.pongs:,} | {p50:.0f} | {p99:.0f} "
            f"| {top:.0f} | {row.first_ms[0]:.0f} | {row.first_ms[1]:.0f} |"
        )
        cost.append(
            f"| {row.subscribers:,} | {row.join_seconds:.1f} | {row.polls} "
            f"| {row.calls_per_interval:.2f} | {row.calls_per_poll:.2f} | {_calls(row)} "
            f"| {row.rss_started:.1f} "
            f"| {row.rss_joined:.1f} | {row.rss_joined - row.rss_started:.1f} "
            f"| {row.rss_end:.1f} | {row.hwm:.1f} | {row.cpu.gateway * 100 / row.seconds:.0f} "
            f"| {row.us_per_message(row.cpu.gateway):.0f} "
            f"| {row.us_per_message(row.cpu.subscribers):.0f} | {row.others_cores:.2f} |"
        )
    return "\n".join(
        [
            "# pieces-gateway live benchmark",
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; simulator with "
            f"{args.events} events changing one every {args.activity:g} s out of band; "
            f"gateway `--live-interval {args.interval:g} --live-deletion-scan "
            f"{args.deletion_scan:g}`; {args.processes} subscriber process(es), "
            f"graphql-transport-ws over the `websockets` library "
            f"({_compression(rows)}), "
            f"`{_DOCUMENT}`; whole run {elapsed:.0f} s. Loopback only: the "
            "subscribers, the gateway and the simulator share the cores (and so does whatever "
            "else runs on the machine: its last column).",
            "",
            "## Delivery",
            "",
            *delivery,
            "",
            _DELIVERY_NOTE,
            "",
            "## Cost",
            "",
            *cost,
            "",
            _COST_NOTE,
            "",
            "## Against issue 12's goals",
            "",
            *_goals(args, rows),
            "",
            *_profiles(rows),
        ]
    )


_DELIVERY_NOTE = (
    "The window is two snapshots of the simulator's store (`GET /workstream_events`), "
    "`--seconds` apart, once the gateway counts every subscription. *Changes* expected of it: "
    "every event whose `updated` moved between the snapshots (its last state) and every event "
    "deleted, as the store shows them, plus every change of the window that any subscriber "
    "received (an intermediate state, the deletion of an event created in the window); "
    "*expected* is that times the subscribers: each subscriber should have every one. "
    "*Coalesced*: a change a subscriber lacks while it has a later state (or the deletion) of "
    "that event, as the feed documents; *lost*: lacking without that. *Duplicated*: a message "
    "received again (same id and `at`) at any time of the run. *Wrong kind*: CREATED for an "
    "event the subscriber had heard of, UPDATED for one it had not heard of that did not exist "
    "when the window opened. *Ended*: "
    "subscriptions the gateway ended or connections that failed. *Pongs*: the gateway's "
    "graphql-transport-ws pings the subscribers answered. Latency is the subscriber's "
    "receipt (its wall clock) minus `at` (the simulator's stamp of the write, to the "
    "millisecond, same machine), over every creation and update of the window at every "
    "subscriber; deletions have no `at`, and are found by the deletion scan. *First*: the "
    "same of each change's first receipt by any subscriber (the wait for a poll and the poll "
    "itself); the rest of the latency is the fan-out to the other subscribers."
)

_COST_NOTE = (
    "Upstream calls are the simulator's access log lines in the window, but for the bench's "
    "own two snapshots; *polls* are its `identifiers?updated_from=` calls; an interval is "
    "`--live-interval` seconds of the window (a poll follows the previous one's end by that "
    "much, so there are a little fewer polls than intervals). *Joined in*: from starting the "
    "subscriber processes to the gateway's `pieces_gateway_subscriptions` counting them all. "
    "RSS is the gateway's VmRSS after start-up, 2 intervals after the last "
    "subscriber joined, and after the run; VmHWM its peak. CPU is utime+stime from "
    "/proc/PID/stat over the window, divided by the messages subscribers received in it "
    "(gateway CPU % is of one core); the subscribers' CPU is that of their processes. *Other "
    "processes*: the machine's busy time (/proc/stat) in the window less that of the gateway, "
    "the simulator and the subscribers, in cores: what else competed for the 2 cores."
)


def _goals(args: argparse.Namespace, rows: list[Row]) -> list[str]:
    if not rows:
        return []
    big, few = rows[-1], rows[0]
    _, p99, _ = big.latency_ms
    budget = args.interval * 1000 + 250
    t = big.tally
    calls = (
        f"{few.calls_per_interval:.2f} with {few.subscribers:,}, {big.calls_per_interval:.2f} "
        f"with {big.subscribers:,} (per poll: {few.calls_per_poll:.2f}, {big.calls_per_poll:.2f}; "
        f"polls {few.polls / few.intervals:.2f} and {big.polls / big.intervals:.2f} an interval)"
    )
    lines = [
        "| goal | measured |",
        "|:---|:---|",
        f"| upstream calls per interval independent of the subscribers | {calls} |",
        f"| p99 delivery ≤ interval + 250 ms = {budget:.0f} ms | {p99:.0f} ms |",
        f"| 0 lost, 0 duplicated | {t.lost:,} lost, {t.duplicated:,} duplicated "
        f"(of {t.expected:,}; {t.coalesced:,} coalesced) |",
        f"| ≤ 50 MiB more RSS for {big.subscribers:,} subscribers "
        f"| +{big.rss_joined - big.rss_started:.1f} MiB |",
    ]
    return lines


def _compression(rows: list[Row]) -> str:
    accepted = sum((row.extensions for row in rows), Counter[str]())
    connections = sum(row.subscribers for row in rows)
    if not accepted.get("permessage-deflate"):
        return "no compression"
    return (
        f"permessage-deflate, as browsers offer it: on {accepted['permessage-deflate']:,} "
        f"of {connections:,} connections"
    )


def _profiles(rows: list[Row]) -> list[str]:
    sections = []
    for row in rows:
        if row.profile is not None:
            sections += [
                f"## Gateway profile, {row.subscribers:,} subscribers (py-spy, 100 Hz, on CPU)",
                "",
                row.profile.markdown(15),
            ]
    return sections


if __name__ == "__main__":
    sys.exit(main())
