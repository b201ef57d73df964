"""Run a plan in place of graphql-core's executor, or hand the operation back to it."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Final

from graphql import GraphQLError, located_error
from graphql.execution import ExecutionResult, Executor
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema._context import Context, snapshot_keys
from schema.compiled._compiler import MANY, ONE, Plan, RootField, Uncompilable, compile_plan
from schema.compiled._complete import Bail
from schema.errors import BadUserInput

__all__ = ["CompiledExecutor", "Plans"]

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

    def plan(self, executor: Executor[Any]) -> Plan | None:
        coerced = executor.variable_values.coerced
        variant = tuple(coerced.get(name, _ABSENT) for name in self.conditions)
        try:
            return self.variants[variant]
        except KeyError:
            pass
        if len(self.variants) >= MAX_VARIANTS:
            return None  # a document that keeps varying is executed as it is
        try:
            plan: Plan | None = compile_plan(executor)
        except Uncompilable:
            plan = None
        self.variants[variant] = plan
        return plan


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with a prepared operation's plans in front.

    A plan either answers the operation, or bails: then graphql-core's own
    execution runs on this same executor and context, whose DataLoader has
    settled (or is settling) every load the plan made, so the upstream is not
    asked twice.
    """

    def __init__(self, *args: Any, plans: Plans | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plans = plans

    def execute_operation(self, serially: bool | None = None) -> Any:
        plans = self.plans
        plan = plans.plan(self) if plans is not None and serially is None else None
        if plan is None:
            return super().execute_operation(serially)
        return self._run(plan)

    async def _run(self, plan: Plan) -> Any:
        assert self.plans is not None
        try:
            result = await _answer(self, plan)
        except Bail:
            self.plans.bails += 1
            regular = super().execute_operation()
            return await regular if self.is_awaitable(regular) else regular
        self.plans.runs += 1
        return result


async def _answer(executor: Executor[Any], plan: Plan) -> ExecutionResult:
    loads = _load(executor, plan)
    data: dict[str, Any] = {}
    errors: list[tuple[GraphQLError, Path]] = []
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
    for error, at in errors:
        executor.collected_errors.add(error, at)
    return executor.build_response(data)  # type: ignore[return-value]


def _load(executor: Executor[Any], plan: Plan) -> dict[str, list[Awaitable[Any]]]:
    """Every root field's loads, through the request's DataLoader, as its resolver would."""
    context = executor.context_value
    if not isinstance(context, Context):
        raise Bail
    loads: dict[str, list[Awaitable[Any]]] = {}
    for root in plan.fields:
        if root.field_def is None:
            continue
        args = get_argument_values(
            root.field_def,
            root.details[0].node,
            executor.variable_values,
            None,
            executor.hide_suggestions,
        )
        ids = args["ids"] if root.kind == MANY else [args["id"]]
        try:
            keys = snapshot_keys(ids, args.get("transferables"), max_ids=context.max_ids)
        except BadUserInput:
            raise Bail from None  # the resolver refuses it, with its own error
        loads[root.key] = [context.snapshots.load(key) for key in keys]
    return loads


async def _item(
    root: RootField,
    pending: Awaitable[Any],
    path: Path,
    errors: list[tuple[GraphQLError, Path]],
) -> Any:
    try:
        snapshot = await pending
    except Exception as exc:
        if not root.nullable:
            raise Bail from None
        errors.append((located_error(exc, root.nodes, path.as_list()), path))
        return None
    assert root.decode is not None
    return root.complete(root.decode(snapshot))
