"""graphql-http's server audits pass against the running gateway.

`python -m gateway demo` is started for real on a free loopback port; `audit.mjs`
(Node, the pinned `graphql-http` of package.json) runs every audit of the
GraphQL-over-HTTP spec against it and prints the results. Every MUST passes,
and so does every SHOULD the README does not list as not met.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serving import demo_process

HERE = Path(__file__).parent
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    with demo_process() as demo:
        yield f"{demo.url}/graphql"


@pytest.fixture(scope="module")
def audits(gateway_url: str) -> list[dict[str, Any]]:
    if NODE is None:
        pytest.skip("node is not installed (graphql-http's audits run on Node)")
    if not (HERE / "node_modules").is_dir():
        pytest.fail("tests/http_audit/node_modules is missing: run `make test`")
    done = subprocess.run(
        [NODE, "audit.mjs", gateway_url],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def _failures(audits: list[dict[str, Any]], level: str) -> str:
    failed = [a for a in audits if a["name"].startswith(f"{level} ") and a["status"] != "ok"]
    return "\n".join(
        f"[{a['id']}] {a['name']}: {a['reason']}\n    got {json.dumps(a['response'])}"
        for a in failed
    )


def test_the_audit_ran_every_level(audits: list[dict[str, Any]]) -> None:
    levels = {audit["name"].split(" ", 1)[0] for audit in audits}
    assert levels == {"MUST", "SHOULD", "MAY"}


def test_every_must_passes(audits: list[dict[str, Any]]) -> None:
    failures = _failures(audits, "MUST")
    assert not failures, f"GraphQL-over-HTTP MUSTs failed:\n{failures}"


def test_every_should_passes(audits: list[dict[str, Any]]) -> None:
    failures = _failures(audits, "SHOULD")
    assert not failures, (
        f"GraphQL-over-HTTP SHOULDs failed (or list them in README.md):\n{failures}"
    )
