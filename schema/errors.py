"""The errors a client can meet, each carrying its GraphQL `extensions.code`.

GatewayError
 ├── BadUserInput              BAD_USER_INPUT         arguments the gateway refuses
 ├── NotFound                  NOT_FOUND              the upstream has no such record
 └── UpstreamFailure
      ├── UpstreamError        UPSTREAM_ERROR         any other 4xx/5xx answer
      ├── UpstreamUnavailable  UPSTREAM_UNAVAILABLE   connection refused or reset, or the
      │                                               circuit breaker is open
      ├── UpstreamBusy         UPSTREAM_BUSY          no free upstream connection in time
      ├── UpstreamTimeout      UPSTREAM_TIMEOUT       no answer within the timeout
      └── UpstreamBadResponse  UPSTREAM_BAD_RESPONSE  not JSON, or not the expected shape

graphql-core copies an exception's `extensions` into the error it reports, so
raising one of these from a resolver is all it takes. Messages are written for
clients: they never hold an upstream URL, an upstream body or a stack trace.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadUserInput",
    "GatewayError",
    "NotFound",
    "UpstreamBadResponse",
    "UpstreamBusy",
    "UpstreamError",
    "UpstreamFailure",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class GatewayError(Exception):
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"


class NotFound(GatewayError):
    code = "NOT_FOUND"


class UpstreamFailure(GatewayError):
    """The upstream did not give a usable answer."""


class UpstreamError(UpstreamFailure):
    code = "UPSTREAM_ERROR"


class UpstreamUnavailable(UpstreamFailure):
    code = "UPSTREAM_UNAVAILABLE"


class UpstreamBusy(UpstreamFailure):
    code = "UPSTREAM_BUSY"


class UpstreamTimeout(UpstreamFailure):
    code = "UPSTREAM_TIMEOUT"


class UpstreamBadResponse(UpstreamFailure):
    code = "UPSTREAM_BAD_RESPONSE"
