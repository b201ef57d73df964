"""Apollo's own tools accept the gateway as a Federation 2 subgraph.

The gateway is served for real on a loopback port (uvicorn in a thread, in
front of an in-process simulator whose requests are recorded). `run.mjs` (Node,
the pinned packages of package.json) composes its `_service { sdl }` with the
test-only subgraph of `timeline.mjs`, runs `@apollo/gateway` over the
supergraph, and executes operations that cross between the two subgraphs: to
the events timeline pins, from an event to timeline's field, and to the tags
and summaries timeline returns by id alone (the router fetches the rest of each
from our `_entities`). Each operation's subgraph fetches carry its id as
`x-request-id`, which the gateway sends on upstream, so a test reads the calls
that operation cost.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml

from gateway import Settings, create_app
from gateway.simulator import create_simulator
from tests.conftest import UPSTREAM
from tests.recording import Recorder

HERE = Path(__file__).parent
SDL = HERE.parents[1] / "schema" / "schema.graphql"
NODE = shutil.which("node")
BATCH = ("POST", "/workstream_events/batch/fetch")
SUMMARIES_BATCH = ("POST", "/workstream_summaries/batch")

THEIRS_TO_OURS = """query($ids: [ID!]!) {
  pinnedEvents(ids: $ids) { id pinned { readable } readable application { name } created { value } }
}"""
OURS_TO_THEIRS = """query($id: ID!) {
  workstreamEvent(id: $id) { id readable pinned { value readable } }
}"""
THEIRS_TO_OUR_TAGS = """query($ids: [ID!]!) {
  followedTags(ids: $ids) { id text category followers }
}"""
THEIRS_TO_OUR_SUMMARIES = """query($ids: [ID!]!) {
  bookmarkedSummaries(ids: $ids) { id name bookmarked { readable } }
}"""


@dataclass(frozen=True)
class Served:
    url: str
    upstream: Recorder
    store: Any  # the simulator's

    @property
    def events(self) -> dict[str, dict[str, Any]]:
        events: dict[str, dict[str, Any]] = self.store.events
        return events

    def calls(self, operation: str) -> list[tuple[str, str]]:
        """The upstream calls the operation `operation` cost, in the order they came."""
        return [
            (r.method, r.path)
            for r in self.upstream.requests
            if r.headers.get("x-request-id") == operation
        ]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    simulator = create_simulator(events=10, seed=3)
    upstream = Recorder(simulator)
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(upstream))
    config = uvicorn.Config(app, lifespan="on", ws="none", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the gateway did not start serving")
            time.sleep(0.02)
        port = sock.getsockname()[1]
        yield Served(f"http://127.0.0.1:{port}/graphql", upstream, simulator.state.store)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass(frozen=True)
class Federated:
    sdl: str
    errors: list[dict[str, Any]]
    hints: list[dict[str, Any]]
    results: dict[str, dict[str, Any]]  # by operation id
    ids: list[str]  # four of the simulator's events
    tags: list[str]  # three of its tags
    summaries: list[str]  # three of its summaries


@pytest.fixture(scope="module")
def federated(served: Served) -> Iterator[Federated]:
    """One run of run.mjs: composition, then the operations below, in order, by id."""
    if NODE is None:
        pytest.skip("node is not installed (Apollo's composition and gateway run on Node)")
    if not (HERE / "node_modules").is_dir():
        pytest.fail("tests/federation/node_modules is missing: run `make test`")
    four = list(served.events)[:4]
    tags = list(served.store.records.ids("tags"))[:3]
    summaries = list(served.store.records.ids("summaries"))[:3]
    operations = {
        "events": (THEIRS_TO_OURS, {"ids": [four[i % 4] for i in range(12)]}),
        "event": (OURS_TO_THEIRS, {"id": four[0]}),
        "unknown-event": (THEIRS_TO_OURS, {"ids": [four[1], "no-such-event"]}),
        "tags": (THEIRS_TO_OUR_TAGS, {"ids": [tags[i % 3] for i in range(8)]}),
        "unknown-tag": (THEIRS_TO_OUR_TAGS, {"ids": [tags[0], "no-such-tag"]}),
        "summaries": (THEIRS_TO_OUR_SUMMARIES, {"ids": [summaries[i % 3] for i in range(7)]}),
    }
    sent = [
        {"id": name, "query": query, "variables": variables}
        for name, (query, variables) in operations.items()
    ]
    request = json.dumps({"pieces": served.url, "operations": sent})
    process = subprocess.Popen(
        [NODE, "run.mjs"],
        cwd=HERE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(request, timeout=60)
        assert process.returncode == 0, stderr
        output = json.loads(stdout)
        # No results when composition fails (test_the_subgraph_composes_... says why).
        results = dict(zip(operations, output["results"], strict=not output["errors"]))
        yield Federated(
            output["sdl"], output["errors"], output["hints"], results, four, tags, summaries
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _expected(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event["id"],
        "pinned": {"readable": f"pinned {event['id']}"},
        "readable": event.get("readable"),
        "application": {"name": event["application"]["name"]},
        "created": {"value": event["created"]["value"]},
    }


def _expected_tag(tag: dict[str, Any]) -> dict[str, Any]:
    # timeline's `followers`: one per decimal digit of the id (timeline.mjs).
    followers = sum(character in "0123456789" for character in tag["id"])
    return {
        "id": tag["id"],
        "text": tag["text"],
        "category": tag["category"],
        "followers": followers,
    }


def test_the_subgraph_composes_without_errors_or_hints(federated: Federated) -> None:
    assert federated.sdl + "\n" == SDL.read_text()
    assert federated.errors == []
    assert federated.hints == []


def test_their_root_field_reaches_our_fields_through_entities(
    federated: Federated, served: Served
) -> None:
    result = federated.results["events"]
    ids = [federated.ids[i % 4] for i in range(12)]
    assert "errors" not in result
    assert result["data"]["pinnedEvents"] == [_expected(served.events[i]) for i in ids]


def test_our_root_field_reaches_their_field(federated: Federated, served: Served) -> None:
    event = served.events[federated.ids[0]]
    assert federated.results["event"] == {
        "data": {
            "workstreamEvent": {
                "id": event["id"],
                "readable": event.get("readable"),
                "pinned": {
                    "value": "2026-01-02T03:04:05.000Z",
                    "readable": f"pinned {event['id']}",
                },
            }
        }
    }


def test_an_unknown_id_is_null_with_not_found_through_the_router(
    federated: Federated, served: Served
) -> None:
    result = federated.results["unknown-event"]
    known = served.events[federated.ids[1]]
    assert result["data"]["pinnedEvents"] == [_expected(known), None]
    (error,) = result["errors"]
    assert error["path"] == ["pinnedEvents", 1]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["serviceName"] == "pieces"


def test_each_plan_step_costs_one_upstream_read(federated: Federated, served: Served) -> None:
    four = federated.ids
    assert served.calls("events") == [BATCH]
    assert served.calls("event") == [("GET", f"/workstream_event/{four[0]}")]
    assert served.calls("unknown-event") == [BATCH]
    asked = {
        r.headers["x-request-id"]: sorted(
            item["id"] for item in r.json()["workstreamEvents"]["iterable"]
        )
        for r in served.upstream.requests
        if (r.method, r.path) == BATCH
    }
    assert asked == {"events": sorted(four), "unknown-event": sorted([four[1], "no-such-event"])}


def test_every_upstream_call_is_one_operations(federated: Federated, served: Served) -> None:
    # Composition reads `_service { sdl }`, which costs no call: each call is an operation's.
    operations = {r.headers.get("x-request-id") for r in served.upstream.requests}
    assert operations == set(federated.results)


def test_their_root_field_reaches_our_tag_fields_through_entities(
    federated: Federated, served: Served
) -> None:
    result = federated.results["tags"]
    tags = [served.store.record("tags", federated.tags[i % 3]) for i in range(8)]
    assert "errors" not in result
    assert result["data"]["followedTags"] == [_expected_tag(tag) for tag in tags]


def test_each_distinct_tag_costs_one_get_upstream(federated: Federated, served: Served) -> None:
    # Eight representations of three tags in one `_entities` fetch: three GETs.
    asked = sorted(served.calls("tags"))
    assert asked == sorted(("GET", f"/tag/{tag}") for tag in federated.tags)


def test_an_unknown_tag_is_null_with_not_found_through_the_router(
    federated: Federated, served: Served
) -> None:
    result = federated.results["unknown-tag"]
    known = served.store.record("tags", federated.tags[0])
    assert result["data"]["followedTags"] == [_expected_tag(known), None]
    (error,) = result["errors"]
    assert error["path"] == ["followedTags", 1]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["serviceName"] == "pieces"
    assert sorted(served.calls("unknown-tag")) == [
        ("GET", f"/tag/{federated.tags[0]}"),
        ("GET", "/tag/no-such-tag"),
    ]


def test_their_root_field_reaches_our_summary_names_in_one_batch(
    federated: Federated, served: Served
) -> None:
    result = federated.results["summaries"]
    ids = [federated.summaries[i % 3] for i in range(7)]
    assert "errors" not in result
    assert result["data"]["bookmarkedSummaries"] == [
        {
            "id": summary_id,
            "name": served.store.record("summaries", summary_id)["name"],
            "bookmarked": {"readable": f"bookmarked {summary_id}"},
        }
        for summary_id in ids
    ]
    assert served.calls("summaries") == [SUMMARIES_BATCH]
    (batch,) = (r for r in served.upstream.requests if (r.method, r.path) == SUMMARIES_BATCH)
    asked = [item["id"] for item in batch.json()["workstreamSummaries"]["iterable"]]
    assert sorted(asked) == sorted(federated.summaries)


def test_the_supergraph_example_composes_what_the_tests_compose() -> None:
    root = HERE.parents[1]
    config = yaml.safe_load((root / "supergraph" / "supergraph.yaml").read_text())
    files = {
        name: (root / "supergraph" / subgraph["schema"]["file"]).resolve()
        for name, subgraph in config["subgraphs"].items()
    }
    assert files == {"pieces": SDL.resolve(), "timeline": root / "supergraph" / "timeline.graphql"}
    pinned = json.loads((HERE / "package.json").read_text())["dependencies"]
    assert config["federation_version"] == "=" + pinned["@apollo/composition"]
