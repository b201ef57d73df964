from __future__ import annotations

import pytest
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode

from schema._scalars import SCALARS, Int64, JSONObject, parse_datetime


@pytest.mark.parametrize(
    ("given", "upstream"),
    [
        ("2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.000Z"),
        ("2026-03-01T10:00:00.123456Z", "2026-03-01T10:00:00.123456Z"),
        ("2026-03-01T10:00:00z", "2026-03-01T10:00:00Z"),
        ("2026-03-01T12:00:00.000+02:00", "2026-03-01T10:00:00.000Z"),
        ("2026-03-01T05:30:00.000001-04:30", "2026-03-01T10:00:00.000001Z"),
        ("2026-03-01T10:00:00+00:00", "2026-03-01T10:00:00.000Z"),
        ("20260301T100000Z", "2026-03-01T10:00:00.000Z"),
        ("2026-03-01T10:00Z", "2026-03-01T10:00:00.000Z"),
    ],
)
def test_a_datetime_goes_upstream_as_the_same_instant_in_utc(given: str, upstream: str) -> None:
    assert parse_datetime(given) == upstream


@pytest.mark.parametrize(
    "given",
    ["yesterday", "2026-03-01T10:00:00", "2026-13-01T00:00:00Z", 12, "0001-01-01T00:00:00+01:00"],
)
def test_a_datetime_without_an_instant_is_refused(given: object) -> None:
    with pytest.raises(ValueError, match="DateTime"):
        parse_datetime(given)


# Prompted by the mutation run (`make mutation`, tests/MUTATION.md): the words a client is
# refused with, the inclusive bounds of Int64, and the values the upstream writes that no
# test sent.
INT64 = SCALARS[Int64]
OBJECT = SCALARS[JSONObject]
REFUSED_INT64 = "Int64 takes an integer from -2^63 to 2^63 - 1, as a number or a decimal string"


def test_a_datetime_refusal_quotes_at_most_64_characters_of_the_value() -> None:
    with pytest.raises(ValueError) as refused:
        parse_datetime("y" * 100)
    assert str(refused.value) == f"DateTime cannot represent {'y' * 64!r}: not ISO-8601"


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (12, "DateTime must be an ISO-8601 string"),
        (
            "2026-03-01T10:00:00",
            "DateTime '2026-03-01T10:00:00' needs a time zone offset, such as Z",
        ),
        ("0001-01-01T00:00:00+01:00", "DateTime '0001-01-01T00:00:00+01:00' is out of range"),
    ],
)
def test_a_datetime_refusal_says_why(given: object, words: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_datetime(given)
    assert str(refused.value) == words


def test_whole_milliseconds_of_another_offset_go_upstream_as_milliseconds() -> None:
    assert parse_datetime("2026-03-01T12:00:00.123+02:00") == "2026-03-01T10:00:00.123Z"


@pytest.mark.parametrize(
    "value", [2**63 - 1, -(2**63), "9223372036854775807", "-9223372036854775808", "-0"]
)
def test_int64_takes_its_bounds_as_numbers_and_decimal_strings(value: int | str) -> None:
    assert INT64.parse_value(value) == int(value)


@pytest.mark.parametrize("value", [2**63, "9223372036854775808", "12x", 1.0, None])
def test_int64_refuses_in_its_own_words(value: object) -> None:
    with pytest.raises(ValueError) as refused:
        INT64.parse_value(value)
    assert str(refused.value) == REFUSED_INT64


@pytest.mark.parametrize(
    ("literal", "value"),
    [(IntValueNode(value="-9223372036854775808"), -(2**63)), (StringValueNode(value="42"), 42)],
)
def test_an_int64_literal_is_a_number_or_a_decimal_string(literal: ValueNode, value: int) -> None:
    assert INT64.parse_literal(literal) == value


@pytest.mark.parametrize(
    "literal",
    [StringValueNode(value="12x"), IntValueNode(value=str(2**63)), FloatValueNode(value="1.5")],
)
def test_an_int64_literal_is_refused_in_its_own_words(literal: ValueNode) -> None:
    with pytest.raises(ValueError) as refused:
        INT64.parse_literal(literal)
    assert str(refused.value) == REFUSED_INT64


# The compiled path checks Int64 inline; graphql-core's executor calls `serialize`.
@pytest.mark.parametrize(
    ("written", "read"),
    [(2**63 - 1, 2**63 - 1), (-(2**63), -(2**63)), (7.0, 7), (-(2.0**63), -(2**63))],
)
def test_an_integer_or_a_whole_double_within_64_bits_is_read_as_an_integer(
    written: float, read: int
) -> None:
    served = INT64.serialize(written)
    assert (served, type(served)) == (read, int)


@pytest.mark.parametrize("written", [7.5, 2.0**63, True, 2**63, "7"])
def test_anything_else_from_the_upstream_is_no_int64(written: object) -> None:
    with pytest.raises(ValueError):
        INT64.serialize(written)


def test_a_json_object_refusal_says_why() -> None:
    assert OBJECT.parse_value({"a": 1}) == {"a": 1}
    with pytest.raises(ValueError) as refused:
        OBJECT.parse_value([1])
    assert str(refused.value) == "JSONObject must be an object"
