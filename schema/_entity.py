"""How a federation router reaches this subgraph's entities by their key.

The entities are `WorkstreamEvent` and each related record with a GET by id
(`FlattenedTag`, `FlattenedWebsite`, `FlattenedWorkstreamSummary`, ... : the
`flattened` types of `schema._relations`), all `@key(fields: "id")`. Their
generated types inherit from `Entity`, so that the hand-written behaviour
stays out of the generated module. A router sends every representation of a
plan step in one `_entities` call, repeats included; the schema's
`entities_resolver` (`schema._build`) loads each through the operation's
loaders, as `workstreamEvents(ids:)` and `Referenced<X>.reference` do, so N
representations of K distinct ids cost one batch call upstream (or K single
GETs). A representation that names no entity, or not by its key alone, is
null with BAD_USER_INPUT; the others still resolve.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from graphql import GraphQLResolveInfo

from schema._context import Context, Json
from schema._relations import RELATIONS, Relation
from schema.errors import BadUserInput

__all__ = ["ENTITY_TYPES", "Entity", "as_entity", "representation_error"]

_KEY = frozenset({"__typename", "id"})
# Entity type name -> the relation it is the record of (None: the event itself).
ENTITY_TYPES: dict[str, Relation | None] = {
    "WorkstreamEvent": None,
    **{relation.flattened: relation for relation in RELATIONS},
}


class _TypeName:
    """The key under which `as_entity` says which type a record is: no JSON
    key can equal it, so nothing Pieces OS sends can pass for it."""

    __slots__ = ()


_TYPE_NAME = _TypeName()


def representation_error(representation: object) -> BadUserInput | None:
    """Why `_entities` cannot resolve `representation`, or None when it can.

    Strawberry's own resolver fails the whole `_entities` field (a KeyError or
    TypeError) on a representation of an unknown type or with other keys.
    """
    if not isinstance(representation, dict) or representation.get("__typename") not in (
        ENTITY_TYPES
    ):
        return BadUserInput(f"The entity types are {', '.join(ENTITY_TYPES)}.")
    if set(representation) != _KEY or not isinstance(representation["id"], str):
        return BadUserInput('A representation is {__typename, id: "…"}.')
    return None


async def as_entity(type_name: str, record: Awaitable[Json]) -> dict[Any, Any]:
    """`record`, marked as an entity of `type_name` for the `_Entity` union.

    The records are the upstream's JSON dicts, which the union cannot tell
    apart by class; the mark is on a copy, as the loaders share the record.
    """
    return {**await record, _TYPE_NAME: type_name}


class Entity:
    @classmethod
    def is_type_of(cls, obj: object, info: GraphQLResolveInfo[Context]) -> bool:
        # In the `_Entity` union, a record `as_entity` marked is of its type
        # alone. Anywhere else a value of this type's position is taken as
        # one: `read_field` rejects a value of the wrong shape with
        # UPSTREAM_BAD_RESPONSE, without echoing it to the client.
        return type(obj) is not dict or obj.get(_TYPE_NAME, cls.__name__) == cls.__name__
