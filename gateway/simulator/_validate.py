"""Check a JSON value against a contract model, the way the SDK's strict models would.

Strict scalars: a bool is not an int, an int is not a str; a float field takes
an int too (the SDK types those `Union[StrictFloat, StrictInt]`). Unknown keys
are ignored, as the SDK's `from_dict` keeps them aside rather than failing.
"""

from __future__ import annotations

from typing import Any

from schema.contract import ENUMS, MODELS

from ._contract import FieldType, parse_type
from ._instants import parse_instant


def problems(model: str, value: Any) -> list[str]:
    """Every way `value` breaks `model`, as short readable lines; empty if none."""
    found: list[str] = []
    _check_model(model, value, model, found)
    return found


def _check_model(model: str, value: Any, path: str, found: list[str]) -> None:
    if not isinstance(value, dict):
        found.append(f"{path}: expected a {model} object, got {_kind(value)}")
        return
    for key, text, required in MODELS[model]:
        field_type = parse_type(text)
        where = f"{path}.{key}"
        if key not in value:
            if required:
                found.append(f"{where}: required")
            continue
        item = value[key]
        if item is None:
            if required and not field_type.nullable:
                found.append(f"{where}: must not be null")
            continue
        _check(field_type, item, where, found)


def _check(field_type: FieldType, value: Any, path: str, found: list[str]) -> None:
    if value is None:
        found.append(f"{path}: must not be null")
    elif field_type.kind == "model":
        _check_model(field_type.name, value, path, found)
    elif field_type.kind == "enum":
        if not isinstance(value, str) or value not in ENUMS[field_type.name]:
            found.append(f"{path}: not a {field_type.name} value: {value!r:.60}")
    elif field_type.kind == "list":
        assert field_type.item is not None
        if not isinstance(value, list):
            found.append(f"{path}: expected a list, got {_kind(value)}")
            return
        for index, item in enumerate(value):
            _check(field_type.item, item, f"{path}[{index}]", found)
    elif field_type.kind == "map":
        assert field_type.item is not None
        if not isinstance(value, dict):
            found.append(f"{path}: expected an object, got {_kind(value)}")
            return
        for key, item in value.items():
            _check(field_type.item, item, f"{path}[{key!r}]", found)
    elif not _scalar_ok(field_type.name, value):
        found.append(f"{path}: expected {field_type.name}, got {_kind(value)}")


def _scalar_ok(name: str, value: Any) -> bool:
    if name == "bool":
        return isinstance(value, bool)
    if name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if not isinstance(value, str):
        return False
    if name == "datetime":
        try:
            parse_instant(value)
        except ValueError:
            return False
    return True


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
