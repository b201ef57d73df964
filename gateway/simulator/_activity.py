"""What Pieces OS does to its events while its user works, one round at a time.

Each round (`Activity.step`) changes one event through the `Store`, so that
its `updated` moves as any write's does, and `identifiers?updated_from=` sees
it. A round is, by weight out of ten:

    create    4   a new event, like the seeded ones
    readable  2   an event's text rewritten (as `POST /workstream_event/update`)
    score     2   one of its score counters incremented
    summary   1   a new summary (made, see `_records`) associated with it
    delete    1   the oldest event deleted

`running(interval)` does a round every `interval` seconds while it is
entered: 0.1 changes ten events a second. The rounds are the same for the
same seed and the same starting events; only their stamps come from the
store's clock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from ._instants import parse_instant
from ._seed import References, base_instant, new_event, new_id, new_readable
from ._store import SCORE_COUNTERS, Event, Store

__all__ = ["Activity", "Change"]

_WEIGHTS = {"create": 4, "readable": 2, "score": 2, "summary": 1, "delete": 1}


@dataclass(frozen=True)
class Change:
    kind: str  # one of the rounds above
    event_id: str  # the event created, changed or deleted


class Activity:
    def __init__(self, store: Store, *, seed: int = 0, event_kb: int | None = None) -> None:
        self._store = store
        # Its own stream: the seeding's would make the seeded events' ids again.
        self._rng = random.Random(f"activity {seed}")
        self._base = base_instant(seed)
        self._references = References(self._rng, self._base)
        self._event_kb = event_kb
        self._rounds: dict[str, Callable[[], str]] = {
            "create": self._create,
            "readable": self._readable,
            "score": self._score,
            "summary": self._summary,
            "delete": self._delete,
        }

    def step(self) -> Change:
        """One round of activity; with no events left, it creates one."""
        (kind,) = self._rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))
        if not self._store.events:
            kind = "create"
        return Change(kind, self._rounds[kind]())

    @asynccontextmanager
    async def running(self, interval: float) -> AsyncIterator[None]:
        """A round every `interval` seconds until the block ends."""
        task = asyncio.create_task(self._run(interval), name="simulator activity")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()  # a round that failed says so here

    async def _run(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            # On schedule, so that 0.1 is ten rounds a second; one that fell behind goes at once.
            due = max(due + interval, loop.time())
            await asyncio.sleep(due - loop.time())
            self.step()

    def _create(self) -> str:
        event = new_event(self._rng, self._base, self._references, event_kb=self._event_kb)
        return str(self._store.add(event)["id"])

    def _readable(self) -> str:
        event = self._pick()
        readable = new_readable(self._rng, event["application"]["name"])
        self._store.update({**event, "readable": readable})
        return str(event["id"])

    def _score(self) -> str:
        event_id = str(self._pick()["id"])
        self._store.increment(event_id, {self._rng.choice(SCORE_COUNTERS): True})
        return event_id

    def _summary(self) -> str:
        event_id = str(self._pick()["id"])
        summary_id = new_id(self._rng)
        # Pieces OS makes the summary it associates, so that its endpoint finds it.
        self._store.records.ensure("summaries", summary_id)
        self._store.associate(event_id, "summaries", summary_id)
        return event_id

    def _delete(self) -> str:
        oldest = min(
            self._store.events.values(), key=lambda event: parse_instant(event["created"]["value"])
        )
        event_id = str(oldest["id"])
        self._store.delete(event_id)
        return event_id

    def _pick(self) -> Event:
        return self._store.events[self._rng.choice(list(self._store.events))]
