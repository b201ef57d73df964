"""Assemble the schema: an Apollo Federation 2 subgraph.

`print_sdl()` is the subgraph SDL that `_service { sdl }` returns, with its
`@link` to the federation spec; schema/schema.graphql is that text.
"""

from __future__ import annotations

from collections.abc import Awaitable
from functools import cache
from typing import Any, Final

import strawberry
from strawberry.federation import Schema as FederationSchema
from strawberry.federation.schema import FederationAny
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from schema._context import Context, SnapshotKey, snapshot_keys
from schema._entity import ENTITY_TYPES, as_entity, representation_error
from schema._keys import read_field
from schema._mutation import Mutation
from schema._query import Query
from schema._scalars import SCALARS
from schema._subscription import Subscription

__all__ = ["FEDERATION_VERSION", "build_schema", "print_sdl"]

# The lowest spec that defines every federation directive the schema uses
# (@key and @shareable: 2.0), pinned so the SDL does not change with
# Strawberry's default. Every Federation 2 router and composer accepts it, The
# Guild's composer (GraphQL Hive) included, which refuses versions newer than
# it knows (see README).
FEDERATION_VERSION: Final = "2.0"


class _Schema(FederationSchema):
    # Strawberry builds the `_entities` field from this signature: keep its types.
    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        # A bad representation is refused at its index instead of failing them all;
        # the others load as `workstreamEvents(ids:)` and `reference` load theirs.
        errors = [representation_error(each) for each in representations]
        good = [r for r, error in zip(representations, errors, strict=True) if not error]
        context: Context = info.context
        keys = snapshot_keys(
            [r["id"] for r in good],  # type: ignore[index]
            None,
            max_ids=context.max_ids,
            argument="representations",
        )
        loads = iter(zip(good, keys, strict=True))
        return [
            FederationAny(error) if error else _load(context, *next(loads))  # type: ignore[misc]
            for error in errors
        ]


def _load(context: Context, representation: Any, key: SnapshotKey) -> Awaitable[object]:
    type_name = representation["__typename"]
    relation = ENTITY_TYPES[type_name]
    if relation is None:
        return as_entity(type_name, context.event(key))
    return as_entity(type_name, context.records.load(relation, key.id))


@cache
def build_schema() -> strawberry.Schema:
    """The gateway's schema (built once).

    Its types and resolvers only: the limits, validation and execution of an
    operation are `schema._documents` and `schema._execution`.
    """
    return _Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(default_resolver=read_field, scalar_map=SCALARS),
        federation_version=FEDERATION_VERSION,
    )


def print_sdl() -> str:
    """The subgraph SDL, as `_service { sdl }` returns it (plus a final newline)."""
    return print_schema(build_schema()) + "\n"
