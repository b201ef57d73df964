"""Assemble the schema: an Apollo Federation 2 subgraph.

`print_sdl()` is the subgraph SDL that `_service { sdl }` returns, with its
`@link` to the federation spec; schema/schema.graphql is that text.
"""

from __future__ import annotations

from dataclasses import is_dataclass
from functools import cache
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.federation import Schema as FederationSchema
from strawberry.federation.schema import FederationAny
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult, Info

from schema._compiled import compiled_executor
from schema._entity import representation_error
from schema._error_codes import log_error, with_codes
from schema._keys import upstream_key
from schema._limits import DEFAULT_OPTIONS, DOCUMENT_CACHE_SIZE, SchemaOptions, limit_extensions
from schema._mutation import Mutation
from schema._query import Query
from schema._scalars import SCALARS
from schema.errors import BadUserInput, UpstreamBadResponse

__all__ = ["FEDERATION_VERSION", "build_schema", "print_sdl"]

# Pinned, so the SDL does not change with Strawberry's default; every router
# and composition release since this version accepts it (see README).
FEDERATION_VERSION: Final = "2.11"


def _read_field(source: Any, attribute: str) -> object:
    # Object types are backed by the upstream's JSON as it came (no model
    # instances on the hot path); payload types are dataclasses.
    if type(source) is dict:
        return source.get(upstream_key(attribute))
    if is_dataclass(source):
        return getattr(source, attribute)
    kind = "a list" if isinstance(source, list) else f"a {type(source).__name__}"
    raise UpstreamBadResponse(f"Pieces OS sent {kind} where an object belongs.")


class _Schema(FederationSchema):
    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            request_id = getattr(kwargs.get("context_value"), "request_id", "")
            result.errors = with_codes(result.errors, request_id=request_id)
        return result

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        if len(representations) > info.context.max_ids:
            raise BadUserInput(
                f"`representations` may name {info.context.max_ids} entities at most."
            )
        # A bad representation is refused at its index instead of failing them all.
        errors = [representation_error(each) for each in representations]
        good = [each for each, error in zip(representations, errors, strict=True) if error is None]
        resolved = iter(super().entities_resolver(info, good))
        return [next(resolved) if error is None else FederationAny(error) for error in errors]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with its traceback; most are expected
        # outcomes (NOT_FOUND, a refused argument), worth a line, not a trace.
        for error in errors:
            log_error(error)


@cache
def build_schema(options: SchemaOptions = DEFAULT_OPTIONS) -> strawberry.Schema:
    """The gateway's schema, with the limits `options` set (built once per options)."""
    return _Schema(
        query=Query,
        mutation=Mutation,
        extensions=limit_extensions(options),
        config=StrawberryConfig(
            default_resolver=_read_field,
            scalar_map=SCALARS,
            disable_field_suggestions=not options.suggestions,
            batching_config=(
                None
                if options.max_batch_operations is None
                else {"max_operations": options.max_batch_operations}
            ),
        ),
        federation_version=FEDERATION_VERSION,
        execution_context_class=(
            compiled_executor(default_resolver=_read_field, cache_size=DOCUMENT_CACHE_SIZE)
            if options.compiled_execution
            else None
        ),
    )


def print_sdl() -> str:
    """The subgraph SDL, as `_service { sdl }` returns it (plus a final newline)."""
    return print_schema(build_schema()) + "\n"
