"""The errors a client can meet, each carrying its GraphQL `extensions.code`.

GatewayError
 ├── BadUserInput              BAD_USER_INPUT         arguments the gateway refuses
 ├── NotFound                  NOT_FOUND              the upstream has no such record
 ├── RecordsExceeded           MAX_RECORDS_EXCEEDED   one operation asked for more related
 │                                                    records than it may fetch
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
    "RecordsExceeded",
    "UpstreamBadResponse",
    "UpstreamBusy",
    "UpstreamError",
    "UpstreamFailure",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "shown_id",
]

# How much of an id a message quotes: a UUID whole, any longer id cut (the
# error's path, or its `id` extension, still names it).
ID_SHOWN = 64


def shown_id(value: str) -> str:
    """An id as a message quotes it: at most `ID_SHOWN` characters of it."""
    return repr(value if len(value) <= ID_SHOWN else value[:ID_SHOWN] + "…")


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

    @classmethod
    def event(cls, event_id: str) -> NotFound:
        return cls.record("workstream event", event_id)

    @classmethod
    def record(cls, noun: str, record_id: str) -> NotFound:
        """No `noun` (a tag, a website, ...) has `record_id`."""
        return cls(f"No {noun} has the id {shown_id(record_id)}.", id=record_id)


class RecordsExceeded(GatewayError):
    code = "MAX_RECORDS_EXCEEDED"


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
