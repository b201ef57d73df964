"""Which operations the compiler may try, and which variables their conditions read."""

from __future__ import annotations

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)

__all__ = ["condition_variables"]

_CONDITIONS = frozenset({"include", "skip"})


class _Ineligible(Exception):
    pass


def condition_variables(
    operation: OperationDefinitionNode, fragments: list[FragmentDefinitionNode]
) -> tuple[str, ...] | None:
    """The variables the operation's `@include`/`@skip` read, or None when the
    operation is no candidate: not a query, or a directive other than those two
    anywhere in it (on the operation, a variable, a fragment or a selection)."""
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    if any(definition.directives for definition in operation.variable_definitions or ()):
        return None
    names: list[str] = []
    try:
        _walk(operation.selection_set, names)
        for fragment in fragments:
            if fragment.directives or getattr(fragment, "variable_definitions", None):
                return None
            _walk(fragment.selection_set, names)
    except _Ineligible:
        return None
    return tuple(dict.fromkeys(names))


def _walk(selection_set: SelectionSetNode | None, names: list[str]) -> None:
    # An explicit stack: a document's depth is bounded by its limits, not by Python's.
    stack = [selection_set]
    while stack:
        current = stack.pop()
        for selection in current.selections if current else ():
            for directive in selection.directives or ():
                if directive.name.value not in _CONDITIONS:
                    raise _Ineligible
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.append(argument.value.name.value)
                    elif not isinstance(argument.value, BooleanValueNode):
                        raise _Ineligible
            if isinstance(selection, FragmentSpreadNode) and getattr(selection, "arguments", None):
                raise _Ineligible  # experimental fragment arguments
            if isinstance(selection, FieldNode | InlineFragmentNode):
                stack.append(selection.selection_set)
