"""Deterministic WorkstreamEvents for the simulator to start with.

The first few carry every field and enum value of the contract (see
`_coverage`); the rest look like what Pieces OS records on an ordinary day
(~3 KB each), or, with `event_kb`, like a busy one (see `_rich`). The records
they point at are chosen by `References`, and made from their ids (see
`_record_seed`).
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from typing import Any

from ._coverage import CoverageFiller
from ._instants import format_instant
from ._record_seed import embedded
from ._rich import enrich

# Seeded data never looks at the wall clock, so a seed always means the same events.
_EPOCH = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
_SPREAD = timedelta(days=60)
# Per coverage event; the whole contract fits in the first ten events.
_COVERAGE_BUDGET = 250
_SCHEMA = {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"}
# How many records of a relation a working session keeps coming back to, how
# often a reference is to one of them, and how often one embeds its record.
_RECENT = 5
_REUSED = 0.4
_EMBEDDED = 0.2
# The relations of an ordinary event, with how many records each has.
_RELATED = (
    ("summaries", 1, 2),
    ("tags", 1, 4),
    ("persons", 0, 2),
    ("websites", 0, 3),
    ("anchors", 0, 2),
    ("annotations", 0, 1),
    ("messages", 0, 1),
)

_APPLICATIONS = (
    ("VS_CODE", "1.98.2"),
    ("JETBRAINS", "2025.1"),
    ("GOOGLE_CHROME_EXTENSION_MV3", "3.4.0"),
    ("SLACK", "4.43.51"),
    ("OBSIDIAN", "1.8.9"),
    ("MICROSOFT_TEAMS", "25060.205"),
    ("NOTION", "4.7.0"),
)
_BROWSERS = frozenset({"GOOGLE_CHROME_EXTENSION_MV3"})
_PLATFORMS = ("MACOS", "LINUX", "WINDOWS")
_TRIGGERS = ("application_switch", "copy", "paste", "tab_switch", "file_open", "url_changed")
_ACTIVITIES = (
    "Reviewed the pull request for",
    "Debugged a failing test in",
    "Read the documentation of",
    "Discussed the rollout plan for",
    "Refactored the error handling in",
    "Wrote notes about",
)
_TOPICS = (
    "the GraphQL gateway",
    "the httpx transport layer",
    "the Starlette lifespan",
    "the workstream summaries pipeline",
    "the DataLoader batching",
    "the Docker compose setup",
    "the release checklist",
)
_SITES = (
    "github.com",
    "docs.python.org",
    "www.starlette.io",
    "strawberry.rocks",
    "www.python-httpx.org",
)


def generate_events(count: int, seed: int, *, event_kb: int | None = None) -> list[dict[str, Any]]:
    """`count` SDK-valid WorkstreamEvents, the same ones for the same seed.

    With `event_kb`, the ordinary events carry nested references, captured
    screen text and anchors, up to about that many KB of JSON each.
    """
    rng = random.Random(seed)
    base = base_instant(seed)
    filler = CoverageFiller("WorkstreamEvent", rng, base)
    references = References(rng, base)
    events: list[dict[str, Any]] = []
    for _ in range(count):
        event = new_event(rng, base, references, event_kb=event_kb)
        if not filler.done():
            covering = filler.fill(_COVERAGE_BUDGET)
            # Keep the ordinary identity and timeline so ordering and filters behave.
            for key in ("id", "created", "updated"):
                covering[key] = event[key]
            event = covering
        events.append(event)
    return events


def base_instant(seed: int) -> datetime:
    """The instant a seed's events lead up to."""
    return _EPOCH + timedelta(days=seed % 365)


class References:
    """The records new events point at, chosen as a working session would.

    A reference is now and then to a record one of the last events pointed at
    too (the same tags, people and pages come back), else to a new one. One in
    five embeds its record; the rest carry only its id, as Pieces OS sends them.
    """

    def __init__(self, rng: random.Random, base: datetime) -> None:
        self._rng = rng
        self._base = base
        self._recent: defaultdict[str, deque[str]] = defaultdict(lambda: deque(maxlen=_RECENT))

    def pick(self, key: str, count: int, event_id: str) -> dict[str, Any]:
        """`count` distinct references of relation `key` for the event `event_id`."""
        rng, recent = self._rng, self._recent[key]
        items: list[dict[str, Any]] = []
        for _ in range(count):
            taken = {item["id"] for item in items}
            again = [record_id for record_id in recent if record_id not in taken]
            if again and rng.random() < _REUSED:
                record_id = rng.choice(again)
            else:
                record_id = _uuid(rng)
                recent.append(record_id)
            if rng.random() < _EMBEDDED:
                items.append(embedded(key, record_id, self._base, event_id))
            else:
                items.append({"id": record_id})
        return {"iterable": items}


def new_event(
    rng: random.Random,
    base: datetime,
    references: References,
    *,
    event_kb: int | None = None,
) -> dict[str, Any]:
    """One ordinary event from before `base`, or a rich one of about `event_kb` KB."""
    event = _ordinary_event(rng, base, references)
    if event_kb is not None:
        enrich(event, rng, base, event_kb)
    return event


def new_readable(rng: random.Random, application: str) -> str:
    """What an event's user did, in words, in `application` (an ApplicationNameEnum value)."""
    return _readable(rng, rng.choice(_TOPICS), application)


def new_id(rng: random.Random) -> str:
    return _uuid(rng)


def _readable(rng: random.Random, topic: str, application: str) -> str:
    return f"{rng.choice(_ACTIVITIES)} {topic} in {application.replace('_', ' ').title()}."


def _ordinary_event(rng: random.Random, base: datetime, references: References) -> dict[str, Any]:
    name, version = rng.choice(_APPLICATIONS)
    created = base - timedelta(milliseconds=rng.randint(0, _SPREAD // timedelta(milliseconds=1)))
    updated = min(base, created + timedelta(milliseconds=rng.randint(0, 3 * 3600 * 1000)))
    topic = rng.choice(_TOPICS)
    readable = _readable(rng, topic, name)
    event: dict[str, Any] = {
        "schema": _SCHEMA,
        "id": _uuid(rng),
        "created": _timestamp(created),
        "updated": _timestamp(updated),
        "application": {
            "id": _uuid(rng),
            "name": name,
            "version": version,
            "platform": rng.choice(_PLATFORMS),
            "onboarded": True,
            "privacy": "OPEN",
            "capabilities": "BLENDED",
            "mechanism": "AUTOMATIC",
        },
        "trigger": {rng.choice(_TRIGGERS): True},
        "readable": readable,
        "windowTitle": f"{topic.removeprefix('the ').capitalize()} - {name.title()}",
        "processing": "LOCAL",
        "score": {
            "manual": rng.randint(0, 3),
            "automatic": rng.randint(0, 40),
            "priority": rng.randint(0, 5),
            "reference": rng.randint(0, 10),
            "reuse": rng.randint(0, 10),
            "searched": rng.randint(0, 10),
            "update": rng.randint(0, 10),
        },
        # An embedding is most of a real event's weight.
        "workstreamEventsVector": [round(rng.uniform(-1, 1), 6) for _ in range(96)],
    }
    if name in _BROWSERS:
        event["browserUrl"] = f"https://{rng.choice(_SITES)}/{topic.split()[-1]}"
    for key, low, high in _RELATED:
        event[key] = references.pick(key, rng.randint(low, high), event["id"])
    return event


def _timestamp(moment: datetime) -> dict[str, Any]:
    return {"value": format_instant(moment)}


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
