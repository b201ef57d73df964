"""`Referenced<X>.reference`: the record a reference points at, resolved on demand.

An event's related records come as `Flattened<X>s { iterable: [Referenced<X>
{ id, reference }] }`, and Pieces OS often leaves `reference` out. For the
relations of `schema._relations`, `reference` is the embedded copy when the
upstream sent one (no call), and otherwise, only when a client selects it,
the record fetched by id through the operation's loaders (`Context.records`,
gateway._related): each distinct id once per operation, however many events
point at it. A record Pieces OS no longer has is null with NOT_FOUND on that
path; the rest of the answer stands.

A record's own endpoint answers with the SDK's full model (`Tag`); the schema
has only the flattened one (`FlattenedTag`). In SDK 5.0.1 the two have the
same keys, but for the pattern engine source: its full model has `readable`
(the source's display name) and `score`, its flattened one `name` in their
place. `as_flattened` maps a record field by field, from the contract.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.types import Info

from schema._context import Context, Json, check_id
from schema._keys import read_field
from schema._relations import RELATIONS, Relation
from schema.contract import MODELS
from schema.errors import BadUserInput, UpstreamBadResponse

__all__ = ["FLATTENED_FROM", "RESOLVERS", "as_flattened", "reference_of"]

_BY_KEY = {relation.key: relation for relation in RELATIONS}

# A flattened key the full model lacks -> the full model's key that holds its value.
FLATTENED_FROM: dict[str, dict[str, str]] = {
    "FlattenedIdentifiedWorkstreamPatternEngineSource": {"name": "readable"},
}


def _keys(model: str) -> tuple[str, ...]:
    return tuple(key for key, _, _ in MODELS[model])


def _projection(relation: Relation) -> tuple[tuple[str, str], ...] | None:
    """(flattened key, full key) pairs, or None where the two models are the same."""
    flattened, full = _keys(relation.flattened), _keys(relation.model)
    if flattened == full:
        return None
    renamed = FLATTENED_FROM.get(relation.flattened, {})
    return tuple((key, key if key in full else renamed[key]) for key in flattened)


_PROJECTIONS = {relation.key: _projection(relation) for relation in RELATIONS}


def as_flattened(relation: Relation, record: Json) -> Json:
    """`record` as its own endpoint sent it (the full model), in its flattened form."""
    projection = _PROJECTIONS[relation.key]
    if projection is None:
        return record
    return {key: record[full] for key, full in projection if full in record}


def reference_of(key: str) -> Callable[..., Any]:
    """The resolver of `reference` for the relation whose events' key is `key`."""
    relation = _BY_KEY[key]

    def reference(root: Json, info: Info[Context, None]) -> Json | Awaitable[Json] | None:
        embedded = read_field(root, "reference")
        if embedded is not None:
            return embedded  # type: ignore[return-value]  # checked as it completes
        record_id = read_field(root, "id")
        if not isinstance(record_id, str):
            raise UpstreamBadResponse(
                f"Pieces OS sent a reference to a {relation.noun} without its id."
            )
        try:
            check_id(record_id)
        except BadUserInput as exc:  # the upstream's id, not the client's
            raise UpstreamBadResponse(
                f"Pieces OS sent a reference to a {relation.noun} by an id that names none."
            ) from exc
        return info.context.records.load(relation, record_id)

    RESOLVERS[reference] = relation
    return reference


# Each `reference` resolver -> its relation: the compiled path stands in for them.
RESOLVERS: dict[Callable[..., Any], Relation] = {}
