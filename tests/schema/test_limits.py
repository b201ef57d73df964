"""The limits of `schema._limits`: each refuses just past its bound, with its code, in linear time.

Each limit is tried at its bound (admitted) and one past it (refused), so that
a limit removed or off by one fails here. The hostile shapes of
`bench._adversarial` are refused by code before graphql-core's rules see them;
the fragment fan-out also against a real `pieces-gateway demo`, whose
`/healthz` must answer meanwhile.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, SourceLocation, get_introspection_query, parse

from bench import _adversarial as shapes
from bench.validation import ordinary
from schema import Documents, Prepared, SchemaOptions
from schema._build import build_schema
from schema._limits import measure
from tests.serving import demo_process

SCHEMA = build_schema()._schema
_EVERY_FIELD = ordinary(1)[len('{ workstreamEvent(id: "e") { ') : -len(" } }")]


def prepare(query: str, **options: Any) -> Prepared | list[GraphQLError]:
    return Documents(SCHEMA, SchemaOptions(**options)).prepare(query, None)


def codes(outcome: Prepared | list[GraphQLError]) -> list[str]:
    assert isinstance(outcome, list), "admitted"
    return [str((error.extensions or {}).get("code")) for error in outcome]


def admitted(outcome: Prepared | list[GraphQLError]) -> bool:
    return not isinstance(outcome, list)


# (option, bound, document at the bound, document one past it, the code)
BOUNDS = [
    # Measured before validation: the document past the bound need not be valid.
    ("max_depth", 3, '{ workstreamEvent(id: "e") { anchors { iterable { id } } } }',
     '{ workstreamEvent(id: "e") { anchors { iterable { a { b } } } } }', "MAX_DEPTH_EXCEEDED"),
    ("max_aliases", 3, shapes.aliases(3), shapes.aliases(4), "MAX_ALIASES_EXCEEDED"),
    ("max_selections", 5, "{ workstreamEvent(id: \"e\") { id readable windowTitle browserUrl } }",
     "{ workstreamEvent(id: \"e\") { id readable windowTitle browserUrl processing } }",
     "MAX_SELECTIONS_EXCEEDED"),
    ("max_root_fields", 3, shapes.aliases(3), shapes.aliases(4), "MAX_ROOT_FIELDS_EXCEEDED"),
    ("max_fragments", 3, shapes.chain(2), shapes.chain(3), "MAX_FRAGMENTS_EXCEEDED"),
    # Three `id`s: (3 - 1) x 3 = 6; four: (4 - 1) x 4 = 12.
    ("max_comparisons", 6, shapes.duplicates(3), shapes.duplicates(4), "MAX_COMPARISONS_EXCEEDED"),
    ("max_tokens", 11, '{ workstreamEvent(id: "e") { id } }',
     '{ workstreamEvent(id: "e") { id id } }', "MAX_TOKENS_EXCEEDED"),
]  # fmt: skip


@pytest.mark.parametrize(("option", "bound", "at", "past", "code"), BOUNDS)
def test_each_limit_admits_its_bound_and_refuses_past_it(
    option: str, bound: int, at: str, past: str, code: str
) -> None:
    loose = {
        "max_aliases": 1_000,
        "max_root_fields": 1_000,
        "max_comparisons": 1_000,
        option: bound,
    }
    assert admitted(prepare(at, **loose))
    assert codes(prepare(past, **loose)) == [code]


def test_a_mutations_root_fields_are_its_writes() -> None:
    one = 'a{i}: workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "e") {{ id }}'
    mutation = "mutation { " + " ".join(one.format(i=i) for i in range(3)) + " }"
    assert codes(prepare(mutation, max_mutation_fields=2)) == ["MAX_MUTATIONS_EXCEEDED"]
    # Through fragments, each counted once per spread.
    spread = "mutation { ...W ...W } fragment W on Mutation { " + one.format(i=0) + " }"
    assert codes(prepare(spread, max_mutation_fields=1)) == ["MAX_MUTATIONS_EXCEEDED"]


def test_fragments_count_at_each_spread() -> None:
    # Two spreads of a fragment with two aliases: four aliases.
    query = "{ ...F ...F } fragment F on Query { a: __typename b: __typename }"
    assert codes(prepare(query, max_aliases=3)) == ["MAX_ALIASES_EXCEEDED"]
    assert admitted(prepare(query, max_aliases=4))


def test_a_fragment_nobody_spreads_is_measured_too() -> None:
    # graphql-core refuses it for being unused, but only after its rules ran on it.
    query = "{ __typename } fragment F on Query { " + "a: __typename " * 40 + "}"
    assert codes(prepare(query)) == ["MAX_ALIASES_EXCEEDED"]


@pytest.mark.parametrize(
    ("query", "at"),
    [
        # The operation over the limit, and the fragment over it (found by `make mutation`).
        ("{ __typename }\nquery Deep { a { b { c } } }", SourceLocation(2, 1)),
        ("{ ...F }\n  fragment F on Query { a { b { c } } }", SourceLocation(2, 3)),
    ],
)
def test_a_refusal_points_at_the_definition_over_the_limit(query: str, at: SourceLocation) -> None:
    (error,) = prepare(query, max_depth=1)  # type: ignore[misc]
    assert (error.extensions, error.locations) == ({"code": "MAX_DEPTH_EXCEEDED"}, [at])


_DELETE = 'workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "e") { __typename }'


@pytest.mark.parametrize(
    ("query", "options", "message", "at"),
    [
        ("query Deep { a { b { c } } }", {"max_depth": 1},
         "Operation 'Deep' nests 2 fields deep; the limit is 1.", SourceLocation(1, 1)),
        ("{ a { b { c } } }", {"max_depth": 1},
         "The operation nests 2 fields deep; the limit is 1.", SourceLocation(1, 1)),
        ("{ ...F } fragment F on Query { a: __typename b: __typename }", {"max_aliases": 1},
         "Fragment 'F' uses 2 aliases; the limit is 1.", SourceLocation(1, 10)),
        # The operation's own alias and its fragment's two.
        ("{ x: __typename ...F } fragment F on Query { a: __typename b: __typename }",
         {"max_aliases": 2}, "The operation uses 3 aliases; the limit is 2.", SourceLocation(1, 1)),
        ('{ workstreamEvent(id: "e") { id readable } }', {"max_selections": 2},
         "The operation makes 3 selections, fragments counted at each spread; the limit is 2.",
         SourceLocation(1, 1)),
        (f"mutation {{ a: {_DELETE} b: {_DELETE} }}", {"max_mutation_fields": 1},
         "A mutation may have 1 root fields at most; this one has 2.", SourceLocation(1, 1)),
        ("{ __typename } fragment A on Query { __typename } fragment B on Query { __typename }",
         {"max_fragments": 1}, "A document may define 1 fragments at most; this one defines 2.",
         None),
        ('{ e: workstreamEvent(id: "e") { a: id b: id } }', {"max_aliases": 2},
         "The operation uses 3 aliases; the limit is 2.", SourceLocation(1, 1)),
        # An inline fragment's own alias, and the two of the fragment it spreads.
        ("{ ... on Query { x: __typename ...F } }"
         " fragment F on Query { a: __typename b: __typename }",
         {"max_aliases": 2}, "The operation uses 3 aliases; the limit is 2.", SourceLocation(1, 1)),
        ("{ a: __typename b: __typename }", {"max_root_fields": 1},
         "An operation may have 1 root fields at most; this one has 2.", SourceLocation(1, 1)),
        # C comes after B, which A's spread measured first.
        ("{ ...A ...C } fragment A on Query { ...B } fragment B on Query { __typename }"
         " fragment C on Query { a: __typename b: __typename }", {"max_aliases": 1},
         "Fragment 'C' uses 2 aliases; the limit is 1.", SourceLocation(1, 79)),
        # Three `id`s cost (3 - 1) x 3 = 6, in the operation and in each fragment.
        ('{ workstreamEvent(id: "e") { id id id } } fragment F on WorkstreamEvent { id id id }'
         " fragment G on WorkstreamEvent { id id id }", {"max_comparisons": 17},
         "The document selects fields of one response name (or alias) in one selection set"
         " whose comparison costs 18 units; the limit is 17.", None),
        # Two `id`s cost 2, three 6: summed over the selection sets, nested ones too.
        ('{ workstreamEvent(id: "e") { id id } w: workstreamEvent(id: "f") { id id id } }',
         {"max_comparisons": 7},
         "The document selects fields of one response name (or alias) in one selection set"
         " whose comparison costs 8 units; the limit is 7.", None),
        # A fragment is measured once, however many spread it: A's 2, and B's 2 through A.
        ("{ __typename } fragment A on Query { a: __typename a: __typename }"
         " fragment B on Query { ...A }", {"max_comparisons": 3},
         "The document selects fields of one response name (or alias) in one selection set"
         " whose comparison costs 4 units; the limit is 3.", None),
    ],
)  # fmt: skip
def test_each_refusal_says_what_is_over_which_limit(
    query: str, options: dict[str, int], message: str, at: SourceLocation | None
) -> None:
    (error,) = prepare(query, **options)  # type: ignore[misc]
    assert error.message == message
    assert error.locations == (None if at is None else [at])


def test_introspection_fields_add_no_depth() -> None:
    # GraphiQL's introspection nests deep; the depth limit is for the data's fields.
    assert admitted(prepare("{ __schema { queryType { name } } }", max_depth=1))
    assert codes(prepare("{ a { b { c } } }", max_depth=1)) == ["MAX_DEPTH_EXCEEDED"]


def test_a_mutation_may_have_as_many_writes_as_its_limit() -> None:
    mutation = f"mutation {{ a: {_DELETE} b: {_DELETE} }}"
    assert admitted(prepare(mutation, max_mutation_fields=2))


@pytest.mark.parametrize("levels", [24, 40])
def test_a_fragment_fan_out_is_refused_by_its_size(levels: int) -> None:
    (error,) = prepare(shapes.fan_out(levels))  # type: ignore[misc]
    assert error.extensions["code"] == "MAX_SELECTIONS_EXCEEDED"
    # With the limit out of the way, the operation's 2^levels fields are counted, never walked.
    (error,) = prepare(shapes.fan_out(levels), max_selections=2 ** (levels + 2))  # type: ignore[misc]
    assert error.extensions["code"] == "MAX_ROOT_FIELDS_EXCEEDED"
    assert f"this one has {2**levels}." in error.message


def test_a_long_fragment_chain_is_refused_without_recursion() -> None:
    assert codes(prepare(shapes.chain(300))) == ["MAX_FRAGMENTS_EXCEEDED"]
    # Past every limit but one, measured as a whole: no frame per fragment.
    document = parse(shapes.chain(5 * sys.getrecursionlimit()), max_tokens=None)
    loose = SchemaOptions(max_fragments=10**6, max_comparisons=10**12, max_selections=10**6)
    assert measure(document, loose) == []


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (shapes.conflicting(1_600), "MAX_ROOT_FIELDS_EXCEEDED"),
        (shapes.duplicates(999), "MAX_COMPARISONS_EXCEEDED"),
        # 16 same-named fields, each selecting every scalar field of an event.
        (
            "{" + f' workstreamEvent(id: "e") {{ {_EVERY_FIELD} }}' * 16 + " }",
            "MAX_COMPARISONS_EXCEEDED",
        ),
        (shapes.fragment_fan_in(48), "MAX_COMPARISONS_EXCEEDED"),
        (shapes.fan_out_deep(30), "MAX_SELECTIONS_EXCEEDED"),
    ],
)
def test_hostile_shapes_are_refused_before_validation(document: str, code: str) -> None:
    assert codes(prepare(document, max_tokens=100_000)) == [code]


def test_the_token_limit_is_graphql_cores_own_wording() -> None:
    # schema._documents recognises the parser's message (no other sign of it exists).
    (error,) = prepare("{ a b c }", max_tokens=2)  # type: ignore[misc]
    assert error.message == "Syntax Error: Document contains more than 2 tokens. Parsing aborted."
    assert error.extensions == {"code": "MAX_TOKENS_EXCEEDED"}
    (error,) = prepare("{ a")  # type: ignore[misc]
    assert error.extensions == {"code": "GRAPHQL_PARSE_FAILED"}


def test_graphql_cores_refusals_are_validation_failures() -> None:
    assert codes(prepare("{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(prepare(shapes.conflicting(2))) == ["GRAPHQL_VALIDATION_FAILED"]
    two = "query A { __typename } query B { __typename }"
    assert codes(prepare(two)) == ["GRAPHQL_VALIDATION_FAILED"]


def test_graphiqls_introspection_and_every_field_are_within_the_defaults() -> None:
    assert admitted(prepare(get_introspection_query(descriptions=True)))
    assert admitted(prepare(ordinary()))


@pytest.mark.parametrize("shape", sorted(shapes.SHAPES))
def test_every_hostile_shape_is_refused_or_prepared(shape: str) -> None:
    """Grown until refused: every size is coded or prepared, never an exception."""
    grow = shapes.SHAPES[shape]
    documents = Documents(SCHEMA, SchemaOptions())
    for n in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
        outcome = documents.prepare(grow(n), None)
        if isinstance(outcome, list):
            found = [str((e.extensions or {}).get("code")) for e in outcome]
            assert "None" not in found
            if any(code.startswith("MAX_") for code in found) or "nested too deeply" in str(
                outcome[0].message
            ):
                return
    assert shape == "long list literal", f"{shape} was never refused"


async def test_a_fan_out_is_refused_while_healthz_answers() -> None:
    """Against a real `pieces-gateway demo`: the event loop is never held."""
    with demo_process() as demo:
        async with httpx.AsyncClient(base_url=demo.url, timeout=10) as client:
            for levels in (24, 40):
                refused, health = await asyncio.gather(
                    client.post("/graphql", json={"query": shapes.fan_out(levels)}),
                    client.get("/healthz"),
                )
                assert health.status_code == 200
                (error,) = refused.json()["errors"]
                assert error["extensions"]["code"] == "MAX_SELECTIONS_EXCEEDED"
