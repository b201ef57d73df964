from __future__ import annotations

import pytest

from schema._scalars import parse_datetime


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
