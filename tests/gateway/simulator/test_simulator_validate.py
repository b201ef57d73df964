"""The contract walker behind the simulator's 500s for bad bodies."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.simulator._validate import problems

_APPLICATION = {
    "id": "a",
    "name": "VS_CODE",
    "version": "1",
    "platform": "LINUX",
    "onboarded": True,
    "privacy": "OPEN",
}


def test_valid_object_with_unknown_keys() -> None:
    assert problems("Application", {**_APPLICATION, "somethingNew": [1, 2]}) == []


@pytest.mark.parametrize(
    ("model", "value", "problem"),
    [
        ("Application", [], "Application: expected a Application object, got list"),
        ("Application", {**_APPLICATION, "id": None}, "Application.id: must not be null"),
        ("Application", {**_APPLICATION, "onboarded": 1}, "Application.onboarded: expected bool"),
        ("Application", {**_APPLICATION, "name": "EMACS"}, "Application.name: not a Applic"),
        ("Score", {"manual": True, "automatic": 0}, "Score.manual: expected int, got bool"),
        ("Score", {"manual": 1.5, "automatic": 0}, "Score.manual: expected int, got float"),
        ("Score", {"manual": 0}, "Score.automatic: required"),
        ("GroupedTimestamp", {"value": "2026-03-01T10:00:00"}, "GroupedTimestamp.value: expect"),
        ("GroupedTimestamp", {"value": "yesterday"}, "GroupedTimestamp.value: expected datetime"),
        ("FlattenedTags", {"iterable": [{"id": 3}]}, "FlattenedTags.iterable[0].id: expected str"),
        ("FlattenedTags", {"iterable": [None]}, "FlattenedTags.iterable[0]: must not be null"),
        ("FlattenedTags", {"iterable": [], "indices": {"a": "1"}}, "FlattenedTags.indices['a']"),
        ("FlattenedTags", {"iterable": {}}, "FlattenedTags.iterable: expected a list, got dict"),
    ],
)
def test_problems(model: str, value: Any, problem: str) -> None:
    found = problems(model, value)
    assert len(found) == 1
    assert found[0].startswith(problem)


@pytest.mark.parametrize("value", [0, 2.5, -1e3])
def test_float_fields_take_ints_and_floats(value: float) -> None:
    assert problems("WorkstreamEvent", _event(workstreamEventsVector=[value])) == []


def test_float_fields_refuse_bools() -> None:
    assert problems("WorkstreamEvent", _event(workstreamEventsVector=[True])) != []


def test_datetime_with_offset() -> None:
    assert problems("GroupedTimestamp", {"value": "2026-03-01T10:00:00.000Z"}) == []
    assert problems("GroupedTimestamp", {"value": "2026-03-01T10:00:00+02:00"}) == []


def _event(**extra: Any) -> dict[str, Any]:
    stamp = {"value": "2026-03-01T10:00:00.000Z"}
    return {
        "id": "e",
        "application": _APPLICATION,
        "created": stamp,
        "updated": stamp,
        "trigger": {},
        **extra,
    }
