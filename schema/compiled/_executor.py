"""Answer an operation with its plan, or bail: then graphql-core's executor answers it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from graphql import ExecutionResult, GraphQLError, located_error
from graphql.execution import Executor
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path

from schema._context import Context, snapshot_keys
from schema.compiled._compiler import MANY, ONE, Plan, RootField, Uncompilable, compile_plan
from schema.compiled._complete import Bail
from schema.compiled._references import PENDING, fill
from schema.errors import BadUserInput

__all__ = ["MAX_VARIANTS", "Plans", "answer"]

# Plans of one operation: one per combination of the values its conditions
# read, each compiled on first use (see `Plans.plan`).
MAX_VARIANTS: Final = 16
_ABSENT: Final = object()


@dataclass(slots=True)
class Plans:
    """The plans of one prepared operation, by the values of its condition variables."""

    conditions: tuple[str, ...]
    variants: dict[tuple[object, ...], Plan | None] = field(default_factory=dict)
    runs: int = 0  # operations the plans answered
    bails: int = 0  # operations handed back to the regular executor

    def plan(
        self, variables: VariableValues, executor: Callable[[], Executor[Any] | list[GraphQLError]]
    ) -> Plan | None:
        """The plan for these variables; `executor` builds one to compile it with, once."""
        coerced = variables.coerced
        variant = tuple(coerced.get(name, _ABSENT) for name in self.conditions)
        try:
            return self.variants[variant]
        except KeyError:
            pass
        if len(self.variants) >= MAX_VARIANTS:
            return None  # a document whose conditions keep varying is executed as it is
        built = executor()
        try:
            plan = None if isinstance(built, list) else compile_plan(built)
        except Uncompilable:
            plan = None
        self.variants[variant] = plan
        return plan


async def answer(
    plan: Plan, context: Context, variables: VariableValues, *, hide_suggestions: bool
) -> ExecutionResult:
    """The operation's result, as graphql-core's executor would give it, or `Bail`.

    A bail may come after some loads were made: they stay in the operation's
    DataLoader, so the regular executor finds them there and the upstream is
    not asked twice.
    """
    loads = _load(plan, context, variables, hide_suggestions)
    data: dict[str, Any] = {}
    errors: list[GraphQLError] = []
    references: list[Any] = []
    token = PENDING.set(references)
    try:
        for root in plan.fields:
            key = root.key
            if root.kind == "__typename":
                data[key] = "Query"
                continue
            path = Path(None, key, "Query")
            pending = loads[key]
            if root.kind == ONE:
                data[key] = await _item(root, pending[0], path, errors)
            else:
                data[key] = [
                    await _item(root, item, path.add_key(index), errors)
                    for index, item in enumerate(pending)
                ]
        await fill(context, references)
    finally:
        PENDING.reset(token)
    return ExecutionResult(data, errors or None)


def _load(
    plan: Plan, context: Context, variables: VariableValues, hide_suggestions: bool
) -> dict[str, list[Awaitable[Any]]]:
    """Every root field's loads, through the operation's DataLoader, as its resolver makes them."""
    loads: dict[str, list[Awaitable[Any]]] = {}
    for root in plan.fields:
        if root.field_def is None:
            continue
        args = get_argument_values(
            root.field_def, root.details[0].node, variables, None, hide_suggestions
        )
        ids = args["ids"] if root.kind == MANY else [args["id"]]
        try:
            keys = snapshot_keys(ids, args.get("transferables"), max_ids=context.max_ids)
        except BadUserInput:
            raise Bail from None  # the resolver refuses it, with its own error
        loads[root.key] = [context.snapshots.load(key) for key in keys]
    return loads


async def _item(
    root: RootField, pending: Awaitable[Any], path: Path, errors: list[GraphQLError]
) -> Any:
    try:
        snapshot = await pending
    except Exception as exc:
        if not root.nullable:
            raise Bail from None
        errors.append(located_error(exc, root.nodes, path.as_list()))
        return None
    assert root.decode is not None
    return root.complete(root.decode(snapshot))
