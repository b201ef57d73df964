"""How a Python attribute name of a generated type maps to its upstream JSON key,
and how a field is read from that JSON (`read_field`, the schema's default resolver).

The generated types name each attribute after its upstream JSON key, verbatim.
The one exception is a key that is a Python keyword (`from`): its attribute
carries a trailing underscore, PEP 8 style. The generator refuses any upstream
key that itself ends in an underscore, so the mapping is unambiguous.
"""

from __future__ import annotations

import keyword
from dataclasses import is_dataclass
from typing import Any

from schema.errors import UpstreamBadResponse

__all__ = ["attribute_name", "read_field", "upstream_key"]


def attribute_name(key: str) -> str:
    """The Python attribute that holds the upstream JSON `key`."""
    return f"{key}_" if keyword.iskeyword(key) else key


def upstream_key(attribute: str) -> str:
    """The upstream JSON key held by the Python `attribute`."""
    return attribute[:-1] if attribute.endswith("_") else attribute


def read_field(source: Any, attribute: str) -> object:
    """The schema's default resolver: object types are backed by the upstream's JSON
    as it came (no model instances on the hot path); payload types are dataclasses."""
    if type(source) is dict:
        return source.get(upstream_key(attribute))
    if is_dataclass(source):
        return getattr(source, attribute)
    kind = "a list" if isinstance(source, list) else f"a {type(source).__name__}"
    raise UpstreamBadResponse(f"Pieces OS sent {kind} where an object belongs.")
