"""Operations generated from the schema never find a bug in the gateway.

hypothesis-graphql writes valid queries and mutations from the schema (as a
client sees it through introspection); each is posted to the real app in
front of the simulator. Whatever the operation, the answer is a JSON GraphQL
response under 500, every error has a code, none is INTERNAL_SERVER_ERROR,
and it comes back within a bound. Ids are mostly the simulator's own, so
the operations reach its events and not only NOT_FOUND. A fixed example budget
and `derandomize` keep CI reproducible.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio
import graphql
import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from bench._adversarial import SHAPES
from gateway import Settings, create_app
from gateway.simulator import create_simulator
from schema import build_schema
from tests.conftest import UPSTREAM

EVENTS, SEED = 10, 11
# Far above any answer from an in-process simulator: only a hang reaches it.
TIMEOUT = 20.0
SCHEMA = graphql.build_client_schema(build_schema().introspect())
IDS = list(create_simulator(events=EVENTS, seed=SEED).state.store.events)

_ids = st.sampled_from(IDS) | st.text(max_size=12)
_keys = st.from_regex(r"\A[a-z][a-zA-Z0-9_]{0,8}\Z")
_leaves = (
    st.integers(-(2**31), 2**31 - 1).map(nodes.Int)
    | st.text(max_size=12).map(nodes.String)
    | st.booleans().map(lambda value: graphql.BooleanValueNode(value=value))
)
_objects = st.dictionaries(_keys, _leaves, max_size=3).map(
    lambda fields: nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
            for k, v in fields.items()
        ]
    )
)
_representations = st.tuples(st.sampled_from(["WorkstreamEvent", "Nope"]), _ids).map(
    lambda pair: nodes.Object(
        [
            graphql.ObjectFieldNode(
                name=graphql.NameNode(value="__typename"), value=nodes.String(pair[0])
            ),
            graphql.ObjectFieldNode(name=graphql.NameNode(value="id"), value=nodes.String(pair[1])),
        ]
    )
)
CUSTOM_SCALARS = {
    "ID": _ids.map(nodes.String),
    "DateTime": st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(lambda instant: nodes.String(instant.isoformat())),
    "JSONObject": _objects,
    "Int64": st.integers(-(2**63), 2**63 - 1).map(nodes.Int),
    "_Any": _representations,
}

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Post = Callable[[str], httpx.Response]


@asynccontextmanager
async def _gateway() -> AsyncIterator[httpx.AsyncClient]:
    simulator = create_simulator(events=EVENTS, seed=SEED)
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(simulator))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield client


@pytest.fixture(scope="module")
def post() -> Iterator[Post]:
    """Posts one operation to one gateway (and simulator) shared by the module's examples."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_gateway()) as client,
    ):

        async def send(query: str) -> httpx.Response:
            with anyio.fail_after(TIMEOUT):
                return await client.post("/graphql", json={"query": query})

        yield lambda query: portal.call(send, query)


def _check(post: Post, operation: str) -> dict[str, Any]:
    note(operation)
    response = post(operation)
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body: dict[str, Any] = response.json()
    assert "errors" in body or "data" in body, body
    for error in body.get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert code, error
        assert code != "INTERNAL_SERVER_ERROR", error
    # Shown by --hypothesis-show-statistics: what the examples reached.
    codes = sorted({error["extensions"]["code"] for error in body.get("errors", [])})
    event(f"{response.status_code} {' '.join(codes) or 'no errors'}")
    return body


@FUZZ
@given(query=queries(SCHEMA, custom_scalars=CUSTOM_SCALARS))
def test_generated_queries(post: Post, query: str) -> None:
    _check(post, query)


@FUZZ
@given(mutation=mutations(SCHEMA, custom_scalars=CUSTOM_SCALARS))
def test_generated_mutations(post: Post, mutation: str) -> None:
    _check(post, mutation)


@FUZZ
@given(query=queries(SCHEMA, custom_scalars=CUSTOM_SCALARS, mode=Mode.NEGATIVE))
def test_invalid_queries_are_refused_with_a_code(post: Post, query: str) -> None:
    body = _check(post, query)
    assert body.get("errors"), body


# Hostile documents (bench/_adversarial.py), each at a size drawn up to well
# past the limits, mixed two at a time: an admitted one is answered, one over a
# limit is refused with its code, and either way within TIMEOUT.
_HOSTILE = st.sampled_from(sorted(SHAPES)).flatmap(
    lambda name: st.integers(1, 3_000).map(SHAPES[name])
)


@FUZZ
@given(first=_HOSTILE, second=_HOSTILE)
def test_hostile_documents_are_answered_or_refused_with_a_code(
    post: Post, first: str, second: str
) -> None:
    _check(post, first)
    _check(post, f"{first}\n{second}")
