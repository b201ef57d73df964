"""Serve an ASGI app for real, on loopback, in a thread; run the command line in a process.

Every wait has a deadline: a server that does not come up fails its test in
seconds, and never hangs the suite.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(uvicorn.Server):
    """uvicorn's server, with an event for the end of its start-up, successful or not."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.settled = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.settled.set()


class Held:
    """An app served by `serve` whose requests wait until the test releases them.

    `arrived` is set when the first request comes in, `requests` counts them;
    they are answered by `app` once `release` is set (or after ten seconds).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
            self.arrived.set()
            await asyncio.to_thread(self.release.wait, 10)
        await self.app(scope, receive, send)


@contextmanager
def serve(app: ASGIApp, port: int | None = None, **config: Any) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (`config`: uvicorn's, e.g. http=)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    port = int(sock.getsockname()[1])
    server = _Server(uvicorn.Config(app, log_level="warning", lifespan="off", **config))

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            server.settled.set()  # it ended before it started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        if not server.settled.wait(timeout=10) or not server.started:
            raise RuntimeError("uvicorn did not start")
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


@dataclass(frozen=True)
class Demo:
    url: str  # where the gateway listens
    event_id: str  # the seeded event its banner names
    banner: str


def lines_of(stream: IO[str]) -> tuple[queue.Queue[str | None], threading.Thread]:
    """The stream's lines as they come (None at its end), and the thread that reads them.

    It reads to the end and closes the stream, not only as far as a test looks:
    a pipe nobody reads fills up, and the process writing to it stops.
    """
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        with stream:
            for line in stream:
                lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


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
    assert process.stdout is not None
    lines, reader = lines_of(process.stdout)
    try:
        deadline = time.monotonic() + 30
        banner = ""
        while "workstreamEvent(id:" not in banner:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            banner += line
        match = re.search(r'workstreamEvent\(id: "([^"]+)"\)', banner)
        assert match, f"the demo printed no example query:\n{banner}"
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/healthz", deadline, process)
        yield Demo(url, match[1], banner)
    finally:
        stop(process)
        reader.join(timeout=10)  # the process has ended: its output, too


def wait_until_up(url: str, deadline: float, process: subprocess.Popen[Any] | None = None) -> None:
    """Poll `url` until it answers 200, the deadline passes, or `process` ends."""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the process serving {url} ended ({process.returncode})")
        try:
            if httpx.get(url, timeout=max(0.1, deadline - time.monotonic())).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not come up")


@contextmanager
def command_process(
    *args: str, ready: str, timeout: float = 60, output: Path | None = None
) -> Iterator[str]:
    """`python -m gateway <args>` on a free port (given as --port) until the block ends.

    Yields its base URL once `ready` (a path, e.g. /healthz) answers 200. What
    the process writes (stdout and stderr) goes to `output`, if given.
    """
    port = free_port()
    with open(output or os.devnull, "w") as written:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", *args, "--port", str(port)],
            stdout=written,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url + ready, time.monotonic() + timeout, process)
            yield url
        finally:
            stop(process)
