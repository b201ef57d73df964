"""Reading `schema.contract`: its type grammar and which models a model reaches."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from schema.contract import ENUMS, MODELS

SCALARS = frozenset({"str", "int", "float", "bool", "datetime"})

Kind = Literal["scalar", "enum", "model", "list", "map"]


@dataclass(frozen=True)
class FieldType:
    """One parsed contract type; `item` is set for `[T]` and `{T}`."""

    kind: Kind
    name: str
    nullable: bool = False
    item: FieldType | None = None


@cache
def parse_type(text: str) -> FieldType:
    nullable = text.endswith("?")
    body = text.removesuffix("?")
    if body.startswith("[") and body.endswith("]"):
        return FieldType("list", body, nullable, parse_type(body[1:-1]))
    if body.startswith("{") and body.endswith("}"):
        return FieldType("map", body, nullable, parse_type(body[1:-1]))
    if body in SCALARS:
        return FieldType("scalar", body, nullable)
    if body in ENUMS:
        return FieldType("enum", body, nullable)
    if body in MODELS:
        return FieldType("model", body, nullable)
    raise ValueError(f"unknown contract type {text!r}")


def leaf(field_type: FieldType) -> FieldType:
    """The scalar, enum or model at the bottom of nested lists and maps."""
    while field_type.item is not None:
        field_type = field_type.item
    return field_type


@cache
def reachable_models(model: str) -> frozenset[str]:
    """`model` and every model its fields lead to, however deep."""
    seen: set[str] = set()
    pending = [model]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for _key, text, _required in MODELS[name]:
            bottom = leaf(parse_type(text))
            if bottom.kind == "model":
                pending.append(bottom.name)
    return frozenset(seen)


@cache
def reachable_enums(model: str) -> frozenset[str]:
    return frozenset(
        bottom.name
        for name in reachable_models(model)
        for _key, text, _required in MODELS[name]
        if (bottom := leaf(parse_type(text))).kind == "enum"
    )


@cache
def distances(model: str) -> dict[str, int]:
    """How many fields deep each reachable model first appears below `model`."""
    found = {model: 0}
    frontier = [model]
    while frontier:
        below: list[str] = []
        for name in frontier:
            for _key, text, _required in MODELS[name]:
                bottom = leaf(parse_type(text))
                if bottom.kind == "model" and bottom.name not in found:
                    found[bottom.name] = found[name] + 1
                    below.append(bottom.name)
        frontier = below
    return found
