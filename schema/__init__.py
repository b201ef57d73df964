"""The GraphQL schema of the Pieces OS gateway: types, queries and mutations."""

from __future__ import annotations

from schema._build import build_schema, print_sdl
from schema._context import (
    Context,
    Json,
    Records,
    Snapshot,
    SnapshotKey,
    WorkstreamEventApi,
    check_id,
    snapshot_keys,
)
from schema._documents import Documents, Prepared
from schema._execution import run, subscribe
from schema._limits import SchemaOptions
from schema._related import as_flattened
from schema._relations import RELATIONS, Relation

__all__ = [
    "RELATIONS",
    "Context",
    "Documents",
    "Json",
    "Prepared",
    "Records",
    "Relation",
    "SchemaOptions",
    "Snapshot",
    "SnapshotKey",
    "WorkstreamEventApi",
    "as_flattened",
    "build_schema",
    "check_id",
    "print_sdl",
    "run",
    "snapshot_keys",
    "subscribe",
]
