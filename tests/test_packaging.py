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


_TABLE_HEAD = "| flag | environment variable | default | meaning |\n|---|---|---|---|\n"


def settings_table() -> str:
    """The README's table of settings, made from the Settings fields."""
    from gateway._settings import Settings

    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = ",".join(default) if isinstance(default, tuple) else default
        shown = "none" if shown in ((), None, "") else shown
        flag, variable = f"--{name.replace('_', '-')}", f"PIECES_GATEWAY_{name.upper()}"
        rows.append(f"| `{flag}` | `{variable}` | `{shown}` | {field.description} |")
    return _TABLE_HEAD + "\n".join(rows) + "\n"


def _readme_with(table: str) -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(_TABLE_HEAD)
    end = readme.index("\n\n", start) + 1
    return readme[:start] + table + readme[end:]


def test_the_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    assert _readme_with(settings_table()) == readme, (
        "README's settings table is stale: run `python -m tests.test_packaging`"
    )


if __name__ == "__main__":
    (ROOT / "README.md").write_text(_readme_with(settings_table()))
