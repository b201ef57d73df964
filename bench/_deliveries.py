"""What a change feed's subscribers received, held against what the upstream changed.

The window is two snapshots of the upstream's store (`id -> updated`): the
changes it made between them are those stamped after the newest `updated` of
the first and up to the newest of the second, plus the ids gone by the second.
What was *expected* of the window is the union of

* the store's own account: every event whose `updated` moved (its last state,
  as the second snapshot has it) and every event deleted; an event created and
  deleted between the snapshots is not in either, so
* every change of the window any subscriber received (an intermediate state
  the store no longer shows; the deletion of an event created in the window),

and every subscriber is expected to have all of it. A change a subscriber
lacks is *coalesced* when it received a later state of that event (or its
deletion) instead, as the feed documents; else it is *lost*. A message
received twice (same id, same `at`; a deletion: same id) is *duplicated*.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from bench._pyload import percentile

__all__ = [
    "Message",
    "Tally",
    "Window",
    "expected",
    "first_latencies",
    "latencies",
    "summary",
    "tally",
    "upstream_calls",
]

# (kind, id, at, receipt): `at` is None for a deletion; receipt is epoch seconds.
Message = tuple[str, str, str | None, float]
_Key = tuple[str, str | None]  # (id, at)


@dataclass(frozen=True)
class Window:
    before: Mapping[str, str]  # id -> updated, at the window's start
    after: Mapping[str, str]  # at its end

    @property
    def start(self) -> str:
        """The newest stamp already written at the start (instants compare as text)."""
        return max(self.before.values(), default="")

    @property
    def end(self) -> str:
        return max(self.after.values(), default="")

    def stamped_within(self, at: str) -> bool:
        return self.start < at <= self.end


@dataclass(frozen=True)
class Tally:
    subscribers: int
    changes: int  # distinct changes expected of the window
    expected: int  # changes x subscribers
    delivered: int
    coalesced: int
    lost: int
    duplicated: int
    wrong_kind: int
    differing: int  # subscribers that did not receive exactly the expected changes


def _deleted(window: Window, received: Sequence[Sequence[Message]]) -> set[str]:
    created_within = {
        event_id
        for messages in received
        for kind, event_id, at, _ in messages
        if kind == "CREATED" and at is not None and window.stamped_within(at)
    }
    gone = (set(window.before) | created_within) - set(window.after)
    return gone


def _in_window(window: Window, deleted: set[str], message: Message) -> bool:
    _, event_id, at, _ = message
    return event_id in deleted if at is None else window.stamped_within(at)


def expected(window: Window, received: Sequence[Sequence[Message]]) -> set[_Key]:
    deleted = _deleted(window, received)
    keys: set[_Key] = {
        (event_id, updated)
        for event_id, updated in window.after.items()
        if window.stamped_within(updated)
    }
    keys |= {(event_id, None) for event_id in deleted}
    keys |= {
        (m[1], m[2]) for messages in received for m in messages if _in_window(window, deleted, m)
    }
    return keys


def tally(window: Window, received: Sequence[Sequence[Message]]) -> Tally:
    """Each subscriber's messages (in the order received) against the window's changes."""
    wanted = expected(window, received)
    deleted = _deleted(window, received)
    delivered = coalesced = lost = duplicated = wrong_kind = differing = 0
    for messages in received:
        counts = Counter((event_id, at) for _, event_id, at, _ in messages)
        duplicated += sum(n - 1 for n in counts.values())
        got = {key for key in counts if key in wanted}
        delivered += len(got)
        # id -> the newest stamp received; "~" sorts after every instant: the deletion is last.
        latest: dict[str, str] = {}
        for _, event_id, at, _ in messages:
            latest[event_id] = max(latest.get(event_id, ""), "~" if at is None else at)
        for event_id, at in wanted - got:
            if at is not None and latest.get(event_id, "") > at:
                coalesced += 1
            else:
                lost += 1
        wrong_kind += _wrong_kinds(window, deleted, messages)
        differing += got != wanted
    return Tally(
        subscribers=len(received),
        changes=len(wanted),
        expected=len(wanted) * len(received),
        delivered=delivered,
        coalesced=coalesced,
        lost=lost,
        duplicated=duplicated,
        wrong_kind=wrong_kind,
        differing=differing,
    )


def _wrong_kinds(window: Window, deleted: set[str], messages: Iterable[Message]) -> int:
    """Of the window's creations and updates: CREATED for an event the subscriber had heard of,
    UPDATED for one it had not heard of that did not exist at the start."""
    heard: set[str] = set()
    wrong = 0
    for message in messages:
        kind, event_id, _, _ = message
        if kind != "DELETED" and _in_window(window, deleted, message):
            if kind == "CREATED":
                wrong += event_id in heard
            else:
                wrong += event_id not in heard and event_id not in window.before
        heard.add(event_id)
    return wrong


@lru_cache(maxsize=65_536)
def _epoch(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


def latencies(window: Window, received: Iterable[Sequence[Message]]) -> list[float]:
    """Receipt minus `at`, in seconds, of every creation and update of the window, ascending."""
    return sorted(
        receipt - _epoch(at)
        for messages in received
        for _, _, at, receipt in messages
        if at is not None and window.stamped_within(at)
    )


def first_latencies(window: Window, received: Iterable[Sequence[Message]]) -> list[float]:
    """Of each creation and update of the window, the first subscriber's latency, ascending:
    what the poll costs, before the fan-out to the others."""
    first: dict[tuple[str, str], float] = {}
    for messages in received:
        for _, event_id, at, receipt in messages:
            if at is not None and window.stamped_within(at):
                key = (event_id, at)
                first[key] = min(first.get(key, receipt), receipt)
    return sorted(receipt - _epoch(at) for (_, at), receipt in first.items())


def summary(sorted_seconds: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max, in milliseconds."""
    if not sorted_seconds:
        return (0.0, 0.0, 0.0)
    p50, p99 = (percentile(sorted_seconds, q) * 1000 for q in (0.5, 0.99))
    return (p50, p99, sorted_seconds[-1] * 1000)


# uvicorn's access log line: `"GET /workstream_events/identifiers?updated_from=… HTTP/1.1" 200`
_ACCESS = re.compile(rb'"(GET|POST|PUT|DELETE) (/[^ ?]*)(\?[^ =&]*)?\S* HTTP/1\.1" \d{3}')
_ONE_EVENT = re.compile(r"^/workstream_event/(?!update$)[^/]+")


def upstream_calls(log: bytes, *, ignore: Iterable[str] = ()) -> Counter[str]:
    """Requests in an access log by `METHOD /path?first_parameter` (an event's id as `{id}`),
    but the `ignore`d ones."""
    skip = set(ignore)
    calls: Counter[str] = Counter()
    for method, path, query in _ACCESS.findall(log):
        text = _ONE_EVENT.sub("/workstream_event/{id}", (path + query).decode("latin-1"))
        endpoint = f"{method.decode()} {text}"
        if endpoint not in skip:
            calls[endpoint] += 1
    return calls
