"""How the gateway calls a flaky upstream: one deadline, retries, a circuit breaker.

`Resilience.send(call, retry=...)` stands between the client and the
transport, with the transport's own signature:

* Every call has one deadline (`upstream_timeout`), computed once: retries and
  their waits included, a client hears back within it.
* With `retry=True` (reads), a call is tried again on connection errors and
  502/503/504 answers, with exponential backoff and jitter, honouring
  `Retry-After`, `retries` times at most; never when the next wait would end
  past the deadline (the client then gets the upstream's own answer, not a
  timeout). Writes are sent once: Pieces OS may have applied one that failed
  on the way back.
* After `threshold` consecutive failures (connection errors, timeouts,
  502/503/504) the breaker opens: calls fail fast with `CircuitOpen` for
  `cooldown` seconds; then one call at a time goes through (half-open), and
  the first success closes it. A cancelled call is no verdict: graphql-core
  cancels sibling fields when one fails.

The loop and the breaker are written here rather than taken from tenacity and
purgatory: tenacity's `AsyncRetrying` costs ~15 µs to build per call (most
calls never retry), and purgatory counts only exceptions raised inside its
context, while a 503 here is an answer to return, not an exception.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Literal

from gateway._transport import Answer, Call, Transport, retry_after
from schema.errors import UpstreamBusy, UpstreamFailure, UpstreamTimeout, UpstreamUnavailable

__all__ = ["Breaker", "CircuitOpen", "Resilience"]

_GATEWAY_STATUSES = frozenset({502, 503, 504})
_BACKOFF_BASE = 0.05  # seconds before the first retry, doubling after
_BACKOFF_MAX = 2.0
_JITTER = 0.1

BreakerState = Literal["closed", "opened", "half-opened"]


class CircuitOpen(UpstreamUnavailable):
    """The breaker is open: the upstream was not asked."""


class Breaker:
    """Consecutive failures open it for `cooldown` seconds of the `clock`."""

    def __init__(
        self, *, threshold: int, cooldown: float, clock: Callable[[], float] | None = None
    ) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock or time.monotonic
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self._cooldown:
            return "opened"
        return "half-opened"

    def admit(self) -> None:
        """Raise `CircuitOpen` unless a call may go through now."""
        state = self.state
        if state == "closed":
            return
        if state == "opened" or self._probing:
            raise CircuitOpen(
                "Pieces OS failed repeatedly; the gateway is giving it a few seconds "
                "before asking again."
            )
        self._probing = True  # half-open: this call is the probe

    def succeeded(self) -> None:
        self._failures, self._opened_at, self._probing = 0, None, False

    def failed(self) -> None:
        self._failures += 1
        self._probing = False
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()

    def abandoned(self) -> None:
        """The call was cancelled: no verdict, but the probe slot is free again."""
        self._probing = False


def _backoff(retry: int) -> float:
    delay: float = min(_BACKOFF_MAX, _BACKOFF_BASE * 2.0**retry)
    return delay + random.uniform(0, _JITTER)


class Resilience:
    def __init__(
        self, transport: Transport, breaker: Breaker, *, retries: int, deadline: float
    ) -> None:
        self._transport = transport
        self.breaker = breaker
        self._retries = retries
        self._deadline = deadline

    async def send(self, call: Call, *, retry: bool) -> Answer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._deadline
        retries = 0
        failure: Answer | Exception
        wait: float | None
        while True:
            try:
                answer = await self._attempt(call, deadline)
            except UpstreamUnavailable as exc:
                if isinstance(exc, CircuitOpen) or not retry:
                    raise
                wait, failure = _backoff(retries), exc
            else:
                if answer.status_code not in _GATEWAY_STATUSES or not retry:
                    return answer
                wait = retry_after(answer)
                if wait is None:
                    wait = _backoff(retries)
                failure = answer
            if retries >= self._retries or loop.time() + wait >= deadline:
                if isinstance(failure, Exception):
                    raise failure
                return failure
            retries += 1
            await asyncio.sleep(wait)

    async def _attempt(self, call: Call, deadline: float) -> Answer:
        breaker = self.breaker
        breaker.admit()
        try:
            async with asyncio.timeout_at(deadline):
                answer = await self._transport.send(call)
        except TimeoutError as exc:
            breaker.failed()
            raise UpstreamTimeout(
                f"Pieces OS did not answer within {self._deadline:g} seconds."
            ) from exc
        except (UpstreamUnavailable, UpstreamTimeout):
            breaker.failed()
            raise
        except UpstreamBusy:
            # Our own pool was full: no verdict on Pieces OS.
            breaker.abandoned()
            raise
        except UpstreamFailure:
            breaker.succeeded()  # it answered; the answer was unusable
            raise
        except BaseException:
            breaker.abandoned()
            raise
        if answer.status_code in _GATEWAY_STATUSES:
            breaker.failed()
        else:
            breaker.succeeded()
        return answer
