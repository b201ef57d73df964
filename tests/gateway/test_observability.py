"""Metrics at /metrics, one log line per operation, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway._logging import configure_logging
from gateway._metrics import _MAX_OPERATION_NAMES
from tests.clock import FakeClock
from tests.conftest import running_gateway
from tests.serving import serve


@pytest.fixture
def event_id(events: dict[str, Any]) -> str:
    return next(iter(events))


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            series, _, value = line.rpartition(" ")
            got = series[len(name) :].strip("{}")
            if ",".join(sorted(got.split(","))) == wanted:
                return float(value)
    return 0.0


async def test_metrics_count_operations_upstream_calls_batches_and_errors(
    http: httpx.AsyncClient, event_id: str
) -> None:
    query = "query Read($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }"
    await http.post("/graphql", json={"query": query, "variables": {"ids": [event_id, "nope"]}})
    await http.post("/graphql", json={"query": "query Ping { __typename }"})
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "pieces_gateway_operations_total", operation="Read", outcome="error") == 1
    assert _sample(text, "pieces_gateway_operations_total", operation="Ping", outcome="ok") == 1
    assert _sample(text, "pieces_gateway_errors_total", code="NOT_FOUND") == 1
    assert (
        _sample(
            text, "pieces_gateway_upstream_requests_total", endpoint="batch_fetch", status="200"
        )
        == 1
    )
    assert _sample(text, "pieces_gateway_dataloader_batch_size_count") == 1
    assert _sample(text, "pieces_gateway_dataloader_batch_size_sum") == 2
    assert _sample(text, "pieces_gateway_operation_duration_seconds_count", operation="Read") == 1
    assert (
        _sample(text, "pieces_gateway_upstream_duration_seconds_count", endpoint="batch_fetch") == 1
    )


README = Path(__file__).parents[2] / "README.md"
_ROW = re.compile(r"^  \| `(\w+)` \| (\w+)(?: \((\w+)\))? \|([\w, ]*)\| (.+) \|$", re.MULTILINE)


def _buckets(section: str, head: str) -> tuple[float, ...]:
    found = re.search(re.escape(head) + r"\s+([\d.]+(?:,\s+[\d.]+)*)\.(?:\s|$)", section)
    assert found is not None, head
    return tuple(float(value) for value in found[1].split(","))


def _documented() -> dict[str, tuple[str, tuple[str, ...], tuple[float, ...], str]]:
    """The README's metrics: by the name a query uses, kind, sorted labels, buckets and help."""
    readme = README.read_text()
    section = readme[readme.index("- **Metrics** at `/metrics`") : readme.index("- **Logs**")]
    buckets = {
        "latency": _buckets(section, "Latency buckets, in seconds:"),
        "sizes": _buckets(section, "Size buckets:"),
        "": (),
    }
    return {
        name: (
            kind,
            tuple(sorted(label.strip() for label in labels.split(",") if label.strip())),
            buckets[scale],
            help_,
        )
        for name, kind, scale, labels, help_ in _ROW.findall(section)
    }


def _exposed(text: str) -> dict[str, tuple[str, tuple[str, ...], tuple[float, ...], str]]:
    """/metrics' families as `_documented` gives them (a counter by its `_total` name)."""
    exposed = {}
    for family in text_string_to_metric_families(text):
        if family.name.endswith("_created"):
            continue  # prometheus-client's creation time of each counter and histogram
        labels = {label for sample in family.samples for label in sample.labels} - {"le"}
        bounds = {
            float(sample.labels["le"])
            for sample in family.samples
            if sample.name.endswith("_bucket") and sample.labels["le"] != "+Inf"
        }
        name = family.name + "_total" if family.type == "counter" else family.name
        exposed[name] = (
            family.type,
            tuple(sorted(labels)),
            tuple(sorted(bounds)),
            family.documentation,
        )
    return exposed


async def test_the_metrics_are_the_ones_the_readme_lists(
    http: httpx.AsyncClient, event_id: str
) -> None:
    # One anonymous read that finds one event and misses one: every labelled family
    # gets a child, so its labels and buckets show.
    query = "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }"
    await http.post("/graphql", json={"query": query, "variables": {"ids": [event_id, "nope"]}})
    text = (await http.get("/metrics")).text
    documented = _documented()
    assert len(documented) == 12
    assert _exposed(text) == documented
    operations = "pieces_gateway_operations_total"
    assert _sample(text, operations, operation="anonymous", outcome="error") == 1


def _bare(event: dict[str, Any], key: str) -> set[str]:
    """The ids `event` references under `key` with no embedded copy."""
    items = (event.get(key) or {}).get("iterable") or []
    return {item["id"] for item in items if item.get("reference") is None}


async def test_each_upstream_endpoint_is_counted_under_its_own_name(
    http: httpx.AsyncClient, events: dict[str, Any]
) -> None:
    await _every_endpoint(http, events)


async def test_every_endpoint_is_reached_over_the_gateways_own_pool(
    simulator: Starlette, events: dict[str, Any]
) -> None:
    # The pool writes each request's line as the client builds it (httpx's seam would
    # mend a lower-case method): a served simulator reads it as Pieces OS would.
    with serve(simulator) as url:
        async with running_gateway(None, upstream=url) as http:
            await _every_endpoint(http, events)


async def _every_endpoint(http: httpx.AsyncClient, events: dict[str, Any]) -> None:
    """Calls every upstream endpoint once or more; each is counted under its name."""
    event_id = next(iter(events))
    application = {
        "id": events[event_id]["application"]["id"],
        "name": "VS_CODE",
        "version": "1.0",
        "platform": "LINUX",
        "onboarded": True,
        "privacy": "OPEN",
    }
    stamp = {"value": "2026-01-02T03:04:05.678Z"}
    event = {"id": event_id, "application": application, "created": stamp, "updated": stamp}
    on_event = ("$e: ID!", {"e": event_id})
    writes = [
        ('workstreamEventAssociateTag(workstreamEvent: $e, tag: "t1")', *on_event),
        ('workstreamEventDisassociateTag(workstreamEvent: $e, tag: "t1")', *on_event),
        (
            "workstreamEventScoresIncrement(workstreamEvent: $e,"
            " seededScoreIncrement: {workstreamEvent: {update: true}})",
            *on_event,
        ),
        (
            "workstreamEventUpdate(workstreamEvent: $event)",
            "$event: WorkstreamEventInput!",
            {"event": {**event, "trigger": {}}},
        ),
        (
            "workstreamEventsCreateNewWorkstreamEvent(seededWorkstreamEvent: $seed)",
            "$seed: SeededWorkstreamEventInput!",
            {"seed": {"application": application, "trigger": {}}},
        ),
        ("workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: $e)", *on_event),
    ]
    for field, declared, variables in writes:
        query = f"mutation({declared}) {{ {field} {{ __typename }} }}"
        response = await http.post("/graphql", json={"query": query, "variables": variables})
        assert "errors" not in response.json(), field
    lone = next(i for i, e in events.items() if len(_bare(e, "summaries")) == 1)
    reads = [
        ("workstreamEvent(id: $id) { id }", next(iter(events))),  # one id: its own GET
        ("workstreamEvent(id: $id) { summaries { iterable { reference { id } } } }", lone),
        (
            "workstreamEvents(ids: $id) { tags { iterable { reference { id } } }"
            " summaries { iterable { reference { id } } } }",
            list(events),
        ),
    ]
    for field, ids in reads:
        query = f"query($id: {'[ID!]!' if isinstance(ids, list) else 'ID!'}) {{ {field} }}"
        response = await http.post("/graphql", json={"query": query, "variables": {"id": ids}})
        assert "errors" not in response.json(), field
    response = await http.post(
        "/graphql", json={"query": "{ workstreamEventsConnection(first: 1) { edges { cursor } } }"}
    )
    assert "errors" not in response.json()
    assert (await http.get("/readyz")).status_code == 200
    text = (await http.get("/metrics")).text
    counted = set(re.findall(r'pieces_gateway_upstream_requests_total\{endpoint="([^"]*)"', text))
    assert counted == {
        "associate",
        "disassociate",
        "scores_increment",
        "update",
        "create",
        "delete",
        "snapshot",
        "batch_fetch",
        "tags",
        "summaries",
        "summaries_batch",
        "identifiers",
        "health",
    }


async def test_operation_names_cannot_flood_the_metrics(http: httpx.AsyncClient) -> None:
    async def run(name: str) -> None:
        response = await http.post("/graphql", json={"query": f"query {name} {{ __typename }}"})
        assert response.json() == {"data": {"__typename": "Query"}}

    await run("x" * 200)  # not a sane label, cap or no cap
    names = [f"Op{i}" for i in range(_MAX_OPERATION_NAMES)]
    for name in names:
        await run(name)
    for late in ("Late", "Later"):  # past the cap
        await run(late)
    await run(names[0])  # a name labelled before the cap keeps its label
    text = (await http.get("/metrics")).text
    operations = "pieces_gateway_operations_total"
    assert _sample(text, operations, operation=names[-1], outcome="ok") == 1
    assert _sample(text, operations, operation=names[0], outcome="ok") == 2
    assert _sample(text, operations, operation="other", outcome="ok") == 3
    labels = set(re.findall(r'operation="([^"]*)"', text))
    assert labels == {*names, "other"}


async def test_one_log_line_per_operation(
    http: httpx.AsyncClient,
    events: dict[str, Any],
    event_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="pieces_gateway.operations")
    await http.post(
        "/graphql",
        json={
            "query": "query Two($a: ID!) { x: workstreamEvent(id: $a) { id } "
            'y: workstreamEvent(id: "nope") { id } z: workstreamEvent(id: "none") { id } }',
            "variables": {"a": event_id},
            "operationName": "Two",
        },
        headers={"x-request-id": "req-7"},
    )
    (record,) = [r for r in caplog.records if r.name == "pieces_gateway.operations"]
    assert record.__dict__["operation"] == "Two"
    assert record.__dict__["upstream_calls"] == 1  # the three ids in one batch
    assert record.__dict__["error_codes"] == ["NOT_FOUND", "NOT_FOUND"]
    assert record.__dict__["request_id"] == "req-7"
    said = r"Two in \d+\.\d ms, 1 upstream calls, errors: NOT_FOUND, NOT_FOUND"
    assert re.fullmatch(said, record.getMessage())
    caplog.clear()
    # Calls one after the other: the event, then each tag it names without a copy.
    bare = {
        event_id: {t["id"] for t in event["tags"]["iterable"] if t.get("reference") is None}
        for event_id, event in events.items()
        if (event.get("tags") or {}).get("iterable")
    }
    tagged = next(event_id for event_id, tags in bare.items() if tags)
    query = (
        "query Tagged($t: ID!)"
        " { workstreamEvent(id: $t) { tags { iterable { reference { id } } } } }"
    )
    await http.post("/graphql", json={"query": query, "variables": {"t": tagged}})
    (record,) = [r for r in caplog.records if r.name == "pieces_gateway.operations"]
    assert record.__dict__["upstream_calls"] == 1 + len(bare[tagged])
    caplog.clear()
    await http.post("/graphql", json={"query": "query Ping { __typename }"})
    (record,) = [r for r in caplog.records if r.name == "pieces_gateway.operations"]
    assert re.fullmatch(r"Ping in \d+\.\d ms, 0 upstream calls", record.getMessage())
    assert record.__dict__["error_codes"] == []
    assert record.__dict__["request_id"]  # one of the gateway's own making
    assert 0 < record.__dict__["duration_ms"] < 60_000  # a duration, not a clock reading


class _Taking:
    """An upstream each answer of which takes `seconds` of `clock`."""

    def __init__(self, app: ASGIApp, clock: FakeClock, seconds: float) -> None:
        self.app, self.clock, self.seconds = app, clock, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.clock.advance(self.seconds)
        await self.app(scope, receive, send)


async def test_an_operations_duration_is_one_in_its_log_line_and_its_metric(
    simulator: Starlette, event_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pieces_gateway.operations")
    clock = FakeClock()
    body = {"query": "query Timed($a: ID!) { workstreamEvent(id: $a) { id } }"}
    async with running_gateway(_Taking(simulator, clock, 1.2345678), clock=clock) as http:
        await http.post("/graphql", json={**body, "variables": {"a": event_id}})
        text = (await http.get("/metrics")).text
    (record,) = [r for r in caplog.records if r.name == "pieces_gateway.operations"]
    assert record.getMessage() == "Timed in 1234.6 ms, 1 upstream calls"
    assert record.__dict__["duration_ms"] == 1234.568
    seconds = _sample(text, "pieces_gateway_operation_duration_seconds_sum", operation="Timed")
    assert seconds == pytest.approx(1.2345678)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "query Bad { nope }", "operationName": "Bad"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}},
                "operationName": "Bad",
            },
            "PERSISTED_QUERY_NOT_FOUND",
        ),
    ],
    ids=["invalid", "persisted-miss"],
)
async def test_an_operation_refused_before_it_ran_is_logged_and_counted_by_its_name(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any], code: str
) -> None:
    caplog.set_level(logging.INFO, logger="pieces_gateway.operations")
    response = await http.post(
        "/graphql", json=body, headers={"accept": "application/graphql-response+json"}
    )
    assert response.status_code == 400  # a request error: nothing ran
    (record,) = [r for r in caplog.records if r.name == "pieces_gateway.operations"]
    assert re.fullmatch(
        rf"Bad in \d+\.\d ms, 0 upstream calls, errors: {code}", record.getMessage()
    )
    assert (record.__dict__["operation"], record.__dict__["upstream_calls"]) == ("Bad", 0)
    text = (await http.get("/metrics")).text
    assert _sample(text, "pieces_gateway_operations_total", operation="Bad", outcome="error") == 1


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_json_logs_are_one_object_per_line() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    logging.getLogger("pieces_gateway.operations").info(
        "Read in 1.0 ms", extra={"operation": "Read", "error_codes": []}
    )
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "Read in 1.0 ms"
    assert line["operation"] == "Read"
    assert line["level"] == "INFO"
    assert line["pid"] == os.getpid()  # which worker wrote it


@pytest.mark.usefixtures("restore_logging")
def test_text_logs_at_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    configure_logging("auto", stream=stream)
    logging.getLogger("pieces_gateway").warning("hello")
    assert "WARNING pieces_gateway: hello" in stream.getvalue()


@pytest.mark.usefixtures("restore_logging")
def test_by_default_logs_are_json_where_no_one_reads_a_terminal_from_info_up() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)
    logging.getLogger("pieces_gateway.operations").debug("not written")
    logging.getLogger("pieces_gateway.operations").info("written")
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert set(line) == {"time", "level", "logger", "pid", "message"}
    assert line["logger"] == "pieces_gateway.operations"
    assert line["message"] == "written"
