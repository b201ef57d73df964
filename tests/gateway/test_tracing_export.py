"""`--tracing`: spans exported over OTLP/HTTP to the collector `--tracing-endpoint` names."""

from __future__ import annotations

import sys

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway._tracing import Tracing
from tests.conftest import GraphQLClient, running_gateway
from tests.recording import Recorder
from tests.serving import serve


class Collector:
    """An OTLP/HTTP collector on loopback: it keeps each export it is sent."""

    def __init__(self) -> None:
        self.exports: list[tuple[str, str, bytes]] = []
        self.app = Starlette(routes=[Route("/v1/traces", self._export, methods=["POST"])])

    async def _export(self, request: Request) -> Response:
        self.exports.append(
            (request.url.path, request.headers["content-type"], await request.body())
        )
        return Response(b"", media_type="application/x-protobuf")


async def test_spans_are_exported_to_the_endpoint_by_the_end_of_the_lifespan(
    upstream: Recorder,
) -> None:
    collector = Collector()
    with serve(collector.app) as url:
        endpoint = f"{url}/v1/traces"
        async with running_gateway(upstream, tracing=True, tracing_endpoint=endpoint) as http:
            result = await GraphQLClient(http)("query Traced { __typename }")
            assert result == {"data": {"__typename": "Query"}}
        # The lifespan's end flushed the batch: no waiting for the exporter's schedule.
    assert collector.exports, "nothing exported"
    path, content_type, body = collector.exports[0]
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    export = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = export.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "pieces-gateway"
    [scope_spans] = resource_spans.scope_spans
    assert scope_spans.scope.name == "pieces_gateway"
    [span] = scope_spans.spans
    assert (span.name, span.kind) == ("graphql.operation", Span.SPAN_KIND_SERVER)
    attributes = {a.key: a.value.string_value for a in span.attributes}
    assert attributes["graphql.operation.name"] == "Traced"


def test_tracing_without_the_otel_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An import of a module that sys.modules holds as None fails as a missing one does.
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(RuntimeError) as refused:
        Tracing.from_settings(True, None)
    assert str(refused.value) == "tracing needs the otel extra: pip install 'pieces-gateway[otel]'"
    assert isinstance(refused.value.__cause__, ImportError)
