"""Plain ASGI middleware: trusted hosts, request ids, the request body limit, CORS.

Plain ASGI rather than Starlette's BaseHTTPMiddleware, which buffers and
cannot stop a body part-way. CORS is Starlette's, its refused preflights
answered in the gateway's coded JSON.
"""

from __future__ import annotations

import re
import secrets

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway._refusals import Refusal

__all__ = ["BodySizeLimit", "Cors", "RequestId", "TrustedHosts", "too_large"]

_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class TrustedHosts:
    """Refuse requests whose Host header is not one of `hosts` (400, coded).

    A gateway on a user's machine answers at `localhost`; a web page that
    rebinds its own DNS name to 127.0.0.1 would otherwise reach it as the
    same origin. Entries are exact names, `*.suffix`, or `*` (any host).
    Starlette's TrustedHostMiddleware does the same but answers in plain text.
    """

    def __init__(self, app: ASGIApp, *, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.any = "*" in hosts
        self.exact = frozenset(h.lower() for h in hosts if not h.startswith("*"))
        self.suffixes = tuple(h[1:].lower() for h in hosts if h.startswith("*."))

    def allows(self, host_header: str) -> bool:
        host = host_header.lower()
        if host.startswith("["):  # [::1]:8000
            host = host[1 : host.find("]")] if "]" in host else host
        else:
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return host in self.exact or (bool(self.suffixes) and host.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) > 1:
            # RFC 9112, section 3.2: a server must refuse a request with more
            # than one Host line (which one a proxy or the gateway reads differs).
            await self._refuse(scope, send, "A request must have exactly one Host header.")
            return
        if self.any or self.allows(hosts[0].decode("latin-1") if hosts else ""):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, send, "This Host is not one the gateway answers to.")

    @staticmethod
    async def _refuse(scope: Scope, send: Send, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await Refusal(400, message).send(send, close=True)


class RequestId:
    """Give every request an id: the client's `X-Request-ID` if sane, else a new one.

    It is put in `request.state.request_id` (for the upstream calls and the
    logs) and echoed in the response's `X-Request-ID`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _CLIENT_ID.fullmatch(given) else secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] in _STARTS:
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


# The messages that start an answer with headers: an HTTP response, a WebSocket's
# acceptance, or its refusal before the upgrade.
_STARTS = frozenset({"http.response.start", "websocket.accept", "websocket.http.response.start"})


class BodySizeLimit:
    """Answer 413 to a request that declares a body over `max_bytes`, before routing.

    A body sent without a length (chunked) is counted where it is read
    (`gateway._view`), which refuses it the same way once it passes the limit.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope["headers"]).get(b"content-length")
            if declared is not None and not declared.isdigit():
                message = "The Content-Length header is not a number."
                await Refusal(400, message).send(send, close=True)
                return
            if declared is not None and int(declared) > self.max_bytes:
                await _too_large(send, self.max_bytes)
                return
        await self.app(scope, receive, send)


def too_large(max_bytes: int) -> Refusal:
    return Refusal(413, f"The request body is larger than {max_bytes} bytes.")


async def _too_large(send: Send, max_bytes: int) -> None:
    await too_large(max_bytes).send(send, close=True)


class Cors(CORSMiddleware):
    """Starlette's CORS, a refused preflight answered as coded JSON (CORS_REFUSED).

    Starlette words the refusal in plain text ("Disallowed CORS origin, …");
    the words are kept, the status and the headers too.
    """

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        headers = {k: v for k, v in response.headers.items() if k not in _RECOMPUTED}
        message = bytes(response.body).decode("utf-8", "replace") + "."
        return Refusal(
            response.status_code, message, code="CORS_REFUSED", headers=headers
        ).response()


_RECOMPUTED = frozenset({"content-length", "content-type"})
