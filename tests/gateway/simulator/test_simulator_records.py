"""The records events point at: every one the events name is held, valid, and points back."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette

from gateway.simulator import create_simulator
from gateway.simulator._contract import parse_type
from gateway.simulator._records import UnknownRecord, back_key, flattened
from gateway.simulator._store import Store
from gateway.simulator._validate import problems
from schema import RELATIONS, Relation
from schema.contract import MODELS
from tests.gateway.simulator.clocked import Clock

BY_KEY = {relation.key: relation for relation in RELATIONS}
BY_REFERENCED = {relation.referenced: relation for relation in RELATIONS}
COVERAGE = 10  # the first events carry the contract's every field (see test_simulator_seed)

Item = dict[str, Any]


def _references(model: str, value: dict[str, Any]) -> Iterator[tuple[Relation, Item]]:
    """Every `Referenced<X>` of a relation below `value`, however deep, embedded copies too."""
    for key, text, _required in MODELS[model]:
        if value.get(key) is not None:
            yield from _below(text, value[key])


def _below(text: str, value: Any) -> Iterator[tuple[Relation, Item]]:
    field_type = parse_type(text)
    if field_type.kind == "model":
        relation = BY_REFERENCED.get(field_type.name)
        if relation is not None:
            yield relation, value
        yield from _references(field_type.name, value)
    elif field_type.item is not None and field_type.kind in ("list", "map"):
        inner = text.removesuffix("?")[1:-1]
        for item in value if field_type.kind == "list" else value.values():
            yield from _below(inner, item)


def _own(event: dict[str, Any]) -> Iterator[tuple[Relation, Item]]:
    """The event's own references (its nine relation fields)."""
    for relation in RELATIONS:
        yield from (
            (relation, item) for item in (event.get(relation.key) or {}).get("iterable", [])
        )


def _inconsistencies(store: Store) -> list[str]:
    """Every way the store's events and records disagree, as short lines; empty if none."""
    found: list[str] = []
    checked: set[tuple[str, str]] = set()
    for event in store.events.values():
        for relation, item in _references("WorkstreamEvent", event):
            where = f"{event['id']}: {relation.key} {item['id']}"
            try:
                record = store.record(relation.key, item["id"])
            except UnknownRecord:
                found.append(f"{where}: no such record")
                continue
            if (relation.key, item["id"]) not in checked:
                checked.add((relation.key, item["id"]))
                found += [f"{where}: {line}" for line in problems(relation.model, record)]
            embedded = item.get("reference")
            if embedded is not None and embedded != flattened(relation.key, record):
                found.append(f"{where}: the embedded copy is not the record's flattened form")
        for relation, item in _own(event):
            try:
                listed = store.record(relation.key, item["id"])[back_key(relation.key)]
            except UnknownRecord:
                continue  # said above
            if {"id": event["id"]} not in listed["iterable"]:
                found.append(f"{event['id']}: {relation.key} {item['id']} does not point back")
    return found


def _store(simulator: Starlette) -> Store:
    store: Store = simulator.state.store
    return store


@pytest.fixture(params=[None, 30], ids=["ordinary", "rich"])
def simulator(request: pytest.FixtureRequest) -> Starlette:
    return create_simulator(events=40, seed=4, event_kb=request.param)


def test_every_record_an_event_names_is_held_valid_and_embedded_as_it_is(
    simulator: Starlette,
) -> None:
    store = _store(simulator)
    assert _inconsistencies(store) == []
    referenced = {
        (relation.key, item["id"])
        for event in store.events.values()
        for relation, item in _references("WorkstreamEvent", event)
    }
    assert {key for key, _id in referenced} == set(BY_KEY)


def test_an_embedded_source_is_named_by_its_readable_without_its_score() -> None:
    store = _store(create_simulator(events=12, seed=0))
    embedded = [
        item["reference"]
        for event in store.events.values()
        for relation, item in _references("WorkstreamEvent", event)
        if relation.key == "sources" and item.get("reference") is not None
    ]
    made = store.records.ensure("sources", "made-here")
    assert embedded and made["score"]
    for source in [*embedded, flattened("sources", made)]:
        record = store.record("sources", source["id"])
        assert source["name"] == record["readable"]
        assert "readable" not in source and "score" not in source
        assert problems("FlattenedIdentifiedWorkstreamPatternEngineSource", source) == []
        assert {**source, "readable": source["name"]} == {
            **{key: value for key, value in record.items() if key != "score"},
            "name": record["readable"],
        }


def test_records_point_back_at_exactly_the_events_naming_them(simulator: Starlette) -> None:
    store = _store(simulator)
    naming: dict[tuple[str, str], list[str]] = defaultdict(list)
    coverage = set(list(store.events)[:COVERAGE])
    for event in store.events.values():
        for relation, item in _own(event):
            naming[relation.key, item["id"]].append(event["id"])
    # A coverage event's copies come with made-up events in that list: it fills its fields.
    for (key, record_id), events in naming.items():
        if coverage.isdisjoint(events):
            listed = store.record(key, record_id)[back_key(key)]["iterable"]
            assert [item["id"] for item in listed] == events
    # A session comes back to its records: some are named by several events.
    assert max(len(events) for events in naming.values()) > 1


def test_most_ordinary_references_carry_only_the_id() -> None:
    store = _store(create_simulator(events=200, seed=1))
    items = [item for event in list(store.events.values())[COVERAGE:] for _, item in _own(event)]
    embedded = sum(item.get("reference") is not None for item in items)
    assert len(items) > 500
    assert 0.1 < embedded / len(items) < 0.3
    kinds = {relation.key for event in store.events.values() for relation, _ in _own(event)}
    assert kinds == set(BY_KEY)


def test_the_full_and_flattened_models_differ_only_for_the_source() -> None:
    for relation in RELATIONS:
        full, flat = MODELS[relation.model], MODELS[relation.flattened]
        assert (full == flat) is (relation.key != "sources"), relation.key


def test_same_seed_same_records() -> None:
    def records(seed: int) -> dict[str, list[Any]]:
        store = _store(create_simulator(events=30, seed=seed))
        return {key: [store.record(key, i) for i in store.records.ids(key)] for key in BY_KEY}

    assert records(2) == records(2)
    assert records(2) != records(3)


def _ordinary(store: Store) -> dict[str, Any]:
    return list(store.events.values())[-1]


def _embedding(store: Store, key: str) -> tuple[dict[str, Any], Item]:
    """An ordinary event and its reference under `key` that embeds the record."""
    return next(
        (event, item)
        for event in list(store.events.values())[COVERAGE:-1]
        for item in event[key]["iterable"]
        if item.get("reference") is not None
    )


def test_associations_keep_the_records_pointing_back() -> None:
    store = _store(create_simulator(events=30, seed=5))
    event, (other, embedding) = _ordinary(store), _embedding(store, "tags")
    tag = embedding["id"]

    store.associate(event["id"], "tags", tag)
    assert {"id": event["id"]} in store.record("tags", tag)["workstream_events"]["iterable"]
    # The other event's embedded copy says so too.
    assert embedding["reference"] == store.record("tags", tag)
    store.disassociate(event["id"], "tags", tag)
    assert {"id": event["id"]} not in store.record("tags", tag)["workstream_events"]["iterable"]
    assert {"id": other["id"]} in store.record("tags", tag)["workstream_events"]["iterable"]

    summary = event["summaries"]["iterable"][0]["id"]
    store.update({**event, "summaries": {"iterable": []}, "tags": other["tags"]})
    assert {"id": event["id"]} not in store.record("summaries", summary)["events"]["iterable"]
    assert {"id": event["id"]} in store.record("tags", tag)["workstream_events"]["iterable"]
    store.delete(other["id"])
    assert {"id": other["id"]} not in store.record("tags", tag)["workstream_events"]["iterable"]
    assert _inconsistencies(store) == []


def test_an_embedded_copy_sent_back_stays_the_record() -> None:
    store = _store(create_simulator(events=30, seed=5))
    event, item = _embedding(store, "tags")
    sent = copy.deepcopy(event)

    stored = store.update(sent)
    store.associate(_ordinary(store)["id"], "tags", item["id"])

    (again,) = [each for each in stored["tags"]["iterable"] if each["id"] == item["id"]]
    assert again["reference"] == store.record("tags", item["id"])
    assert len(again["reference"]["workstream_events"]["iterable"]) > 1
    assert _inconsistencies(store) == []


def test_an_unknown_id_is_associated_and_creates_nothing() -> None:
    store = _store(create_simulator(events=12, seed=5))
    event = _ordinary(store)

    store.associate(event["id"], "websites", "made-up")
    created = store.create({**event, "tags": {"iterable": [{"id": "made-up-too"}]}})

    assert {"id": "made-up"} in event["websites"]["iterable"]
    assert created["tags"]["iterable"] == [{"id": "made-up-too"}]
    for key, record_id in (("websites", "made-up"), ("tags", "made-up-too")):
        with pytest.raises(UnknownRecord):
            store.record(key, record_id)


def test_a_removed_record_is_gone_and_no_event_embeds_it() -> None:
    store = _store(create_simulator(events=30, seed=5))
    event, item = _embedding(store, "tags")
    tag = item["id"]

    store.remove_record("tags", tag)

    with pytest.raises(UnknownRecord):
        store.record("tags", tag)
    assert {"id": tag} in event["tags"]["iterable"]
    assert all(
        "reference" not in each
        for other in store.events.values()
        for each in (other.get("tags") or {}).get("iterable", [])
        if each["id"] == tag
    )
    with pytest.raises(UnknownRecord):
        store.remove_record("tags", tag)


@pytest.mark.parametrize("event_kb", [None, 20], ids=["ordinary", "rich"])
def test_the_events_activity_records_name_held_records(event_kb: int | None) -> None:
    clock = Clock(datetime(2026, 12, 1, 12, tzinfo=UTC))
    simulator = create_simulator(events=12, seed=2, event_kb=event_kb, clock=clock)
    kinds = {simulator.state.activity.step().kind for _ in range(60)}

    assert {"create", "summary", "delete"} <= kinds
    assert _inconsistencies(_store(simulator)) == []
