"""Apollo's own tools accept the gateway as a Federation 2 subgraph.

The gateway is served for real on a loopback port (uvicorn in a thread, in
front of an in-process simulator whose requests are recorded). `run.mjs` (Node,
the pinned packages of package.json) composes its `_service { sdl }` with the
test-only subgraph of `timeline.mjs`, runs `@apollo/gateway` over the
supergraph, and executes operations that cross between the two subgraphs.
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

THEIRS_TO_OURS = """query($ids: [ID!]!) {
  pinnedEvents(ids: $ids) { id pinned { readable } readable application { name } created { value } }
}"""
OURS_TO_THEIRS = """query($id: ID!) {
  workstreamEvent(id: $id) { id readable pinned { value readable } }
}"""


@dataclass(frozen=True)
class Served:
    url: str
    upstream: Recorder
    events: dict[str, dict[str, Any]]


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
        yield Served(f"http://127.0.0.1:{port}/graphql", upstream, simulator.state.store.events)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass(frozen=True)
class Federated:
    sdl: str
    errors: list[dict[str, Any]]
    hints: list[dict[str, Any]]
    results: list[dict[str, Any]]
    ids: list[str]  # four of the simulator's events


@pytest.fixture(scope="module")
def federated(served: Served) -> Iterator[Federated]:
    """One run of run.mjs: composition, then the operations below, in order."""
    if NODE is None:
        pytest.skip("node is not installed (Apollo's composition and gateway run on Node)")
    if not (HERE / "node_modules").is_dir():
        pytest.fail("tests/federation/node_modules is missing: run `make test`")
    four = list(served.events)[:4]
    operations = [
        {"query": THEIRS_TO_OURS, "variables": {"ids": [four[i % 4] for i in range(12)]}},
        {"query": OURS_TO_THEIRS, "variables": {"id": four[0]}},
        {"query": THEIRS_TO_OURS, "variables": {"ids": [four[1], "no-such-event"]}},
    ]
    request = json.dumps({"pieces": served.url, "operations": operations})
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
        yield Federated(output["sdl"], output["errors"], output["hints"], output["results"], four)
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


def test_the_subgraph_composes_without_errors_or_hints(federated: Federated) -> None:
    assert federated.sdl + "\n" == SDL.read_text()
    assert federated.errors == []
    assert federated.hints == []


def test_their_root_field_reaches_our_fields_through_entities(
    federated: Federated, served: Served
) -> None:
    result = federated.results[0]
    ids = [federated.ids[i % 4] for i in range(12)]
    assert "errors" not in result
    assert result["data"]["pinnedEvents"] == [_expected(served.events[i]) for i in ids]


def test_our_root_field_reaches_their_field(federated: Federated, served: Served) -> None:
    event = served.events[federated.ids[0]]
    assert federated.results[1] == {
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
    result = federated.results[2]
    known = served.events[federated.ids[1]]
    assert result["data"]["pinnedEvents"] == [_expected(known), None]
    (error,) = result["errors"]
    assert error["path"] == ["pinnedEvents", 1]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["serviceName"] == "pieces"


def test_each_plan_step_costs_one_upstream_read(federated: Federated, served: Served) -> None:
    four = federated.ids
    requests = served.upstream.requests
    assert served.upstream.calls() == [BATCH, ("GET", f"/workstream_event/{four[0]}"), BATCH]
    asked = [
        sorted(item["id"] for item in r.json()["workstreamEvents"]["iterable"])
        for r in requests[::2]
    ]
    assert asked == [sorted(four), sorted([four[1], "no-such-event"])]


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
