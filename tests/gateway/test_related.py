"""`Referenced<X>.reference`: the record an event points at, resolved on demand.

The gateway in-process, in front of the simulator (whose events mostly carry
bare ids, as Pieces OS sends them), its requests recorded.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from pieces_os_client.models.anchor import Anchor
from pieces_os_client.models.annotation import Annotation
from pieces_os_client.models.conversation_message import ConversationMessage
from pieces_os_client.models.identified_workstream_pattern_engine_source import (
    IdentifiedWorkstreamPatternEngineSource,
)
from pieces_os_client.models.person import Person
from pieces_os_client.models.tag import Tag
from pieces_os_client.models.website import Website
from pieces_os_client.models.workstream_pattern_engine_source_window import (
    WorkstreamPatternEngineSourceWindow,
)
from pieces_os_client.models.workstream_summary import WorkstreamSummary
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.utils.str_converters import to_camel_case

from gateway._client import path_segment
from gateway.simulator import create_simulator
from gateway.simulator._coverage import CoverageFiller
from schema import RELATIONS, Relation, as_flattened
from schema.contract import MODELS
from tests.conftest import GraphQLClient, running_gateway
from tests.contract_walk import from_graphql, selection, strip_nulls
from tests.recording import Answering, InFlight, Recorder

SUMMARIES = next(r for r in RELATIONS if r.key == "summaries")
TAGS = next(r for r in RELATIONS if r.key == "tags")
SOURCES = next(r for r in RELATIONS if r.key == "sources")
WEBSITES = next(r for r in RELATIONS if r.key == "websites")
SDK_MODELS: dict[str, Any] = {
    model.__name__: model
    for model in (
        Anchor,
        Annotation,
        ConversationMessage,
        IdentifiedWorkstreamPatternEngineSource,
        Person,
        Tag,
        Website,
        WorkstreamPatternEngineSourceWindow,
        WorkstreamSummary,
    )
}
BATCH = ("POST", "/workstream_summaries/batch")
EVENTS_BATCH = ("POST", "/workstream_events/batch/fetch")

TIMELINE = """query Timeline($ids: [ID!]!) {
  workstreamEvents(ids: $ids) {
    id
    tags { iterable { id reference { text } } }
    websites { iterable { id reference { url } } }
    summaries { iterable { id reference { name } } }
  }
}"""
SUMMARY_NAMES = """query($ids: [ID!]!) {
  workstreamEvents(ids: $ids) { summaries { iterable { reference { name } } } }
}"""


def _field(relation: Relation) -> str:
    return to_camel_case(relation.key)


def _store(simulator: Starlette) -> Any:
    return simulator.state.store


def _ordinary(simulator: Starlette) -> list[str]:
    """Ids of the seeded events past the coverage ones (which embed their references)."""
    return list(_store(simulator).events)[10:]


def _bare(simulator: Starlette, relation: Relation) -> list[tuple[str, int, str]]:
    """(event id, index, record id) of each reference of `relation` with no embedded copy."""
    found = []
    for event_id in _ordinary(simulator):
        items = (_store(simulator).events[event_id].get(relation.key) or {}).get("iterable") or []
        for index, item in enumerate(items):
            if item.get("reference") is None:
                found.append((event_id, index, item["id"]))
    return found


def _record_for(simulator: Starlette, relation: Relation, event_id: str) -> str:
    """A new record of `relation`, filled with every field its model has, that the
    event `event_id` points at by id alone."""
    store = _store(simulator)
    record_id = f"{relation.key}-{random.Random(relation.key).getrandbits(64):x}"
    stored = store.records.ensure(relation.key, record_id)
    filler = CoverageFiller(relation.model, random.Random(1), datetime(2026, 3, 1, tzinfo=UTC))
    # Each fill spends a budget of unused fields: a few make up one with every field.
    filled: dict[str, Any] = {}
    for _ in range(20):
        for key, value in filler.fill(400).items():
            filled.setdefault(key, value)
        if filler.done():
            break
    stored.update({k: v for k, v in filled.items() if k != "id"})
    store.associate(event_id, relation.key, record_id)
    return record_id


@pytest.fixture
def simulator() -> Starlette:
    return create_simulator(events=40, seed=7)


@pytest.mark.parametrize("relation", RELATIONS, ids=lambda r: r.key)
async def test_a_fetched_record_comes_back_whole(
    gql: GraphQLClient, simulator: Starlette, upstream: Recorder, relation: Relation
) -> None:
    event_id = _ordinary(simulator)[0]
    record_id = _record_for(simulator, relation, event_id)
    record = _store(simulator).record(relation.key, record_id)
    assert SDK_MODELS[relation.model].from_dict(record) is not None  # as Pieces OS sends it
    flat = as_flattened(relation, record)
    keys = {key for key, _, _ in MODELS[relation.flattened]}
    assert set(flat) == keys  # every field of the flattened model is filled
    query = f"""query($id: ID!) {{ workstreamEvent(id: $id) {{
      {_field(relation)} {{ iterable {{ id reference {selection(relation.flattened, [flat])} }} }}
    }} }}"""
    upstream.clear()

    result = await gql(query, {"id": event_id})

    assert "errors" not in result
    items = result["data"]["workstreamEvent"][_field(relation)]["iterable"]
    (item,) = [i for i in items if i["id"] == record_id]
    assert from_graphql(relation.flattened, item["reference"]) == strip_nulls(flat)
    fetch = BATCH if relation is SUMMARIES else ("GET", f"{relation.record_path}{record_id}")
    assert fetch in upstream.calls()


async def test_the_pattern_engine_source_is_named_by_its_readable(
    gql: GraphQLClient, simulator: Starlette
) -> None:
    event_id = _ordinary(simulator)[0]
    record_id = _record_for(simulator, SOURCES, event_id)
    record = _store(simulator).record("sources", record_id)
    query = """query($id: ID!) {
      workstreamEvent(id: $id) { sources { iterable { id reference { id name } } } }
    }"""
    result = await gql(query, {"id": event_id})
    items = result["data"]["workstreamEvent"]["sources"]["iterable"]
    assert {"id": record_id, "reference": {"id": record_id, "name": record["readable"]}} in items


async def test_an_embedded_reference_is_answered_with_no_call(
    gql: GraphQLClient, simulator: Starlette, upstream: Recorder
) -> None:
    event_id, index, record_id = _bare(simulator, TAGS)[0]
    item = _store(simulator).events[event_id]["tags"]["iterable"][index]
    item["reference"] = {**as_flattened(TAGS, _store(simulator).record("tags", record_id))}
    item["reference"]["text"] = "as embedded"
    # Only this reference is selected: the event's other tags are left out.
    query = """query($id: ID!) {
      workstreamEvent(id: $id) { tags { iterable { id reference { text } } } }
    }"""
    for other in _store(simulator).events[event_id]["tags"]["iterable"]:
        if other is not item:
            other["reference"] = as_flattened(TAGS, _store(simulator).record("tags", other["id"]))
    upstream.clear()

    result = await gql(query, {"id": event_id})

    assert "errors" not in result
    texts = [i["reference"]["text"] for i in result["data"]["workstreamEvent"]["tags"]["iterable"]]
    assert texts[index] == "as embedded"
    assert upstream.calls() == [("GET", f"/workstream_event/{event_id}")]


async def test_selecting_only_the_ids_never_asks_for_a_record(
    gql: GraphQLClient, simulator: Starlette, upstream: Recorder
) -> None:
    ids = _ordinary(simulator)
    fields = " ".join(f"{_field(r)} {{ iterable {{ id }} }}" for r in RELATIONS)
    upstream.clear()

    result = await gql(
        f"query($ids: [ID!]!) {{ workstreamEvents(ids: $ids) {{ {fields} }} }}", {"ids": ids}
    )

    assert "errors" not in result
    assert upstream.calls() == [EVENTS_BATCH]


async def test_a_timeline_page_asks_for_each_distinct_record_once(
    gql: GraphQLClient, simulator: Starlette, upstream: Recorder
) -> None:
    store = _store(simulator)
    ids = _ordinary(simulator)
    shared = next(iter(store.records.ids("tags")))
    for event_id in ids:  # one tag every event points at
        if shared not in {
            i["id"] for i in store.events[event_id].get("tags", {}).get("iterable", [])
        }:
            store.associate(event_id, "tags", shared)
    upstream.clear()

    result = await gql(TIMELINE, {"ids": ids})

    assert "errors" not in result
    calls = Counter(upstream.calls())
    assert calls[EVENTS_BATCH] == 1
    assert calls[("GET", f"/tag/{shared}")] == 1
    gets = [call for call in calls if call[0] == "GET"]
    assert all(calls[call] == 1 for call in gets)  # never one per reference
    bare = {
        (r.record_path, rid)
        for r in (TAGS, next(r for r in RELATIONS if r.key == "websites"))
        for _, _, rid in _bare(simulator, r)
    }
    assert {("GET", path + rid) for path, rid in bare} <= set(gets)
    assert calls[BATCH] == 1 and not any(p.startswith(SUMMARIES.record_path) for _, p in gets)
    for event in result["data"]["workstreamEvents"]:
        stored = store.events[event["id"]]
        for tag in event["tags"]["iterable"]:
            assert tag["reference"]["text"] == store.record("tags", tag["id"])["text"]
        for summary in event["summaries"]["iterable"]:
            assert summary["reference"]["name"] == store.record("summaries", summary["id"])["name"]
        assert [t["id"] for t in event["tags"]["iterable"]] == [
            t["id"] for t in stored["tags"]["iterable"]
        ]


async def test_summaries_are_asked_for_in_chunks_of_the_batch_size(
    simulator: Starlette, upstream: Recorder
) -> None:
    ids = _ordinary(simulator)
    distinct = {rid for _, _, rid in _bare(simulator, SUMMARIES)}
    assert len(distinct) > 4
    query = SUMMARY_NAMES
    async with running_gateway(upstream, upstream_batch_size=4) as http:
        upstream.clear()
        response = await http.post("/graphql", json={"query": query, "variables": {"ids": ids}})
    assert "errors" not in response.json()
    asked = [
        r.json()["workstreamSummaries"]["iterable"]
        for r in upstream.requests
        if (r.method, r.path) == BATCH
    ]
    assert all(len(chunk) <= 4 for chunk in asked)
    assert len(asked) == -(-len(distinct) // 4)
    assert sorted(i["id"] for chunk in asked for i in chunk) == sorted(distinct)


async def test_record_reads_are_bounded_by_the_single_reads_setting(
    simulator: Starlette,
) -> None:
    upstream = InFlight(simulator, method="GET")
    ids = _ordinary(simulator)
    async with running_gateway(upstream, upstream_concurrency=3) as http:
        response = await http.post("/graphql", json={"query": TIMELINE, "variables": {"ids": ids}})
    assert "errors" not in response.json()
    assert len(upstream.methods) > 3
    assert upstream.most == 3


@pytest.mark.parametrize("status", [404, 405])
async def test_a_summaries_batch_answered_as_absent_falls_back_to_gets(
    simulator: Starlette, status: int
) -> None:
    upstream = Recorder(Answering(simulator, BATCH[1], status, b""))
    ids = _ordinary(simulator)
    distinct = {rid for _, _, rid in _bare(simulator, SUMMARIES)}
    async with running_gateway(upstream) as http:
        upstream.clear()
        query = SUMMARY_NAMES
        response = await http.post("/graphql", json={"query": query, "variables": {"ids": ids}})
    assert "errors" not in response.json()
    gets = {p for m, p in upstream.calls() if p.startswith(SUMMARIES.record_path)}
    assert gets == {SUMMARIES.record_path + rid for rid in distinct}


async def test_without_the_summaries_batch_each_summary_is_one_get() -> None:
    simulator = create_simulator(events=40, seed=7, batch_endpoint=False)
    upstream = Recorder(simulator)
    ids = _ordinary(simulator)
    distinct = {rid for _, _, rid in _bare(simulator, SUMMARIES)}
    query = SUMMARY_NAMES
    async with running_gateway(upstream) as http:
        upstream.clear()
        response = await http.post("/graphql", json={"query": query, "variables": {"ids": ids}})
        assert "errors" not in response.json()
        gets = {p for m, p in upstream.calls() if p.startswith(SUMMARIES.record_path)}
        assert gets == {SUMMARIES.record_path + rid for rid in distinct}
        # Remembered: the next operation does not ask for the batch again.
        upstream.clear()
        await http.post("/graphql", json={"query": query, "variables": {"ids": ids}})
        assert BATCH not in upstream.calls()


async def test_one_operation_fetches_max_records_at_most(
    simulator: Starlette, upstream: Recorder
) -> None:
    ids = _ordinary(simulator)
    async with running_gateway(upstream, max_records=5) as http:
        upstream.clear()
        response = await http.post("/graphql", json={"query": TIMELINE, "variables": {"ids": ids}})
        result = response.json()
        fetched = [c for c in upstream.calls() if c != EVENTS_BATCH]
        asked = [r for r in upstream.requests if (r.method, r.path) == BATCH]
        records = (
            len(fetched)
            - len(asked)
            + sum(len(r.json()["workstreamSummaries"]["iterable"]) for r in asked)
        )
        assert records == 5
        bare = sum(len(_bare(simulator, r)) for r in (TAGS, SUMMARIES, WEBSITES))
        nulls = [
            item
            for event in result["data"]["workstreamEvents"]
            for key in ("tags", "websites", "summaries")
            for item in (event[key] or {"iterable": []})["iterable"]
            if item["reference"] is None
        ]
        assert nulls and len(nulls) == len(result["errors"]) <= bare
        assert {e["extensions"]["code"] for e in result["errors"]} == {"MAX_RECORDS_EXCEEDED"}
        # The bound is the operation's: the next one fetches again.
        upstream.clear()
        await http.post("/graphql", json={"query": TIMELINE, "variables": {"ids": ids[:1]}})
        assert len(upstream.calls()) > 1


async def test_summaries_the_batch_says_are_gone_are_null_with_not_found(
    simulator: Starlette, upstream: Recorder
) -> None:
    ids = _ordinary(simulator)
    bare = _bare(simulator, SUMMARIES)
    gone = sorted({record_id for _, _, record_id in bare})[:2]
    for record_id in gone:
        _store(simulator).remove_record(SUMMARIES.key, record_id)
    query = """query($ids: [ID!]!) {
      workstreamEvents(ids: $ids) { summaries { iterable { id reference { id } } } }
    }"""
    async with running_gateway(upstream) as http:
        upstream.clear()
        response = await http.post("/graphql", json={"query": query, "variables": {"ids": ids}})
    result = response.json()
    assert upstream.calls().count(BATCH) == 1  # the batch said which are gone: no GET after
    assert not [p for _, p in upstream.calls() if p.startswith(SUMMARIES.record_path)]
    missing = {(event_id, index) for event_id, index, record_id in bare if record_id in gone}
    paths = {tuple(e["path"]) for e in result["errors"]}
    assert paths == {
        ("workstreamEvents", ids.index(event_id), "summaries", "iterable", index, "reference")
        for event_id, index in missing
    }
    assert {e["extensions"]["code"] for e in result["errors"]} == {"NOT_FOUND"}
    for event_id, event in zip(ids, result["data"]["workstreamEvents"], strict=True):
        for index, item in enumerate(event["summaries"]["iterable"]):
            gone_here = (event_id, index) in missing
            assert item["reference"] == (None if gone_here else {"id": item["id"]})


@pytest.mark.parametrize("relation", [TAGS, SUMMARIES], ids=lambda r: r.key)
async def test_a_record_pieces_os_no_longer_has_is_null_with_not_found(
    gql: GraphQLClient, simulator: Starlette, relation: Relation
) -> None:
    event_id, index, record_id = _bare(simulator, relation)[0]
    _store(simulator).remove_record(relation.key, record_id)
    query = f"""query($id: ID!) {{ workstreamEvent(id: $id) {{
      id readable {_field(relation)} {{ iterable {{ id reference {{ id }} }} }}
    }} }}"""

    result = await gql(query, {"id": event_id})

    event = result["data"]["workstreamEvent"]
    assert event["id"] == event_id and event["readable"] == _store(simulator).events[event_id].get(
        "readable"
    )
    items = event[_field(relation)]["iterable"]
    assert items[index] == {"id": record_id, "reference": None}
    assert all(i["reference"] == {"id": i["id"]} for n, i in enumerate(items) if n != index)
    (error,) = result["errors"]
    assert error["path"] == ["workstreamEvent", _field(relation), "iterable", index, "reference"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert record_id in error["message"]


async def test_any_other_failure_of_a_record_is_coded_on_its_path_alone(
    simulator: Starlette,
) -> None:
    event_id, _, _ = _bare(simulator, TAGS)[0]
    upstream = Recorder(Answering(simulator, "/tag/", 500, b"Internal failure."))
    query = """query($id: ID!) { workstreamEvent(id: $id) {
      id websites { iterable { reference { id } } } tags { iterable { id reference { text } } }
    } }"""
    async with running_gateway(upstream, upstream_retries=0) as http:
        result = (
            await http.post("/graphql", json={"query": query, "variables": {"id": event_id}})
        ).json()
    event = result["data"]["workstreamEvent"]
    assert event["id"] == event_id
    assert all(
        w["reference"] is not None for w in (event["websites"] or {"iterable": []})["iterable"]
    )
    assert all(t["reference"] is None for t in event["tags"]["iterable"])
    codes = {e["extensions"]["code"] for e in result["errors"]}
    assert codes == {"UPSTREAM_ERROR"}
    assert {tuple(e["path"][:3]) for e in result["errors"]} == {
        ("workstreamEvent", "tags", "iterable")
    }
    assert all("Internal failure" not in e["message"] for e in result["errors"])


@pytest.mark.parametrize(
    ("record_id", "encoded"),
    [("a/b", "a%2Fb"), ("a?b#c", "a%3Fb%23c"), ("50%", "50%25"), ("é", "%C3%A9")],
)
async def test_a_related_id_is_one_percent_encoded_path_segment(
    gql: GraphQLClient, simulator: Starlette, upstream: Recorder, record_id: str, encoded: str
) -> None:
    event_id = _ordinary(simulator)[0]
    _store(simulator).records.ensure("tags", record_id)
    _store(simulator).associate(event_id, "tags", record_id)
    query = (
        "query($id: ID!) { workstreamEvent(id: $id) { tags { iterable { id reference { id } } } } }"
    )
    upstream.clear()

    result = await gql(query, {"id": event_id})

    assert "errors" not in result
    assert {"id": record_id, "reference": {"id": record_id}} in result["data"]["workstreamEvent"][
        "tags"
    ]["iterable"]
    assert ("GET", f"/tag/{encoded}") in upstream.calls()


@pytest.mark.parametrize("bad", ["", ".", "..", "x" * 1025, 5, None])
async def test_a_reference_by_an_id_no_record_can_have_is_a_bad_response_with_no_call(
    gql: GraphQLClient, simulator: Starlette, upstream: Recorder, bad: object
) -> None:
    event_id = _ordinary(simulator)[0]
    _store(simulator).events[event_id]["tags"] = {"iterable": [{"id": bad}]}
    query = (
        "query($id: ID!) { workstreamEvent(id: $id) { tags { iterable { reference { id } } } } }"
    )
    upstream.clear()

    result = await gql(query, {"id": event_id})

    assert result["data"]["workstreamEvent"]["tags"]["iterable"] == [{"reference": None}]
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"
    assert upstream.calls() == [("GET", f"/workstream_event/{event_id}")]


_NOT_JSON = ("Pieces OS sent an answer that is not JSON.", "answer is not JSON: ")
_NOT_AN_OBJECT = ("Pieces OS sent an answer of an unexpected shape.", "answer is a JSON list")
_A_BATCH = (
    "Pieces OS sent a batch answer of an unexpected shape.",
    "a batch answer of an unexpected shape",
)


@pytest.mark.parametrize(
    ("relation", "body", "said"),
    [
        (TAGS, b"<html>garbage", _NOT_JSON),
        (TAGS, b"[1]", _NOT_AN_OBJECT),
        (SUMMARIES, b'{"workstreamSummaries": 5}', _A_BATCH),
        (SUMMARIES, b'{"workstreamSummaries": {"iterable": [{"id": 5}]}}', _A_BATCH),
        (SUMMARIES, b'{"workstreamSummaries": {"iterable": [5]}}', _A_BATCH),
        (SUMMARIES, b'{"workstreamSummaries": {"iterable": []}, "notFound": [5]}', _A_BATCH),
        (SUMMARIES, b'{"workstreamSummaries": {"iterable": []}, "notFound": "x"}', _A_BATCH),
        # Neither found nor not found: an answer for none of them (nothing logged).
        (
            SUMMARIES,
            b'{"workstreamSummaries": {"iterable": []}}',
            ("Pieces OS did not answer for the workstream summary ", None),
        ),
    ],
)
async def test_a_record_answer_of_another_shape_is_a_bad_response(
    simulator: Starlette,
    relation: Relation,
    body: bytes,
    said: tuple[str, str | None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    prefix = BATCH[1] if relation is SUMMARIES else relation.record_path
    query = f"""query($ids: [ID!]!) {{ workstreamEvents(ids: $ids) {{
      id {_field(relation)} {{ iterable {{ id reference {{ id }} }} }}
    }} }}"""
    ids = _ordinary(simulator)
    async with running_gateway(Answering(simulator, prefix, 200, body)) as http:
        response = await http.post("/graphql", json={"query": query, "variables": {"ids": ids}})
    result = response.json()
    assert [event["id"] for event in result["data"]["workstreamEvents"]] == ids
    bare = {(event_id, index) for event_id, index, _ in _bare(simulator, relation)}
    assert bare
    for event in result["data"]["workstreamEvents"]:
        items = (event[_field(relation)] or {"iterable": []})["iterable"]
        for index, item in enumerate(items):  # embedded copies stand
            assert (item["reference"] is None) == ((event["id"], index) in bare)
    assert {e["extensions"]["code"] for e in result["errors"]} == {"UPSTREAM_BAD_RESPONSE"}
    assert all(body.decode() not in e["message"] for e in result["errors"])
    message, logged = said
    assert all(e["message"].startswith(message) for e in result["errors"])
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    if logged is None:
        assert warnings == []
    else:  # what was wrong, with the path asked
        assert warnings and all(w.startswith(f"{prefix}") and logged in w for w in warnings)
        if relation is SUMMARIES:
            assert set(warnings) == {f"{prefix}: {logged}"}


class AnotherId:
    """An upstream whose GET /tag/ answers carry another record's id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/tag/"):
            await self.app(scope, receive, send)
            return

        async def rewrite(message: Any) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": message["body"].replace(b'"id":"', b'"id":"x', 1)}
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [h for h in message["headers"] if h[0] != b"content-length"],
                }
            await send(message)

        await self.app(scope, receive, rewrite)


async def test_an_answer_for_another_record_is_a_bad_response(
    simulator: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    event_id, index, record_id = _bare(simulator, TAGS)[0]
    query = (
        "query($id: ID!) { workstreamEvent(id: $id) { tags { iterable { reference { text } } } } }"
    )
    async with running_gateway(AnotherId(simulator)) as http:
        result = (
            await http.post("/graphql", json={"query": query, "variables": {"id": event_id}})
        ).json()
    assert result["data"]["workstreamEvent"]["tags"]["iterable"][index] == {"reference": None}
    codes = {e["extensions"]["code"] for e in result["errors"]}
    assert codes == {"UPSTREAM_BAD_RESPONSE"}
    assert f"Pieces OS answered for another tag than '{record_id}'." in {
        e["message"] for e in result["errors"]
    }
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    assert f"{TAGS.record_path}{path_segment(record_id)}: answered for another record" in warnings


ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on FlattenedTag { id text }
    ... on FlattenedWorkstreamSummary { id name }
    ... on WorkstreamEvent { id readable }
  }
}"""


async def test_related_records_are_entities_resolved_by_their_loaders(
    gql: GraphQLClient, simulator: Starlette, upstream: Recorder
) -> None:
    store = _store(simulator)
    tag = next(iter(store.records.ids("tags")))
    summary = next(iter(store.records.ids("summaries")))
    event_id = _ordinary(simulator)[0]
    representations = [
        {"__typename": "FlattenedTag", "id": tag},
        {"__typename": "WorkstreamEvent", "id": event_id},
        {"__typename": "FlattenedWorkstreamSummary", "id": summary},
        {"__typename": "FlattenedTag", "id": tag},
        {"__typename": "FlattenedTag", "id": "no-such-tag"},
        {"__typename": "FlattenedTag", "id": ".."},
    ]
    upstream.clear()

    result = await gql(ENTITIES, {"representations": representations})

    expected_tag = {
        "__typename": "FlattenedTag",
        "id": tag,
        "text": store.record("tags", tag)["text"],
    }
    assert result["data"]["_entities"] == [
        expected_tag,
        {
            "__typename": "WorkstreamEvent",
            "id": event_id,
            "readable": store.events[event_id].get("readable"),
        },
        {
            "__typename": "FlattenedWorkstreamSummary",
            "id": summary,
            "name": store.record("summaries", summary)["name"],
        },
        expected_tag,
        None,
        None,
    ]
    errors = {e["path"][1]: e["extensions"]["code"] for e in result["errors"]}
    assert errors == {4: "NOT_FOUND", 5: "BAD_USER_INPUT"}
    calls = Counter(upstream.calls())
    assert calls[("GET", f"/tag/{tag}")] == 1
    assert calls[("GET", "/tag/no-such-tag")] == 1
    assert sum(calls.values()) == 4  # the event, the summary, the two tags


@pytest.mark.parametrize("relation", RELATIONS, ids=lambda r: r.key)
async def test_each_related_type_is_an_entity_resolved_whole(
    gql: GraphQLClient, simulator: Starlette, relation: Relation
) -> None:
    event_id = _ordinary(simulator)[0]
    record_id = _record_for(simulator, relation, event_id)
    flat = as_flattened(relation, _store(simulator).record(relation.key, record_id))
    query = f"""query($representations: [_Any!]!) {{
      _entities(representations: $representations) {{
        __typename ... on {relation.flattened} {selection(relation.flattened, [flat])}
      }}
    }}"""
    representation = {"__typename": relation.flattened, "id": record_id}

    result = await gql(query, {"representations": [representation]})

    assert "errors" not in result
    (entity,) = result["data"]["_entities"]
    assert entity["__typename"] == relation.flattened
    assert from_graphql(relation.flattened, entity) == strip_nulls(flat)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (
            {"__typename": "Tag", "id": "x"},
            "The entity types are "
            + ", ".join(["WorkstreamEvent", *(r.flattened for r in RELATIONS)])
            + ".",
        ),
        ({"__typename": "FlattenedTag", "id": 7}, 'A representation is {__typename, id: "…"}.'),
    ],
)
async def test_a_representation_of_no_entity_is_refused_in_words_that_say_what_one_is(
    gql: GraphQLClient, simulator: Starlette, bad: dict[str, Any], words: str
) -> None:
    tag = next(iter(_store(simulator).records.ids("tags")))

    result = await gql(
        ENTITIES, {"representations": [bad, {"__typename": "FlattenedTag", "id": tag}]}
    )

    assert result["data"]["_entities"][0] is None
    assert result["data"]["_entities"][1]["id"] == tag
    (error,) = result["errors"]
    assert (error["path"], error["message"]) == (["_entities", 0], words)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_reference_past_the_bound_says_what_the_bound_is(simulator: Starlette) -> None:
    event_id = _ordinary(simulator)[0]
    tags = list(_store(simulator).records.ids("tags"))[:3]
    _store(simulator).events[event_id]["tags"] = {"iterable": [{"id": t} for t in tags]}
    query = """query($id: ID!) {
      workstreamEvent(id: $id) { tags { iterable { id reference { id } } } }
    }"""
    async with running_gateway(simulator, max_records=2) as http:
        response = await http.post("/graphql", json={"query": query, "variables": {"id": event_id}})
    result = response.json()
    items = result["data"]["workstreamEvent"]["tags"]["iterable"]
    assert [item["reference"] for item in items] == [{"id": tags[0]}, {"id": tags[1]}, None]
    (error,) = result["errors"]
    assert error["path"] == ["workstreamEvent", "tags", "iterable", 2, "reference"]
    assert error["message"] == "This operation asked for more than 2 related records."
    assert error["extensions"]["code"] == "MAX_RECORDS_EXCEEDED"
