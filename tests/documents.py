"""Documents several test modules send."""

from __future__ import annotations


def refused_variables_flood(operation: str, field: str, leaf: str = "id", count: int = 60) -> str:
    """An `operation` declaring `count` required Boolean variables, each read by an
    `@include` on `leaf` inside `field`: sent without them, every one is refused, more
    than graphql-core's fifty."""
    names = [f"c{i}" for i in range(count)]
    declared = ", ".join(f"${name}: Boolean!" for name in names)
    fields = " ".join(f"{leaf} @include(if: ${name})" for name in names)
    return f"{operation}({declared}) {{ {field} {{ {fields} }} }}"
