"""Serve an ASGI app for real, on loopback, in a thread: for tests that need a network."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def stop(process: subprocess.Popen[Any]) -> None:
    """Stop a process we started, by its pid: politely, then not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if process.stdout:
        process.stdout.close()


@dataclass(frozen=True)
class Demo:
    url: str  # where the gateway listens
    event_id: str  # the seeded event its banner names
    banner: str


@contextmanager
def demo_process(*flags: str, events: int = 5) -> Iterator[Demo]:
    """`python -m gateway demo` on a free port, as a user runs it, until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "demo", "--events", str(events), *flags],
        env={**os.environ, "PIECES_GATEWAY_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        banner = ""
        while "workstreamEvent(id:" not in banner and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            banner += line
        match = re.search(r'workstreamEvent\(id: "([^"]+)"\)', banner)
        assert match, f"the demo printed no example query:\n{banner}"
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/healthz", deadline)
        yield Demo(url, match[1], banner)
    finally:
        stop(process)


def wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not come up")


@contextmanager
def command_process(*args: str, ready: str, timeout: float = 60) -> Iterator[str]:
    """`python -m gateway <args>` on a free port (given as --port) until the block ends.

    Yields its base URL once `ready` (a path, e.g. /healthz) answers 200.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url + ready, time.monotonic() + timeout)
        yield url
    finally:
        stop(process)
