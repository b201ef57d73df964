"""A compiled execution path for the common read: snapshots, projected.

Most operations only read `workstreamEvent` / `workstreamEvents` and select
fields of the upstream JSON. graphql-core executes them field by field (a
resolver call, a `ResolveInfo`, a completion and a path per value); here such
an operation is compiled once into closures that rename keys, map enum values
to their GraphQL names and keep only what is selected, and each request only
loads the snapshots through its DataLoader and projects them.

`CompiledExecutor` replaces graphql-core's executor for the schema, so every
operation still goes through Strawberry's parser, validation and limits first,
and its result through the same error handling. An operation is compiled:

* only if it is a query whose root fields are `workstreamEvent`,
  `workstreamEvents` and `__typename`, with no directive but `@include` and
  `@skip`, and every selected field a plain read of an object type backed by
  JSON (no resolver, no arguments, no abstract type);
* with graphql-core's own field collection (`collect_fields`), so merging,
  ordering, fragments and `@include`/`@skip` are the executor's: a plan is
  cached per operation node and the values of the variables its conditions
  read, in a bounded LRU;
* with root arguments coerced at run time by graphql-core's own
  `get_argument_values`, and snapshots loaded in the order the regular
  resolvers load them (the list field's keys first, then single ones).

At run time the plan only takes the paths it can prove identical: values of
the expected JSON type go through as graphql-core would serialize them; a
scalar of another type goes through graphql-core's own `complete_leaf_value`.
Anything else (a value the schema cannot represent, a null in a non-null
field, a string where an object belongs, more than one error, whose order
depends on the event loop) raises `_Bail`, and the regular executor answers
the operation instead. It reads the same DataLoader, whose cache already holds
every outcome, so the upstream is not asked twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLError,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_enum_type,
    is_leaf_type,
    located_error,
)
from graphql.execution import ExecutionResult, Executor
from graphql.execution.collect_fields import (
    FieldDetailsList,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.dataloader import DataLoader
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from schema._context import Context, SnapshotKey
from schema._entity import WorkstreamEventEntity
from schema._keys import upstream_key
from schema._query import Query

__all__ = ["CompiledExecutor", "compiled_executor"]

Complete = Callable[[Any], Any]
_BACKREF: Final = GraphQLCoreConverter.DEFINITION_BACKREF
# Root fields whose resolvers (schema._query) the plan mirrors: each loads
# `SnapshotKey(id, transferables)` through the request's DataLoader.
_ONE: Final = "workstreamEvent"
_MANY: Final = "workstreamEvents"
_CONDITIONS: Final = frozenset({"include", "skip"})
# Plans of one operation, one per combination of its condition variables.
_MAX_VARIANTS: Final = 16
_ABSENT: Final = object()
# Loop turns a replayed batch waits before it settles: the executor reaches
# every load within a few (a root field, a list, its items).
_SETTLE: Final = 8
_INF: Final = math.inf
_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1


def _mirrored() -> dict[str, object]:
    # The resolvers the plan stands in for, by GraphQL field name: a field
    # served by any other function is not compiled.
    python_names = {"workstream_event": _ONE, "workstream_events": _MANY}
    return {
        python_names[field.python_name]: field.base_resolver.wrapped_func
        for field in Query.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if field.python_name in python_names and field.base_resolver is not None
    }


_MIRRORED: Final = _mirrored()


class _Bail(Exception):
    """The regular executor must answer this operation."""

    def __init__(self, loads: dict[SnapshotKey, Awaitable[Any]] | None = None) -> None:
        super().__init__()
        self.loads = loads or {}


class _Uncompilable(Exception):
    """The operation is outside what the compiler can prove equivalent."""


@dataclass(frozen=True, slots=True)
class _RootField:
    key: str
    kind: str  # "__typename", _ONE or _MANY
    field_def: GraphQLField | None
    details: FieldDetailsList
    complete: Complete  # the value (_ONE) or one item (_MANY)
    nullable: bool  # whether a failed load may null its position

    @property
    def nodes(self) -> list[FieldNode]:
        return [details.node for details in self.details]


@dataclass(frozen=True, slots=True)
class _Plan:
    fields: tuple[_RootField, ...]

    async def run(self, executor: Executor[Any]) -> ExecutionResult:
        """The operation's result, or `_Bail`."""
        context = executor.context_value
        loader = context.snapshots
        if not loader.cache:
            raise _Bail  # without its cache the loader would not dedupe as resolvers do
        loads, by_key = self._load(executor, loader)
        try:
            data, errors = await self._project(loads)
        except _Bail:
            raise _Bail(by_key) from None
        for error, path in errors:
            executor.collected_errors.add(error, path)
        return executor.build_response(data)  # type: ignore[return-value]

    async def _project(
        self, loads: dict[str, list[Awaitable[Any]]]
    ) -> tuple[dict[str, Any], list[tuple[GraphQLError, Path]]]:
        data: dict[str, Any] = {}
        errors: list[tuple[GraphQLError, Path]] = []
        for field in self.fields:
            key = field.key
            if field.kind == "__typename":
                data[key] = "Query"
                continue
            path = Path(None, key, "Query")
            pending = loads[key]
            if field.kind == _ONE:
                data[key] = await _item(field, pending[0], path, errors)
            else:
                data[key] = [
                    await _item(field, item, path.add_key(index), errors)
                    for index, item in enumerate(pending)
                ]
        if len(errors) > 1:
            raise _Bail
        return data, errors

    def _load(
        self, executor: Executor[Any], loader: DataLoader[SnapshotKey, Any]
    ) -> tuple[dict[str, list[Awaitable[Any]]], dict[SnapshotKey, Awaitable[Any]]]:
        # The list field's resolver loads as the executor calls it; the single
        # field's is a coroutine, which loads once the executor awaits it.
        loads: dict[str, list[Awaitable[Any]]] = {}
        by_key: dict[SnapshotKey, Awaitable[Any]] = {}
        for kind in (_MANY, _ONE):
            for field in self.fields:
                if field.kind != kind:
                    continue
                assert field.field_def is not None
                args = get_argument_values(
                    field.field_def,
                    field.details[0].node,
                    executor.variable_values,
                    None,
                    executor.hide_suggestions,
                )
                flag = args.get("transferables")
                ids = args["ids"] if kind == _MANY else [args["id"]]
                if len(ids) > executor.context_value.max_ids:
                    raise _Bail  # the resolver refuses it, with its own error
                keys = [SnapshotKey(i, flag) for i in ids]
                loads[field.key] = [loader.load(key) for key in keys]
                by_key.update(zip(keys, loads[field.key], strict=True))
        return loads, by_key


async def _item(
    field: _RootField,
    pending: Awaitable[Any],
    path: Path,
    errors: list[tuple[GraphQLError, Path]],
) -> Any:
    try:
        value = await pending
    except Exception as exc:
        if not field.nullable:
            raise _Bail from None
        errors.append((located_error(exc, field.nodes, path.as_list()), path))
        return None
    return field.complete(value)


@dataclass(slots=True)
class _Shape:
    """What is known of one operation: the variables its conditions read, its plans."""

    operation: object
    conditions: tuple[str, ...] | None  # None: never compiled
    plans: dict[tuple[object, ...], _Plan | None]


class _Plans:
    """Plans per operation node (the parser cache hands out the same node), LRU."""

    def __init__(self, maxsize: int, default_resolver: object) -> None:
        self._maxsize = maxsize
        self._default_resolver = default_resolver
        self._shapes: OrderedDict[int, _Shape] = OrderedDict()
        self.runs = 0  # operations the compiled path answered
        self.bails = 0  # operations it handed back to the regular executor

    def plan(self, executor: Executor[Any]) -> _Plan | None:
        operation = executor.operation
        shape = self._shapes.get(id(operation))
        if shape is None or shape.operation is not operation:
            shape = _Shape(operation, _conditions(executor), {})
            self._shapes[id(operation)] = shape
            if len(self._shapes) > self._maxsize:
                self._shapes.popitem(last=False)
        else:
            self._shapes.move_to_end(id(operation))
        if shape.conditions is None:
            return None
        coerced = executor.variable_values.coerced
        variant = tuple(coerced.get(name, _ABSENT) for name in shape.conditions)
        try:
            return shape.plans[variant]
        except KeyError:
            pass
        if len(shape.plans) >= _MAX_VARIANTS:
            return None
        try:
            plan: _Plan | None = _Compiler(executor, self._default_resolver).plan()
        except _Uncompilable:
            plan = None
        shape.plans[variant] = plan
        return plan


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with the compiled path in front (see the module docstring)."""

    plans: ClassVar[_Plans]

    def execute_operation(self, serially: bool | None = None) -> Any:
        middleware = self.middleware_manager
        plan = (
            self.plans.plan(self)
            if serially is None
            and self.abort_signal is None
            and self.error_propagation
            and (middleware is None or not middleware.middlewares)
            and isinstance(self.context_value, Context)
            else None
        )
        if plan is None:
            return super().execute_operation(serially)
        return self._execute_compiled(plan)

    async def _execute_compiled(self, plan: _Plan) -> Any:
        try:
            result = await plan.run(self)
        except _Bail as bail:
            self.plans.bails += 1
            self.context_value = _replaying(self.context_value, bail.loads)
            regular = super().execute_operation()
            return await regular if self.is_awaitable(regular) else regular
        self.plans.runs += 1
        return result


def compiled_executor(*, default_resolver: object, cache_size: int) -> type[CompiledExecutor]:
    """An executor class for one schema, with its own plans.

    `default_resolver` is the schema's resolver of plain fields; only fields
    it reads (by their upstream key) are compiled.
    """
    plans = _Plans(cache_size, default_resolver)
    return type("CompiledExecutor", (CompiledExecutor,), {"plans": plans})


def _replaying(context: Context, loads: dict[SnapshotKey, Awaitable[Any]]) -> Context:
    """The context for the regular executor after a bail: the same outcomes, anew.

    Handing it the loader whose futures are already settled would change the
    order of its errors, which follows the order the loads settle in: a fresh
    loader settles them again, in one batch, once the executor is waiting on
    every one of them, as the upstream's answer would.
    """
    original = context.snapshots

    async def replay(keys: Sequence[SnapshotKey]) -> list[Any]:
        settled = await asyncio.gather(*loads.values(), return_exceptions=True)
        outcomes = dict(zip(loads, settled, strict=True))
        for _ in range(_SETTLE):
            await asyncio.sleep(0)
        missing = [key for key in keys if key not in outcomes]
        if missing:
            more = await asyncio.gather(*map(original.load, missing), return_exceptions=True)
            outcomes.update(zip(missing, more, strict=True))
        return [outcomes[key] for key in keys]

    return dataclasses.replace(context, snapshots=DataLoader(load_fn=replay, max_batch_size=None))


def _conditions(executor: Executor[Any]) -> tuple[str, ...] | None:
    """The variables the operation's `@include`/`@skip` read; None if not a candidate."""
    operation = executor.operation
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    if any(definition.directives for definition in operation.variable_definitions or ()):
        return None
    names: list[str] = []
    try:
        _walk(operation.selection_set, names)
        for fragment in executor.fragment_definitions.values():
            if fragment.directives or getattr(fragment, "variable_definitions", None):
                return None
            _walk(fragment.selection_set, names)
    except _Uncompilable:
        return None
    return tuple(dict.fromkeys(names))


def _walk(selection_set: SelectionSetNode | None, names: list[str]) -> None:
    for selection in selection_set.selections if selection_set else ():
        for directive in selection.directives or ():
            if directive.name.value not in _CONDITIONS:
                raise _Uncompilable
            for argument in directive.arguments or ():
                if isinstance(argument.value, VariableNode):
                    names.append(argument.value.name.value)
                elif not isinstance(argument.value, BooleanValueNode):
                    raise _Uncompilable
        if isinstance(selection, FragmentSpreadNode) and getattr(selection, "arguments", None):
            raise _Uncompilable  # experimental fragment arguments
        if isinstance(selection, FieldNode | InlineFragmentNode):
            _walk(selection.selection_set, names)


class _Compiler:
    """Builds one plan with graphql-core's field collection, for the request at hand."""

    def __init__(self, executor: Executor[Any], default_resolver: object) -> None:
        self._executor = executor
        self._default_resolver = default_resolver

    def plan(self) -> _Plan:
        executor = self._executor
        root = executor.schema.query_type
        assert root is not None
        grouped, defers, _ = collect_fields(
            executor.schema,
            executor.fragments,
            executor.variable_values,
            root,
            executor.operation,
            executor.hide_suggestions,
        )
        if defers:
            raise _Uncompilable
        fields: list[_RootField] = []
        for key, details in grouped.items():
            name = _name(details)
            if name == "__typename":
                fields.append(_RootField(key, name, None, details, _identity, True))
                continue
            field_def = root.fields.get(name)
            field = field_def.extensions.get(_BACKREF) if field_def else None
            if (
                name not in _MIRRORED
                or not isinstance(field, StrawberryField)
                or field.base_resolver is None
                or field.base_resolver.wrapped_func is not _MIRRORED[name]
            ):
                raise _Uncompilable
            assert field_def is not None
            gtype = field_def.type
            if name == _MANY:
                if not isinstance(gtype, GraphQLNonNull) or not isinstance(
                    gtype.of_type, GraphQLList
                ):
                    raise _Uncompilable
                gtype = gtype.of_type.of_type
            nullable = not isinstance(gtype, GraphQLNonNull)
            fields.append(
                _RootField(key, name, field_def, details, self._complete(gtype, details), nullable)
            )
        return _Plan(tuple(fields))

    def _complete(self, gtype: GraphQLOutputType, details: FieldDetailsList) -> Complete:
        if isinstance(gtype, GraphQLNonNull):
            inner = gtype.of_type
            if is_leaf_type(inner):
                return _leaf(inner, nullable=False)
            return _non_null(self._complete(inner, details))
        if isinstance(gtype, GraphQLList):
            return _list(self._complete(gtype.of_type, details))
        if is_leaf_type(gtype):
            return _leaf(gtype, nullable=True)
        if isinstance(gtype, GraphQLObjectType):
            return _nullable(self._object(gtype, details))
        raise _Uncompilable  # an interface or a union

    def _object(self, gtype: GraphQLObjectType, details: FieldDetailsList) -> Complete:
        is_type_of = gtype.is_type_of
        if is_type_of is not None and (
            getattr(is_type_of, "__func__", None) is not WorkstreamEventEntity.is_type_of.__func__  # type: ignore[attr-defined]
        ):
            raise _Uncompilable  # a type check the plan would have to repeat
        executor = self._executor
        grouped, defers, _ = collect_subfields(
            executor.schema,
            executor.fragments,
            executor.variable_values,
            executor.operation,
            gtype,
            details,
            executor.hide_suggestions,
        )
        if defers:
            raise _Uncompilable
        fields: list[tuple[str, str | None, Complete]] = []
        for key, sub in grouped.items():
            name = _name(sub)
            if name == "__typename":
                fields.append((key, None, _constant(gtype.name)))
                continue
            field_def = gtype.fields[name]
            field = field_def.extensions.get(_BACKREF)
            if (
                not isinstance(field, StrawberryField)
                or not field.is_basic_field
                or field.default_resolver is not self._default_resolver
                or field_def.args
            ):
                raise _Uncompilable
            fields.append(
                (key, upstream_key(field.python_name), self._complete(field_def.type, sub))
            )
        return _projection(tuple(fields))


def _name(details: FieldDetailsList) -> str:
    if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
        raise _Uncompilable
    return details[0].node.name.value


def _projection(fields: tuple[tuple[str, str | None, Complete], ...]) -> Complete:
    def project(value: Any) -> dict[str, Any]:
        # `_read_field`: an object type reads the upstream's JSON object.
        if type(value) is not dict:
            raise _Bail
        get = value.get
        return {key: complete(get(source)) for key, source, complete in fields}

    return project


def _nullable(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        return None if value is None else inner(value)

    return complete


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            raise _Bail
        result = inner(value)
        if result is None:
            raise _Bail
        return result

    return complete


def _list(item: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not list:
            raise _Bail
        return [item(each) for each in value]

    return complete


def _identity(value: Any) -> Any:
    return value


def _constant(result: str) -> Complete:
    def complete(_value: Any) -> str:
        return result

    return complete


def _leaf(gtype: GraphQLLeafType, *, nullable: bool) -> Complete:
    """A leaf as graphql-core completes it.

    A value of the usual JSON type is checked inline; any other value goes
    through graphql-core's own completion, and a failure there bails.
    """

    def slow(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise _Bail
        try:
            return Executor.complete_leaf_value(gtype, value)
        except Exception:
            raise _Bail from None

    if is_enum_type(gtype):
        names = {value.value: name for name, value in gtype.values.items()}

        def enum(value: Any) -> Any:
            name = names.get(value) if type(value) is str else None
            return slow(value) if name is None else name

        return enum
    if gtype is GraphQLString or gtype is GraphQLID:

        def string(value: Any) -> Any:
            return value if type(value) is str else slow(value)

        return string
    if gtype is GraphQLBoolean:

        def boolean(value: Any) -> Any:
            return value if type(value) is bool else slow(value)

        return boolean
    if gtype is GraphQLInt:

        def integer(value: Any) -> Any:
            return value if type(value) is int and _INT_MIN <= value <= _INT_MAX else slow(value)

        return integer
    if gtype is GraphQLFloat:

        def number(value: Any) -> Any:
            return value if type(value) is float and -_INF < value < _INF else slow(value)

        return number
    return slow
