"""The peer: GraphQL Mesh over the same simulator, for `make bench-peer`.

`mesh-compose` composes a supergraph from the OpenAPI document of
`bench.openapi` (bench/peer/mesh.config.ts), and `hive-gateway` serves it: one
Node process, default configuration (it runs in an empty directory, so it
finds no config file). Both come pinned from bench/peer/package-lock.json.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from bench._processes import Service, free_port
from bench.openapi import document

__all__ = ["PEER_DIR", "available", "mesh_service"]

PEER_DIR = Path(__file__).with_name("peer")
_BIN = PEER_DIR / "node_modules" / ".bin"


def available() -> bool:
    return (_BIN / "mesh-compose").exists() and (_BIN / "hive-gateway").exists()


def _compose(simulator_url: str, directory: Path) -> Path:
    openapi = directory / "openapi.json"
    openapi.write_text(json.dumps(document(simulator_url)))
    supergraph = directory / "supergraph.graphql"
    env = {**os.environ, "PIECES_OPENAPI": str(openapi), "PIECES_UPSTREAM": simulator_url}
    completed = subprocess.run(
        [str(_BIN / "mesh-compose"), "--output", str(supergraph)],
        cwd=PEER_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not supergraph.exists():
        raise RuntimeError(f"mesh-compose failed: {completed.stdout}\n{completed.stderr}")
    return supergraph


def mesh_service(simulator_url: str, directory: Path) -> tuple[Service, str]:
    """The hive-gateway process (not yet started) and its base URL."""
    supergraph = _compose(simulator_url, directory)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    home = directory / "mesh"
    home.mkdir()
    argv = [str(_BIN / "hive-gateway"), "supergraph", str(supergraph)]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    service = Service("GraphQL Mesh", argv, f"{url}/readiness", directory / "mesh.log", cwd=home)
    return service, url
