"""Assemble the schema."""

from __future__ import annotations

from functools import cache
from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema._error_codes import ErrorCodes
from schema._keys import upstream_key
from schema._mutation import Mutation
from schema._query import Query
from schema._scalars import SCALARS

__all__ = ["build_schema", "print_sdl"]


def _read_field(source: Any, attribute: str) -> object:
    # Object types are backed by the upstream's JSON as it came (no model
    # instances on the hot path); payload types are plain objects.
    if type(source) is dict:
        return source.get(upstream_key(attribute))
    return getattr(source, attribute)


@cache
def build_schema() -> strawberry.Schema:
    """The gateway's schema; built once per process (it is immutable)."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[ErrorCodes],
        config=StrawberryConfig(default_resolver=_read_field, scalar_map=SCALARS),
    )


def print_sdl() -> str:
    return build_schema().as_str() + "\n"
