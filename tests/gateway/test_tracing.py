"""OpenTelemetry: a span per operation and per upstream call, traceparent upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway import Settings, create_app
from tests.conftest import UPSTREAM
from tests.recording import Recorder


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def traced(
    upstream: Recorder, exporter: InMemorySpanExporter
) -> AsyncIterator[httpx.AsyncClient]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(
        Settings(upstream=UPSTREAM),
        transport=httpx.ASGITransport(upstream),
        tracer_provider=provider,
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http
    provider.shutdown()


async def test_operation_and_upstream_spans_with_traceparent(
    traced: httpx.AsyncClient,
    exporter: InMemorySpanExporter,
    upstream: Recorder,
    events: dict[str, Any],
) -> None:
    a, b = list(events)[:2]
    response = await traced.post(
        "/graphql",
        json={
            "query": "query Pair($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }",
            "variables": {"ids": [a, b]},
        },
    )
    spans = {span.name: span for span in exporter.get_finished_spans()}
    operation, call = spans["graphql.operation"], spans["pieces_os.batch_fetch"]
    assert operation.attributes["graphql.operation.name"] == "Pair"
    assert call.parent is not None and call.parent.span_id == operation.context.span_id
    assert call.attributes["http.response.status_code"] == 200
    traceparent = upstream.requests[0].headers["traceparent"]
    trace_id, span_id = traceparent.split("-")[1:3]
    assert int(trace_id, 16) == operation.context.trace_id
    assert int(span_id, 16) == call.context.span_id
    assert dict(operation.attributes) == {
        "request_id": response.headers["x-request-id"],
        "graphql.operation.name": "Pair",
        "graphql.errors": 0,
    }
    assert dict(call.attributes) == {
        "http.request.method": "POST",
        "http.response.status_code": 200,
    }
    assert (operation.kind, call.kind) == (SpanKind.SERVER, SpanKind.CLIENT)


async def test_an_anonymous_operation_span_counts_its_errors(
    traced: httpx.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    await traced.post("/graphql", json={"query": '{ workstreamEvent(id: "nope") { id } }'})
    (operation,) = [s for s in exporter.get_finished_spans() if s.name == "graphql.operation"]
    assert operation.attributes is not None
    assert (
        operation.attributes["graphql.operation.name"],
        operation.attributes["graphql.errors"],
    ) == ("", 1)


async def test_no_tracing_unless_configured(http: httpx.AsyncClient, upstream: Recorder) -> None:
    await http.post("/graphql", json={"query": '{ workstreamEvent(id: "x") { id } }'})
    assert "traceparent" not in upstream.requests[0].headers
