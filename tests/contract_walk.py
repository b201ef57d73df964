"""Walk upstream JSON with the contract, to build queries and compare results.

Tests use this to ask the gateway for exactly the fields an upstream value has,
and to map the GraphQL answer back to upstream keys and raw enum values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from bench._workloads import selected
from bench._workloads import selection as workload_selection
from schema.codegen import enum_value_names
from schema.contract import ENUMS, MODELS

ROOT = "WorkstreamEvent"


def _target(kind: str) -> str:
    return kind.rstrip("?").strip("[]")


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def selection(model: str, values: list[dict[str, Any]]) -> str:
    """A selection set naming every field that any of `values` has; an object
    with no field set (`trigger: {}`) is still selected, for its `__typename`."""
    return workload_selection(model, values, empty="__typename")


def strip_nulls(value: Any) -> Any:
    """`value` without nulls (and the `__typename`s `selection` may ask for)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None and k != "__typename"}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def from_graphql(model: str, data: dict[str, Any]) -> dict[str, Any]:
    """Upstream JSON for a GraphQL answer: upstream keys, raw enum values, no nulls."""
    out = {}
    for key, kind, _ in MODELS[model]:
        value = data.get(to_camel_case(key))
        if value is None:
            continue
        target = _target(kind)
        if kind.startswith("{"):
            out[key] = value
        elif target in MODELS:
            out[key] = (
                [from_graphql(target, v) for v in value]
                if isinstance(value, list)
                else (from_graphql(target, value))
            )
        elif target in ENUMS:
            raw = dict(zip(enum_value_names(ENUMS[target]), ENUMS[target], strict=True))
            out[key] = [raw[v] for v in value] if isinstance(value, list) else raw[value]
        else:
            out[key] = value
    return out


def covered(model: str, value: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (model, key) filled in `value`, and every ("enum:Name", raw value) used."""
    for key, kind, _ in MODELS[model]:
        if value.get(key) is None:
            continue
        yield model, key
        target = _target(kind).strip("{}")
        items = list(value[key].values()) if kind.startswith("{") else _items(value[key])
        for item in items:
            if target in ENUMS:
                yield f"enum:{target}", item
            elif target in MODELS:
                yield from covered(target, item)


def closure(model: str = ROOT) -> set[tuple[str, str]]:
    """Every (model, key) and enum value reachable from `model`."""
    seen: set[str] = set()
    out: set[tuple[str, str]] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for key, kind, _ in MODELS[name]:
            out.add((name, key))
            target = _target(kind).strip("{}")
            if target in ENUMS:
                out.update((f"enum:{target}", v) for v in ENUMS[target])
            elif target in MODELS:
                visit(target)

    visit(model)
    return out


def as_read(
    model: str, value: dict[str, Any], fetch: dict[str, Callable[[str], dict[str, Any]]]
) -> dict[str, Any]:
    """What the gateway answers for `selection(model, [value])`.

    `value` cut to the selection, but for references: where the selection asks
    for `reference` (some reference there embeds its record), one that does
    not comes with the record the gateway fetches, `fetch[<Referenced model>](id)`,
    cut to the same selection.
    """
    return _cut(model, value, selected(model, [value]), fetch)


def _cut(
    model: str,
    value: dict[str, Any],
    tree: dict[str, Any],
    fetch: dict[str, Callable[[str], dict[str, Any]]],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, kind, _ in MODELS[model]:
        if key not in tree:
            continue
        item = value.get(key)
        if item is None and key == "reference" and model in fetch:
            item = fetch[model](value["id"])
        if item is None:
            continue
        below, target = tree[key], _target(kind)
        if below is None:
            out[key] = item
        elif isinstance(item, list):
            out[key] = [_cut(target, each, below, fetch) for each in item]
        else:
            out[key] = _cut(target, item, below, fetch)
    return out
