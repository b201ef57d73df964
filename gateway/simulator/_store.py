"""The simulator's in-memory WorkstreamEvents and the operations Pieces OS offers on them.

The records the events point at live in the store's `Records` (see
`_records`), which every change of an event's references keeps pointing back
at the events that reference them.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ._instants import format_instant, parse_instant
from ._records import Record, Records, references, split

Event = dict[str, Any]

# SeededWorkstreamEvent fields a new WorkstreamEvent copies as they are.
_SEEDED_FIELDS = (
    "schema",
    "application",
    "trigger",
    "anchors",
    "context",
    "persons",
    "processing",
    "readable",
    "score",
    "tags",
    "websites",
    "workstreamEventsVector",
)
SCORE_COUNTERS = ("priority", "reference", "reuse", "searched", "update")


class UnknownEvent(LookupError):
    """No WorkstreamEvent has the requested id."""


@dataclass(frozen=True)
class TimeRange:
    """An inclusive range of instants; an open end is None."""

    start: datetime | None = None
    end: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None

    def __contains__(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and (
            self.end is None or moment <= self.end
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The events by id.

    Every change of an event moves its `updated` to the clock's now, as Pieces
    OS does: `identifiers(updated=...)` is its only change feed. A request that
    leaves an event as it was (associating what already is) leaves `updated` too.
    """

    def __init__(
        self,
        events: Iterable[Event],
        records: Records,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.events: dict[str, Event] = {event["id"]: event for event in events}
        self.records = records
        self._clock = clock
        for event in self.events.values():
            records.link(event, create=True)

    def get(self, event_id: str) -> Event:
        try:
            return self.events[event_id]
        except KeyError:
            raise UnknownEvent(event_id) from None

    def update(self, event: Event) -> Event:
        before = self.get(event["id"])
        stored = copy.deepcopy(event)
        self._touch(stored)
        self.records.link(stored, create=False)
        self.records.unlink(before, keeping=stored)
        self.events[stored["id"]] = stored
        return stored

    def create(self, seeded: Mapping[str, Any]) -> Event:
        now = self._now()
        event: Event = {"id": str(uuid.uuid4()), "created": {"value": now}}
        event["updated"] = {"value": now}
        for key in _SEEDED_FIELDS:
            if seeded.get(key) is not None:
                event[key] = copy.deepcopy(seeded[key])
        if seeded.get("summary") is not None:
            event["summaries"] = {"iterable": [copy.deepcopy(seeded["summary"])]}
        self.records.link(event, create=False)
        self.events[event["id"]] = event
        return event

    def add(self, event: Event) -> Event:
        """An event Pieces OS recorded itself (no endpoint does this): created now."""
        now = self._now()
        event = {**event, "created": {"value": now}, "updated": {"value": now}}
        self.records.link(event, create=True)
        self.events[event["id"]] = event
        return event

    def delete(self, event_id: str) -> None:
        self.records.unlink(self.get(event_id))
        del self.events[event_id]

    def associate(self, event_id: str, key: str, other: str) -> None:
        event = self.get(event_id)
        relation = event.setdefault(key, {"iterable": []})
        if any(item["id"] == other for item in relation["iterable"]):
            return
        relation["iterable"].append({"id": other})
        if relation.get("indices") is not None:
            relation["indices"][other] = len(relation["iterable"]) - 1
        self.records.attach(key, other, event_id)
        self._touch(event)

    def disassociate(self, event_id: str, key: str, other: str) -> None:
        event = self.get(event_id)
        relation = event.get(key)
        if relation is None:
            return
        kept = [item for item in relation["iterable"] if item["id"] != other]
        if len(kept) == len(relation["iterable"]):
            return
        relation["iterable"] = kept
        if relation.get("indices") is not None:
            # Positions shift after a removal, so the index is rebuilt.
            relation["indices"] = {item["id"]: index for index, item in enumerate(kept)}
        self.records.detach(key, other, event_id)
        self._touch(event)

    def increment(self, event_id: str, flags: Mapping[str, Any]) -> None:
        event = self.get(event_id)
        counters = [counter for counter in SCORE_COUNTERS if flags.get(counter) is True]
        if not counters and event.get("score") is not None:
            return
        score = event.get("score") or {"manual": 0, "automatic": 0}
        for counter in counters:
            score[counter] = (score.get(counter) or 0) + 1
        event["score"] = score
        self._touch(event)

    def identifiers(
        self,
        *,
        limit: int | None = None,
        created: TimeRange = TimeRange(),
        updated: TimeRange = TimeRange(),
    ) -> list[str]:
        """Ids newest first; with both ranges given an event matches either.

        Pieces OS documents OR rather than AND for that case.
        """
        matching = [
            event
            for event in self.events.values()
            if _matches(event, created=created, updated=updated)
        ]
        matching.sort(key=lambda event: event["id"])
        matching.sort(key=lambda event: _instant(event, "created"), reverse=True)
        ids = [event["id"] for event in matching]
        return ids if limit is None else ids[:limit]

    def batch(self, event_ids: Iterable[str]) -> tuple[list[Event], list[str]]:
        """The events found, in request order, and the ids that were not."""
        return split(self.events, event_ids)

    def record(self, key: str, record_id: str) -> Record:
        """The record of relation `key` (an event field, as `tags`); `UnknownRecord` if none."""
        return self.records.get(key, record_id)

    def remove_record(self, key: str, record_id: str) -> None:
        """Forget a record, as if Pieces OS had deleted it: its endpoint answers 410.

        The events that referenced it still do, by id only: an embedded copy
        of a record that is gone would say otherwise.
        """
        for event_id in self.records.remove(key, record_id):
            event = self.events.get(event_id)
            for item in references(event or {}, key):
                if item["id"] == record_id:
                    item.pop("reference", None)

    def _now(self) -> str:
        return format_instant(self._clock())

    def _touch(self, event: Event) -> None:
        # Only the instant moves: the rest of the GroupedTimestamp stays as it was given.
        event["updated"] = {**event["updated"], "value": self._now()}


def _instant(event: Event, key: str) -> datetime:
    return parse_instant(event[key]["value"])


def _matches(event: Event, *, created: TimeRange, updated: TimeRange) -> bool:
    checks = [
        _instant(event, key) in window
        for key, window in (("created", created), ("updated", updated))
        if not window.is_open
    ]
    return any(checks) if checks else True
