"""Assemble the schema."""

from __future__ import annotations

from dataclasses import is_dataclass
from functools import cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema._error_codes import ErrorCodes, log_error
from schema._keys import upstream_key
from schema._mutation import Mutation
from schema._query import Query
from schema._scalars import SCALARS
from schema.errors import UpstreamBadResponse

__all__ = ["build_schema", "print_sdl"]


def _read_field(source: Any, attribute: str) -> object:
    # Object types are backed by the upstream's JSON as it came (no model
    # instances on the hot path); payload types are dataclasses.
    if type(source) is dict:
        return source.get(upstream_key(attribute))
    if is_dataclass(source):
        return getattr(source, attribute)
    kind = "a list" if isinstance(source, list) else f"a {type(source).__name__}"
    raise UpstreamBadResponse(f"Pieces OS sent {kind} where an object belongs.")


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with its traceback; most are expected
        # outcomes (NOT_FOUND, a refused argument), worth a line, not a trace.
        for error in errors:
            log_error(error)


@cache
def build_schema() -> strawberry.Schema:
    """The gateway's schema; built once per process (it is immutable)."""
    return _Schema(
        query=Query,
        mutation=Mutation,
        extensions=[ErrorCodes],
        config=StrawberryConfig(default_resolver=_read_field, scalar_map=SCALARS),
    )


def print_sdl() -> str:
    return build_schema().as_str() + "\n"
