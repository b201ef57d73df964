"""Refusals: a request the gateway will not run, answered as coded JSON.

Every layer that refuses a request (the middleware, the view, the persisted
queries) raises or sends a `Refusal`, and `envelope` is the one place its
body is made: `{"errors": [{"message": ..., "extensions": {"code": ...}}]}`,
the shape of a GraphQL response with a request error.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response
from starlette.types import Send

__all__ = ["Refusal", "envelope"]

_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def envelope(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


class Refusal(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "BAD_REQUEST")
        self.headers = dict(headers or {})

    def response(self) -> Response:
        """The refusal as a Starlette response, for handlers that return one."""
        return Response(
            envelope(self.message, self.code),
            status_code=self.status,
            headers=self.headers,
            media_type="application/json",
        )

    async def send(
        self, send: Send, *, media_type: str = "application/json", close: bool = False
    ) -> None:
        body = envelope(self.message, self.code)
        headers = [
            (b"content-type", media_type.encode("latin-1")),
            (b"content-length", str(len(body)).encode("latin-1")),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()),
        ]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
