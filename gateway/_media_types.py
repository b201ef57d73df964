"""Which media type a GraphQL response is sent as, from the request's Accept header.

GraphQL over HTTP defines `application/graphql-response+json` and keeps
`application/json` for the clients that predate it. A client gets the new type
only when it names it (not through `*/*` or `application/*`) and does not
prefer `application/json`; a client without an Accept header, or with one
naming neither, gets `application/json`, as the spec asks during its
transition period.
"""

from __future__ import annotations

__all__ = ["GRAPHQL_RESPONSE_JSON", "JSON", "negotiate"]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


# What most clients send, decided without parsing: none names the new type.
_PLAIN = frozenset({"*/*", JSON, f"{JSON}, */*"})


def _ranges(accept: str) -> dict[str, float]:
    """Each media range of an Accept header with its quality (1 unless given)."""
    ranges: dict[str, float] = {}
    for item in accept.split(","):
        media_range, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_range:
            ranges[media_range.lower()] = max(quality, ranges.get(media_range.lower(), 0.0))
    return ranges


def _quality(ranges: dict[str, float], media_type: str) -> float:
    # The most specific range that matches decides (RFC 9110, section 12.5.1).
    for candidate in (media_type, media_type.split("/")[0] + "/*", "*/*"):
        if candidate in ranges:
            return ranges[candidate]
    return 0.0


def negotiate(accept: str | None) -> str:
    """The media type to answer a request whose Accept header is `accept`."""
    if not accept or accept in _PLAIN:
        return JSON
    ranges = _ranges(accept)
    named = ranges.get(GRAPHQL_RESPONSE_JSON, 0.0)
    if named > 0 and named >= _quality(ranges, JSON):
        return GRAPHQL_RESPONSE_JSON
    return JSON
