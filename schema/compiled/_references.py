"""References a plan completes after its snapshots: a slot each, filled once its record loads.

A projection completes synchronously, from the snapshot; a `reference` Pieces
OS left out needs its record first (schema._related). Its completion leaves
an empty dict in the response where the record goes and notes it, with the
record's relation, id and projection, in the answer's pending list; `fill`
then loads every noted record at once through the operation's loaders (one
DataLoader batch per relation, as the regular executor's), projects each into
its slot, and goes on with the references those records hold. Any failure (a
record Pieces OS lacks, a refusal, a value the projection cannot complete, an
id no record can have) bails: the regular executor answers, with each error on
its path, from the loaders' caches, so nothing is fetched twice.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any, NamedTuple

from schema._context import Context, check_id
from schema._relations import Relation
from schema.compiled._complete import Bail, Complete
from schema.errors import BadUserInput

__all__ = ["PENDING", "fill", "reference"]


class _Slot(NamedTuple):
    relation: Relation
    record_id: str
    project: Complete
    target: dict[str, Any]


# The answer being completed's slots: plans are shared by every request, so
# the list is the answering task's own.
PENDING: ContextVar[list[_Slot]] = ContextVar("pending references")


def reference(relation: Relation, project: Complete) -> Complete:
    """How `reference` completes, given its `Referenced<X>` object (`{id, reference}`)."""

    def complete(referenced: dict[str, Any]) -> Any:
        embedded = referenced.get("reference")
        if embedded is not None:
            return project(embedded)
        record_id = referenced.get("id")
        if type(record_id) is not str:
            raise Bail
        try:
            check_id(record_id)
        except BadUserInput:
            raise Bail from None
        slot: dict[str, Any] = {}
        PENDING.get().append(_Slot(relation, record_id, project, slot))
        return slot

    return complete


async def fill(context: Context, pending: list[_Slot]) -> None:
    """Load the pending slots' records and project each into its slot, until none is left."""
    while pending:
        slots = pending[:]
        pending.clear()
        # Every load made before the first await: one batch per relation. All
        # are awaited, failed or not, so that none is left unretrieved.
        loads = [context.records.load(slot.relation, slot.record_id) for slot in slots]
        records = await asyncio.gather(*loads, return_exceptions=True)
        for slot, record in zip(slots, records, strict=True):
            if isinstance(record, BaseException):
                raise Bail
            slot.target.update(slot.project(record))
