"""The HTTP server's own side of a request: a deadline for its header section, coded refusals.

uvicorn's httptools protocol, with two changes:

* a request's header section must arrive within `header_timeout` seconds of
  the connection opening (or of the previous response, on a kept-alive
  connection): a client that opens connections and trickles bytes (slowloris)
  is answered 408 REQUEST_TIMEOUT and cut off. uvicorn has no such timer: its
  keep-alive timeout starts only after a first response. The body has its own
  deadline, where it is read (`gateway._view`).
* a request that does not parse as HTTP is answered with the gateway's coded
  JSON (400 BAD_REQUEST), not uvicorn's plain text.

`protocol(header_timeout)` is what `uvicorn.Config(http=...)` takes; a partial
of a module-level class, so that `--workers` can pickle it.

`GatewayWebSocketProtocol` (`uvicorn.Config(ws=...)`) is uvicorn's websockets
protocol with two changes:

* the code it closes open sockets with when the server shuts down: 1001
  (going away), which clients take as "reconnect elsewhere or later", rather
  than 1012;
* its writes: uvicorn writes each frame to the socket at once, a system call
  per message, which was half the gateway's CPU when a thousand subscribers
  each took a burst of changes (bench.live, py-spy). The frames one loop pass
  writes to a socket go out in one write, at the end of the pass.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from gateway._refusals import envelope

__all__ = ["GatewayHttpProtocol", "GatewayWebSocketProtocol", "protocol"]


def _response(status: bytes, message: str, code: str) -> bytes:
    body = envelope(message, code)
    return b"".join(
        [
            b"HTTP/1.1 " + status + b"\r\n",
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
    )


_MALFORMED = _response(b"400 Bad Request", "The request is not valid HTTP/1.1.", "BAD_REQUEST")
_TOO_SLOW = _response(
    b"408 Request Timeout", "The request's headers did not arrive in time.", "REQUEST_TIMEOUT"
)


class GatewayHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's headers, on a kept-alive connection (a closed one
        # disarms it in `connection_lost`, which runs after this).
        self._arm()

    def send_400_response(self, msg: str) -> None:
        self.logger.info("refused a request that is not valid HTTP: %s", msg)
        self._send_and_close(_MALFORMED)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self._header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        self._send_and_close(_TOO_SLOW)

    def _send_and_close(self, response: bytes) -> None:
        self._disarm()
        self.transport.write(response)
        self.transport.close()


def protocol(header_timeout: float) -> Any:
    """The protocol class for `uvicorn.Config(http=...)`, with its header deadline."""
    return functools.partial(GatewayHttpProtocol, header_timeout=header_timeout)


class _Coalescing:
    """A transport whose writes of one loop pass reach the socket as one write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # the rest is the transport's
        return getattr(self._transport, name)


class GatewayWebSocketProtocol(WebSocketsSansIOProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        coalescing = _Coalescing(cast(asyncio.Transport, transport), asyncio.get_running_loop())
        super().connection_made(cast(asyncio.Transport, coalescing))

    def shutdown(self) -> None:
        # uvicorn's shutdown, but for its close code: 1001 where it sends 1012.
        send_close = self.conn.send_close

        def going_away(code: int | None = None, reason: str = "") -> None:
            if code == 1012:
                code, reason = 1001, "The gateway is shutting down."
            send_close(code, reason)

        self.conn.send_close = going_away  # type: ignore[method-assign]
        super().shutdown()
