"""How a federation router reaches a `WorkstreamEvent` by its key.

The generated `WorkstreamEvent` type (`@key(fields: "id")`) inherits from
`WorkstreamEventEntity`, so that its hand-written behaviour stays out of the
generated module. A router sends every representation of a plan step in one
`_entities` call, repeats included; the schema's `entities_resolver`
(`schema._build`) loads each through the operation's snapshot DataLoader, as
`workstreamEvents(ids:)` does, so N representations of K distinct ids cost one
batch call upstream (or K single GETs). A representation that names no entity,
or not by its key alone, is null with BAD_USER_INPUT; the others still resolve.
"""

from __future__ import annotations

from graphql import GraphQLResolveInfo

from schema._context import Context
from schema.errors import BadUserInput

__all__ = ["WorkstreamEventEntity", "representation_error"]

_KEY = frozenset({"__typename", "id"})


def representation_error(representation: object) -> BadUserInput | None:
    """Why `_entities` cannot resolve `representation`, or None when it can.

    Strawberry's own resolver fails the whole `_entities` field (a KeyError or
    TypeError) on a representation of an unknown type or with other keys.
    """
    if (
        not isinstance(representation, dict)
        or representation.get("__typename") != "WorkstreamEvent"
    ):
        return BadUserInput("WorkstreamEvent is the only entity type.")
    if set(representation) != _KEY or not isinstance(representation["id"], str):
        return BadUserInput('A WorkstreamEvent representation is {__typename, id: "…"}.')
    return None


class WorkstreamEventEntity:
    @classmethod
    def is_type_of(cls, obj: object, info: GraphQLResolveInfo[Context]) -> bool:
        # The event is the upstream's JSON dict, which `_Entity` cannot tell by
        # its class; it is the union's only member. Anything handed to this
        # type is taken as one: `_read_field` rejects a value of the wrong
        # shape with UPSTREAM_BAD_RESPONSE, without echoing it to the client.
        return True
