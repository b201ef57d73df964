"""Instants as Pieces OS writes them: UTC, milliseconds, a trailing `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def format_instant(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def to_milliseconds(moment: datetime) -> datetime:
    """`moment` only as precise as the instants Pieces OS writes.

    The SDK sends microseconds: a bound of `10:00:00.123456` must still match
    an event stamped `10:00:00.123Z` in that same millisecond.
    """
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_instant(text: str, *, assume_utc: bool = False) -> datetime:
    """Parse ISO-8601; a missing offset is an error unless `assume_utc`.

    Query parameters from the SDK may come without an offset (it formats naive
    datetimes with `%z`, which is then empty), so the routes pass `assume_utc`.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        if not assume_utc:
            raise ValueError(f"{text!r} has no UTC offset")
        moment = moment.replace(tzinfo=UTC)
    return moment
