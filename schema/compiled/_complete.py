"""Completion closures: how a compiled plan turns upstream JSON into response values.

Each closure completes one position of the selection as graphql-core would,
for the values it can prove it completes identically: a value of the expected
JSON type goes through (enum values renamed, `Int` and `Float` range-checked
as graphql-core checks them); a scalar of another type goes through
graphql-core's own `complete_leaf_value`. Anything else (a value the schema
cannot represent, a null in a non-null position, a non-object where an object
belongs, a non-list where a list belongs) raises `Bail`, and the regular
executor answers the operation instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from graphql import GraphQLLeafType
from graphql.execution import Executor

from schema._scalars import INT64_MAX, INT64_MIN

__all__ = [
    "Bail",
    "Complete",
    "Field",
    "constant",
    "identity",
    "leaf",
    "listed",
    "non_null",
    "nullable",
    "projection",
]

Complete = Callable[[Any], Any]

_INF: Final = math.inf
_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1


class Bail(Exception):
    """The regular executor must answer this operation."""


# How a value is completed inline in a generated projection, by kind: `{v}`
# is the value, `{c}` its completion closure (for any value the expression does
# not handle itself: graphql-core's way, or a bail), `{t}` an enum's table.
_INLINE: Final = {
    # A leaf of its usual JSON type passes (or is range-checked).
    "str": "{v} if type({v}) is str else {c}({v})",
    "bool": "{v} if type({v}) is bool else {c}({v})",
    "int": f"{{v}} if type({{v}}) is int and {_INT_MIN} <= {{v}} <= {_INT_MAX} else {{c}}({{v}})",
    "int64": (
        f"{{v}} if type({{v}}) is int and {INT64_MIN} <= {{v}} <= {INT64_MAX} else {{c}}({{v}})"
    ),
    "float": "{v} if type({v}) is float and -inf < {v} < inf else {c}({v})",
    "dict": "{v} if type({v}) is dict else {c}({v})",
    # `{t}` maps the upstream's enum values to their GraphQL names (all non-empty).
    "enum": "({t}.get({v}) if type({v}) is str else None) or {c}({v})",
    # `{c}` is the object's projection, which bails on anything but an object.
    "object": "None if {v} is None else {c}({v})",
    "non-null object": "{c}({v})",
    # `{item}` completes one item, `{x}`.
    "list": "None if {v} is None else [{item} for {x} in {v}] if type({v}) is list else bail()",
    "non-null list": "[{item} for {x} in {v}] if type({v}) is list else bail()",
    # `reference` (schema.compiled._references): its closure reads the object
    # holding it, `value`, for the embedded copy or the id.
    "reference": "{c}(value)",
    # Anything else: its closure.
    "call": "{c}({v})",
}


def _bail() -> Any:
    raise Bail


class Field(NamedTuple):
    """How a projection completes one selected field (or, `key` unused, one list item)."""

    key: str  # in the response
    source: str | None  # the upstream key (None: `__typename`)
    complete: Complete
    inline: str = "call"  # a key of _INLINE
    table: dict[str, str] | None = None  # an enum's GraphQL names, by upstream value
    item: Field | None = None  # a list's items


def _expression(field: Field, value: str, namespace: dict[str, Any], depth: int = 0) -> str:
    """The Python expression that completes `field`'s value, held in the variable `value`."""
    name = f"_{len(namespace)}"
    namespace[f"c{name}"] = field.complete
    namespace[f"t{name}"] = field.table
    item = ""
    if field.item is not None:
        item = _expression(field.item, f"x{depth}", namespace, depth + 1)
    return _INLINE[field.inline].format(
        v=value, c=f"c{name}", t=f"t{name}", x=f"x{depth}", item=item
    )


def projection(fields: tuple[Field, ...]) -> Complete:
    """An object type: one function, generated for its selection.

    A closure per field, called from a comprehension, costs a call and a frame
    per value; a full selection of a 30 KB event completes ~400 objects and
    ~3,000 leaves. Like graphql-jit's compiled queries, the projection of each
    object selection is generated as Python source (response keys and upstream
    keys inserted with `repr`, nothing else from outside), with leaves,
    objects and lists completed inline, and closures only for the values the
    expressions leave to them.
    """
    namespace: dict[str, Any] = {"Bail": Bail, "bail": _bail, "inf": _INF}
    lines = [
        "def project(value):",
        # As `read_field` reads it: an object type is the upstream's JSON object.
        "    if type(value) is not dict:",
        "        raise Bail",
        "    get = value.get",
    ]
    for index, field in enumerate(fields):
        if field.source is None:  # __typename: a constant
            namespace[f"k{index}"] = field.complete(None)
            lines.append(f"    r{index} = k{index}")
            continue
        lines.append(f"    v = get({field.source!r})")
        lines.append(f"    r{index} = {_expression(field, 'v', namespace)}")
    items = ", ".join(f"{field.key!r}: r{index}" for index, field in enumerate(fields))
    lines.append(f"    return {{{items}}}")
    exec("\n".join(lines), namespace)
    project: Complete = namespace["project"]
    return project


def nullable(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        return None if value is None else inner(value)

    return complete


def non_null(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            raise Bail
        result = inner(value)
        if result is None:
            raise Bail
        return result

    return complete


def listed(item: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not list:
            raise Bail
        return [item(each) for each in value]

    return complete


def identity(value: Any) -> Any:
    return value


def constant(result: str) -> Complete:
    def complete(_value: Any) -> str:
        return result

    return complete


def leaf(gtype: GraphQLLeafType, *, nullable: bool) -> Complete:
    """A leaf value its inline expression (`_INLINE`) did not pass, completed by graphql-core.

    `complete_leaf_value` completes it (a numeric string for an `Int`, say), or it bails.
    Only such values reach it: a projection completes every leaf of its usual JSON type
    inline, so this closure has no fast path of its own.
    """

    def complete(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise Bail
        try:
            return Executor.complete_leaf_value(gtype, value)
        except Exception:
            raise Bail from None

    return complete
