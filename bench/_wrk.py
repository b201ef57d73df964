"""Load from wrk: a generated Lua script sends a ring of requests, reports JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench._results import Measurement
from bench._workloads import Request, Workload

__all__ = ["available", "lua_script", "parse", "run"]

_MARK = "BENCH_RESULT "

# `response` is only defined for GraphQL workloads: wrk hands bodies to Lua only then.
_SCRIPT = """\
local requests = {%(requests)s}
local ring = {}
local at = 0
local threads = {}
gql_errors = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for i, r in ipairs(requests) do
    local headers = {}
    if r[3] then headers["Content-Type"] = "application/json" end
    ring[i] = wrk.format(r[1], r[2], headers, r[3])
  end
  at = math.random(#ring) - 1
end

function request()
  at = at %% #ring + 1
  return ring[at]
end
%(response)s
function done(summary, latency, requests)
  local gql = 0
  for _, thread in ipairs(threads) do gql = gql + (thread:get("gql_errors") or 0) end
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests": %%d, "micros": %%d, "p50": %%d, "p99": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout + gql))
end
"""

_RESPONSE = """
function response(status, headers, body)
  if status == 200 and string.find(body, '"errors":', 1, true) then
    gql_errors = gql_errors + 1
  end
end
"""


def available() -> str | None:
    return shutil.which("wrk")


def _lua_string(value: str | bytes) -> str:
    text = value.decode() if isinstance(value, bytes) else value
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def _lua_request(request: Request) -> str:
    body = "nil" if request.body is None else _lua_string(request.body)
    return f"{{{_lua_string(request.method)}, {_lua_string(request.path)}, {body}}}"


def lua_script(workload: Workload) -> str:
    return _SCRIPT % {
        "requests": ",\n".join(_lua_request(r) for r in workload.requests),
        "response": _RESPONSE if workload.graphql else "",
        "mark": _MARK,
    }


def parse(output: str) -> Measurement:
    for line in output.splitlines():
        if line.startswith(_MARK):
            data = json.loads(line.removeprefix(_MARK))
            return Measurement(
                requests=data["requests"],
                seconds=data["micros"] / 1e6,
                p50_ms=data["p50"] / 1000,
                p99_ms=data["p99"] / 1000,
                errors=data["errors"],
            )
    raise RuntimeError(f"wrk reported no result:\n{output}")


def run(base_url: str, workload: Workload, *, concurrency: int, seconds: float) -> Measurement:
    wrk = available()
    assert wrk is not None
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "workload.lua"
        script.write_text(lua_script(workload))
        # Two threads at most: the machine's cores are shared with the services under test.
        threads = min(concurrency, 2)
        completed = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                base_url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr}")
    return parse(completed.stdout)
