"""`python -m bench`: the benchmark table (see bench/README.md)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import _peer, _pyload, _timeline_rows, _wrk
from bench._results import (
    Measurement,
    PageCalls,
    Row,
    TimelineRow,
    many_table,
    page_calls_table,
    table,
    timeline_table,
)
from bench._session import session
from gateway import Settings

RESULTS = Path(__file__).with_name("results") / "latest.md"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("BENCH_SECONDS", "10")),
        help="measured seconds per row (env BENCH_SECONDS, default 10)",
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument(
        "--many",
        type=int,
        nargs="+",
        help="ids per op (default: 100 with rich events, whose 1000 weigh 30 MB; else 100 1000)",
    )
    parser.add_argument("--events", type=int, default=1100, help="events in the simulator")
    parser.add_argument(
        "--event-kb",
        type=int,
        default=int(os.environ.get("BENCH_EVENT_KB", "30")),
        help="KB per simulated event, as Pieces OS records a busy day (env BENCH_EVENT_KB, "
        "default 30; 0: ordinary ~3 KB events)",
    )
    parser.add_argument("--python-load", action="store_true", help="do not use wrk")
    parser.add_argument(
        "--peer", action="store_true", help="add GraphQL Mesh's rows (make bench-peer)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.many is None:
        args.many = [100] if args.event_kb else [100, 1000]
    return args


def _setting(name: str) -> int:
    """A setting of the gateway's (`upstream_batch_size`, ...), as its process will read it."""
    default: int = Settings.model_fields[name].default
    return int(os.environ.get(f"PIECES_GATEWAY_{name.upper()}", default))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    use_wrk = _wrk.available() is not None and not args.python_load
    load = _wrk.run if use_wrk else _pyload.run
    generator = "wrk" if use_wrk else "the asyncio fallback (wrk not found; less accurate)"
    batch_size = _setting("upstream_batch_size")
    singles = _setting("upstream_concurrency")
    warmup = min(2.0, args.seconds / 5)
    started = time.monotonic()
    load_before = os.getloadavg()[0]

    if args.peer and not _peer.available():
        print(f"GraphQL Mesh is not installed: npm ci --prefix {_peer.PEER_DIR}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    pairs: dict[tuple[str, int], float] = {}  # (selection, c) -> Mesh's rps
    event_kb = args.event_kb or None
    with session(
        events=args.events, many_ids=tuple(args.many), peer=args.peer, event_kb=event_kb
    ) as s:
        startup_rss = s.gateway.peak_rss_mib()
        direct: dict[int, float] = {}
        for workload in s.workloads:
            s.check(workload)
            calls = None if workload.target == "simulator" else s.upstream_calls_per_op(workload)
            load(s.base_url(workload), workload, concurrency=max(args.concurrency), seconds=warmup)
            server = s.server(workload)
            for c in args.concurrency:
                server.reset_peak_rss()
                cpu_before = server.cpu_seconds()
                measured: Measurement = load(
                    s.base_url(workload), workload, concurrency=c, seconds=args.seconds
                )
                cpu_after = server.cpu_seconds()
                cpu_ms = (
                    (cpu_after - cpu_before) * 1000 / measured.requests
                    if cpu_before is not None and cpu_after is not None and measured.requests
                    else None
                )
                if workload.target == "simulator":
                    direct[c] = measured.rps
                row = Row(
                    target=workload.name,
                    concurrency=c,
                    measured=measured,
                    upstream_calls_per_op=calls,
                    direct_rps=None if workload.target == "simulator" else direct.get(c),
                    peak_rss_mib=None if workload.target == "simulator" else server.peak_rss_mib(),
                    ids_per_op=workload.ids_per_op,
                    mesh=workload.target == "mesh",
                    cpu_ms=cpu_ms,
                )
                if row.mesh:
                    pairs[workload.pair, c] = measured.rps
                rows.append(row)
                print(_progress(row), file=sys.stderr, flush=True)

        assert s.timeline is not None
        pages = _timeline_rows.check_pages(s.timeline, batch_size=batch_size, singles=singles)
        timeline = _timeline_rows.measure(
            s.timeline,
            pages,
            load,
            concurrency=args.concurrency,
            seconds=args.seconds,
            warmup=warmup,
            batch_size=batch_size,
            singles=singles,
            progress=lambda row: print(_timeline_progress(row), file=sys.stderr, flush=True),
        )

    pair_of = {w.name: w.pair for w in s.workloads if w.pair and w.target in ("gateway", "regular")}
    rows = [
        dataclasses.replace(row, mesh_rps=pairs.get((pair_of[row.target], row.concurrency)))
        if row.target in pair_of
        else row
        for row in rows
    ]
    elapsed = time.monotonic() - started
    report = _report(args, rows, generator, batch_size, startup_rss, elapsed, s.event_kib)
    size = len(s.timeline.pages[0])
    loads = (load_before, os.getloadavg()[0])
    report += _timeline_report(
        timeline, pages, size, batch_size, singles, loads, own=event_kb is not None
    )
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f"\nwritten to {args.output}", file=sys.stderr)
    disagreeing = [number for number, page in enumerate(pages, 1) if not page.agree]
    if disagreeing:
        print(
            f"timeline page: pages {disagreeing} did not cost the expected upstream calls "
            "(or the REST client's page differs from the gateway's)",
            file=sys.stderr,
        )
    answered = [row.measured for row in rows] + [row.measured for row in timeline]
    errors = sum(m.errors for m in answered)
    return 0 if errors == 0 and not disagreeing else 1


def _progress(row: Row) -> str:
    m = row.measured
    return f"  {row.target}, c={row.concurrency}: {m.rps:,.0f} rps, p50 {m.p50_ms:.2f} ms"


def _timeline_progress(row: TimelineRow) -> str:
    m = row.measured
    cpu = "-" if row.cpu_ms is None else f"{row.cpu_ms:.2f}"
    return (
        f"  timeline page, {row.target}, c={row.concurrency}: {m.rps:,.1f} pages/s, "
        f"CPU {cpu} ms/page, calls/page {row.calls:.2f} (expected {row.expected:.2f})"
    )


def _report(
    args: argparse.Namespace,
    rows: list[Row],
    generator: str,
    batch_size: int,
    startup_rss: float | None,
    elapsed: float,
    event_kib: float,
) -> str:
    many_rows = [row for row in rows if row.ids_per_op > 1]
    peaks = [r.peak_rss_mib for r in rows if r.peak_rss_mib is not None and not r.mesh]
    return "\n".join(
        [
            "# pieces-gateway benchmark",
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; load from "
            f"{generator}; {args.seconds:g} s per row after a {min(2.0, args.seconds / 5):g} s "
            f"warm-up; simulator with {args.events} events, "
            f"{f'rich (--event-kb {args.event_kb})' if args.event_kb else 'ordinary'}: "
            f"**{event_kib:.1f} KB of JSON per event read**; batch size {batch_size}; "
            f"whole run {elapsed:.0f} s. Loopback only; the load generator, gateway and "
            "simulator share the cores.",
            "",
            table(rows),
            "",
            "CPU ms/req is the serving process's user+system time over the row's run "
            "(/proc/PID/stat), divided by the requests answered: the simulator's on the direct "
            "REST rows, Mesh's on its rows, the gateway's on the others. "
            "Upstream calls/op are counted in the simulator's access log over 3 sequential "
            "operations. Peak RSS is the gateway's VmHWM during the row "
            f"(after start-up: {startup_rss or 0:.1f} MiB; highest: "
            f"{max(peaks, default=0):.1f} MiB).",
            *(_PEER_NOTE if any(row.mesh for row in rows) else ()),
            "",
            "## Many ids: cost per id",
            "",
            many_table(many_rows, batch_size),
            "",
        ]
    )


_PEER_NOTE = (
    "",
    "GraphQL Mesh: `hive-gateway` (one Node process, default configuration) serving the "
    "supergraph that `mesh-compose` composed from `python -m bench.openapi` (versions in "
    "bench/peer/package-lock.json), against the same simulator; its rows ask for the same "
    "fields through `workstreamEventsSpecificWorkstreamEventSnapshot(workstream_event:)`, "
    "and their peak RSS is the Mesh process's. rps vs Mesh is our rps / Mesh's rps, same "
    "selection and concurrency.",
)


def _timeline_report(
    rows: list[TimelineRow],
    pages: list[PageCalls],
    size: int,
    batch_size: int,
    singles: int,
    loads: tuple[float, float],
    *,
    own: bool,
) -> str:
    return "\n".join(
        [
            "",
            "## Timeline page: references resolved on demand",
            "",
            f"`workstreamEvents(ids:)` with {size} distinct ids, cycling through "
            f"{len(pages)} pages of events the simulator recorded one after another, selecting "
            "`id tags { iterable { reference { text } } } websites { iterable { reference "
            "{ url } } } summaries { iterable { reference { name } } }`, against a simulator of "
            "ordinary events"
            + (" and a gateway of their own (rich events embed every record)" if own else "")
            + f"; batch size {batch_size}, {singles} single reads at once. The baseline is "
            "`bench._rest_client` in its own process: the same calls through the gateway's "
            "pool (`LeanPool.exchange`), concurrently, then the same JSON page assembled and "
            "encoded with orjson. CPU ms/page is the assembling process's user+system time "
            "over its run per page (the gateway's, the REST client's); the simulator's is over "
            "the same run, per page it served. Load average (1 min) at the start of the run "
            f"{loads[0]:.2f}, at its end {loads[1]:.2f} (this run's own processes included).",
            "",
            timeline_table(rows),
            "",
            "Upstream calls per page, each page once, counted in the simulator's access log; "
            "expected from the simulator's events (`bench._timeline.expected_calls`): 1 batch "
            "per batch size of events, 1 summaries batch per batch size of distinct summaries "
            "without an embedded copy, 1 GET per distinct tag or website without one.",
            "",
            page_calls_table(pages),
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
