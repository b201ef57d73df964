"""Prometheus metrics of one gateway instance (served at /metrics).

Each app has its own registry, so several apps in one process (tests, workers
of a test harness) never collide. Operation names come from clients: only
sane names are used as label values, and only the first `_MAX_OPERATION_NAMES`
of them; the rest are counted as `other`.
"""

from __future__ import annotations

import re
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]

_MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._operation_names: set[str] = set()
        # Children per label values (bounded: endpoints x outcomes, and the capped names).
        self._calls: dict[tuple[str, str], Any] = {}
        self._call_seconds: dict[str, Any] = {}
        self._operations: dict[tuple[str, str], Any] = {}
        self._operation_seconds: dict[str, Any] = {}
        self.operations = Counter(
            "pieces_gateway_operations",
            "GraphQL operations, by operation name and outcome (ok, error).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.operation_seconds = Histogram(
            "pieces_gateway_operation_duration_seconds",
            "Time to answer a GraphQL operation.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "pieces_gateway_errors",
            "Errors in GraphQL responses, by extensions.code.",
            ["code"],
            registry=self.registry,
        )
        self.upstream_requests = Counter(
            "pieces_gateway_upstream_requests",
            "Calls to Pieces OS, by endpoint and outcome (HTTP status, or timeout/unreachable).",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.upstream_seconds = Histogram(
            "pieces_gateway_upstream_duration_seconds",
            "Time for one call to Pieces OS.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "pieces_gateway_dataloader_batch_size",
            "Distinct snapshots one DataLoader batch asked for.",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=self.registry,
        )
        # Subscriptions (gateway._feed, gateway._live).
        self.live_subscriptions = Gauge(
            "pieces_gateway_subscriptions", "Active subscriptions.", registry=self.registry
        )
        self.live_poll_seconds = Histogram(
            "pieces_gateway_change_poll_duration_seconds",
            "Time for one poll of the change feed (identifiers and the changed events).",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.live_changes = Counter(
            "pieces_gateway_changes_seen", "Changes the change feed saw.", registry=self.registry
        )
        self.live_delivered = Counter(
            "pieces_gateway_changes_delivered",
            "Changes handed to subscribers.",
            registry=self.registry,
        )
        self.live_coalesced = Counter(
            "pieces_gateway_changes_coalesced",
            "Changes replaced by a later change to the same event before delivery.",
            registry=self.registry,
        )
        self.live_dropped = Counter(
            "pieces_gateway_subscribers_dropped",
            "Subscribers ended for falling too far behind.",
            registry=self.registry,
        )

    def upstream_call(self, endpoint: str, outcome: str, seconds: float) -> None:
        """One call to Pieces OS: its outcome (HTTP status, timeout, ...) and duration."""
        # prometheus_client's `labels()` takes a lock and builds a key per call:
        # the children of the few label values are kept here instead.
        key = (endpoint, outcome)
        counter = self._calls.get(key)
        if counter is None:
            counter = self._calls[key] = self.upstream_requests.labels(endpoint, outcome)
        counter.inc()
        histogram = self._call_seconds.get(endpoint)
        if histogram is None:
            histogram = self._call_seconds[endpoint] = self.upstream_seconds.labels(endpoint)
        histogram.observe(seconds)

    def operation(self, name: str | None, codes: list[str], seconds: float) -> str:
        """One GraphQL operation: its outcome, duration and error codes; returns its label."""
        label = self.operation_label(name)
        key = (label, "error" if codes else "ok")
        counter = self._operations.get(key)
        if counter is None:
            counter = self._operations[key] = self.operations.labels(*key)
        counter.inc()
        histogram = self._operation_seconds.get(label)
        if histogram is None:
            histogram = self._operation_seconds[label] = self.operation_seconds.labels(label)
        histogram.observe(seconds)
        for code in codes:
            self.errors.labels(code).inc()
        return label

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _NAME.fullmatch(name):
            return "other"
        if name not in self._operation_names:
            if len(self._operation_names) >= _MAX_OPERATION_NAMES:
                return "other"
            self._operation_names.add(name)
        return name

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
