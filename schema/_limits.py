"""Operation limits and the schema options a deployment chooses.

A document is parsed with graphql-core's token limit and validated with
graphql-core's rules, Strawberry's own (`@oneOf`, `Maybe`), Strawberry's depth
and alias limiters, and, when introspection is off, graphql-core's rule
against it. This module only picks them from one `SchemaOptions` value; the
rules are built once per options, so that `schema._documents` validates each
distinct document once. Their errors get their codes in `schema._error_codes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule, specified_rules
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

__all__ = ["DEFAULT_OPTIONS", "SchemaOptions", "validation_rules"]


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    max_depth: int = 24
    max_aliases: int = 30
    max_tokens: int = 15_000
    introspection: bool = True
    suggestions: bool = True
    max_batch_operations: int | None = None  # None: batching is off
    # Snapshot reads through the compiled path (schema.compiled); off: every
    # operation runs on graphql-core's executor.
    compiled_execution: bool = True


DEFAULT_OPTIONS = SchemaOptions()


@cache
def validation_rules(options: SchemaOptions) -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = [
        *specified_rules,
        MaybeNullValidationRule,
        OneOfInputValidationRule,
        depth_rule(options.max_depth, should_ignore=None),
        alias_rule(options.max_aliases),
    ]
    if not options.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)
