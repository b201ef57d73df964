"""The limits of an operation, and the rules a document is validated with.

A document is measured before graphql-core validates it, in one pass that
costs time linear in the document's size: each fragment is measured once, in
dependency order and without recursion across fragments, and a spread adds the
measure of its fragment. Some of graphql-core's rules cost more than linear
time (comparing fields that share a response name is quadratic, and so is a
chain of fragments), so the limits are chosen to keep every document they
admit within a few tens of milliseconds of validation (`bench/validation.py`
prints the worst seen); a document over a limit is refused, with its own code,
before that work is done:

=======================  ===========================  ==========================================
measure                  code                         counts
=======================  ===========================  ==========================================
depth                    MAX_DEPTH_EXCEEDED           nested fields (introspection's aside, as
                                                      graphql-core's own rule limits those)
aliases                  MAX_ALIASES_EXCEEDED         aliased fields, a fragment at each spread
selections               MAX_SELECTIONS_EXCEEDED      fields, spreads and inline fragments, a
                                                      fragment at each spread
root fields              MAX_ROOT_FIELDS_EXCEEDED     an operation's top-level fields
mutation fields          MAX_MUTATIONS_EXCEEDED       a mutation's top-level fields: its writes
comparisons              MAX_COMPARISONS_EXCEEDED     for fields sharing a response name in
                                                      a selection set: (their number - 1) x
                                                      their selections, each set once
fragments                MAX_FRAGMENTS_EXCEEDED       fragment definitions
=======================  ===========================  ==========================================

Every definition is measured, fragments included, so that an unused fragment
(refused later by graphql-core) cannot carry the cost past the limits. Then
graphql-core's specified rules run, with Strawberry's `@oneOf` and `Maybe`
rules, and graphql-core's rule against introspection when it is off.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    specified_rules,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

__all__ = ["DEFAULT_OPTIONS", "SchemaOptions", "measure", "validation_rules"]


@dataclass(frozen=True, slots=True)
class SchemaOptions:
    max_depth: int = 24
    max_aliases: int = 30
    max_tokens: int = 3_000
    max_selections: int = 2_000
    max_root_fields: int = 32
    max_comparisons: int = 10_000
    max_fragments: int = 64
    introspection: bool = True
    suggestions: bool = True
    max_batch_operations: int | None = None  # None: batching is off
    max_mutation_fields: int = 10  # root fields (aliases included) of one mutation
    # Snapshot reads through the compiled path (schema.compiled); off: every
    # operation runs on graphql-core's executor.
    compiled_execution: bool = True


DEFAULT_OPTIONS = SchemaOptions()


@dataclass(slots=True)
class _Measure:
    """What a selection set costs (fragments' costs included, but for `comparisons`)."""

    depth: int = 0
    aliases: int = 0
    selections: int = 0
    # The work of comparing fields of one response name, in this selection set and
    # those nested in its text (a fragment's own is counted once, where it is defined).
    comparisons: int = 0
    # At this level, through fragments: how many fields each response name has,
    # and how many selections those fields make in all.
    names: Counter[str] = field(default_factory=Counter)
    weights: Counter[str] = field(default_factory=Counter)

    @property
    def fields(self) -> int:
        return self.names.total()


def measure(document: DocumentNode, options: SchemaOptions) -> list[GraphQLError]:
    """The errors refusing a document over the limits (the first found); none when within."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    count = 0
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            count += 1
            fragments.setdefault(definition.name.value, definition)  # twice: refused later
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    if count > options.max_fragments:
        message = (
            f"A document may define {options.max_fragments} fragments at most;"
            f" this one defines {count}."
        )
        return [_refusal(message, "MAX_FRAGMENTS_EXCEEDED", None)]
    measured: dict[str, _Measure] = {}
    comparisons = 0
    for name in _dependency_order(fragments):
        fragment = fragments[name]
        measured[name] = found = _measure_set(fragment.selection_set, measured)
        comparisons += found.comparisons
        if error := _over(found, options, f"Fragment '{name}'", fragment):
            return [error]
    for operation in operations:
        found = _measure_set(operation.selection_set, measured)
        comparisons += found.comparisons
        label = f"Operation '{operation.name.value}'" if operation.name else "The operation"
        error = _over_root(found, options, operation) or _over(found, options, label, operation)
        if error:
            return [error]
    if comparisons > options.max_comparisons:
        message = (
            "The document selects fields of one response name (or alias) in one selection set"
            f" whose comparison costs {comparisons} units; the limit is {options.max_comparisons}."
        )
        return [_refusal(message, "MAX_COMPARISONS_EXCEEDED", None)]
    return []


def _dependency_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after the fragments it spreads (a cycle is cut where found).

    Depth-first with an explicit stack: a chain of fragments as long as the
    token limit allows does not recurse.
    """
    order: list[str] = []
    seen: set[str] = set()
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(_spreads(fragments[root].selection_set)))]
        while stack:
            name, pending = stack[-1]
            for spread in pending:
                if spread in fragments and spread not in seen:
                    seen.add(spread)
                    stack.append((spread, iter(_spreads(fragments[spread].selection_set))))
                    break
            else:
                stack.pop()
                order.append(name)
    return order


def _spreads(selection_set: SelectionSetNode) -> list[str]:
    """The fragments a selection set spreads, at any depth within it."""
    names: list[str] = []
    sets = [selection_set]
    while sets:
        for selection in sets.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                sets.append(selection.selection_set)
    return names


def _measure_set(selection_set: SelectionSetNode, measured: dict[str, _Measure]) -> _Measure:
    """A selection set's measure; the fragments it spreads are in `measured` already.

    A spread of a fragment not measured (unknown, or the back edge of a cycle)
    counts as one selection: graphql-core refuses the document for it. The
    recursion here follows the nesting of the text, which graphql-core's parser
    bounds; a spread costs the size of its fragment's top level (its response
    names), not the size of the fragment.

    graphql-core compares every pair of fields that share a response name in a
    selection set, and their selections with each other: the work is about
    (fields of the name - 1) x (the selections they make), summed over the names.
    """
    total = _Measure()
    _fold(selection_set, measured, total)
    total.comparisons += sum(
        (count - 1) * total.weights[key] for key, count in total.names.items() if count > 1
    )
    return total


def _fold(selection_set: SelectionSetNode, measured: dict[str, _Measure], total: _Measure) -> None:
    names, weights = total.names, total.weights
    for selection in selection_set.selections:
        total.selections += 1
        if isinstance(selection, FieldNode):
            if selection.alias is not None:
                total.aliases += 1
            key = (selection.alias or selection.name).value
            names[key] += 1
            weights[key] += 1
            if selection.selection_set is not None:
                below = _measure_set(selection.selection_set, measured)
                if not selection.name.value.startswith("__"):
                    total.depth = max(total.depth, 1 + below.depth)
                total.aliases += below.aliases
                total.selections += below.selections
                total.comparisons += below.comparisons
                weights[key] += below.selections
        elif isinstance(selection, InlineFragmentNode):
            _fold(selection.selection_set, measured, total)
        elif isinstance(selection, FragmentSpreadNode) and (
            fragment := measured.get(selection.name.value)
        ):
            total.depth = max(total.depth, fragment.depth)
            total.aliases += fragment.aliases
            total.selections += fragment.selections
            names.update(fragment.names)
            weights.update(fragment.weights)


def _over(
    found: _Measure,
    options: SchemaOptions,
    label: str,
    node: OperationDefinitionNode | FragmentDefinitionNode,
) -> GraphQLError | None:
    if found.depth > options.max_depth:
        return _refusal(
            f"{label} nests {found.depth} fields deep; the limit is {options.max_depth}.",
            "MAX_DEPTH_EXCEEDED",
            node,
        )
    if found.aliases > options.max_aliases:
        return _refusal(
            f"{label} uses {found.aliases} aliases; the limit is {options.max_aliases}.",
            "MAX_ALIASES_EXCEEDED",
            node,
        )
    if found.selections > options.max_selections:
        return _refusal(
            f"{label} makes {found.selections} selections, fragments counted at each spread;"
            f" the limit is {options.max_selections}.",
            "MAX_SELECTIONS_EXCEEDED",
            node,
        )
    return None


def _over_root(
    found: _Measure, options: SchemaOptions, operation: OperationDefinitionNode
) -> GraphQLError | None:
    if operation.operation is OperationType.MUTATION and found.fields > options.max_mutation_fields:
        return _refusal(
            f"A mutation may have {options.max_mutation_fields} root fields at most;"
            f" this one has {found.fields}.",
            "MAX_MUTATIONS_EXCEEDED",
            operation,
        )
    if found.fields > options.max_root_fields:
        return _refusal(
            f"An operation may have {options.max_root_fields} root fields at most;"
            f" this one has {found.fields}.",
            "MAX_ROOT_FIELDS_EXCEEDED",
            operation,
        )
    return None


def _refusal(
    message: str, code: str, node: OperationDefinitionNode | FragmentDefinitionNode | None
) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code})


@cache
def validation_rules(options: SchemaOptions) -> tuple[type[ASTValidationRule], ...]:
    rules: list[type[ASTValidationRule]] = [
        *specified_rules,
        MaybeNullValidationRule,
        OneOfInputValidationRule,
    ]
    if not options.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)
