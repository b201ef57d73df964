"""`--tracing`: spans exported over OTLP/HTTP to the collector `--tracing-endpoint` names."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
    # The protobuf carries the span's name, its operation's and the service's as text.
    for text in (b"graphql.operation", b"Traced", b"pieces-gateway"):
        assert text in body
