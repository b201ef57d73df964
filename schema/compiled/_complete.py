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

from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLString,
    Undefined,
    is_enum_type,
)
from graphql.execution import Executor

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


# How a leaf of each built-in type is checked inline in a generated projection:
# a value of its usual JSON type passes (or is range-checked), any other goes to
# its completion closure, which handles it as graphql-core does or bails.
_INLINE: Final = {
    "str": "v if type(v) is str else c(v)",
    "bool": "v if type(v) is bool else c(v)",
    "int": f"v if type(v) is int and {_INT_MIN} <= v <= {_INT_MAX} else c(v)",
    "float": "v if type(v) is float and -inf < v < inf else c(v)",
    "dict": "v if type(v) is dict else c(v)",
    # `t` maps the upstream's enum values to their GraphQL names (all non-empty).
    "enum": "(t.get(v) if type(v) is str else None) or c(v)",
    # A nullable object: `c` is its projection.
    "object": "None if v is None else c(v)",
    # A nullable list: `c` completes an item, or projects an object item.
    "list": "None if v is None else [c(x) for x in v] if type(v) is list else bail()",
    "list of nullable objects": (
        "None if v is None else [None if x is None else c(x) for x in v] "
        "if type(v) is list else bail()"
    ),
}


def _bail() -> Any:
    raise Bail


class Field(NamedTuple):
    key: str  # in the response
    source: str | None  # the upstream key (None: `__typename`)
    complete: Complete
    inline: str | None  # a key of _INLINE: how the value is completed inline
    table: dict[str, str] | None = None  # an enum's GraphQL names, by upstream value


def projection(fields: tuple[Field, ...]) -> Complete:
    """An object type: one function, generated for its selection.

    A closure per field, called from a comprehension, costs a call and a frame
    per value; a full selection of a 30 KB event completes ~400 objects and
    ~3,000 leaves. Like graphql-jit's compiled queries, the projection of each
    object selection is generated as Python source (names and keys inserted
    with `repr`, nothing else from outside), with the built-in leaves checked
    inline.
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
        namespace[f"c{index}"] = field.complete
        namespace[f"t{index}"] = field.table
        if field.source is None:
            lines.append(f"    r{index} = c{index}(None)")
            continue
        lines.append(f"    v = get({field.source!r})")
        expression = _INLINE.get(field.inline or "", "c(v)")
        expression = expression.replace("c(", f"c{index}(").replace("t.", f"t{index}.")
        lines.append(f"    r{index} = {expression}")
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
    """A leaf: the usual JSON type checked inline, any other value by graphql-core."""

    def slow(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise Bail
        try:
            return Executor.complete_leaf_value(gtype, value)
        except Exception:
            raise Bail from None

    if is_enum_type(gtype):
        names = {value.value: name for name, value in gtype.values.items()}

        def enum(value: Any) -> Any:
            name = names.get(value) if type(value) is str else None
            return slow(value) if name is None else name

        return enum
    if gtype is GraphQLString or gtype is GraphQLID:

        def string(value: Any) -> Any:
            return value if type(value) is str else slow(value)

        return string
    if gtype is GraphQLBoolean:

        def boolean(value: Any) -> Any:
            return value if type(value) is bool else slow(value)

        return boolean
    if gtype is GraphQLInt:

        def integer(value: Any) -> Any:
            return value if type(value) is int and _INT_MIN <= value <= _INT_MAX else slow(value)

        return integer
    if gtype is GraphQLFloat:

        def number(value: Any) -> Any:
            return value if type(value) is float and -_INF < value < _INF else slow(value)

        return number
    serialize = gtype.serialize

    def scalar(value: Any) -> Any:
        # A custom scalar (DateTime): what `complete_leaf_value` does, minus its call.
        if value is None:
            return slow(value)
        try:
            serialized = serialize(value)
        except Exception:
            raise Bail from None
        if serialized is None or serialized is Undefined:
            raise Bail
        return serialized

    return scalar
