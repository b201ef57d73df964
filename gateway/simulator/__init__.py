"""A bundled, in-memory Pieces OS for the demo, benchmarks and tests."""

from __future__ import annotations

from ._app import create_simulator
from ._faults import Faults
from ._seed import generate_events

__all__ = ["Faults", "create_simulator", "generate_events"]
