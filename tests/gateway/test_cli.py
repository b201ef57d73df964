"""The `pieces-gateway` command line, run for real."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gateway._cli import app

ROOT = Path(__file__).parents[2]


def test_schema_prints_the_committed_sdl() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "schema" / "schema.graphql").read_text()


def test_serve_documents_its_environment_variables() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200)
    for variable in ("HOST", "PORT", "UPSTREAM", "UPSTREAM_TIMEOUT"):
        assert f"PIECES_GATEWAY_{variable}" in result.output


def test_a_bad_setting_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["serve", "--upstream-timeout", "-1"])
    assert result.exit_code == 2
    assert "upstream_timeout" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = _free_port()
    env = {**os.environ, "PIECES_GATEWAY_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "demo", "--events", "5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield port, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_demo_serves_graphql_against_the_simulator(
    demo: tuple[int, subprocess.Popen[str]],
) -> None:
    port, process = demo
    assert process.stdout is not None
    banner = ""
    deadline = time.monotonic() + 30
    while "workstreamEvent(id:" not in banner and time.monotonic() < deadline:
        banner += process.stdout.readline()
    match = re.search(r'workstreamEvent\(id: "([^"]+)"\)', banner)
    assert match, banner
    assert f"http://127.0.0.1:{port}/graphql" in banner
    query = "query($id: ID!) { workstreamEvent(id: $id) { id readable application { name } } }"
    request = {"query": query, "variables": {"id": match[1]}}
    while time.monotonic() < deadline:
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/graphql", json=request)
            break
        except httpx.ConnectError:
            time.sleep(0.1)
    else:
        pytest.fail("the demo did not start listening")
    event = response.json()["data"]["workstreamEvent"]
    assert event["id"] == match[1]
    assert event["application"]["name"]
    assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
