"""The timeline page: 50 events with their tags' texts, websites' URLs and summaries' names.

One page is `workstreamEvents(ids:)` over events the simulator recorded one
after another: a working session's events come back to the same tags, pages
and summaries (`gateway.simulator._seed.References`), and most of their
references carry only an id, so the gateway fetches those records.
`expected_calls` is what that should cost upstream, counted from the events
alone: one batch per `batch_size` events, one summaries batch per
`batch_size` distinct summaries without an embedded copy, and one GET per
distinct other record without one, never one per reference.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench._workloads import Request, Workload

__all__ = [
    "BATCHED",
    "QUERY",
    "SELECTED",
    "Calls",
    "expected_calls",
    "pages",
    "unfetched",
    "workload",
]

Event = dict[str, Any]

# The relations a page selects, each with the one field of its records it asks for.
SELECTED = (("tags", "text"), ("websites", "url"), ("summaries", "name"))
# Read through their batch endpoint (POST /workstream_summaries/batch); the others: a GET each.
BATCHED = frozenset({"summaries"})
QUERY = (
    "query Timeline($ids: [ID!]!) { workstreamEvents(ids: $ids) { id "
    + " ".join(f"{key} {{ iterable {{ reference {{ {field} }} }} }}" for key, field in SELECTED)
    + " } }"
)


@dataclass(frozen=True)
class Calls:
    """The upstream calls one page costs, by kind."""

    events: int  # POST /workstream_events/batch/fetch
    summaries: int  # POST /workstream_summaries/batch (or one GET, for a single summary)
    gets: int  # GET /tag/{id}, GET /website/{id}: one per distinct record
    records: int  # distinct records without an embedded copy, summaries included
    references: int  # references without an embedded copy: what a fetch per reference reads

    @property
    def total(self) -> int:
        return self.events + self.summaries + self.gets


def unfetched(events: Iterable[Event], key: str) -> set[str]:
    """The distinct ids the `key` references of `events` name without an embedded copy."""
    return {
        item["id"]
        for event in events
        for item in (event.get(key) or {}).get("iterable") or ()
        if item.get("reference") is None
    }


def expected_calls(events: Mapping[str, Event], page: Sequence[str], batch_size: int) -> Calls:
    """The calls the page of `page`'s event ids costs, from `events` (the simulator's, by id)."""
    chosen = [events[event_id] for event_id in dict.fromkeys(page)]
    distinct = {key: unfetched(chosen, key) for key, _field in SELECTED}
    references = sum(
        1
        for key, _field in SELECTED
        for event in chosen
        for item in (event.get(key) or {}).get("iterable") or ()
        if item.get("reference") is None
    )
    return Calls(
        events=math.ceil(len(chosen) / batch_size),
        summaries=sum(math.ceil(len(distinct[key]) / batch_size) for key in BATCHED),
        gets=sum(len(ids) for key, ids in distinct.items() if key not in BATCHED),
        records=sum(map(len, distinct.values())),
        references=references,
    )


def pages(ids: Sequence[str], *, count: int = 4, size: int = 50) -> list[list[str]]:
    """`count` pages of `size` consecutive ids, none shared."""
    if len(ids) < count * size:
        raise ValueError(f"{count} pages of {size} events need {count * size}, not {len(ids)}")
    return [list(ids[start : start + size]) for start in range(0, count * size, size)]


def workload(timeline: Sequence[Sequence[str]]) -> Workload:
    """The pages in turn, one `workstreamEvents` operation each."""
    requests = tuple(
        Request(
            "POST",
            "/graphql",
            json.dumps(
                {"query": QUERY, "variables": {"ids": list(page)}}, separators=(",", ":")
            ).encode(),
        )
        for page in timeline
    )
    size = len(timeline[0]) if timeline else 0
    name = f"GraphQL timeline page, {size} events with tags, websites, summaries"
    return Workload(name, "timeline", requests, graphql=True, ids_per_op=size)
