"""What the benchmark sends: one `Workload` per row of the table.

Each workload is a ring of ready-made requests that the load generator sends
in turn, so that successive requests ask for different events.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from strawberry.utils.str_converters import to_camel_case

from schema.contract import MODELS

__all__ = [
    "SMALL_SELECTION",
    "Request",
    "Workload",
    "direct",
    "full_selection",
    "graphql",
    "many",
    "mesh",
    "ordinary",
    "selection",
]

ROOT = "WorkstreamEvent"
SMALL_SELECTION = (
    "{ id readable created { value } application { name platform } score { manual automatic } }"
)
_ONE = "query One($id: ID!) { workstreamEvent(id: $id) %s }"
# GraphQL Mesh names the field after the OpenAPI operationId, the argument after the path
# parameter, and keeps the JSON keys as field names.
_MESH_ONE = (
    "query One($id: String!) "
    "{ workstreamEventsSpecificWorkstreamEventSnapshot(workstream_event: $id) %s }"
)
_MANY = "query Many($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None


@dataclass(frozen=True)
class Workload:
    name: str
    # "simulator", "gateway", "regular", "mesh" or "timeline": which service the requests go to
    target: str
    requests: tuple[Request, ...]
    graphql: bool = False  # count a 200 answer with `errors` as an error
    ids_per_op: int = 1
    pair: str = ""  # the gateway's and Mesh's workloads for the same selection share it


def _target(kind: str) -> str:
    return kind.rstrip("?").strip("[]")


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def selected(model: str, values: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The keys any of `values` has, each with the keys selected below it (None: a leaf)."""
    tree: dict[str, Any] = {}
    for key, kind, _ in MODELS[model]:
        present = [v[key] for v in values if v.get(key) is not None]
        if not present:
            continue
        target = _target(kind)
        if target in MODELS and not kind.startswith("{"):
            tree[key] = selected(target, [item for value in present for item in _items(value)])
        else:
            tree[key] = None
    return tree


def selection(
    model: str,
    values: Sequence[dict[str, Any]],
    name: Callable[[str], str] = to_camel_case,
    *,
    empty: str | None = None,
) -> str:
    """A selection set naming every field that any of `values` has (see `selected`).

    `name` turns a JSON key into the field's name: camelCase for the gateway, as is for Mesh.
    An object with no field set (`trigger: {}`) is left out, or, with `empty`, selected
    with that one field (the round-trip tests select `__typename`).
    """
    return _printed(selected(model, values), name, empty)


def _printed(tree: dict[str, Any], name: Callable[[str], str], empty: str | None) -> str:
    parts = []
    for key, below in tree.items():
        if below is None:
            parts.append(name(key))
            continue
        inner = _printed(below, name, empty)
        if inner != "{  }":  # only empty objects: nothing to select
            parts.append(f"{name(key)} {inner}")
    return "{ " + (" ".join(parts) or (empty or "")) + " }"


def ordinary(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of ordinary size and shape.

    The simulator's first events carry the whole contract between them (up to
    ~120 KB each, for coverage, with fields no other event has); a day of
    Pieces OS looks like the rest (~3 KB, or ~30 KB when rich).
    """
    sizes = [len(json.dumps(event)) for event in events]
    depths = [_depth(event) for event in events]
    size_limit = 2 * statistics.median(sizes)
    depth_limit = statistics.median(depths)
    return [
        event
        for event, size, depth in zip(events, sizes, depths, strict=True)
        if size <= size_limit and depth <= depth_limit
    ]


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def direct(ids: Sequence[str]) -> Workload:
    requests = tuple(Request("GET", f"/workstream_event/{quote(i, safe='')}") for i in ids)
    return Workload("REST GET /workstream_event/{id}", "simulator", requests)


def _post(query: str, variables: dict[str, Any]) -> Request:
    body = json.dumps({"query": query, "variables": variables}, separators=(",", ":"))
    return Request("POST", "/graphql", body.encode())


def graphql(
    name: str, fields: str, ids: Sequence[str], pair: str = "", target: str = "gateway"
) -> Workload:
    """One event read per request; `target="regular"`: the gateway without the compiled path."""
    query = _ONE % fields
    requests = tuple(_post(query, {"id": i}) for i in ids)
    return Workload(name, target, requests, graphql=True, pair=pair)


def mesh(name: str, fields: str, ids: Sequence[str], pair: str) -> Workload:
    """The same read through GraphQL Mesh (hive-gateway over bench.openapi's document)."""
    query = _MESH_ONE % fields
    requests = tuple(_post(query, {"id": i}) for i in ids)
    return Workload(name, "mesh", requests, graphql=True, pair=pair)


def full_selection(events: Sequence[dict[str, Any]], *, keys_as_is: bool = False) -> str:
    return selection(ROOT, events, str if keys_as_is else to_camel_case)


def many(ids: Sequence[str], per_op: int, variants: int = 4) -> Workload:
    """`workstreamEvents(ids:)` with `per_op` distinct ids; a few rotations of `ids`."""
    assert per_op <= len(ids), "the simulator needs at least as many events as ids per op"
    requests = []
    for v in range(variants):
        start = v * len(ids) // variants
        ring = [*ids[start:], *ids[:start]]
        requests.append(_post(_MANY, {"ids": ring[:per_op]}))
    name = f"GraphQL workstreamEvents, {per_op} ids {{ id }}"
    return Workload(name, "gateway", tuple(requests), graphql=True, ids_per_op=per_op)
