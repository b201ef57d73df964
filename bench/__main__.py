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

from bench import _peer, _pyload, _wrk
from bench._results import Measurement, Row, many_table, table
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


def _batch_size() -> int:
    """The gateway's batch size, as the gateway process will read it."""
    default: int = Settings.model_fields["upstream_batch_size"].default
    return int(os.environ.get("PIECES_GATEWAY_UPSTREAM_BATCH_SIZE", default))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    use_wrk = _wrk.available() is not None and not args.python_load
    load = _wrk.run if use_wrk else _pyload.run
    generator = "wrk" if use_wrk else "the asyncio fallback (wrk not found; less accurate)"
    batch_size = _batch_size()
    warmup = min(2.0, args.seconds / 5)
    started = time.monotonic()

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

    pair_of = {w.name: w.pair for w in s.workloads if w.pair and w.target in ("gateway", "regular")}
    rows = [
        dataclasses.replace(row, mesh_rps=pairs.get((pair_of[row.target], row.concurrency)))
        if row.target in pair_of
        else row
        for row in rows
    ]
    elapsed = time.monotonic() - started
    report = _report(args, rows, generator, batch_size, startup_rss, elapsed, s.event_kib)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f"\nwritten to {args.output}", file=sys.stderr)
    return 0 if all(row.measured.errors == 0 for row in rows) else 1


def _progress(row: Row) -> str:
    m = row.measured
    return f"  {row.target}, c={row.concurrency}: {m.rps:,.0f} rps, p50 {m.p50_ms:.2f} ms"


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


if __name__ == "__main__":
    sys.exit(main())
