"""The container set-up holds together (docker itself is not needed to check it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[1]


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def test_compose_runs_the_gateway_in_front_of_the_simulator() -> None:
    services = _compose()["services"]
    assert set(services) == {"gateway", "simulator"}
    assert services["gateway"]["environment"]["PIECES_GATEWAY_UPSTREAM"] == (
        "${PIECES_GATEWAY_UPSTREAM:-http://simulator:39300}"
    )
    assert services["gateway"]["depends_on"]["simulator"]["condition"] == "service_healthy"
    assert "39300" in services["simulator"]["command"]
    for service in services.values():
        assert service["build"] == "."
        assert "healthcheck" in service


def test_the_image_runs_as_a_user_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER " in dockerfile and "USER root" not in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "-c constraints.txt" in dockerfile


def _has_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _has_compose(), reason="docker compose is not installed on this machine")
def test_docker_compose_accepts_the_file() -> None:
    subprocess.run(["docker", "compose", "config", "--quiet"], cwd=ROOT, check=True)


def test_the_readme_documents_every_setting() -> None:
    from gateway._settings import Settings

    readme = (ROOT / "README.md").read_text()
    for name, field in Settings.model_fields.items():
        flag, variable = f"--{name.replace('_', '-')}", f"PIECES_GATEWAY_{name.upper()}"
        assert f"| `{flag}` | `{variable}` |" in readme, f"README lacks {flag}"
        assert str(field.description) in readme
