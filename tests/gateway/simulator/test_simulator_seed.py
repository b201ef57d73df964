"""Seeded events: deterministic, SDK-valid, and covering the whole contract early."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pieces_os_client.models.workstream_event import WorkstreamEvent

from gateway.simulator import generate_events
from gateway.simulator._contract import parse_type, reachable_enums, reachable_models
from gateway.simulator._validate import problems
from schema.contract import ENUMS, MODELS

EVENTS = generate_events(50, 0)
RICH = generate_events(30, 0, event_kb=30)
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _walk(model: str, value: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Every (model, key, value) in an object, however deep; values may be enum strings."""
    for key, text, _required in MODELS[model]:
        if value.get(key) is None:
            continue
        yield model, key, value[key]
        yield from _walk_type(text, value[key])


def _walk_type(text: str, value: Any) -> Iterator[tuple[str, str, Any]]:
    field_type = parse_type(text)
    if field_type.kind == "model":
        yield from _walk(field_type.name, value)
    elif field_type.kind == "enum":
        yield field_type.name, "", value
    elif field_type.item is not None:
        inner = text.removesuffix("?")[1:-1]
        for item in value if field_type.kind == "list" else value.values():
            yield from _walk_type(inner, item)


def test_same_seed_same_events() -> None:
    assert generate_events(50, 0) == EVENTS
    assert generate_events(5, 1) != EVENTS[:5]
    assert len({event["id"] for event in EVENTS}) == 50


def test_first_ten_events_fill_every_field_and_enum_value() -> None:
    filled: set[tuple[str, str]] = set()
    values: set[tuple[str, str]] = set()
    for event in EVENTS[:10]:
        for model, key, value in _walk("WorkstreamEvent", event):
            if key:
                filled.add((model, key))
            else:
                values.add((model, value))

    fields = {
        (model, key)
        for model in reachable_models("WorkstreamEvent")
        for key, _text, _required in MODELS[model]
    }
    enum_values = {(enum, v) for enum in reachable_enums("WorkstreamEvent") for v in ENUMS[enum]}
    assert len(fields) > 1000 and len(enum_values) > 900
    assert sorted(fields - filled) == []
    assert sorted(enum_values - values) == []


@pytest.mark.parametrize("index", range(len(EVENTS)))
def test_every_event_is_valid(index: int) -> None:
    event = EVENTS[index]
    assert problems("WorkstreamEvent", event) == []
    assert WorkstreamEvent.from_dict(event) is not None


def test_ordinary_events_look_real() -> None:
    base = datetime(2026, 3, 1, 10, tzinfo=UTC)
    for event in EVENTS[10:]:
        created = datetime.fromisoformat(event["created"]["value"])
        assert _INSTANT.match(event["created"]["value"])
        assert _INSTANT.match(event["updated"]["value"])
        assert base - timedelta(days=60) <= created <= base
        assert event["readable"].endswith(".")
        assert event["summaries"]["iterable"] and event["score"]["manual"] >= 0


@pytest.mark.parametrize("index", range(len(RICH)))
def test_every_rich_event_is_valid(index: int) -> None:
    event = RICH[index]
    assert problems("WorkstreamEvent", event) == []
    assert WorkstreamEvent.from_dict(event) is not None


def test_rich_events_weigh_what_was_asked_for() -> None:
    assert generate_events(30, 0, event_kb=30) == RICH
    for event in RICH[10:]:
        size = len(json.dumps(event, separators=(",", ":")))
        assert 30 * 1024 <= size < 34 * 1024
        reference = event["summaries"]["iterable"][0]["reference"]
        assert reference["id"] == event["summaries"]["iterable"][0]["id"]
        assert event["context"]["native_ocr"]["ocrText"]
        assert event["anchors"]["iterable"]
