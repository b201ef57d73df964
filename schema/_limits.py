"""Operation limits and the schema options a deployment chooses.

The limits are Strawberry's own extensions (depth, aliases, tokens) plus
graphql-core's introspection rule; this module only picks them from one
`SchemaOptions` value. Their errors get their codes in `schema._error_codes`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from schema._operation import RecordOperation

__all__ = ["DEFAULT_OPTIONS", "DOCUMENT_CACHE_SIZE", "SchemaOptions", "limit_extensions"]

# Parsed and validated documents kept for reuse: frontends send the same few.
DOCUMENT_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    max_depth: int = 24
    max_aliases: int = 30
    max_tokens: int = 15_000
    introspection: bool = True
    suggestions: bool = True
    max_batch_operations: int | None = None  # None: batching is off
    # Snapshot reads through the compiled path (schema._compiled); off: every
    # operation runs on graphql-core's executor.
    compiled_execution: bool = True


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
    """Extension factories (one instance per operation, as Strawberry expects).

    The limit rules are built once here, not per operation as the limiter
    extensions would: the validation cache keys on the rule classes, and new
    classes per operation would make every lookup a miss.
    """
    rules: list[type[ASTValidationRule]] = [
        depth_rule(options.max_depth, should_ignore=None),
        alias_rule(options.max_aliases),
    ]
    if not options.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        RecordOperation,
        _NoEmptySelectionSets,
        lambda: MaxTokensLimiter(max_token_count=options.max_tokens),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
    ]
