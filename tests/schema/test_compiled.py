"""The compiled path answers exactly as graphql-core's executor does.

Generated operations (aliases, fragments, inline fragments, `__typename`,
`@include`/`@skip` from variables and literals, repeated and missing ids) run
against the same snapshots with the compiled path on and off; the responses
(data in order; errors, as a multiset, with message, locations, path and
extensions) and the DataLoader batches must be identical. The snapshots carry
values the schema cannot represent: unknown enum values, scalars of the wrong
type, out-of-range `Int`s and `Float`s, nulls in non-null fields, strings and
lists where objects belong. Each known difference of the compiled path
(schema/compiled/__init__.py) has a chosen case below as well.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections import Counter
from collections.abc import Awaitable, Sequence
from typing import Any, NamedTuple

import orjson
import pytest
from graphql import (
    FragmentDefinitionNode,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    is_leaf_type,
    parse,
)
from graphql.execution import Executor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.dataloader import DataLoader
from strawberry.utils.str_converters import to_camel_case

from gateway.simulator import create_simulator
from schema import (
    RELATIONS,
    Context,
    Documents,
    Relation,
    SchemaOptions,
    Snapshot,
    SnapshotKey,
    as_flattened,
    build_schema,
    run,
)
from schema._documents import DOCUMENT_CACHE_CHARS
from schema.compiled import condition_variables
from schema.compiled._compiler import Plan, _leaf_inline
from schema.compiled._executor import MAX_VARIANTS
from schema.errors import BadUserInput, NotFound, UpstreamUnavailable
from tests.documents import refused_variables_flood

GRAPHQL: GraphQLSchema = build_schema()._schema
REGULAR = Documents(GRAPHQL, SchemaOptions(compiled_execution=False))
EVENT = GRAPHQL.type_map["WorkstreamEvent"]
assert isinstance(EVENT, GraphQLObjectType)

SIMULATOR = create_simulator(events=6, seed=5)
EVENTS: dict[str, Any] = SIMULATOR.state.store.events
IDS = list(EVENTS)
# Snapshots no schema type can hold, and ids the upstream does not know.
ODD: dict[str, Any] = {"a-string": "VS_CODE", "a-list": [], "a-null": None}
POOL = [*IDS, *ODD, "missing", ""]

ANOMALIES: list[object] = [
    None,
    "SOMETHING_NEW",
    2**40,
    -(2**31),
    3.5,
    7,
    "12",
    True,
    "text",
    [],
    [None],
    {},
    {"value": 1},
    [1, "a"],
    float("inf"),
]


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list) and value:
        found.append((*prefix, 0))
        found.extend(_paths(value[0], (*prefix, 0)))
    return found


PATHS = {event_id: _paths(event) for event_id, event in EVENTS.items()}


class _Upstream:
    """Every call fails: only the regular path reaches the upstream itself."""

    def __getattr__(self, name: str) -> Any:
        async def call(*args: object, **kwargs: object) -> Any:
            raise UpstreamUnavailable("Pieces OS cannot be reached.")

        return call


class _Records:
    """The records events point at: those of the simulator the events come from."""

    def load(self, relation: Relation, record_id: str) -> Awaitable[Any]:
        async def load() -> Any:
            await asyncio.sleep(0)  # an upstream answers on a later turn of the loop
            try:
                record = SIMULATOR.state.store.record(relation.key, record_id)
            except LookupError:
                raise NotFound.record(relation.noun, record_id) from None
            return as_flattened(relation, record)

        return load()

    def forget(self) -> None:
        pass  # (what a write calls) nothing is remembered


def _context(store: dict[str, Any], batches: list[list[SnapshotKey]]) -> Context:
    async def load(keys: Sequence[SnapshotKey]) -> list[Any]:
        batches.append(list(keys))
        await asyncio.sleep(0)  # an upstream answers on a later turn of the loop
        outcomes: list[Any] = []
        for key in keys:
            if not key.id:
                outcomes.append(BadUserInput("An id cannot be empty."))
            elif key.id in store:
                # As Pieces OS sends it: JSON text (anomalies included).
                event = store[key.id]
                outcomes.append(
                    Snapshot(event if isinstance(event, bytes) else orjson.dumps(event), key.id)
                )
            else:
                outcomes.append(NotFound(f"No workstream event has the id {key.id!r}.", id=key.id))
        return outcomes

    return Context(
        upstream=_Upstream(),
        snapshots=DataLoader(load_fn=load),
        records=_Records(),
        max_page_size=10,
    )


class Ran(NamedTuple):
    regular: dict[str, Any]
    compiled: dict[str, Any]
    runs: int  # 1 when the compiled path answered
    bails: int  # 1 when it handed the operation back
    refused: bool  # whether the document was refused before it could run


async def _both(
    query: str,
    variables: dict[str, Any] | None = None,
    store: dict[str, Any] | None = None,
    compiled: Documents | None = None,
    operation_name: str | None = None,
) -> Ran:
    """The operation run both ways; compiled by `compiled`, or by a `Documents` of its own,
    so that each case compiles its plans anew (no plan of an earlier case is reused)."""
    answers = []
    counts = (0, 0)
    refused = False
    for documents in (REGULAR, compiled or Documents(GRAPHQL, SchemaOptions())):
        batches: list[list[SnapshotKey]] = []
        context = _context(store or {**EVENTS, **ODD}, batches)
        prepared = documents.prepare(query, operation_name)
        if isinstance(prepared, list):
            errors = prepared
            data = None
            refused = True
        else:
            before = (prepared.plans.runs, prepared.plans.bails) if prepared.plans else (0, 0)
            result = await run(GRAPHQL, prepared, context, variables)
            data, errors = result.data, result.errors or []
            after = (prepared.plans.runs, prepared.plans.bails) if prepared.plans else (0, 0)
            counts = (after[0] - before[0], after[1] - before[1])
        answers.append(
            {
                "data": orjson.dumps(data),
                # The spec leaves the order of errors open (schema/compiled, difference 1).
                "errors": sorted(
                    orjson.dumps(error.formatted, option=orjson.OPT_SORT_KEYS) for error in errors
                ),
                # The same batches of the same keys; within a batch, the order in
                # which the loads were made (schema/compiled, difference 4).
                "batches": [sorted(batch, key=repr) for batch in batches],
            }
        )
    return Ran(answers[0], answers[1], *counts, refused)


# Operations ------------------------------------------------------------------

_DIRECTIVES = st.sampled_from(
    ["", "", "", " @include(if: $c0)", " @skip(if: $c1)", " @include(if: true)", " @skip(if: true)"]
)


@st.composite
def _selection(draw: st.DrawFn, gtype: GraphQLObjectType, depth: int, fragments: list[str]) -> str:
    names = draw(
        st.lists(st.sampled_from(["__typename", *sorted(gtype.fields)]), min_size=1, max_size=4)
    )
    parts: list[str] = []
    for index, name in enumerate(names):
        sub = ""
        if name != "__typename":
            named = get_named_type(gtype.fields[name].type)
            if isinstance(named, GraphQLObjectType):
                if depth <= 0:
                    continue
                sub = " { " + draw(_selection(named, depth - 1, fragments)) + " }"
        alias = draw(st.sampled_from(["", f"{name}X{depth}{index}: "]))
        text = f"{alias}{name}{draw(_DIRECTIVES)}{sub}"
        wrap = draw(st.sampled_from(["plain", "plain", "twice", "inline", "typed", "named"]))
        if wrap == "twice":
            text = f"{text} {text}"
        elif wrap == "inline":
            text = f"...{draw(_DIRECTIVES)} {{ {text} }}"
        elif wrap == "typed":
            text = f"... on {gtype.name}{draw(_DIRECTIVES)} {{ {text} }}"
        elif wrap == "named":
            fragment = f"F{len(fragments)}"
            fragments.append(f"fragment {fragment} on {gtype.name} {{ {text} }}")
            text = f"...{fragment}{draw(_DIRECTIVES)}"
        parts.append(text)
    return " ".join(parts) or "__typename"


_ID_ARGS = st.sampled_from(POOL).map(lambda i: orjson.dumps(i).decode()) | st.just("$id")
_TRANSFERABLES = st.sampled_from(
    ["", ", transferables: true", ", transferables: null", ", transferables: $t"]
)


@st.composite
def _operations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    fragments: list[str] = []
    roots: list[str] = []
    for index in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["one", "many", "many", "typename"]))
        alias = f"r{index}: "
        if kind == "typename":
            roots.append(f"{alias}__typename")
            continue
        selection = draw(_selection(EVENT, 2, fragments))
        if kind == "one":
            argument = f"id: {draw(_ID_ARGS)}"
        elif draw(st.booleans()):
            argument = "ids: $ids"
        else:
            argument = "ids: [" + ", ".join(draw(st.lists(_ID_ARGS, max_size=5))) + "]"
        field = "workstreamEvent" if kind == "one" else "workstreamEvents"
        directive = draw(_DIRECTIVES)
        roots.append(
            f"{alias}{field}({argument}{draw(_TRANSFERABLES)}){directive} {{ {selection} }}"
        )
    body = " ".join(roots)
    types = {"id": "ID!", "ids": "[ID!]!", "c0": "Boolean!", "c1": "Boolean!", "t": "Boolean"}
    used = [name for name in types if re.search(rf"\${name}\b", body + " ".join(fragments))]
    declared = ", ".join(f"${name}: {types[name]}" for name in used)
    query = f"query Q{'(' + declared + ')' if declared else ''} {{ {body} }} " + " ".join(fragments)
    values = {
        "id": draw(st.sampled_from(POOL)),
        "ids": draw(st.lists(st.sampled_from(POOL), max_size=5)),
        "c0": draw(st.booleans()),
        "c1": draw(st.booleans()),
        "t": draw(st.sampled_from([True, False, None])),
    }
    return query, {name: values[name] for name in used}


# A change to a snapshot: (event id, path, new value), deleting the key for _DELETE.
_DELETE = "<delete>"
_CHANGES = st.lists(
    st.sampled_from(IDS).flatmap(
        lambda event_id: st.tuples(
            st.just(event_id),
            st.sampled_from(PATHS[event_id]),
            st.sampled_from([_DELETE, *range(len(ANOMALIES))]),
        )
    ),
    max_size=3,
)


def _store(changes: list[tuple[str, tuple[str | int, ...], object]]) -> dict[str, Any]:
    store = {**EVENTS, **ODD}
    for event_id, path, change in changes:
        event = store[event_id] = copy.deepcopy(store[event_id])
        parent = event
        try:
            for step in path[:-1]:
                parent = parent[step]
            if change == _DELETE:
                del parent[path[-1]]
            else:
                assert isinstance(change, int)
                parent[path[-1]] = ANOMALIES[change]
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the path
    return store


def _compiled_unless_refused(ran: Ran) -> None:
    """Every generated operation is a candidate: its plan answers it, unless graphql-core's
    executor refuses one of its values (then the plan hands it back, as it must)."""
    assert (ran.runs, ran.bails) in ({(0, 0)} if ran.refused else {(1, 0), (0, 1)})
    assert not ran.bails or ran.regular["errors"]


def test_generated_operations_answer_as_the_regular_executor() -> None:
    tally = Counter[str]()

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(operation=_operations(), changes=_CHANGES)
    def example(
        operation: tuple[str, dict[str, Any]],
        changes: list[tuple[str, tuple[str | int, ...], object]],
    ) -> None:
        query, variables = operation
        ran = asyncio.run(_both(query, variables, _store(changes)))
        assert ran.compiled == ran.regular
        _compiled_unless_refused(ran)
        tally.update(runs=ran.runs, bails=ran.bails)

    example()
    # The comparison means something only if the compiled path took most of
    # the operations, and handed some back.
    assert tally["runs"] > 100
    assert tally["bails"] > 10


# Chosen cases ----------------------------------------------------------------

SMALL = """query($id: ID!) {
  workstreamEvent(id: $id) { id readable processing application { name platform } }
}"""


async def test_an_ordinary_read_is_compiled() -> None:
    ran = await _both(SMALL, {"id": IDS[0]})
    assert ran.compiled == ran.regular and not ran.compiled["errors"]
    assert (ran.runs, ran.bails) == (1, 0)


async def test_a_read_that_selects_no_id_is_compiled() -> None:
    # The plan decodes each snapshot's id all the same, to check it is the one asked for.
    query = "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { readable } }"
    ran = await _both(query, {"ids": IDS})
    assert ran.compiled == ran.regular and not ran.compiled["errors"]
    assert (ran.runs, ran.bails) == (1, 0)


async def test_a_snapshot_of_another_event_is_handed_back() -> None:
    query = "query($id: ID!) { workstreamEvent(id: $id) { readable } }"
    ran = await _both(query, {"id": IDS[0]}, {IDS[0]: EVENTS[IDS[1]]})
    assert ran.compiled == ran.regular
    (error,) = [orjson.loads(e) for e in ran.compiled["errors"]]
    assert error["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"
    assert (ran.runs, ran.bails) == (0, 1)


_ROOTS = """query Q($id: ID!, $ids: [ID!]!, $yes: Boolean!, $no: Boolean!) {
  __typename
  ...Roots
  ... on Query { second: workstreamEvents(ids: $ids) { ...Named } }
  ... on Query @include(if: $no) { never: __typename }
  missing: workstreamEvent(id: "missing") { id }
}
fragment Roots on Query { first: workstreamEvent(id: $id) @include(if: $yes) { ...Named } }
fragment Named on WorkstreamEvent {
  id
  ... on WorkstreamEvent { application { name } }
  ... @skip(if: $no) { processing }
  ...Scored @include(if: $no)
}
fragment Scored on WorkstreamEvent { score { manual } }
query Other { workstreamEvent(id: "missing") { __typename } }"""


async def test_fragments_conditions_and_type_conditions_at_every_level_are_compiled() -> None:
    variables = {"id": IDS[0], "ids": IDS[1:3], "yes": True, "no": False}
    ran = await _both(_ROOTS, variables, operation_name="Q")
    assert ran.compiled == ran.regular
    assert (ran.runs, ran.bails) == (1, 0)
    data = orjson.loads(ran.compiled["data"])
    assert list(data) == ["__typename", "first", "second", "missing"]
    assert list(data["first"]) == ["id", "application", "processing"]  # no score: skipped
    assert data["first"]["application"] == {"name": EVENTS[IDS[0]]["application"]["name"]}
    assert [event["id"] for event in data["second"]] == IDS[1:3]
    assert _error_paths(ran.compiled) == [["missing"]]
    other = await _both(_ROOTS, operation_name="Other")
    assert other.compiled == other.regular and (other.runs, other.bails) == (1, 0)


async def test_a_null_where_a_nullable_object_belongs_is_compiled() -> None:
    event = {**EVENTS[IDS[0]], "score": None}
    query = "query($id: ID!) { workstreamEvent(id: $id) { id score { manual } } }"
    ran = await _both(query, {"id": IDS[0]}, {IDS[0]: event})
    assert ran.compiled == ran.regular and not ran.compiled["errors"]
    assert orjson.loads(ran.compiled["data"]) == {"workstreamEvent": {"id": IDS[0], "score": None}}
    assert (ran.runs, ran.bails) == (1, 0)


@pytest.mark.parametrize("text", [b"null", b"[]", b'"VS_CODE"', b"7", b"{"])
async def test_a_snapshot_that_is_no_object_is_handed_back(text: bytes) -> None:
    ran = await _both(SMALL, {"id": IDS[0]}, {IDS[0]: text})
    assert ran.compiled == ran.regular
    (error,) = [orjson.loads(e) for e in ran.compiled["errors"]]
    assert error["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"
    assert (ran.runs, ran.bails) == (0, 1)


@pytest.mark.parametrize(
    "variables",
    [{}, {"id": True}, {"id": ["a"]}, {"id": None}],
    ids=["missing", "a-boolean", "a-list", "null"],
)
async def test_variables_are_refused_as_the_regular_executor_refuses_them(
    variables: dict[str, Any],
) -> None:
    ran = await _both(SMALL, variables)
    assert ran.compiled == ran.regular
    (error,) = [orjson.loads(e) for e in ran.compiled["errors"]]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert orjson.loads(ran.compiled["data"]) is None


async def test_a_flood_of_refused_variables_stops_where_the_regular_executor_stops() -> None:
    ran = await _both(refused_variables_flood("query", 'workstreamEvent(id: "x")'), {})
    assert ran.compiled == ran.regular
    errors = [orjson.loads(e)["message"] for e in ran.compiled["errors"]]
    assert len(errors) == 51
    assert "error limit reached" in " ".join(errors)


def _error_paths(answer: dict[str, Any]) -> list[list[str | int]]:
    return [orjson.loads(error)["path"] for error in answer["errors"]]


_NAMED_READ = """query($id: ID!) {
  workstreamEvent(id: $id) { id processing application { name platform } score { manual } }
}"""


@pytest.mark.parametrize(
    ("change", "path"),
    [
        pytest.param({"score": {"manual": 2**63}}, ["score", "manual"], id="int-above-64-bits"),
        pytest.param({"score": {"manual": 2.5}}, ["score", "manual"], id="int-not-whole"),
        pytest.param({"processing": "SOMETHING_NEW"}, ["processing"], id="unknown-enum-value"),
        pytest.param({"application": {"name": None}}, ["application", "name"], id="null-non-null"),
        pytest.param({"application": ["VS_CODE"]}, ["application"], id="list-for-object"),
        pytest.param({"application": "VS_CODE"}, ["application"], id="string-for-object"),
    ],
)
async def test_each_value_the_plan_cannot_complete_is_handed_back(
    change: dict[str, Any], path: list[str]
) -> None:
    event = {**EVENTS[IDS[0]], **change}
    ran = await _both(_NAMED_READ, {"id": IDS[0]}, {IDS[0]: event})
    assert ran.compiled == ran.regular
    (error_path,) = _error_paths(ran.compiled)
    assert error_path[: len(path) + 1] == ["workstreamEvent", *path]
    assert (ran.runs, ran.bails) == (0, 1)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"1e999", id="float-overflowing-to-infinity"),
        pytest.param(b"-1e999", id="float-overflowing-to-minus-infinity"),
        pytest.param(b'"fast"', id="float-as-a-word"),
    ],
)
async def test_a_float_graphql_cannot_represent_is_handed_back(value: bytes) -> None:
    event = {**EVENTS[IDS[0]], "workstreamEventsVector": [0.5, "__VALUE__"]}
    text = orjson.dumps(event).replace(b'"__VALUE__"', value)
    query = "query($id: ID!) { workstreamEvent(id: $id) { id workstreamEventsVector } }"
    ran = await _both(query, {"id": IDS[0]}, {IDS[0]: text})
    assert ran.compiled == ran.regular
    assert ran.compiled["errors"]
    assert (ran.runs, ran.bails) == (0, 1)


async def test_errors_may_come_in_another_order_but_are_the_same_errors() -> None:
    query = "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }"
    ran = await _both(query, {"ids": ["missing", IDS[0], "gone"]})
    assert ran.compiled == ran.regular
    assert sorted(map(str, _error_paths(ran.compiled))) == sorted(
        map(str, [["workstreamEvents", 0], ["workstreamEvents", 2]])
    )
    assert (ran.runs, ran.bails) == (1, 0)


async def test_too_many_ids_are_refused_as_the_resolver_refuses_them() -> None:
    query = "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }"
    ran = await _both(query, {"ids": [IDS[0]] * 1001})
    assert ran.compiled == ran.regular
    assert "at most" in ran.compiled["errors"][0].decode()
    assert (ran.runs, ran.bails) == (0, 1)


def _pointing(event: dict[str, Any], index: int, *, embedded: bool) -> dict[str, Any]:
    """`event`, pointing at two of the simulator's records of each relation, with
    their embedded copies or by id alone (each is then fetched where selected)."""
    store = SIMULATOR.state.store
    event = copy.deepcopy(event)
    for relation in RELATIONS:
        ids = list(store.records.ids(relation.key))[index : index + 2]
        event[relation.key] = {
            "iterable": [
                {"id": record_id}
                | (
                    {"reference": as_flattened(relation, store.record(relation.key, record_id))}
                    if embedded
                    else {}
                )
                for record_id in ids
            ]
        }
    return event


_REFERENCES = """fragment Tagged on FlattenedTag { __typename id text category }
query($id: ID!, $ids: [ID!]!) {
  one: workstreamEvent(id: $id) { id tags { iterable { id reference { ...Tagged } } } }
  many: workstreamEvents(ids: $ids) {
    summaries { iterable { reference { name ... on FlattenedWorkstreamSummary { id } } } }
    websites { iterable { id reference { url } } }
    persons { iterable { reference { id } } }
  }
}"""


def _pointing_store(*, embedded: bool) -> dict[str, Any]:
    store = {i: _pointing(e, n, embedded=embedded) for n, (i, e) in enumerate(EVENTS.items())}
    # Fetched records point at records of their own, by id: those are fetched too.
    store["one"] = {**_pointing(EVENTS[IDS[0]], 0, embedded=False), "id": "one"}
    return store


_NESTED = """query($id: ID!) { workstreamEvent(id: $id) {
  tags { iterable { reference { text websites { iterable { id reference { url } } } } } }
} }"""


@pytest.mark.parametrize("embedded", [True, False], ids=["embedded", "fetched"])
async def test_references_are_compiled_and_answer_as_the_regular_executor(
    embedded: bool,
) -> None:
    store = _pointing_store(embedded=embedded)
    ran = await _both(_REFERENCES, {"id": "one", "ids": [*IDS, "missing"]}, store)
    assert ran.compiled == ran.regular
    assert (ran.runs, ran.bails) == (1, 0)
    data = orjson.loads(ran.compiled["data"])
    assert data["one"]["tags"]["iterable"][0]["reference"]["__typename"] == "FlattenedTag"
    assert all(
        s["reference"]["name"] for e in data["many"][:-1] for s in e["summaries"]["iterable"]
    )
    (error,) = [orjson.loads(e) for e in ran.compiled["errors"]]
    assert error["path"] == ["many", len(IDS)]  # the missing event, as ever


async def test_the_references_of_fetched_records_are_fetched_in_turn() -> None:
    store = SIMULATOR.state.store
    website = next(iter(store.records.ids("websites")))
    tags = [store.record("tags", i) for i in list(store.records.ids("tags"))[:2]]
    for tag in tags:
        tag["websites"] = {"iterable": [{"id": website}]}
    try:
        ran = await _both(_NESTED, {"id": "one"}, _pointing_store(embedded=False))
    finally:
        for tag in tags:
            del tag["websites"]
    assert ran.compiled == ran.regular and not ran.compiled["errors"]
    assert (ran.runs, ran.bails) == (1, 0)
    data = orjson.loads(ran.compiled["data"])
    websites = [
        w
        for t in data["workstreamEvent"]["tags"]["iterable"]
        for w in (t["reference"]["websites"] or {"iterable": []})["iterable"]
    ]
    assert websites and all(w["reference"]["url"] for w in websites)


_REFERENCE_CHANGE_KINDS = ["drop-copy", "missing", "bad-id", "copy-anomaly", "copy-field-anomaly"]


@st.composite
def _reference_operations(
    draw: st.DrawFn,
) -> tuple[str, list[tuple[str, str, str, int]]]:
    """An operation reading references (embedded or fetched, with fragments and
    conditions), and changes to the references it reads: (event, relation key,
    what becomes of its first item, which anomaly)."""
    fragments: list[str] = []
    roots = []
    changes = []
    for index in range(draw(st.integers(1, 2))):
        relation = draw(st.sampled_from(RELATIONS))
        flattened = GRAPHQL.type_map[relation.flattened]
        assert isinstance(flattened, GraphQLObjectType)
        inner = draw(_selection(flattened, 1, fragments))
        field = to_camel_case(relation.key)
        reference = f"iterable {{ id reference{draw(_DIRECTIVES)} {{ {inner} }} }}"
        roots.append(f"r{index}: workstreamEvents(ids: $ids) {{ {field} {{ {reference} }} }}")
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(_REFERENCE_CHANGE_KINDS))
            anomaly = draw(st.sampled_from(range(len(ANOMALIES))))
            changes.append((draw(st.sampled_from(IDS)), relation.key, kind, anomaly))
    used = "".join(roots + fragments)
    declared = ", ".join(
        f"${name}: Boolean!" for name in ("c0", "c1") if re.search(rf"\${name}\b", used)
    )
    variables = f"($ids: [ID!]!{', ' + declared if declared else ''})"
    query = f"query Q{variables} {{ {' '.join(roots)} }} " + " ".join(fragments)
    return query, changes


def _referring(changes: list[tuple[str, str, str, int]]) -> dict[str, Any]:
    store = {i: _pointing(e, n, embedded=n % 2 == 0) for n, (i, e) in enumerate(EVENTS.items())}
    for event_id, key, change, anomaly in changes:
        items = store[event_id][key]["iterable"]
        if not items:  # the simulator holds no record of this relation
            continue
        item = items[0]
        if change == "drop-copy":
            item.pop("reference", None)
        elif change == "missing":
            store[event_id][key]["iterable"][0] = {"id": "no-such-record"}
        elif change == "bad-id":
            store[event_id][key]["iterable"][0] = {"id": ANOMALIES[anomaly]}
        elif change == "copy-anomaly":
            item["reference"] = ANOMALIES[anomaly]
        elif isinstance(item.get("reference"), dict):
            copy_ = item["reference"] = dict(item["reference"])
            copy_[next(iter(copy_))] = ANOMALIES[anomaly]
    return store


def test_generated_reference_reads_answer_as_the_regular_executor() -> None:
    tally = Counter[str]()

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(operation=_reference_operations(), c0=st.booleans())
    def example(operation: tuple[str, list[tuple[str, str, str, int]]], c0: bool) -> None:
        query, changes = operation
        variables: dict[str, Any] = {"ids": [*IDS, "missing"]}
        variables |= {name: c0 for name in ("c0", "c1") if f"${name}:" in query}
        ran = asyncio.run(_both(query, variables, _referring(changes)))
        assert ran.compiled == ran.regular
        _compiled_unless_refused(ran)
        tally.update(runs=ran.runs, bails=ran.bails)

    example()
    assert tally["runs"] > 50
    assert tally["bails"] > 10


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param({"id": "no-such-tag"}, id="a-record-pieces-os-lacks"),
        pytest.param({"id": ".."}, id="an-id-no-record-can-have"),
        pytest.param({"id": 7}, id="an-id-not-a-string"),
        pytest.param({"id": "t", "reference": "TEXT"}, id="a-copy-not-an-object"),
        pytest.param({"id": "t", "reference": {"text": 5}}, id="a-copy-of-another-shape"),
    ],
)
async def test_a_reference_the_plan_cannot_complete_is_handed_back(
    reference: dict[str, Any],
) -> None:
    store = _pointing_store(embedded=False)
    store["one"]["tags"]["iterable"].insert(0, reference)
    ran = await _both(_REFERENCES, {"id": "one", "ids": IDS}, store)
    assert ran.compiled == ran.regular
    assert (ran.runs, ran.bails) == (0, 1)
    (error,) = [orjson.loads(e) for e in ran.compiled["errors"]]
    assert error["path"][:4] == ["one", "tags", "iterable", 0]


async def test_ids_of_references_alone_are_compiled() -> None:
    query = "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { tags { iterable { id } } } }"
    store = {i: _pointing(e, 0, embedded=False) for i, e in EVENTS.items()}
    ran = await _both(query, {"ids": IDS}, store)
    assert ran.compiled == ran.regular and not ran.compiled["errors"]
    assert (ran.runs, ran.bails) == (1, 0)


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Score") { name } workstreamEvent(id: "x") { id } }',
        "{ _service { sdl } }",
        '{ _entities(representations: [{__typename: "WorkstreamEvent", id: "x"}]) '
        "{ ... on WorkstreamEvent { id } } }",
        "{ workstreamEventsConnection(first: 2) { totalCount } }",
        'mutation { workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "x") '
        "{ workstreamEventId } }",
        '{ workstreamEvent(id: "x") @deprecated { id } }',
        "{ workstreamEvent(id: }",
        '{ a1: workstreamEvent(id: "x") { id } a2: __typename }',
    ],
)
async def test_other_operations_take_the_regular_path(query: str) -> None:
    compiles = query.startswith("{ a1")
    ran = await _both(query)
    assert ran.compiled == ran.regular
    assert (ran.runs, ran.bails) == ((1 if compiles else 0), 0)


def test_a_document_is_prepared_once_and_a_huge_one_is_not_kept() -> None:
    documents = Documents(GRAPHQL, SchemaOptions())
    assert documents.prepare(SMALL, None) is documents.prepare(SMALL, None)
    refused = documents.prepare("{ nope }", None)
    assert isinstance(refused, list)
    assert documents.prepare("{ nope }", None) is refused
    huge = SMALL + "\n#" + "x" * DOCUMENT_CACHE_CHARS
    assert documents.prepare(huge, None) is not documents.prepare(huge, None)


def test_with_the_compiled_path_off_nothing_is_compiled() -> None:
    prepared = REGULAR.prepare(SMALL, None)
    assert not isinstance(prepared, list)
    assert prepared.plans is None


async def test_a_document_whose_conditions_keep_varying_is_executed_as_it_is() -> None:
    names = [f"c{i}" for i in range(5)]
    fields = " ".join(f"f{i}: id @include(if: ${name})" for i, name in enumerate(names))
    declared = ", ".join(f"${name}: Boolean!" for name in names)
    query = f"query({declared}, $id: ID!) {{ workstreamEvent(id: $id) {{ {fields} }} }}"
    documents = Documents(GRAPHQL, SchemaOptions())
    compiled = []
    for variant in range(MAX_VARIANTS + 1):
        flags = {name: bool(variant >> bit & 1) for bit, name in enumerate(names)}
        ran = await _both(query, {**flags, "id": IDS[0]}, compiled=documents)
        assert ran.compiled == ran.regular
        compiled.append(ran.runs)
    assert compiled == [1] * MAX_VARIANTS + [0]


# Candidates -------------------------------------------------------------------
# `condition_variables` on parsed documents: the directives validation refuses (all but
# `@include`/`@skip` are of the type system here) are refused here too, in case a schema
# ever declares one.


def _candidate(document: str) -> tuple[str, ...] | None:
    parsed = parse(document, experimental_fragment_arguments=True)
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = [d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)]
    (operation,) = operations
    return condition_variables(operation, fragments)


@pytest.mark.parametrize(
    ("document", "conditions"),
    [
        pytest.param("{ a }", (), id="no-conditions"),
        pytest.param(
            "query($x: Boolean!, $y: Boolean!) { a @include(if: $x) b { c @skip(if: $y) } "
            "d @include(if: $x) }",
            ("x", "y"),
            id="each-variable-once",
        ),
        pytest.param(
            "query { a @include(if: true) @skip(if: false) }", (), id="literal-conditions"
        ),
        pytest.param(
            "query { ... @include(if: $i) { a { ... on A @skip(if: $s) { b @include(if: $b) } } } "
            "...F @skip(if: $f) } fragment F on Query { c { d @include(if: $d) } }",
            ("i", "f", "s", "b", "d"),
            id="in-inline-fragments-spreads-and-fragments",
        ),
        pytest.param("mutation { a }", None, id="a-mutation"),
        pytest.param("subscription { a }", None, id="a-subscription"),
        pytest.param("query @live { a }", None, id="a-directive-on-the-operation"),
        pytest.param("query($x: Int @tag) { a }", None, id="a-directive-on-a-variable"),
        pytest.param("query { a @live }", None, id="another-directive-on-a-field"),
        pytest.param("query { a { b { c @live } } }", None, id="another-directive-deep-down"),
        pytest.param(
            "query { ... @defer { a } }", None, id="another-directive-on-an-inline-fragment"
        ),
        pytest.param(
            "query { ... { a { b @live } } }", None, id="another-directive-in-an-inline-fragment"
        ),
        pytest.param("query { a @include(if: 1) }", None, id="a-condition-not-a-boolean"),
        pytest.param(
            "query { ...F } fragment F on Query @live { a }", None, id="a-directive-on-a-fragment"
        ),
        pytest.param(
            "query { ...F } fragment F on Query { a { b @live } }",
            None,
            id="another-directive-in-a-fragment",
        ),
        pytest.param(
            "query { ...F } fragment F($v: Int) on Query { a }",
            None,
            id="a-fragment-with-variables",
        ),
        pytest.param(
            "query { ...F(v: 1) } fragment F on Query { a }", None, id="a-spread-with-arguments"
        ),
    ],
)
def test_the_candidates_are_queries_with_conditions_alone(
    document: str, conditions: tuple[str, ...] | None
) -> None:
    assert _candidate(document) == conditions


# What a plan decodes -----------------------------------------------------------


async def _plan(query: str, variables: dict[str, Any], store: dict[str, Any]) -> Plan:
    """The plan compiled for `query` with these variables, after it answered them."""
    documents = Documents(GRAPHQL, SchemaOptions())
    prepared = documents.prepare(query, None)
    assert not isinstance(prepared, list) and prepared.plans is not None
    await run(GRAPHQL, prepared, _context(store, []), variables)
    assert (prepared.plans.runs, prepared.plans.bails) == (1, 0)
    (plan,) = prepared.plans.variants.values()
    assert plan is not None
    return plan


async def test_a_plan_decodes_only_the_keys_it_selects_aliases_merged() -> None:
    # Aliases of one upstream key are read at once: the union of what each selects.
    query = """query($id: ID!) { workstreamEvent(id: $id) {
      __typename id
      application { name } again: application { platform __typename }
      tags { iterable { id reference { text } again: reference { category } } }
      moreTags: tags { iterable { reference { id } } }
      summaries { iterable { id } }
    } }"""
    event = _pointing(EVENTS[IDS[0]], 0, embedded=True)
    assert event["tags"]["iterable"] and event["summaries"]["iterable"]
    plan = await _plan(query, {"id": IDS[0]}, {IDS[0]: event})
    (root,) = plan.fields
    assert root.decode is not None
    decoded = root.decode(Snapshot(orjson.dumps(event), IDS[0]))
    assert decoded == {
        "id": IDS[0],
        "application": {key: event["application"][key] for key in ("name", "platform")},
        "tags": {
            "iterable": [
                {
                    "id": tag["id"],
                    "reference": {key: tag["reference"][key] for key in ("text", "category", "id")},
                }
                for tag in event["tags"]["iterable"]
            ]
        },
        "summaries": {"iterable": [{"id": s["id"]} for s in event["summaries"]["iterable"]]},
    }


# What a plan completes inline ------------------------------------------------


def _every_field(gtype: GraphQLObjectType, depth: int) -> str:
    """A selection of every field of `gtype` without arguments, objects `depth` deep."""
    parts = []
    for name, field in sorted(gtype.fields.items()):
        named = get_named_type(field.type)
        if field.args:
            continue
        if is_leaf_type(named):
            parts.append(name)
        elif isinstance(named, GraphQLObjectType) and depth > 0:
            parts.append(f"{name} {{ {_every_field(named, depth - 1)} }}")
    return " ".join(parts) or "__typename"


EVERY_FIELD = f"query($id: ID!) {{ workstreamEvent(id: $id) {{ {_every_field(EVENT, 3)} }} }}"


@pytest.fixture
def completed_by_graphql_core(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """The leaves the compiled path hands to graphql-core's `complete_leaf_value` (the
    regular path completes with its own subclass's, which this does not see)."""
    seen: list[tuple[str, object]] = []
    original = Executor.complete_leaf_value

    def complete_leaf_value(return_type: GraphQLLeafType, result: object) -> object:
        seen.append((return_type.name, result))
        return original(return_type, result)

    monkeypatch.setattr(Executor, "complete_leaf_value", staticmethod(complete_leaf_value))
    return seen


def _with_every_leaf_kind(event: dict[str, Any]) -> dict[str, Any]:
    """`event` with a value of its usual JSON type in a field of each kind of leaf the
    selection reaches (the simulator leaves some kinds null in some events)."""
    anchors = {**(event.get("anchors") or {"iterable": []}), "indices": {"a": 1}}
    return {**event, "score": {"manual": 3, "automatic": 2**40}, "anchors": anchors}


@pytest.mark.parametrize("event_id", IDS)
async def test_leaves_of_their_usual_json_types_are_completed_inline(
    event_id: str, completed_by_graphql_core: list[tuple[str, object]]
) -> None:
    # Strings, ids, booleans, 64-bit integers, enums, instants and objects of JSON (no plain
    # `Int` or `Float` outside a list is this deep: a list of floats is the next test's):
    # the projection passes each value of its usual JSON type itself.
    event = _with_every_leaf_kind(EVENTS[event_id])
    ran = await _both(EVERY_FIELD, {"id": event_id}, {event_id: event})
    assert ran.compiled == ran.regular and not ran.compiled["errors"]
    assert (ran.runs, ran.bails) == (1, 0)
    data = orjson.loads(ran.compiled["data"])["workstreamEvent"]
    assert (data["score"]["manual"], data["score"]["automatic"]) == (3, 2**40)
    assert data["anchors"]["indices"] == {"a": 1}
    assert data["created"]["value"] and data["application"]["onboarded"] is not None
    assert completed_by_graphql_core == []


def test_every_leaf_an_object_can_select_has_an_inline_completion() -> None:
    # `leaf`'s closure has no fast path: a leaf type without an inline kind would take
    # graphql-core's completion for every value (right, but slow).
    kinds = {
        get_named_type(field.type).name
        for gtype in GRAPHQL.type_map.values()
        if isinstance(gtype, GraphQLObjectType) and not gtype.name.startswith("__")
        for field in gtype.fields.values()
        if is_leaf_type(get_named_type(field.type))
    }
    assert {"String", "ID", "Boolean", "Int", "Float", "DateTime", "Int64", "JSONObject"} <= kinds
    for name in sorted(kinds):
        named = GRAPHQL.type_map[name]
        assert isinstance(named, GraphQLLeafType)
        assert _leaf_inline(named, lambda value: value) is not None, name


async def test_the_items_of_a_list_of_leaves_are_completed_inline(
    completed_by_graphql_core: list[tuple[str, object]],
) -> None:
    event = {**EVENTS[IDS[0]], "workstreamEventsVector": [0.5, 1.5, -2.0]}
    query = "query($id: ID!) { workstreamEvent(id: $id) { workstreamEventsVector } }"
    ran = await _both(query, {"id": IDS[0]}, {IDS[0]: event})
    assert ran.compiled == ran.regular and not ran.compiled["errors"]
    assert orjson.loads(ran.compiled["data"]) == {
        "workstreamEvent": {"workstreamEventsVector": [0.5, 1.5, -2.0]}
    }
    assert (ran.runs, ran.bails) == (1, 0)
    assert completed_by_graphql_core == []


async def test_a_leaf_of_another_json_type_is_completed_by_graphql_core(
    completed_by_graphql_core: list[tuple[str, object]],
) -> None:
    event = {**EVENTS[IDS[0]], "application": {**EVENTS[IDS[0]]["application"], "onboarded": 1}}
    query = "query($id: ID!) { workstreamEvent(id: $id) { application { onboarded } } }"
    ran = await _both(query, {"id": IDS[0]}, {IDS[0]: event})
    assert ran.compiled == ran.regular and not ran.compiled["errors"]
    assert orjson.loads(ran.compiled["data"]) == {
        "workstreamEvent": {"application": {"onboarded": True}}
    }
    assert (ran.runs, ran.bails) == (1, 0)
    assert completed_by_graphql_core == [("Boolean", 1)]
