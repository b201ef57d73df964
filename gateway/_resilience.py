"""How the gateway calls a flaky upstream: a deadline, retries, a circuit breaker.

* Every call has one deadline (`upstream_timeout`): retries and their waits
  included, a client hears back within it.
* Reads are retried (`retries` times) on connection errors and 502/503/504,
  with exponential backoff and jitter, honouring `Retry-After`. Mutations are
  never retried: Pieces OS may have applied one that failed on the way back.
* After `threshold` consecutive failures (connection errors, timeouts, 5xx
  gateway answers) the breaker opens: calls fail fast for `cooldown` seconds,
  then go through again, and the first success closes it.

Retries are tenacity's and the breaker is purgatory's; this module only says
which errors count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from purgatory.service._async.circuitbreaker import AsyncCircuitBreaker
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from schema.errors import (
    GatewayError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

__all__ = ["CircuitOpen", "Resilience"]

T = TypeVar("T")

_GATEWAY_STATUSES = frozenset({502, 503, 504})
_backoff = wait_exponential_jitter(multiplier=0.05, max=2.0, jitter=0.1)


class CircuitOpen(UpstreamUnavailable):
    """The breaker is open: the upstream was not asked."""


def _trips_breaker(exc: BaseException) -> bool:
    if isinstance(exc, CircuitOpen):
        return False
    if isinstance(exc, UpstreamUnavailable | UpstreamTimeout):
        return True
    return isinstance(exc, UpstreamError) and exc.extensions.get("status") in _GATEWAY_STATUSES


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, CircuitOpen | UpstreamTimeout):
        return False
    if isinstance(exc, UpstreamUnavailable):
        return True
    return isinstance(exc, UpstreamError) and exc.extensions.get("status") in _GATEWAY_STATUSES


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    retry_after = getattr(exc, "retry_after", None)
    return float(retry_after) if retry_after is not None else _backoff(state)


class _StopBefore(stop_base):
    """Stop when the next wait would end past the deadline: then the client hears
    the upstream's own answer (a 503, say), not a timeout."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return asyncio.get_running_loop().time() + _wait(retry_state) >= self.deadline


class Resilience:
    def __init__(self, breaker: AsyncCircuitBreaker, *, retries: int, deadline: float) -> None:
        self._breaker = breaker
        self._retries = retries
        self._deadline = deadline

    @classmethod
    async def create(
        cls, *, threshold: int, cooldown: float, retries: int, deadline: float
    ) -> Resilience:
        factory = AsyncCircuitBreakerFactory(
            default_threshold=threshold,
            default_ttl=cooldown,
            # Listed exceptions do not count as failures (when the function says so).
            # A cancelled call is no verdict on the upstream: graphql-core cancels
            # sibling fields when one fails, and that must not open the breaker.
            exclude=[
                asyncio.CancelledError,
                (GatewayError, lambda exc: not _trips_breaker(exc)),
            ],
        )
        return cls(await factory.get_breaker("pieces-os"), retries=retries, deadline=deadline)

    @property
    def breaker_state(self) -> str:
        """`closed`, `opened` or `half-opened`."""
        return str(self._breaker.context.state)

    async def run(self, attempt: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        deadline = asyncio.get_running_loop().time() + self._deadline
        try:
            # Most calls succeed the first time: tenacity's machinery (~15 µs
            # a call) is only built once a retryable attempt has failed.
            try:
                return await self._guarded(attempt, deadline)
            except Exception as exc:
                if not (idempotent and self._retries and _retryable(exc)):
                    raise
                return await self._retry(attempt, exc, deadline)
        except TimeoutError as exc:
            raise UpstreamTimeout(
                f"Pieces OS did not answer within {self._deadline:g} seconds."
            ) from exc

    async def _retry(
        self, attempt: Callable[[], Awaitable[T]], failed: Exception, deadline: float
    ) -> T:
        """Tenacity's retries, its first attempt being the one that already `failed`."""
        retrying = AsyncRetrying(
            stop=stop_any(stop_after_attempt(1 + self._retries), _StopBefore(deadline)),
            wait=_wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        first: Exception | None = failed
        async for try_ in retrying:
            with try_:
                if first is not None:
                    replayed, first = first, None
                    raise replayed
                return await self._guarded(attempt, deadline)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _guarded(self, attempt: Callable[[], Awaitable[T]], deadline: float) -> T:
        # The deadline is inside the breaker, so that a timeout counts against
        # the upstream (as a TimeoutError) rather than as a cancellation.
        try:
            async with self._breaker, asyncio.timeout_at(deadline):
                return await attempt()
        except OpenedState as exc:
            raise CircuitOpen(
                "Pieces OS failed repeatedly; the gateway is giving it a few seconds "
                "before asking again."
            ) from exc
