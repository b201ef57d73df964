"""One request on the wire to Pieces OS: `Transport.send(call) -> Answer`.

The transport knows where Pieces OS is (`Endpoint`, which discovery moves),
sends a `Call` through the network (the lean pool in production, any
`httpx.AsyncBaseTransport` in tests: `httpx.ASGITransport` over the simulator),
reads the answer whole, and records the call (a metric, a span). Everything
that can fail on the wire becomes one of the errors of `schema.errors` in one
place, `_translated()`, as httpx's `map_httpcore_exceptions()` does:

    httpx.PoolTimeout        -> UpstreamBusy
    httpx.TimeoutException   -> UpstreamTimeout
    ResponseTooLarge         -> UpstreamBadResponse
    httpx.TransportError     -> UpstreamUnavailable (and, when discovery is on,
                                a look for Pieces OS on another port)

An answer of any status is an `Answer`: what a status means is the client's
business. URLs and bodies go to the log only.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import urlencode

import httpx

from gateway._discovery import Discovery
from gateway._metrics import Metrics
from gateway._pool import Exchange, LeanPool, Origin, ResponseTooLarge
from gateway._tracing import Tracing
from schema.errors import (
    UpstreamBadResponse,
    UpstreamBusy,
    UpstreamFailure,
    UpstreamTimeout,
    UpstreamUnavailable,
)

__all__ = ["Answer", "Call", "Endpoint", "Transport", "retry_after"]

logger = logging.getLogger("pieces_gateway.upstream")

_BASE_HEADERS = (
    (b"user-agent", b"pieces-gateway"),
    (b"accept", b"application/json, text/plain"),
)
_JSON_BODY = (b"content-type", b"application/json")
_OUTCOMES: dict[type[UpstreamFailure], str] = {
    UpstreamBusy: "busy",
    UpstreamTimeout: "timeout",
    UpstreamUnavailable: "unreachable",
    UpstreamBadResponse: "too_large",
}


class Call(NamedTuple):
    """One upstream request, as the client describes it."""

    endpoint: str  # a name for metrics and spans: "snapshot", "batch_fetch", ...
    method: str
    path: str  # already percent-encoded
    params: Mapping[str, str] | None = None
    body: bytes | None = None  # JSON
    headers: Mapping[str, str] | None = None  # the client request's own

    def target(self, base_path: str) -> str:
        query = f"?{urlencode(self.params)}" if self.params else ""
        return f"{base_path}{self.path}{query}"


Answer = Exchange  # status_code, headers (raw), content


class Endpoint:
    """Where Pieces OS is: a base URL that discovery may move while the gateway runs."""

    def __init__(self, url: str) -> None:
        self.move(url)

    def move(self, url: str) -> None:
        parsed = httpx.URL(url)
        self.url = str(parsed).rstrip("/")
        self.origin = Origin.of(parsed)
        self.root = f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"
        self.base_path = parsed.raw_path.decode("ascii").rstrip("/")


class Transport:
    def __init__(
        self,
        network: httpx.AsyncBaseTransport,
        endpoint: Endpoint,
        *,
        timeout: httpx.Timeout,
        max_response_bytes: int,
        metrics: Metrics,
        tracing: Tracing,
        discovery: Discovery | None = None,
    ) -> None:
        self._network = network
        self.endpoint = endpoint
        self._timeout = timeout.as_dict()
        self._limit = max_response_bytes
        self._metrics = metrics
        self._tracing = tracing
        self._discovery = discovery

    async def send(self, call: Call) -> Answer:
        started = time.perf_counter()
        outcome = "cancelled"  # unless the call gets further
        try:
            with (
                self._tracing.span(
                    f"pieces_os.{call.endpoint}",
                    client=True,
                    **{"http.request.method": call.method},
                ) as span,
                self._translated(call),
            ):
                headers = dict(call.headers or {})
                self._tracing.inject(headers)
                answer = await self._exchange(call, headers)
                if span is not None:
                    span.set_attribute("http.response.status_code", answer.status_code)
            outcome = str(answer.status_code)
            return answer
        except UpstreamFailure as exc:
            outcome = _OUTCOMES[type(exc)]
            raise
        finally:
            self._metrics.upstream_call(call.endpoint, outcome, time.perf_counter() - started)

    async def _exchange(self, call: Call, headers: dict[str, str]) -> Answer:
        endpoint = self.endpoint
        target = call.target(endpoint.base_path)
        # Header values came in as latin-1 (ASGI): they go out byte for byte.
        raw = [*_BASE_HEADERS, *((k.encode(), v.encode("latin-1")) for k, v in headers.items())]
        if call.body is not None:
            raw.append(_JSON_BODY)
        network = self._network
        if isinstance(network, LeanPool):
            return await network.exchange(
                endpoint.origin, call.method.encode(), target.encode("ascii"), raw, call.body
            )
        return await self._through_httpx(network, call, target, raw)

    async def _through_httpx(
        self,
        network: httpx.AsyncBaseTransport,
        call: Call,
        target: str,
        raw: list[tuple[bytes, bytes]],
    ) -> Answer:
        """Any other httpx transport (tests: `httpx.ASGITransport`), with httpx's objects."""
        request = httpx.Request(
            call.method,
            self.endpoint.root + target,
            content=call.body,
            headers=raw,
            extensions={"timeout": self._timeout},
        )
        response = await network.handle_async_request(request)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._limit:
                raise ResponseTooLarge(f"the answer is over {self._limit} bytes")
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > self._limit:
                    raise ResponseTooLarge(f"the answer is over {self._limit} bytes")
        finally:
            await response.aclose()
        return Answer(response.status_code, response.headers.raw, bytes(body))

    @contextlib.contextmanager
    def _translated(self, call: Call) -> Iterator[None]:
        """httpx's errors, and the pool's, as the gateway's (see the module docstring)."""
        try:
            yield
        except httpx.PoolTimeout as exc:
            logger.warning("%s %s: no free upstream connection in time", call.method, call.path)
            raise UpstreamBusy(
                "Too many requests are waiting for Pieces OS; try again shortly."
            ) from exc
        except httpx.TimeoutException as exc:
            logger.warning("%s %s: %s", call.method, call.path, type(exc).__name__)
            raise UpstreamTimeout("Pieces OS did not answer in time.") from exc
        except ResponseTooLarge as exc:
            logger.warning("%s %s: %s", call.method, call.path, exc)
            raise UpstreamBadResponse(
                f"Pieces OS sent an answer larger than {self._limit} bytes."
            ) from exc
        except httpx.TransportError as exc:
            if self._discovery is not None and isinstance(exc, httpx.ConnectError):
                self._discovery.rediscover_soon(self.endpoint)
            logger.warning("%s %s: %s: %s", call.method, call.path, type(exc).__name__, exc)
            raise UpstreamUnavailable("Pieces OS cannot be reached.") from exc


def retry_after(answer: Answer) -> float | None:
    """Seconds the answer's Retry-After asks for (delta-seconds or an HTTP date)."""
    value = next((v for k, v in answer.headers if k.lower() == b"retry-after"), None)
    return None if value is None else parse_retry_after(value.decode("latin-1"))


def parse_retry_after(value: str) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # "-0000": UTC, of unknown origin (RFC 5322)
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
