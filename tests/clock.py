"""A monotonic clock that moves only when a test moves it (`create_app(..., clock=)`).

Move it by binary fractions (0.25, 0.5, whole seconds): sums of those are exact,
so "the cool-down has passed" is not off by a rounding error.
"""

from __future__ import annotations


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
