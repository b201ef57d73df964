"""Operation limits and the schema options a deployment chooses.

The limits are Strawberry's own extensions (depth, aliases, tokens) plus
graphql-core's introspection rule; this module only picks them from one
`SchemaOptions` value. Their errors get their codes in `schema._error_codes`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

__all__ = ["DEFAULT_OPTIONS", "SchemaOptions", "limit_extensions"]

# Parsed and validated documents kept for reuse: frontends send the same few.
_DOCUMENT_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    max_depth: int = 24
    max_aliases: int = 30
    max_tokens: int = 15_000
    introspection: bool = True
    suggestions: bool = True
    max_batch_operations: int | None = None  # None: batching is off


DEFAULT_OPTIONS = SchemaOptions()


class _NoEmptySelectionSets(SchemaExtension):
    """Parse `{}` as the syntax error the GraphQL spec says it is.

    graphql-core 3.3 accepts empty selection sets by default, and Strawberry's
    depth limiter fails on them.
    """

    def on_operation(self) -> Iterator[None]:
        options = self.execution_context.parse_options
        options["allow_empty_selection_sets"] = False  # type: ignore[typeddict-unknown-key]
        yield


def limit_extensions(options: SchemaOptions) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (one instance per operation, as Strawberry expects)."""
    extensions: list[Callable[[], SchemaExtension]] = [
        _NoEmptySelectionSets,
        lambda: MaxTokensLimiter(max_token_count=options.max_tokens),
        lambda: ParserCache(maxsize=_DOCUMENT_CACHE_SIZE),
        lambda: QueryDepthLimiter(max_depth=options.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=options.max_aliases),
        lambda: ValidationCache(maxsize=_DOCUMENT_CACHE_SIZE),
    ]
    if not options.introspection:
        extensions.append(DisableIntrospection)
    return extensions
