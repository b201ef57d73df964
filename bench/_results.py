"""What a run measured, and the markdown table it is reported as."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench._timeline import Calls

__all__ = [
    "Measurement",
    "PageCalls",
    "Row",
    "TimelineRow",
    "many_table",
    "page_calls_table",
    "table",
    "timeline_table",
]


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Row:
    target: str
    concurrency: int
    measured: Measurement
    upstream_calls_per_op: float | None  # counted on the simulator; None for direct REST
    direct_rps: float | None  # direct REST at the same concurrency
    peak_rss_mib: float | None  # of the gateway (of Mesh on Mesh's rows), during this row
    ids_per_op: int = 1
    mesh: bool = False  # a row of the peer, GraphQL Mesh
    mesh_rps: float | None = None  # Mesh with the same selection at the same concurrency
    cpu_ms: float | None = None  # the serving process's user+system CPU per request

    @property
    def ratio(self) -> float | None:
        if not self.direct_rps:
            return None
        return self.measured.rps / self.direct_rps

    @property
    def mesh_ratio(self) -> float | None:
        if not self.mesh_rps:
            return None
        return self.measured.rps / self.mesh_rps


def _number(value: float | None, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def _vs_mesh(row: Row) -> str:
    return "1 (Mesh)" if row.mesh else _number(row.mesh_ratio, 2)


def table(rows: Sequence[Row]) -> str:
    """The table; with Mesh's rows, a column of our rps / Mesh's rps and Mesh's RSS on its rows."""
    peer = any(row.mesh for row in rows)
    head = "| target | c | rps | CPU ms/req | p50 ms | p99 ms | errors | upstream calls/op "
    head += "| rps vs direct REST"
    head += " | rps vs Mesh | peak RSS MiB (gateway; Mesh on its rows) |" if peer else ""
    head += "" if peer else " | gateway peak RSS MiB |"
    lines = [head, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|" + ("--:|" if peer else "")]
    for row in rows:
        m = row.measured
        ratio = "1 (the limit)" if row.direct_rps is None else f"{_number(row.ratio, 3)}"
        mesh = f" {_vs_mesh(row)} |" if peer else ""
        lines.append(
            f"| {row.target} | {row.concurrency} | {_number(m.rps)} | {_number(row.cpu_ms, 2)} "
            f"| {m.p50_ms:.2f} "
            f"| {m.p99_ms:.2f} | {m.errors} | {_number(row.upstream_calls_per_op, 2)} "
            f"| {ratio} |{mesh} {_number(row.peak_rss_mib, 1)} |"
        )
    return "\n".join(lines)


def many_table(rows: Sequence[Row], batch_size: int) -> str:
    """Cost per id of `workstreamEvents(ids:)`: flat when the cost grows linearly."""
    lines = [
        "| ids per op | c | p50 ms | p50 ms per 1000 ids | ids/s "
        "| upstream calls/op (counted) | ⌈ids/batch⌉ |",
        "|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        m = row.measured
        lines.append(
            f"| {row.ids_per_op} | {row.concurrency} | {m.p50_ms:.1f} "
            f"| {m.p50_ms * 1000 / row.ids_per_op:.1f} | {_number(m.rps * row.ids_per_op)} "
            f"| {_number(row.upstream_calls_per_op, 2)} "
            f"| {math.ceil(row.ids_per_op / batch_size)} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class PageCalls:
    """One timeline page's upstream calls: expected from the events, counted in the access log."""

    expected: Calls
    gateway: int  # for one operation of the gateway
    rest: int  # for one page of the REST client
    same_page: bool  # the REST client's page equals the gateway's answer

    @property
    def agree(self) -> bool:
        return self.gateway == self.expected.total == self.rest and self.same_page


@dataclass(frozen=True)
class TimelineRow:
    target: str
    concurrency: int
    measured: Measurement  # requests: pages
    cpu_ms: float | None  # the assembling process's (the gateway's, the REST client's) per page
    simulator_cpu_ms: float | None  # the simulator's per page over the same run
    calls: float  # upstream calls per page, counted (mean over the pages)
    expected: float  # upstream calls per page, from the events (mean over the pages)
    rest_cpu_ms: float | None = None  # the REST client's CPU per page at the same concurrency

    @property
    def cpu_ratio(self) -> float | None:
        if self.cpu_ms is None or not self.rest_cpu_ms:
            return None
        return self.cpu_ms / self.rest_cpu_ms


def timeline_table(rows: Sequence[TimelineRow]) -> str:
    """The timeline page's rows: the gateway's, and the REST client's as the baseline."""
    lines = [
        "| target | c | pages/s | CPU ms/page | CPU vs REST client | simulator CPU ms/page "
        "| p50 ms | p99 ms | errors | upstream calls/page, counted | expected |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        m = row.measured
        ratio = "1 (the baseline)" if row.rest_cpu_ms is None else _number(row.cpu_ratio, 2)
        lines.append(
            f"| {row.target} | {row.concurrency} | {_number(m.rps, 1)} | {_number(row.cpu_ms, 2)} "
            f"| {ratio} | {_number(row.simulator_cpu_ms, 2)} | {m.p50_ms:.2f} | {m.p99_ms:.2f} "
            f"| {m.errors} | {_number(row.calls, 2)} | {_number(row.expected, 2)} |"
        )
    return "\n".join(lines)


def page_calls_table(pages: Sequence[PageCalls]) -> str:
    """Each page's calls: expected from the simulator's events, counted for each client."""
    lines = [
        "| page | references without a copy | distinct records without a copy "
        "| expected: event batches + summaries batches + GETs | counted: gateway "
        "| counted: REST client | same page |",
        "|--:|--:|--:|--:|--:|--:|---|",
    ]
    for number, page in enumerate(pages, 1):
        e = page.expected
        lines.append(
            f"| {number} | {e.references} | {e.records} "
            f"| {e.events} + {e.summaries} + {e.gets} = **{e.total}** | {page.gateway} "
            f"| {page.rest} | {'yes' if page.same_page else 'NO'} |"
        )
    return "\n".join(lines)
