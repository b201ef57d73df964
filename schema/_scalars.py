"""The custom scalars of the schema: `DateTime`, `Int64` and `JSONObject`.

Each carries the upstream's JSON values as they are, so that nothing is lost on
the way through:

* `DateTime` serializes the upstream's ISO-8601 string unchanged. On input it
  accepts any ISO-8601 date-time with an offset; a UTC value written with `Z`
  goes upstream verbatim (so a value read from the gateway returns byte for
  byte), any other offset is converted to the same instant in UTC.
* `Int64` is every integer of the upstream's models. Pieces OS is a Dart
  service, whose ints are 64-bit; GraphQL's `Int` stops at 2^31. It serializes
  as a JSON number, exact (a JavaScript client reads values beyond 2^53 exactly
  only with a JSON parser that keeps big integers). On input it accepts a
  number, or a decimal string for clients that cannot write such a number, from
  -2^63 to 2^63 - 1, and sends the upstream the integer.
* `JSONObject` carries a JSON object (the upstream's string-keyed maps, such as
  every `indices`) unchanged in both directions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, NewType

import strawberry
from graphql import GraphQLError, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

__all__ = ["INT64_MAX", "INT64_MIN", "SCALARS", "DateTime", "Int64", "JSONObject", "parse_datetime"]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def parse_datetime(value: object) -> str:
    """Validate an ISO-8601 date-time and return its upstream form (UTC, `Z`)."""
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO-8601 string")
    if value.endswith("z"):
        value = value[:-1] + "Z"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"DateTime cannot represent {value[:64]!r}: not ISO-8601") from None
    if parsed.tzinfo is None:
        raise ValueError(f"DateTime {value[:64]!r} needs a time zone offset, such as Z")
    if _RFC3339_UTC.fullmatch(value):
        return value  # what the upstream itself writes: keep it byte for byte
    try:
        return _utc_iso(parsed)
    except OverflowError:
        raise ValueError(f"DateTime {value[:64]!r} is out of range") from None


_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")


def _utc_iso(moment: datetime) -> str:
    # The upstream writes UTC instants with millisecond precision, or
    # microseconds when there are any; do the same.
    moment = moment.astimezone(UTC)
    timespec = "microseconds" if moment.microsecond % 1000 else "milliseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def _serialize_datetime(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return _utc_iso(value)
    # A GraphQLError, not a ValueError: the value came from the upstream, and
    # only that field fails (see schema._error_codes). The value itself stays
    # out of the message: it is the upstream's.
    raise GraphQLError(f"DateTime cannot represent a {type(value).__name__}.")


def _serialize_int64(value: object) -> int:
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value
    if type(value) is float and value.is_integer() and INT64_MIN <= value <= INT64_MAX:
        return int(value)  # a Dart double the upstream wrote as a whole number
    # The execution context describes the value (schema._execution); it is not quoted.
    raise ValueError("Int64 cannot represent it")


_DECIMAL = re.compile(r"-?(0|[1-9][0-9]{0,18})")


def _parse_int64(value: object) -> int:
    number = value
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = int(value)
    if type(number) is not int or not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(
            "Int64 takes an integer from -2^63 to 2^63 - 1, as a number or a decimal string"
        )
    return number


def _parse_int64_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> int:
    if isinstance(node, IntValueNode | StringValueNode):
        return _parse_int64(int(node.value) if isinstance(node, IntValueNode) else node.value)
    return _parse_int64(None)


def _parse_object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("JSONObject must be an object")
    return value


def _serialize_object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GraphQLError(f"JSONObject cannot represent a {type(value).__name__}.")
    return value


DateTime = NewType("DateTime", str)
Int64 = NewType("Int64", int)
JSONObject = NewType("JSONObject", dict)  # type: ignore[type-arg]

SCALARS: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description="An instant, as an ISO-8601 string with a time zone offset.",
        serialize=_serialize_datetime,
        parse_value=parse_datetime,
        specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339",
    ),
    Int64: strawberry.scalar(
        name="Int64",
        description=(
            "A 64-bit integer (-2^63 to 2^63 - 1): every integer Pieces OS sends. Written as a "
            "JSON number; accepted as a number or a decimal string."
        ),
        serialize=_serialize_int64,
        parse_value=_parse_int64,
        parse_literal=_parse_int64_literal,
    ),
    JSONObject: strawberry.scalar(
        name="JSONObject",
        description=(
            "A JSON object carried unchanged: the upstream's string-keyed maps, "
            "such as `indices` (id -> position)."
        ),
        serialize=_serialize_object,
        parse_value=_parse_object,
    ),
}
