"""The GraphQL schema of the Pieces OS gateway: types, queries and mutations."""

from __future__ import annotations

from schema._build import build_schema, print_sdl
from schema._context import Context, Json, SnapshotKey, WorkstreamEventApi
from schema._limits import SchemaOptions
from schema._relations import RELATIONS, Relation

__all__ = [
    "RELATIONS",
    "Context",
    "Json",
    "Relation",
    "SchemaOptions",
    "SnapshotKey",
    "WorkstreamEventApi",
    "build_schema",
    "print_sdl",
]
