"""The circuit breaker's states on a fake clock: closed, opened, half-opened with one probe."""

from __future__ import annotations

import pytest

from gateway._resilience import Breaker, CircuitOpen
from tests.clock import FakeClock


def _opened(clock: FakeClock) -> Breaker:
    breaker = Breaker(threshold=2, cooldown=5.0, clock=clock)
    for _ in range(2):
        breaker.admit()
        breaker.failed()
    return breaker


def test_consecutive_failures_open_it_and_a_success_in_between_does_not() -> None:
    clock = FakeClock()
    breaker = Breaker(threshold=2, cooldown=5.0, clock=clock)
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    assert breaker.state == "closed"
    breaker.failed()
    assert breaker.state == "opened"
    with pytest.raises(CircuitOpen):
        breaker.admit()


def test_after_the_cooldown_one_probe_goes_through_at_a_time() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += 4.9
    with pytest.raises(CircuitOpen):
        breaker.admit()
    clock.now += 0.2
    assert breaker.state == "half-opened"
    breaker.admit()  # the probe
    with pytest.raises(CircuitOpen):
        breaker.admit()  # a second call while the probe is out
    breaker.succeeded()
    assert breaker.state == "closed"
    breaker.admit()


def test_a_failed_probe_opens_it_again_for_a_whole_cooldown() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += 5.0
    breaker.admit()
    breaker.failed()
    assert breaker.state == "opened"
    clock.now += 4.9
    assert breaker.state == "opened"


def test_an_abandoned_probe_frees_its_place() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += 5.0
    breaker.admit()
    breaker.abandoned()  # cancelled: no verdict
    assert breaker.state == "half-opened"
    breaker.admit()
