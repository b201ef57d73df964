"""The package says what is public; this keeps it honest."""

from __future__ import annotations

import pathlib

import gateway.simulator


def test_exported_members() -> None:
    assert gateway.simulator.__all__ == [
        "Activity",
        "Change",
        "Faults",
        "SimulatorLifespan",
        "create_simulator",
        "generate_events",
    ]
    for name in gateway.simulator.__all__:
        assert getattr(gateway.simulator, name).__module__.startswith("gateway.simulator.")


def test_runtime_code_does_not_use_the_sdk() -> None:
    package = pathlib.Path(gateway.simulator.__file__).parent
    for module in package.glob("*.py"):
        assert "pieces_os_client" not in module.read_text(), module.name
