"""A bundled, in-memory Pieces OS for the demo, benchmarks and tests."""

from __future__ import annotations

from ._activity import Activity, Change
from ._app import create_simulator
from ._embedded import SimulatorLifespan
from ._faults import Faults
from ._seed import generate_events

__all__ = [
    "Activity",
    "Change",
    "Faults",
    "SimulatorLifespan",
    "create_simulator",
    "generate_events",
]
