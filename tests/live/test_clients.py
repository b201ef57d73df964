"""Real clients receive the changes made on Pieces OS (issue 12).

The real app behind uvicorn on loopback (tests/serving.py), in front of the
simulator over httpx's transport seam, as tests/gateway/test_subscriptions.py
serves it. `subscribe.mjs` (Node, the pinned packages of package.json)
subscribes with the graphql-ws client, Apollo Client over GraphQLWsLink, or
Apollo Client over HttpLink (multipart), and prints each result as a JSON
line. The test writes to the simulator's store directly, as another app would,
and reads what the client printed.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway import Settings, create_app
from gateway.simulator import create_simulator
from tests.conftest import UPSTREAM
from tests.serving import lines_of, serve, stop

HERE = Path(__file__).parent
NODE = shutil.which("node")
HANG = 10.0  # only a hang reaches it
POLLS = "pieces_gateway_change_poll_duration_seconds_count"


@pytest.fixture
def simulator() -> Starlette:
    return create_simulator(events=3, seed=5)


@pytest.fixture
def gateway_url(simulator: Starlette) -> Iterator[str]:
    # No heartbeat or ping comes in a test's time: a change must reach the client on its own.
    settings = Settings(
        upstream=UPSTREAM, live_interval=0.05, live_deletion_scan=0.05, keep_alive=3600
    )
    app = create_app(settings, transport=httpx.ASGITransport(simulator))
    with serve(app) as url:
        yield url


@dataclass
class Client:
    """The script's stdout as JSON lines, read with a deadline."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str | None]
    stderr: Path
    deadline: float

    def next(self) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=max(0.0, self.deadline - time.monotonic()))
        except queue.Empty:
            line = None
        assert line is not None, f"the client printed nothing more{self.output()}"
        result: dict[str, Any] = json.loads(line)
        assert "data" in result or result == {"ready": True}, f"{line}{self.output()}"
        return result

    def change(self) -> dict[str, Any]:
        """The next change the client received, without the __typename Apollo adds."""
        change: dict[str, Any] = _untyped(self.next()["data"]["workstreamEventChanges"])
        return change

    def alive(self) -> None:
        assert self.process.poll() is None, f"the client ended early{self.output()}"

    def output(self) -> str:
        """What the client told on stderr; once it has ended, its exit and unread stdout."""
        told = f"\nstderr: {self.stderr.read_text()}"
        if self.process.poll() is None:
            return told
        left = []
        with suppress(queue.Empty):
            while (line := self.lines.get(timeout=10)) is not None:  # its end is near
                left.append(line)
        return f" (exit {self.process.returncode}){told}\nunread stdout: {''.join(left)}"


@contextmanager
def subscribed(url: str, kind: str, count: int, scratch: Path) -> Iterator[Client]:
    """subscribe.mjs for `count` changes, until the block ends."""
    if NODE is None:
        pytest.skip("node is not installed (the clients run on Node)")
    if not (HERE / "node_modules").is_dir():
        pytest.skip("tests/live/node_modules is missing: run `make test`")
    told = scratch / "stderr"
    with open(told, "w") as stderr:
        process = subprocess.Popen(
            [NODE, "subscribe.mjs", f"{url}/graphql", kind, str(count), str(HANG)],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert process.stdout is not None
        lines, reader = lines_of(process.stdout)
        try:
            client = Client(process, lines, told, time.monotonic() + HANG)
            yield client
            assert process.wait(timeout=HANG) == 0, client.output()
        finally:
            stop(process)
            reader.join(timeout=10)


def _untyped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untyped(v) for k, v in value.items() if k != "__typename"}
    return value


def _until_polled(url: str, client: Client) -> None:
    """Until the change feed has polled once (its metrics say), while the client lives."""
    with httpx.Client(headers={"host": "localhost"}) as http:
        while time.monotonic() < client.deadline:
            client.alive()
            text = http.get(f"{url}/metrics").text
            counts = [
                float(line.split()[-1]) for line in text.splitlines() if line.startswith(POLLS)
            ]
            if counts and counts[0] >= 1:
                return
            time.sleep(0.01)  # polling, with a deadline
    raise AssertionError("the change feed never polled")


@pytest.mark.parametrize(
    "kind",
    [
        "graphql-ws",
        "apollo-ws",
        "apollo-http",  # Apollo Client's HttpLink: multipart subscriptions
    ],
)
def test_a_client_receives_what_changes_on_pieces_os(
    kind: str, gateway_url: str, simulator: Starlette, tmp_path: Path
) -> None:
    store = simulator.state.store
    with subscribed(gateway_url, kind, 3, tmp_path) as client:
        assert client.next() == {"ready": True}
        _until_polled(gateway_url, client)  # the feed has started: changes count from here
        existing = next(iter(store.events.values()))
        updated = store.update({**existing, "readable": "changed elsewhere"})
        assert client.change() == {
            "kind": "UPDATED",
            "id": existing["id"],
            "at": updated["updated"]["value"],
            "workstreamEvent": {"id": existing["id"], "readable": "changed elsewhere"},
        }
        created = store.create(
            {"application": existing["application"], "trigger": {}, "readable": "made elsewhere"}
        )
        assert client.change() == {
            "kind": "CREATED",
            "id": created["id"],
            "at": created["updated"]["value"],
            "workstreamEvent": {"id": created["id"], "readable": "made elsewhere"},
        }
        store.delete(created["id"])
        assert client.change() == {
            "kind": "DELETED",
            "id": created["id"],
            "at": None,
            "workstreamEvent": None,
        }
