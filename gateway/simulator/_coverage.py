"""Contract-driven filler that puts every field and enum value into a few events.

It keeps the (model, field) pairs and enum values nothing has used yet, and
descends into an optional field only while something below it is still unused.
Each call to `fill` spends at most `budget` of them, so the coverage spreads
over a handful of events instead of one enormous one. Required fields are
always filled, so every object stays valid however deep the recursion stops.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from schema.contract import ENUMS, MODELS

from ._contract import FieldType, distances, leaf, parse_type, reachable_enums, reachable_models
from ._instants import format_instant

# How many items one list or map may grow to while it still finds unused values.
_MAX_ITEMS = 64
# String fields the SDK or Pieces OS treat as UUIDs.
_UUID_KEYS = frozenset({"id", "asset", "os", "user", "entity", "subscription", "parent", "child"})


class CoverageFiller:
    def __init__(self, root: str, rng: random.Random, base: datetime) -> None:
        self._root = root
        self._rng = rng
        self._base = base
        self._unused_fields: dict[str, set[str]] = {
            model: {key for key, _text, _required in MODELS[model]}
            for model in reachable_models(root)
        }
        # Reversed so `pop()` hands values out in the contract's order.
        self._unused_values: dict[str, list[str]] = {
            enum: list(reversed(ENUMS[enum])) for enum in reachable_enums(root)
        }
        # Deep enough to reach every model of the closure by its shortest path;
        # past it only required fields are filled, which keeps recursion finite.
        self._max_depth = max(distances(root).values())
        self._budget = 0
        self.spent = 0

    def done(self) -> bool:
        return not any(self._unused_fields.values()) and not any(self._unused_values.values())

    def fill(self, budget: int) -> dict[str, Any]:
        """One `root` object that uses up to `budget` still unused fields and values."""
        self._budget = budget
        return self._model(self._root, 0)

    def _spend(self) -> None:
        self._budget -= 1
        self.spent += 1

    def _needs(self, field_type: FieldType, depth: int) -> bool:
        """Whether filling this type could still use up something unused."""
        if self._budget <= 0 or depth > self._max_depth:
            return False
        while field_type.item is not None:
            field_type = field_type.item
        if field_type.kind == "enum":
            return bool(self._unused_values[field_type.name])
        if field_type.kind != "model":
            return False
        # Only what can still be reached within the depth limit counts, so the
        # filler takes short paths instead of wandering round recursive models.
        reach = self._max_depth - depth
        return any(
            distance <= reach and self._has_unused(model)
            for model, distance in distances(field_type.name).items()
        )

    def _has_unused(self, model: str) -> bool:
        if self._unused_fields[model]:
            return True
        return any(
            self._unused_values[bottom.name]
            for _key, text, _required in MODELS[model]
            if (bottom := leaf(parse_type(text))).kind == "enum"
        )

    def _model(self, model: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        unused = self._unused_fields[model]
        for key, text, required in MODELS[model]:
            field_type = parse_type(text)
            fresh = key in unused and self._budget > 0 and depth <= self._max_depth
            if not (required or fresh or self._needs(field_type, depth + 1)):
                continue
            if fresh:
                unused.discard(key)
                self._spend()
            out[key] = self._value(field_type, key, depth + 1)
        return out

    def _value(self, field_type: FieldType, key: str, depth: int) -> Any:
        if field_type.kind == "model":
            return self._model(field_type.name, depth)
        if field_type.kind == "enum":
            return self._enum(field_type.name)
        if field_type.kind == "scalar":
            return self._scalar(field_type.name, key)
        assert field_type.item is not None
        items = [self._value(field_type.item, key, depth)]
        while len(items) < _MAX_ITEMS and self._needs(field_type.item, depth):
            before = self.spent
            items.append(self._value(field_type.item, key, depth))
            if self.spent == before:
                break
        if field_type.kind == "list":
            return items
        return {f"{key}-{index}": item for index, item in enumerate(items)}

    def _enum(self, enum: str) -> str:
        unused = self._unused_values[enum]
        if unused and self._budget > 0:
            self._spend()
            return unused.pop()
        return self._rng.choice(ENUMS[enum])

    def _scalar(self, name: str, key: str) -> Any:
        rng = self._rng
        if name == "bool":
            return rng.random() < 0.5
        if name == "int":
            return rng.randint(0, 500)
        if name == "float":
            return round(rng.random(), 4)
        if name == "datetime":
            return format_instant(self._base - timedelta(seconds=rng.randint(0, 60 * 86400)))
        if key in _UUID_KEYS:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if "url" in key.lower():
            return f"https://example.com/{key}/{rng.randint(1, 999)}"
        return f"{key} sample {rng.randint(1, 999)}"
