"""OpenTelemetry tracing, off unless configured (the `otel` extra).

With tracing on, every operation is a span (`graphql.operation`) and every call
to Pieces OS a child span (`pieces_os.<endpoint>`), whose W3C `traceparent`
goes upstream in the request headers. Spans are exported over OTLP/HTTP to
`tracing_endpoint`, or where the standard `OTEL_EXPORTER_OTLP_*` variables say.
Tests hand `create_app` a TracerProvider of their own instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import MutableMapping
from typing import Any

__all__ = ["Tracing"]

_NO_SPAN = contextlib.nullcontext()


class Tracing:
    def __init__(self, tracer_provider: Any | None = None) -> None:
        self._tracer = None
        self._provider = tracer_provider
        if tracer_provider is not None:
            from opentelemetry import trace

            self._tracer = trace.get_tracer("pieces_gateway", tracer_provider=tracer_provider)

    @classmethod
    def from_settings(cls, enabled: bool, endpoint: str | None) -> Tracing:
        if not enabled:
            return cls()
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            raise RuntimeError(
                "tracing needs the otel extra: pip install 'pieces-gateway[otel]'"
            ) from exc
        provider = TracerProvider(resource=Resource.create({"service.name": "pieces-gateway"}))
        exporter = OTLPSpanExporter(endpoint=endpoint) if endpoint else OTLPSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider)

    def shutdown(self) -> None:
        """Export what is left (at the end of the app's lifespan)."""
        if self._provider is not None and hasattr(self._provider, "shutdown"):
            self._provider.shutdown()

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    def span(
        self, name: str, *, client: bool = False, **attributes: Any
    ) -> contextlib.AbstractContextManager[Any]:
        """A span around the block (it yields the span), or, with tracing off, nothing."""
        if self._tracer is None:
            return _NO_SPAN
        from opentelemetry.trace import SpanKind

        kind = SpanKind.CLIENT if client else SpanKind.SERVER
        return self._tracer.start_as_current_span(name, kind=kind, attributes=attributes)

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Add the current span's `traceparent` (and `tracestate`) to `headers`."""
        if self._tracer is not None:
            from opentelemetry.propagate import inject

            inject(headers)
