"""`python -m bench.path`: the path one warm small read takes through the gateway.

The real app (`create_app`, its lean upstream pool) is driven in-process over
ASGI, against the bundled simulator served by uvicorn on loopback, with the
benchmark's small selection of one ~30 KB event. After warm-up, one request
is traced (`sys.setprofile`) and the script prints:

* the project functions it calls (gateway/ and schema/, the simulator aside),
  in call order, with their call counts;
* how many times a call crosses from one project module into another, and how
  many of those calls double back: into a module that is already further up
  the stack (a layer calling the one that called it);

then `--requests` more are timed and profiled (cProfile): the in-process CPU
per request, excluding the HTTP server and the sockets, and where it goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from bench._workloads import SMALL_SELECTION, full_selection, ordinary

ROOT = Path(__file__).resolve().parents[1]
_PROJECT = (str(ROOT / "gateway"), str(ROOT / "schema"))
_SIMULATOR = str(ROOT / "gateway" / "simulator")
_ONE = "query One($id: ID!) {{ workstreamEvent(id: $id) {} }}"


_COMPREHENSIONS = ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>")


def _module(frame: FrameType) -> str | None:
    filename = frame.f_code.co_filename
    if not filename.startswith(_PROJECT) or filename.startswith(_SIMULATOR):
        return None
    return str(Path(filename).relative_to(ROOT).with_suffix("")).replace("/", ".")


class _Trace:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.order: list[str] = []
        self.boundaries = 0
        self.doubling_back: list[str] = []

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        module = _module(frame)
        if module is None:
            return
        name = f"{module}.{frame.f_code.co_qualname}"
        if name not in self.calls:
            self.order.append(name)
        self.calls[name] += 1
        # The project modules above this call on the stack, nearest first.
        above: list[str] = []
        caller = frame.f_back
        while caller is not None:
            caller_module = _module(caller)
            if caller_module is not None and (not above or above[-1] != caller_module):
                above.append(caller_module)
            caller = caller.f_back
        if above and above[0] != module:
            self.boundaries += 1
            if module in above[1:]:
                self.doubling_back.append(f"{above[0]} -> {name}")


def _request(body: bytes) -> tuple[dict[str, Any], Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return scope, receive


async def _main(args: argparse.Namespace) -> int:
    import httpx
    from asgi_lifespan import LifespanManager

    from bench._processes import Service, free_port
    from gateway import Settings, create_app

    port = free_port()
    command = [str(Path(sys.executable).with_name("pieces-gateway")), "simulator"]
    with (
        tempfile.TemporaryDirectory() as logs,
        Service(
            "simulator",
            [*command, "--port", str(port), "--events", "50", "--event-kb", str(args.event_kb)],
            f"http://127.0.0.1:{port}/.well-known/health",
            Path(logs) / "simulator.log",
        ),
    ):
        events = httpx.get(f"http://127.0.0.1:{port}/workstream_events", timeout=30).json()
        typical = ordinary(events["iterable"])
        event_id = typical[0]["id"]
        fields = full_selection(typical[:50]) if args.full else SMALL_SELECTION
        settings = Settings(
            upstream=f"http://127.0.0.1:{port}",
            log_level="WARNING",
            compiled_execution=not args.regular,
        )
        app = create_app(settings)
        body = orjson.dumps({"query": _ONE.format(fields), "variables": {"id": event_id}})
        async with LifespanManager(app) as manager:
            answers: list[bytes] = []

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.body":
                    answers.append(message["body"])

            async def one() -> None:
                scope, receive = _request(body)
                await manager.app(scope, receive, send)

            for _ in range(50):
                await one()
            assert b'"errors"' not in answers[-1], answers[-1][:300]
            trace = _Trace()
            sys.setprofile(trace)
            try:
                await one()
            finally:
                sys.setprofile(None)
            _print_trace(trace)

            profile = cProfile.Profile()
            started = time.process_time()
            profile.enable()
            for _ in range(args.requests):
                await one()
            profile.disable()
            cpu = (time.process_time() - started) / args.requests
            print(
                f"\nin-process CPU per request, profiled ({args.requests} requests, "
                f"{len(answers[-1])} B answers): {cpu * 1e3:.3f} ms"
            )
            started = time.process_time()
            for _ in range(args.requests):
                await one()
            cpu = (time.process_time() - started) / args.requests
            print(f"in-process CPU per request, unprofiled: {cpu * 1e3:.3f} ms")
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
    return 0


def _print_trace(trace: _Trace) -> None:
    print("A warm read, project functions called (calls x function):")
    for name in trace.order:
        print(f"  {trace.calls[name]:3d} x {name}")
    functions = [name for name in trace.order if not name.endswith(_COMPREHENSIONS)]
    print(
        f"\n{len(trace.order)} project functions ({len(functions)} without comprehensions "
        f"and generator expressions), {trace.boundaries} calls across project modules, "
        f"{len(trace.doubling_back)} doubling back"
    )
    for edge in trace.doubling_back:
        print(f"  doubles back: {edge}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.path", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--event-kb", type=int, default=30)
    parser.add_argument("--top", type=int, default=30, help="profile rows to print")
    parser.add_argument("--regular", action="store_true", help="compiled path off")
    parser.add_argument("--full", action="store_true", help="the full selection, not the small")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
