"""Documents shaped to make validation slow, each at a size its caller picks.

Each shape is a function of one size `n` that returns the document's text; the
shapes are the ones graphql-core's rules, or limiters written naively, spend
more than linear time on: fragments spreading fragments, long chains of
fragments, many fields of one response name (conflicting or mergeable), wide
and deep selections, long literals, many operations or directives.
`bench/validation.py` times them at and beyond the limits; tests/schema's fuzz
suite asserts that each is refused with its code or prepared quickly.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["SHAPES"]

_EVENT = 'workstreamEvent(id: "e")'
# A few scalar fields of WorkstreamEvent, for selections that must be valid.
_FIELDS = ("id", "application { id name }", "created { value }", "updated { value }")


def fan_out(n: int) -> str:
    """`n` fragments on Query, each spreading the next twice: 2^n selections."""
    spreads = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return " ".join(["{ ...F0 }", *spreads, f"fragment F{n} on Query {{ __typename }}"])


def fan_out_deep(n: int) -> str:
    """The same, with each fragment one field deeper (depth and spreads at once)."""
    spreads = [
        f"fragment F{i} on WorkstreamEvent {{ id ...F{i + 1} ...F{i + 1} }}" for i in range(n)
    ]
    return " ".join(
        [f"{{ {_EVENT} {{ ...F0 }} }}", *spreads, f"fragment F{n} on WorkstreamEvent {{ id }}"]
    )


def chain(n: int) -> str:
    """`n` fragments, each selecting a field and spreading the next."""
    links = [f"fragment F{i} on WorkstreamEvent {{ id ...F{i + 1} }}" for i in range(n)]
    return " ".join(
        [f"{{ {_EVENT} {{ ...F0 }} }}", *links, f"fragment F{n} on WorkstreamEvent {{ id }}"]
    )


def conflicting(n: int) -> str:
    """`n` root fields of one response name with different arguments: they conflict."""
    return "{ " + " ".join(f'workstreamEvent(id: "{i}") {{ id }}' for i in range(n)) + " }"


def mergeable(n: int) -> str:
    """`n` identical root fields, each with a selection to compare: they merge."""
    body = " ".join(_FIELDS)
    return "{ " + " ".join(f"{_EVENT} {{ {body} }}" for _ in range(n)) + " }"


def duplicates(n: int) -> str:
    """One field selected `n` times in one selection set."""
    return f"{{ {_EVENT} {{ {' id' * n} }} }}"


def fragment_fan_in(n: int) -> str:
    """`n` fragments on one type, all spread in one selection set."""
    body = " ".join(_FIELDS)
    fragments = [f"fragment F{i} on WorkstreamEvent {{ {body} }}" for i in range(n)]
    spreads = " ".join(f"...F{i}" for i in range(n))
    return " ".join([f"{{ {_EVENT} {{ {spreads} }} }}", *fragments])


def aliases(n: int) -> str:
    """`n` aliased root fields."""
    return "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"


def wide(n: int) -> str:
    """`n` distinct aliased selections under one field, each of them an object."""
    return f"{{ {_EVENT} {{ {' '.join(f'a{i}: application {{ id }}' for i in range(n))} }} }}"


def deep(n: int) -> str:
    """A selection `n` fields deep (through introspection, which nests without end)."""
    return '{ __type(name: "Query") { ' + "ofType { " * n + "name" + " }" * n + " } }"


def long_list(n: int) -> str:
    """A list literal of `n` ids."""
    return "{ workstreamEvents(ids: [" + ", ".join('"e"' for _ in range(n)) + "]) { id } }"


def operations(n: int) -> str:
    """`n` operations in one document."""
    return " ".join(f"query Q{i} {{ __typename }}" for i in range(n))


def directives(n: int) -> str:
    """One field with `n` directives."""
    return "{ __typename" + " @include(if: true)" * n + " }"


def variables(n: int) -> str:
    """An operation declaring `n` variables, each used."""
    declared = ", ".join(f"$v{i}: Boolean = true" for i in range(n))
    used = " ".join(f"a{i}: __typename @include(if: $v{i})" for i in range(n))
    return f"query Q({declared}) {{ {used} }}"


SHAPES: dict[str, Callable[[int], str]] = {
    "fragment fan-out": fan_out,
    "fragment fan-out, nested": fan_out_deep,
    "fragment chain": chain,
    "conflicting fields": conflicting,
    "mergeable fields": mergeable,
    "duplicate fields": duplicates,
    "fragment fan-in": fragment_fan_in,
    "aliases": aliases,
    "wide selection": wide,
    "deep selection": deep,
    "long list literal": long_list,
    "many operations": operations,
    "many directives": directives,
    "many variables": variables,
}
