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
from typing import Any, Final

from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLString,
    is_enum_type,
)
from graphql.execution import Executor

__all__ = [
    "Bail",
    "Complete",
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


def projection(fields: tuple[tuple[str, str | None, Complete], ...]) -> Complete:
    """An object type: (response key, upstream key, completion) per selected field."""

    def project(value: Any) -> dict[str, Any]:
        # As `_read_field` reads it: an object type is the upstream's JSON object.
        if type(value) is not dict:
            raise Bail
        get = value.get
        return {key: complete(get(source)) for key, source, complete in fields}

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
    return slow
