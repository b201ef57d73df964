"""Build one plan with graphql-core's own field collection, for the executor at hand.

Alongside the completion closures, the compiler collects the *shape* of what
the plan reads from each snapshot: the upstream keys it selects, nested as
the selection nests. A root field decodes its snapshots with a msgspec
decoder of that shape (TypedDicts, every key optional, leaves `Any`), which
builds only the selected keys and skips the rest of the ~30 KB event
unbuilt: a fifth of the time a whole parse takes (bench/PROFILE.md). A
snapshot that does not fit the shape (a string where an object belongs, say)
bails, like any value the closures cannot complete.

Field collection (`collect_fields`, `collect_subfields`) is graphql-core's, so
merging, ordering, fragments and `@include`/`@skip` are the executor's own. A
field is compiled only if it is a plain read of an object type backed by
upstream JSON: served by the schema's default resolver, with no arguments, of
no abstract type. Root fields are compiled only if the resolver serving them
is the one the plan stands in for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, TypedDict

import msgspec
from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    is_enum_type,
    is_leaf_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetailsList, collect_fields, collect_subfields
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from schema._context import Snapshot
from schema._entity import Entity
from schema._keys import read_field, upstream_key
from schema._query import Query
from schema._related import RESOLVERS
from schema._relations import Relation
from schema.compiled._complete import (
    Bail,
    Complete,
    Field,
    constant,
    identity,
    leaf,
    listed,
    non_null,
    nullable,
    projection,
)
from schema.compiled._references import reference

__all__ = ["MANY", "ONE", "Plan", "RootField", "Uncompilable", "compile_plan"]

_BACKREF: Final = GraphQLCoreConverter.DEFINITION_BACKREF
# Root fields whose resolvers (schema._query) the plan stands in for: each
# loads `snapshot_keys(ids, transferables)` through the request's DataLoader.
ONE: Final = "workstreamEvent"
MANY: Final = "workstreamEvents"


class Uncompilable(Exception):
    """The operation is outside what the compiler can prove equivalent."""


class _List:
    """The shape of a list: the shape of its items."""

    def __init__(self, item: Shape) -> None:
        self.item = item


# What a plan reads at one position: a leaf (None), a list, or an object's keys.
Shape = None | _List | dict[str, "Shape"]


def _merge(one: Shape, other: Shape) -> Shape:
    """Two selections of the same upstream key (aliases), read at once."""
    if isinstance(one, dict) and isinstance(other, dict):
        merged = dict(one)
        for key, shape in other.items():
            merged[key] = _merge(merged[key], shape) if key in merged else shape
        return merged
    if isinstance(one, _List) and isinstance(other, _List):
        return _List(_merge(one.item, other.item))
    return one if one == other else None


def _annotation(shape: Shape, *, nullable: bool = True) -> Any:
    if shape is None:
        return Any
    if isinstance(shape, _List):
        return list[_annotation(shape.item)] | None  # type: ignore[misc]
    fields = {key: _annotation(sub) for key, sub in shape.items()}
    selected = TypedDict("Selected", fields, total=False)  # type: ignore[misc]
    return selected | None if nullable else selected


def _decoder(shape: Shape) -> Callable[[Snapshot], Any]:
    # A snapshot is an object with the id asked for, as `Snapshot.json` checks:
    # anything else bails, and `json` refuses it. (`id` is a leaf: its shape is None.)
    assert isinstance(shape, dict)
    checked = {**shape, "id": None}
    decoder = msgspec.json.Decoder(_annotation(checked, nullable=False))

    def decode(snapshot: Snapshot) -> Any:
        if snapshot.content is None:  # an event a write answered with, parsed already
            return snapshot.json
        try:
            decoded = decoder.decode(snapshot.content)
        except msgspec.DecodeError:  # ValidationError included
            raise Bail from None
        if decoded.get("id") != snapshot.id:
            raise Bail
        return decoded

    return decode


def _mirrored() -> dict[str, object]:
    python_names = {"workstream_event": ONE, "workstream_events": MANY}
    return {
        python_names[field.python_name]: field.base_resolver.wrapped_func
        for field in Query.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if field.python_name in python_names and field.base_resolver is not None
    }


_MIRRORED: Final = _mirrored()


@dataclass(frozen=True, slots=True)
class RootField:
    key: str  # the response key
    kind: str  # "__typename", ONE or MANY
    field_def: GraphQLField | None
    details: FieldDetailsList
    complete: Complete  # of the value (ONE) or of one item (MANY)
    nullable: bool  # whether a failed load nulls its position (else: bail)
    decode: Callable[[Snapshot], Any] | None  # a snapshot as `complete` reads it

    @property
    def nodes(self) -> list[FieldNode]:
        return [details.node for details in self.details]


@dataclass(frozen=True, slots=True)
class Plan:
    fields: tuple[RootField, ...]


def compile_plan(executor: Executor[Any]) -> Plan:
    """The plan of the executor's operation, or `Uncompilable`."""
    root = executor.schema.query_type
    assert root is not None
    grouped, defers, _ = collect_fields(
        executor.schema,
        executor.fragments,
        executor.variable_values,
        root,
        executor.operation,
        executor.hide_suggestions,
    )
    if defers:
        raise Uncompilable
    fields: list[RootField] = []
    for key, details in grouped.items():
        name = _name(details)
        if name == "__typename":
            fields.append(RootField(key, name, None, details, identity, True, None))
            continue
        field_def = root.fields.get(name)
        field = field_def.extensions.get(_BACKREF) if field_def else None
        if (
            name not in _MIRRORED
            or not isinstance(field, StrawberryField)
            or field.base_resolver is None
            or field.base_resolver.wrapped_func is not _MIRRORED[name]
        ):
            raise Uncompilable
        assert field_def is not None
        gtype = field_def.type
        if name == MANY:
            if not isinstance(gtype, GraphQLNonNull) or not isinstance(gtype.of_type, GraphQLList):
                raise Uncompilable
            gtype = gtype.of_type.of_type
        item = _complete(executor, gtype, details)
        nullable_item = not isinstance(gtype, GraphQLNonNull)
        fields.append(
            RootField(
                key, name, field_def, details, item.complete, nullable_item, _decoder(item.shape)
            )
        )
    return Plan(tuple(fields))


class _Compiled(NamedTuple):
    complete: Complete  # the value at this position
    shape: Shape  # what of the snapshot it reads
    inline: Field | None  # how a projection may complete it without calling `complete`


def _complete(
    executor: Executor[Any], gtype: GraphQLOutputType, details: FieldDetailsList
) -> _Compiled:
    if isinstance(gtype, GraphQLNonNull):
        inner = gtype.of_type
        if is_leaf_type(inner):
            completed = leaf(inner, nullable=False)
            return _Compiled(completed, None, _leaf_inline(inner, completed))
        if isinstance(inner, GraphQLObjectType):
            # A projection bails on anything but an object, null included.
            project, shape = _object(executor, inner, details)
            return _Compiled(project, shape, Field("", None, project, "non-null object"))
        compiled = _complete(executor, inner, details)
        inline = None
        if isinstance(inner, GraphQLList) and compiled.inline is not None:
            inline = compiled.inline._replace(inline="non-null list")
        return _Compiled(non_null(compiled.complete), compiled.shape, inline)
    if isinstance(gtype, GraphQLList):
        item = _complete(executor, gtype.of_type, details)
        each = item.inline or Field("", None, item.complete)
        inline = Field("", None, listed(item.complete), "list", item=each)
        return _Compiled(listed(item.complete), _List(item.shape), inline)
    if is_leaf_type(gtype):
        completed = leaf(gtype, nullable=True)
        return _Compiled(completed, None, _leaf_inline(gtype, completed))
    if isinstance(gtype, GraphQLObjectType):
        project, shape = _object(executor, gtype, details)
        return _Compiled(nullable(project), shape, Field("", None, project, "object"))
    raise Uncompilable  # an interface or a union


def _object(
    executor: Executor[Any], gtype: GraphQLObjectType, details: FieldDetailsList
) -> tuple[Complete, Shape]:
    is_type_of = gtype.is_type_of
    if is_type_of is not None and (
        getattr(is_type_of, "__func__", None) is not Entity.is_type_of.__func__  # type: ignore[attr-defined]
    ):
        raise Uncompilable  # a type check the plan would have to repeat
    grouped, defers, _ = collect_subfields(
        executor.schema,
        executor.fragments,
        executor.variable_values,
        executor.operation,
        gtype,
        details,
        executor.hide_suggestions,
    )
    if defers:
        raise Uncompilable
    fields: list[Field] = []
    shape: dict[str, Shape] = {}
    for key, sub in grouped.items():
        name = _name(sub)
        if name == "__typename":
            fields.append(Field(key, None, constant(gtype.name)))
            continue
        field_def = gtype.fields[name]
        field = field_def.extensions.get(_BACKREF)
        relation = _reference_relation(field)
        if relation is not None and not field_def.args:
            compiled = _complete(executor, field_def.type, sub)
            for source, inner in (("reference", compiled.shape), ("id", None)):
                shape[source] = _merge(shape[source], inner) if source in shape else inner
            completed = reference(relation, compiled.complete)
            fields.append(Field(key, "reference", completed, "reference"))
            continue
        if (
            not isinstance(field, StrawberryField)
            or not field.is_basic_field
            or field.default_resolver is not read_field
            or field_def.args
        ):
            raise Uncompilable
        source = upstream_key(field.python_name)
        compiled = _complete(executor, field_def.type, sub)
        inner = compiled.shape
        shape[source] = _merge(shape[source], inner) if source in shape else inner
        inline = compiled.inline or Field("", None, compiled.complete)
        fields.append(inline._replace(key=key, source=source))
    return projection(tuple(fields)), shape


_INLINE_KINDS: Final = {
    "String": "str",
    "ID": "str",
    "Boolean": "bool",
    "Int": "int",
    "Float": "float",
    # The gateway's own scalars (schema._scalars) serialize these unchanged.
    "DateTime": "str",
    "Int64": "int64",
    "JSONObject": "dict",
}


def _leaf_inline(gtype: GraphQLOutputType, completed: Complete) -> Field | None:
    """A leaf checked inline by the projection (`completed` for any other value)."""
    if is_enum_type(gtype):
        names = {value.value: name for name, value in gtype.values.items()}
        return Field("", None, completed, "enum", names)
    kind = _INLINE_KINDS.get(gtype.name) if isinstance(gtype, GraphQLScalarType) else None
    return None if kind is None else Field("", None, completed, kind)


def _reference_relation(field: object) -> Relation | None:
    """The relation whose `reference` resolver serves `field`, if one does."""
    if not isinstance(field, StrawberryField) or field.base_resolver is None:
        return None
    return RESOLVERS.get(field.base_resolver.wrapped_func)  # type: ignore[arg-type]


def _name(details: FieldDetailsList) -> str:
    if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
        raise Uncompilable
    return details[0].node.name.value
