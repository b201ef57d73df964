"""How a Python attribute name of a generated type maps to its upstream JSON key.

The generated types name each attribute after its upstream JSON key, verbatim.
The one exception is a key that is a Python keyword (`from`): its attribute
carries a trailing underscore, PEP 8 style. The generator refuses any upstream
key that itself ends in an underscore, so the mapping is unambiguous.
"""

from __future__ import annotations

import keyword

__all__ = ["attribute_name", "upstream_key"]


def attribute_name(key: str) -> str:
    """The Python attribute that holds the upstream JSON `key`."""
    return f"{key}_" if keyword.iskeyword(key) else key


def upstream_key(attribute: str) -> str:
    """The upstream JSON key held by the Python `attribute`."""
    return attribute[:-1] if attribute.endswith("_") else attribute
