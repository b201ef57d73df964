"""Rich events: an ordinary event grown to the weight of a busy Pieces OS day.

What Pieces OS records about a real session is much more than an id list: the
summaries, tags, websites and people an event names come with their
`reference` objects, the captured screen text is in `context`, the files
touched are `anchors`. `enrich` adds all of that to an ordinary event, with
readable text, then more tag, website and summary references until the
event's JSON weighs about `kilobytes`. Each reference embeds a new record (see
`_record_seed`) that points back at the event. Every value stays SDK-valid.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import datetime
from typing import Any

from ._record_seed import embedded
from ._words import SENTENCES, paragraph

__all__ = ["enrich"]

_CODE = (
    "async def fetch(self, keys: Sequence[SnapshotKey]) -> list[Outcome]:",
    "    groups: dict[bool | None, list[str]] = defaultdict(list)",
    "    response = await client.post('/workstream_events/batch/fetch', json=body)",
    "    return [outcomes[key] for key in keys]",
    "def test_one_call_per_operation(recorder: Recorder) -> None:",
    "    assert recorder.paths == ['/workstream_events/batch/fetch']",
    "SELECT id, created, readable FROM events WHERE created > ? ORDER BY created DESC",
    "docker compose up --build gateway simulator",
)
# The relations every rich event has, with how many records each starts with;
# then these grow in turn until the event weighs what was asked for.
_FIRST = (
    ("anchors", 2, 4),
    ("summaries", 2, 3),
    ("tags", 3, 5),
    ("websites", 2, 4),
    ("persons", 1, 3),
)
_GROWN = ("tags", "websites", "summaries")


def enrich(event: dict[str, Any], rng: random.Random, base: datetime, kilobytes: int) -> None:
    """Grow `event` in place to about `kilobytes` KB of JSON (never less than its start)."""

    def new(key: str) -> dict[str, Any]:
        record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return embedded(key, record_id, base, event["id"])

    title = event.get("windowTitle", "")
    event["readable"] = f"{event.get('readable', '')} {paragraph(rng, 6)}".strip()
    event["context"] = _context(rng, title)
    for key, low, high in _FIRST:
        event[key] = {"iterable": [new(key) for _ in range(rng.randint(low, high))]}
    size = _size(event)
    turn = 0
    while size < kilobytes * 1024:
        key = _GROWN[turn % len(_GROWN)]
        item = new(key)
        event[key]["iterable"].append(item)
        size += _size(item) + 1
        turn += 1


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def _context(rng: random.Random, title: str) -> dict[str, Any]:
    screen = "\n".join(rng.choice(_CODE + SENTENCES) for _ in range(24))
    return {
        "native_ocr": {
            "appTitle": title.rpartition(" - ")[2] or "Editor",
            "windowTitle": title,
            "ocrText": screen,
            "ocrTextHash": hashlib.sha256(screen.encode()).hexdigest(),
            "isCached": False,
            "isMerged": rng.random() < 0.5,
        },
        "accessibility": {
            "appTitle": title.rpartition(" - ")[2] or "Editor",
            "windowTitle": title,
            "accessibilityText": paragraph(rng, 8),
            "isCached": False,
            "isMerged": False,
        },
    }
