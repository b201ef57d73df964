"""The `pieces-gateway` command line, run for real."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from gateway._cli import cli
from gateway._settings import Settings
from tests.serving import (
    Held,
    command_process,
    demo_process,
    free_port,
    lines_of,
    serve,
    stop,
    wait_until_up,
)

ROOT = Path(__file__).parents[2]


def test_schema_prints_the_committed_sdl() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "schema" / "schema.graphql").read_text()


def test_serve_documents_its_environment_variables() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200)
    flat = " ".join(result.output.split())
    for name in Settings.model_fields:
        assert f"--{name.replace('_', '-')}" in flat
        assert f"PIECES_GATEWAY_{name.upper()}" in flat


def test_a_bad_setting_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["serve", "--upstream-timeout", "-1"])
    assert result.exit_code == 2
    assert "upstream_timeout" in result.output


def test_demo_serves_graphql_against_the_simulator() -> None:
    with demo_process() as demo:
        assert f"{demo.url}/graphql" in demo.banner
        query = "query($id: ID!) { workstreamEvent(id: $id) { id readable application { name } } }"
        request = {"query": query, "variables": {"id": demo.event_id}}
        event = httpx.post(f"{demo.url}/graphql", json=request).json()["data"]["workstreamEvent"]
        assert event["id"] == demo.event_id
        assert event["application"]["name"]
        assert httpx.get(f"{demo.url}/readyz").status_code == 200


def test_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway._cli import _settings

    monkeypatch.setenv("PIECES_GATEWAY_MAX_DEPTH", "7")
    monkeypatch.setenv("PIECES_GATEWAY_CORS_ORIGINS", "http://a.test, http://b.test")
    from_env = _settings({})
    assert (from_env.max_depth, from_env.cors_origins) == (7, ("http://a.test", "http://b.test"))
    flagged = _settings({"max_depth": 9, "cors_origins": ("http://c.test",)})
    assert (flagged.max_depth, flagged.cors_origins) == (9, ("http://c.test",))


def test_sigterm_lets_an_in_flight_operation_finish(simulator: Starlette) -> None:
    event_id = next(iter(simulator.state.store.events))
    held = Held(simulator)
    with serve(held) as upstream:
        port = free_port()
        gateway = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway",
                "serve",
                "--port",
                str(port),
                "--upstream",
                upstream,
                "--shutdown-grace",
                "10",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert gateway.stdout is not None
        lines, reader = lines_of(gateway.stdout)

        def terminate_in_flight() -> None:
            """SIGTERM while the read waits on Pieces OS; it answers once uvicorn waits for it."""
            try:
                if held.arrived.wait(30):
                    gateway.terminate()
                    deadline = time.monotonic() + 10
                    line: str | None = ""
                    while line is not None and "Waiting for connections to close" not in line:
                        line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            finally:
                held.release.set()

        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 30, gateway)
            threading.Thread(target=terminate_in_flight, daemon=True).start()
            response = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={
                    "query": "query($id: ID!) { workstreamEvent(id: $id) { id } }",
                    "variables": {"id": event_id},
                },
                timeout=30,
            )
            assert response.json() == {"data": {"workstreamEvent": {"id": event_id}}}
            # uvicorn re-raises SIGTERM once it has shut down cleanly.
            assert gateway.wait(timeout=10) in (0, -15)
        finally:
            stop(gateway)
            reader.join(timeout=10)


def _operation_pids(log: Path) -> set[int]:
    """The processes that logged an operation, from a JSON log."""
    lines = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return {line["pid"] for line in lines if line["logger"] == "pieces_gateway.operations"}


def test_serve_with_workers_answers_from_every_worker(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    with command_process("simulator", ready="/.well-known/health") as upstream:
        flags = ("--upstream", upstream, "--workers", "2", "--max-depth", "5")
        with command_process(
            "serve", *flags, "--log-format", "json", ready="/readyz", output=log
        ) as url:
            deep = (
                '{ workstreamEvent(id: "x") '
                "{ summaries { iterable { reference { events { iterable { id } } } } } } }"
            )
            deadline = time.monotonic() + 30
            answered = 0
            # A new connection each time, until each worker has answered some.
            while len(pids := _operation_pids(log)) < 2:
                assert time.monotonic() < deadline, f"{answered} answers, all from {pids}"
                answer = httpx.post(f"{url}/graphql", json={"query": deep}).json()
                # The flags reach every worker, through the environment.
                assert answer["errors"][0]["extensions"]["code"] == "MAX_DEPTH_EXCEEDED"
                answered += 1
    assert len(pids) == 2
