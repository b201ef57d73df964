"""A lean HTTP/1.1 keep-alive pool for the one origin the gateway talks to.

Why not httpcore's pool: measured side by side in bench/PROFILE.md, a warm
GET of a 30 KB event through httpcore costs several times the CPU of this
pool. httpcore parses with h11 (pure Python), goes through anyio's streams,
and on every request scans each pooled connection's socket for expiry; here a
connection is an `asyncio.Protocol` whose bytes httptools (C, llhttp: the
parser uvicorn serves with) parses as they arrive, idle connections wait on a
stack, and a closed one drops out when the event loop reports it.

`LeanPool` is an `httpx.AsyncBaseTransport`, so any httpx client can use it;
the gateway's transport calls `exchange` directly, skipping httpx's Request
and Response objects (tens of microseconds a call). Errors are httpx's own
(`ConnectError`, `ConnectTimeout`, `PoolTimeout`, `ReadError`,
`RemoteProtocolError`), plus `ResponseTooLarge`, so that one mapping
(`gateway._transport`) serves this pool and any other httpx transport alike.

Only what Pieces OS needs: HTTP/1.1, `http` or `https`, whole answers no
larger than `max_response_bytes`.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict
from typing import NamedTuple, cast

import httptools
import httpx

__all__ = ["Exchange", "LeanPool", "Origin", "ResponseTooLarge"]


class ResponseTooLarge(httpx.TransportError):
    """The answer (its body, or its header section) is larger than the pool reads."""


# Bytes of an answer's header section the pool reads (uvicorn, h11 and most
# servers refuse requests past a similar size): its headers are a handful.
MAX_HEADER_BYTES = 64 * 1024


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: httpx.URL) -> Origin:
        return cls(url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))

    @property
    def host_header(self) -> bytes:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return (host if self.port == default else f"{host}:{self.port}").encode("ascii")


class Exchange(NamedTuple):
    """One answer, read whole."""

    status_code: int
    headers: list[tuple[bytes, bytes]]
    content: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection: a request at a time, its answer parsed as it arrives."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[Exchange] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._size = 0
        self.received = False  # any byte of the current answer
        self.closed = False

    # --- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but are ones.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._answer is None:  # bytes nobody asked for: the connection is unusable
            self.close()
            return
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"unparsable answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(httpx.ReadError("the server closed the connection"))

    # --- httptools callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        answer = self._answer
        if answer is not None and answer.done():
            # A second answer to one request: whatever follows cannot be trusted.
            self.close()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._fail(ResponseTooLarge(f"the answer's headers are over {MAX_HEADER_BYTES} bytes"))
            return
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        for name, value in self._headers:
            if name.lower() == b"content-length" and value.isdigit() and int(value) > self._limit:
                self._fail(ResponseTooLarge(f"the answer is over {self._limit} bytes"))

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._limit:
            self._fail(ResponseTooLarge(f"the answer is over {self._limit} bytes"))
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer = self._answer
        if answer is None or answer.done():
            return  # failed already, or a second answer (closed at its start)
        if not self._parser.should_keep_alive():
            self.close()
        answer.set_result(
            Exchange(self._parser.get_status_code(), self._headers, b"".join(self._body))
        )

    # --- used by the pool ----------------------------------------------------------------

    def send(self, request: bytes) -> asyncio.Future[Exchange]:
        assert self._transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._headers, self._body, self._size, self.received = [], [], 0, False
        self._header_bytes = 0
        self._transport.write(request)
        return self._answer

    def finish(self) -> None:
        self._answer = None

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def _fail(self, exc: Exception) -> None:
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_exception(exc)
        self.close()


class LeanPool(httpx.AsyncBaseTransport):
    def __init__(
        self,
        *,
        max_connections: int,
        connect_timeout: float,
        pool_timeout: float,
        max_response_bytes: int,
    ) -> None:
        self._slots = asyncio.Semaphore(max_connections)
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._limit = max_response_bytes
        self._idle: defaultdict[Origin, list[_Connection]] = defaultdict(list)
        self._ssl: ssl.SSLContext | None = None

    async def exchange(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        content: bytes | None = None,
    ) -> Exchange:
        """Send one request to `origin` and read its answer whole."""
        lines = [method, b" ", target, b" HTTP/1.1\r\nhost: ", origin.host_header, b"\r\n"]
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        if content is not None or method == b"POST":
            lines += (b"content-length: ", str(len(content or b"")).encode(), b"\r\n")
        lines += (b"\r\n", content or b"")
        request = b"".join(lines)
        try:
            async with asyncio.timeout(self._pool_timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no free connection in time") from None
        try:
            return await self._exchange(origin, request)
        finally:
            self._slots.release()

    async def _exchange(self, origin: Origin, request: bytes) -> Exchange:
        idle = self._idle[origin]
        while idle:
            connection = idle.pop()
            if connection.closed:
                continue
            try:
                return await self._over(connection, origin, request)
            except httpx.ReadError:
                # The server closed an idle connection as the request went out
                # (its keep-alive timeout): it read nothing, so ask again anew.
                if connection.received:
                    raise
        return await self._over(await self._connect(origin), origin, request)

    async def _over(self, connection: _Connection, origin: Origin, request: bytes) -> Exchange:
        try:
            answer = await connection.send(request)
        except BaseException:
            connection.close()  # cancelled or failed part-way: the connection is spent
            raise
        connection.finish()
        if not connection.closed:
            self._idle[origin].append(connection)
        return answer

    async def _connect(self, origin: Origin) -> _Connection:
        loop = asyncio.get_running_loop()
        context = None
        if origin.scheme == "https":
            context = self._ssl = self._ssl or ssl.create_default_context()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self._limit), origin.host, origin.port, ssl=context
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {origin.host}:{origin.port}") from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        return connection

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """httpx's transport interface: the same exchange, for any httpx client."""
        headers = [(k, v) for k, v in request.headers.raw if k.lower() not in _SET_BY_POOL]
        body = await request.aread()
        answer = await self.exchange(
            Origin.of(request.url),
            request.method.encode("ascii"),
            request.url.raw_path,
            headers,
            body if body or request.method == "POST" else None,
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


_SET_BY_POOL = frozenset({b"host", b"content-length", b"transfer-encoding"})
