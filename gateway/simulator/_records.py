"""The records workstream events point at: summaries, tags, websites, people, sources, ...

One table per relation, keyed as the event's field (`tags`, `source_windows`,
see `schema._relations`). A record is held in the full form its own endpoint
answers with and points back at the events that reference it (its
`workstream_events`; a summary's `events`). An event's embedded copy of it
(`Referenced<X>.reference`) is its flattened form, shared rather than copied,
so it stays equal to the record as events come and go. Eight of the nine
flattened forms have the full one's fields, so the record is its own
flattened form; a source's names its `readable` `name` and leaves its `score`
out, and shares the rest with the record.

Only Pieces OS itself brings a record into being: the seeded events and the
ones it records (`link(..., create=True)`). A reference to an id the table
does not hold, sent through the API, is kept on the event and creates
nothing; that record's endpoint answers 410.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any, TypeVar

from schema import RELATIONS
from schema.contract import MODELS

from ._contract import FieldType, leaf, parse_type, reachable_models

__all__ = ["KEYS", "Records", "UnknownRecord", "back_key", "flattened", "references", "split"]

Record = dict[str, Any]
Event = dict[str, Any]
T = TypeVar("T")

KEYS = tuple(relation.key for relation in RELATIONS)
_RELATIONS = {relation.key: relation for relation in RELATIONS}
# `Referenced<X>` -> the relation it points into.
_REFERENCED = {relation.referenced: relation.key for relation in RELATIONS}
# The one full field whose flattened form is named otherwise: a source's `readable` is its `name`.
_RENAMED = {"sources": ("readable", "name")}
_BACK_KEYS = {
    relation.key: next(
        name
        for name, text, _required in MODELS[relation.model]
        if text == "FlattenedWorkstreamEvents"
    )
    for relation in RELATIONS
}


class UnknownRecord(LookupError):
    """No record of the relation has the requested id."""


def back_key(key: str) -> str:
    """The field of a `key` record that lists the events referencing it."""
    return _BACK_KEYS[key]


def flattened(key: str, record: Record) -> Record:
    """`record` as an event embeds it: the record itself, but for a source."""
    return _renamed(key, record, flatten=True)


def _unflattened(key: str, embedded: Record) -> Record:
    return _renamed(key, embedded, flatten=False)


def _renamed(key: str, value: Record, *, flatten: bool) -> Record:
    if key not in _RENAMED:
        return value
    full, flat = _RENAMED[key]
    old, new = (full, flat) if flatten else (flat, full)
    relation = _RELATIONS[key]
    keep = _fields(relation.flattened if flatten else relation.model)
    return {
        new if name == old else name: item
        for name, item in value.items()
        if name in keep or name == old
    }


def split(table: Mapping[str, T], wanted: Iterable[str]) -> tuple[list[T], list[str]]:
    """The values of `table` under the `wanted` keys, in their order, and the keys it lacks."""
    found: list[T] = []
    missing: list[str] = []
    for name in wanted:
        value = table.get(name)
        if value is None:
            missing.append(name)
        else:
            found.append(value)
    return found, missing


@cache
def _followed(model: str) -> tuple[tuple[str, FieldType], ...]:
    """The fields of `model` below which a reference to a record can be."""
    return tuple(
        (name, field_type)
        for name, text, _required in MODELS[model]
        if (bottom := leaf(field_type := parse_type(text))).kind == "model"
        and not _REFERENCED.keys().isdisjoint(reachable_models(bottom.name))
    )


def _objects(field_type: FieldType, value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(model, object) for each object a value of `field_type` holds."""
    if value is None:
        return
    if field_type.item is None:
        yield field_type.name, value
        return
    for item in value if field_type.kind == "list" else value.values():
        yield from _objects(field_type.item, item)


def _fields(model: str) -> frozenset[str]:
    return frozenset(name for name, _text, _required in MODELS[model])


def references(event: Event, key: str) -> list[dict[str, Any]]:
    """The event's `Referenced<X>` items under `key`, none if it has no such field."""
    relation = event.get(key) or {}
    items: list[dict[str, Any]] = relation.get("iterable") or []
    return items


class Records:
    """The records by relation key and id; `make(key, id)` makes one Pieces OS brings into being."""

    def __init__(self, make: Callable[[str, str], Record]) -> None:
        self._make = make
        self._full: dict[str, dict[str, Record]] = {key: {} for key in KEYS}
        self._flat: dict[str, dict[str, Record]] = {key: {} for key in KEYS}

    def get(self, key: str, record_id: str) -> Record:
        try:
            return self._full[key][record_id]
        except KeyError:
            raise UnknownRecord(key, record_id) from None

    def ids(self, key: str) -> Iterator[str]:
        return iter(self._full[key])

    def batch(self, key: str, record_ids: Iterable[str]) -> tuple[list[Record], list[str]]:
        """The records found, in request order, and the ids that were not."""
        return split(self._full[key], record_ids)

    def ensure(self, key: str, record_id: str) -> Record:
        """The record, made now if there is none yet."""
        if record_id not in self._full[key]:
            self._hold(key, record_id, self._make(key, record_id))
        return self._full[key][record_id]

    def remove(self, key: str, record_id: str) -> list[str]:
        """Forget the record; the ids of the events that referenced it."""
        record = self.get(key, record_id)
        del self._full[key][record_id]
        del self._flat[key][record_id]
        return [item["id"] for item in record[back_key(key)]["iterable"]]

    def link(self, event: Event, *, create: bool) -> None:
        """Point the records `event` references back at it, and its embedded copies at them.

        Every reference below the event counts, however deep (a tag an
        embedded anchor names, ...); only the event's own point back at it.
        With `create`, a record not held yet comes into being: from its
        embedded copy if it has one, its own references with it, else from
        `make`. Without, the reference is left as it came.
        """
        self._visit("WorkstreamEvent", event, create)
        for key in KEYS:
            for item in references(event, key):
                self.attach(key, item["id"], event["id"])

    def _visit(self, model: str, value: dict[str, Any], create: bool) -> None:
        for name, field_type in _followed(model):
            for child_model, child in _objects(field_type, value.get(name)):
                key = _REFERENCED.get(child_model)
                if key is None:
                    self._visit(child_model, child, create)
                else:
                    self._reference(key, child, create)

    def _reference(self, key: str, item: dict[str, Any], create: bool) -> None:
        record_id, embedded = item["id"], item.get("reference")
        if record_id not in self._flat[key]:
            if not create:
                if embedded is not None:
                    self._visit(_RELATIONS[key].flattened, embedded, create)
                return
            if embedded is None:
                self.ensure(key, record_id)
                return
            record = _unflattened(key, {**embedded, "id": record_id})
            self._hold(key, record_id, record)
            self._visit(_RELATIONS[key].model, record, create)
        # A held record's own references were linked when it came: not walked again.
        if embedded is not None:
            item["reference"] = self._flat[key][record_id]

    def unlink(self, event: Event, *, keeping: Event | None = None) -> None:
        """Take `event` off the records it references (but those `keeping` references)."""
        for key in KEYS:
            kept = {item["id"] for item in references(keeping or {}, key)}
            for item in references(event, key):
                if item["id"] not in kept:
                    self.detach(key, item["id"], event["id"])

    def attach(self, key: str, record_id: str, event_id: str) -> None:
        """The record lists the event among those referencing it (if the record is held)."""
        record = self._full[key].get(record_id)
        if record is None:
            return
        events = record[back_key(key)]["iterable"]
        if not any(item["id"] == event_id for item in events):
            events.append({"id": event_id})

    def detach(self, key: str, record_id: str, event_id: str) -> None:
        record = self._full[key].get(record_id)
        if record is None:
            return
        events = record[back_key(key)]["iterable"]
        events[:] = [item for item in events if item["id"] != event_id]

    def _hold(self, key: str, record_id: str, record: Record) -> None:
        # What it came with stays listed: a coverage event's copy fills that list's fields.
        if record.get(back_key(key)) is None:
            record[back_key(key)] = {"iterable": []}
        self._full[key][record_id] = record
        self._flat[key][record_id] = flattened(key, record)
