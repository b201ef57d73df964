"""Operation limits and the schema options a deployment chooses.

A document is parsed with graphql-core's token limit and validated with
graphql-core's rules, Strawberry's own (`@oneOf`, `Maybe`), Strawberry's depth
and alias limiters, our limit on a mutation's root fields, and, when
introspection is off, graphql-core's rule against it. This module only picks
them from one `SchemaOptions` value; the rules are built once per options, so
that `schema._documents` validates each distinct document once. Our rule codes
its errors itself; the others get theirs in `schema._error_codes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    specified_rules,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

__all__ = ["DEFAULT_OPTIONS", "SchemaOptions", "mutation_fields_rule", "validation_rules"]


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    max_depth: int = 24
    max_aliases: int = 30
    max_tokens: int = 15_000
    introspection: bool = True
    suggestions: bool = True
    max_batch_operations: int | None = None  # None: batching is off
    max_mutation_fields: int = 10  # root fields (aliases included) of one mutation
    # Snapshot reads through the compiled path (schema.compiled); off: every
    # operation runs on graphql-core's executor.
    compiled_execution: bool = True


DEFAULT_OPTIONS = SchemaOptions()


def mutation_fields_rule(limit: int) -> type[ASTValidationRule]:
    """A rule refusing a mutation with more than `limit` root fields (MAX_MUTATIONS_EXCEEDED).

    Each root field is a write: aliases make one document many writes (and a
    batch of them many more). Fields are counted through root fragments, each
    fragment's count found once (a document's cost stays linear in its size).
    """

    class MaxMutationFields(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._counts: dict[str, int] = {}

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            if node.operation is not OperationType.MUTATION:
                return
            count = self._fields(node.selection_set, set())
            if count > limit:
                self.report_error(
                    GraphQLError(
                        f"A mutation may have {limit} root fields at most; this one has {count}.",
                        node,
                        extensions={"code": "MAX_MUTATIONS_EXCEEDED"},
                    )
                )

        def _fields(self, selection_set: SelectionSetNode, visiting: set[str]) -> int:
            count = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    count += 1
                elif isinstance(selection, InlineFragmentNode):
                    count += self._fields(selection.selection_set, visiting)
                elif isinstance(selection, FragmentSpreadNode):
                    count += self._fragment(selection.name.value, visiting)
            return count

        def _fragment(self, name: str, visiting: set[str]) -> int:
            if name in self._counts:
                return self._counts[name]
            fragment = self.context.get_fragment(name)
            if fragment is None or name in visiting:  # unknown or cyclic: other rules say so
                return 0
            visiting.add(name)
            self._counts[name] = self._fields(fragment.selection_set, visiting)
            return self._counts[name]

    return MaxMutationFields


@cache
def validation_rules(options: SchemaOptions) -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = [
        *specified_rules,
        MaybeNullValidationRule,
        OneOfInputValidationRule,
        depth_rule(options.max_depth, should_ignore=None),
        alias_rule(options.max_aliases),
        mutation_fields_rule(options.max_mutation_fields),
    ]
    if not options.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)
