"""`pieces-gateway simulator --activity` and `demo --activity`, run as a user runs them.

(The commands live in `gateway._cli`; these tests are about the simulator they serve.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from click.testing import CliRunner

from gateway._cli import cli
from tests.serving import command_process


def _until(found: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not found():
        assert time.monotonic() < deadline, f"nothing changed in {seconds} s"
        time.sleep(0.01)


def _stopped_cleanly(output: Path) -> None:
    text = output.read_text()
    assert "Application shutdown complete." in text, text
    for trouble in ("Traceback", "Task was destroyed", "never retrieved", "ERROR"):
        assert trouble not in text, text


def test_the_simulator_command_is_at_work(tmp_path: Path) -> None:
    output = tmp_path / "simulator.log"
    since = {"updated_from": datetime.now(UTC).isoformat()}
    args = ("simulator", "--events", "3", "--activity", "0.01")
    with command_process(*args, ready="/.well-known/health", output=output) as url:

        def changed() -> bool:
            response = httpx.get(f"{url}/workstream_events/identifiers", params=since)
            return bool(response.json()["iterable"])

        _until(changed)
    _stopped_cleanly(output)


def test_the_demo_is_at_work(tmp_path: Path) -> None:
    output = tmp_path / "demo.log"
    query = (
        "query($from: DateTime) { workstreamEventsConnection(updatedFrom: $from) { totalCount } }"
    )
    body = {"query": query, "variables": {"from": datetime.now(UTC).isoformat()}}
    with command_process(
        "demo", "--events", "3", "--activity", "0.01", ready="/healthz", output=output
    ) as url:

        def changed() -> bool:
            data = httpx.post(f"{url}/graphql", json=body).json()["data"]
            return bool(data["workstreamEventsConnection"]["totalCount"])

        _until(changed)
    _stopped_cleanly(output)


def test_activity_must_be_a_positive_interval() -> None:
    for command in ("simulator", "demo"):
        result = CliRunner().invoke(cli, [command, "--activity", "0"])
        assert result.exit_code == 2
        assert "--activity" in result.output


def test_the_help_says_how_to_change_ten_events_a_second() -> None:
    for command in ("simulator", "demo"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert "--activity SECONDS" in result.output
        assert "0.1 changes ten events a second" in " ".join(result.output.split())
