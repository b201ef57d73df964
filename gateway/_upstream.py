"""The Pieces OS REST client: one method per endpoint, errors translated here.

Everything that can go wrong between the gateway and the upstream becomes one
of the errors in `schema.errors` at this boundary, `raise ... from exc`. The
upstream URL and body go to the log, never into the error a client reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, NamedTuple
from urllib.parse import quote

import httpx
import orjson

from gateway._discovery import Discovery
from gateway._metrics import Metrics
from gateway._resilience import Resilience
from gateway._tracing import Tracing
from schema import Json
from schema.errors import (
    BadUserInput,
    NotFound,
    UpstreamBadResponse,
    UpstreamBusy,
    UpstreamError,
    UpstreamFailure,
    UpstreamTimeout,
    UpstreamUnavailable,
)

__all__ = ["BatchResult", "BatchUnsupported", "UpstreamClient", "UpstreamParts", "path_segment"]

logger = logging.getLogger("pieces_gateway.upstream")

_LOGGED_BODY = 500  # characters of an upstream error body worth keeping in the log
_BASE_HEADERS = {"user-agent": "pieces-gateway", "accept": "application/json, text/plain"}


def path_segment(value: str) -> str:
    """Encode `value` as exactly one URL path segment.

    Every character but the unreserved ones is percent-encoded, `/ ? # %`
    included. `.` and `..` would still be dot segments (which httpx, like any
    URL normaliser, resolves away), and no Pieces OS id is one, so refuse them.
    """
    if value in {"", ".", ".."}:
        raise BadUserInput(f"{value!r} is not a record id: ids cannot be empty, '.' or '..'.")
    return quote(value, safe="")


def _query(transferables: bool | None) -> dict[str, str]:
    return {} if transferables is None else {"transferables": str(transferables).lower()}


def _dig(document: Json, *keys: str) -> object:
    value: object = document
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


class BatchResult(NamedTuple):
    found: dict[str, Json]
    not_found: set[str]


class BatchUnsupported(Exception):
    """The upstream has no batch endpoint (an older Pieces OS)."""


@dataclass(frozen=True, slots=True)
class UpstreamParts:
    """What every view of the upstream client shares, for the process.

    Requests go straight to the client's transport (its connection pool):
    the client's own layer (cookies, redirects, auth, URL merging) costs about
    a fifth of a request's CPU and does nothing for this API. The client still
    owns the transport's lifecycle and the base URL (which discovery moves).
    """

    client: httpx.AsyncClient
    transport: httpx.AsyncBaseTransport
    timeout: httpx.Timeout
    resilience: Resilience
    metrics: Metrics
    tracing: Tracing
    max_response_bytes: int = 64 * 1024 * 1024
    discovery: Discovery | None = None


class Answer(NamedTuple):
    """An upstream answer, read whole (and no larger than the limit)."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UpstreamBadResponse(f"Pieces OS sent an answer larger than {limit} bytes.")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise UpstreamBadResponse(f"Pieces OS sent an answer larger than {limit} bytes.")
    return bytes(body)


class UpstreamClient:
    """Speaks the WorkstreamEvent REST API over a shared `httpx.AsyncClient`.

    One per process; `with_headers` gives a view of it that adds a request's
    own headers (request id, forwarded headers) to every call.
    """

    def __init__(self, parts: UpstreamParts, *, headers: Mapping[str, str] | None = None) -> None:
        self._parts = parts
        self._client = parts.client
        self._headers = dict(headers or {})
        self.calls = 0  # requests sent through this view, retries included

    def with_headers(self, headers: Mapping[str, str]) -> UpstreamClient:
        """A view for one request: its headers, its own call count."""
        return UpstreamClient(self._parts, headers={**self._headers, **headers})

    @property
    def breaker_state(self) -> str:
        return self._parts.resilience.breaker_state

    async def health(self) -> bool:
        try:
            await self._send("health", "GET", "/.well-known/health", idempotent=False)
        except UpstreamFailure:
            return False
        return True

    async def snapshot(self, event_id: str, *, transferables: bool | None) -> Json:
        path = f"/workstream_event/{path_segment(event_id)}"
        return await self._json(
            "snapshot",
            "GET",
            path,
            params=_query(transferables),
            not_found=event_id,
            idempotent=True,
        )

    async def batch_snapshots(
        self, event_ids: Sequence[str], *, transferables: bool | None
    ) -> BatchResult:
        """Fetch several events in one call; `BatchUnsupported` if there is no such endpoint."""
        body = {"workstreamEvents": {"iterable": [{"id": event_id} for event_id in event_ids]}}
        try:
            document = await self._json(
                "batch_fetch",
                "POST",
                "/workstream_events/batch/fetch",
                params=_query(transferables),
                body=body,
                idempotent=True,  # a read, though a POST
            )
        except UpstreamError as exc:
            if exc.extensions.get("status") in {404, 405}:
                raise BatchUnsupported from exc
            raise
        events = _dig(document, "workstreamEvents", "iterable")
        missing = document.get("notFound") or []
        if not isinstance(events, list) or not (
            isinstance(missing, list) and all(isinstance(m, str) for m in missing)
        ):
            raise UpstreamBadResponse("Pieces OS sent a batch answer of an unexpected shape.")
        found = {}
        for event in events:
            if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                raise UpstreamBadResponse("Pieces OS sent a batch answer of an unexpected shape.")
            found[event["id"]] = event
        return BatchResult(found, set(missing))

    async def identifiers(self, filters: dict[str, str], *, limit: int | None = None) -> list[str]:
        """Ids of the events matching `filters` (created_from, updated_to, ...), newest first."""
        params = dict(filters) if limit is None else {**filters, "limit": str(limit)}
        document = await self._json(
            "identifiers", "GET", "/workstream_events/identifiers", params=params, idempotent=True
        )
        references = document.get("iterable")
        if not isinstance(references, list) or not all(
            isinstance(r, dict) and isinstance(r.get("id"), str) for r in references
        ):
            raise UpstreamBadResponse("Pieces OS sent identifiers of an unexpected shape.")
        return [reference["id"] for reference in references]

    async def create(self, seeded: Json, *, transferables: bool | None) -> Json:
        return _event(
            await self._json(
                "create",
                "POST",
                "/workstream_events/create",
                params=_query(transferables),
                body=seeded,
            )
        )

    async def delete(self, event_id: str) -> None:
        await self._send("delete", "POST", f"/workstream_events/{path_segment(event_id)}/delete")

    async def update(self, event: Json, *, transferables: bool | None) -> Json:
        return _event(
            await self._json(
                "update",
                "POST",
                "/workstream_event/update",
                params=_query(transferables),
                body=event,
            )
        )

    async def relate(
        self,
        event_id: str,
        segment: str,
        action: Literal["associate", "disassociate"],
        other_id: str,
    ) -> None:
        event = path_segment(event_id)
        other = path_segment(other_id)
        await self._send(action, "POST", f"/workstream_event/{event}/{segment}/{action}/{other}")

    async def increment_scores(self, event_id: str, increment: Json | None) -> None:
        event = path_segment(event_id)
        await self._send(
            "scores_increment",
            "POST",
            f"/workstream_event/{event}/scores/increment",
            body=increment,
        )

    # --- the one place requests are made ---------------------------------------------------

    async def _json(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        not_found: str | None = None,
        idempotent: bool = False,
    ) -> Json:
        response = await self._send(
            endpoint,
            method,
            path,
            params=params,
            body=body,
            not_found=not_found,
            idempotent=idempotent,
        )
        try:
            document = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            logger.warning("%s %s: answer is not JSON: %r", method, path, response.text[:100])
            raise UpstreamBadResponse("Pieces OS sent an answer that is not JSON.") from exc
        if not isinstance(document, dict):
            logger.warning("%s %s: answer is a JSON %s", method, path, type(document).__name__)
            raise UpstreamBadResponse("Pieces OS sent an answer of an unexpected shape.")
        return document

    async def _send(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        not_found: str | None = None,
        idempotent: bool = False,
    ) -> Answer:
        headers = {**_BASE_HEADERS, **self._headers}
        content = None
        if body is not None:
            content = orjson.dumps(body)
            headers["Content-Type"] = "application/json"

        async def attempt() -> Answer:
            response = await self._request(endpoint, method, path, params, content, headers)
            return _check(response, method, path, not_found)

        return await self._parts.resilience.run(attempt, idempotent=idempotent)

    async def _request(
        self,
        endpoint: str,
        method: str,
        path: str,
        params: dict[str, str] | None,
        content: bytes | None,
        headers: dict[str, str],
    ) -> Answer:
        self.calls += 1
        started = time.perf_counter()
        status = "cancelled"  # unless something below says otherwise
        tracing = self._parts.tracing
        try:
            with tracing.span(
                f"pieces_os.{endpoint}", client=True, **{"http.request.method": method}
            ) as span:
                tracing.inject(headers)
                base = self._client.base_url
                request = httpx.Request(
                    method,
                    base.copy_with(raw_path=base.raw_path.rstrip(b"/") + path.encode("ascii")),
                    params=params or None,
                    content=content,
                    headers=headers,
                    extensions={"timeout": self._parts.timeout.as_dict()},
                )
                response = await self._parts.transport.handle_async_request(request)
                status = str(response.status_code)
                if span is not None:
                    span.set_attribute("http.response.status_code", response.status_code)
                try:
                    body = await _read_at_most(response, self._parts.max_response_bytes)
                finally:
                    await response.aclose()
            return Answer(response.status_code, response.headers, body)
        except httpx.PoolTimeout as exc:
            status = "busy"
            logger.warning("%s %s: no free upstream connection in time", method, path)
            raise UpstreamBusy(
                "Too many requests are waiting for Pieces OS; try again shortly."
            ) from exc
        except httpx.TimeoutException as exc:
            status = "timeout"
            logger.warning("%s %s: %s", method, path, type(exc).__name__)
            raise UpstreamTimeout("Pieces OS did not answer in time.") from exc
        except httpx.TransportError as exc:
            status = "unreachable"
            if self._parts.discovery is not None and isinstance(exc, httpx.ConnectError):
                self._parts.discovery.rediscover_soon(self._client)
            logger.warning("%s %s: %s: %s", method, path, type(exc).__name__, exc)
            raise UpstreamUnavailable("Pieces OS cannot be reached.") from exc
        finally:
            metrics = self._parts.metrics
            metrics.upstream_requests.labels(endpoint, status).inc()
            metrics.upstream_seconds.labels(endpoint).observe(time.perf_counter() - started)


def _event(document: Json) -> Json:
    """A written event as Pieces OS returns it: it must say which event it is."""
    if not isinstance(document.get("id"), str):
        raise UpstreamBadResponse(
            "Pieces OS applied the change but answered without the event's id."
        )
    return document


def _check(response: Answer, method: str, path: str, not_found: str | None) -> Answer:
    if response.is_success:
        return response
    logger.warning("%s %s: %s %r", method, path, response.status_code, response.text[:_LOGGED_BODY])
    if response.status_code == 410 and not_found is not None:
        raise NotFound(f"No workstream event has the id {not_found!r}.", id=not_found)
    error = UpstreamError(
        f"Pieces OS refused the request (HTTP {response.status_code}).",
        status=response.status_code,
    )
    error.retry_after = _retry_after(response.headers.get("Retry-After"))
    raise error


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
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
