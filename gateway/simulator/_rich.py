"""Rich events: an ordinary event grown to the weight of a busy Pieces OS day.

What Pieces OS records about a real session is much more than an id list: the
summaries, tags, websites and people an event names come with their
`reference` objects, the captured screen text is in `context`, the files
touched are `anchors`. `enrich` adds all of that to an ordinary event, with
readable text, then more tag and website references until the event's JSON
weighs about `kilobytes`. Every value stays SDK-valid.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ._instants import format_instant

__all__ = ["enrich"]

_SENTENCES = (
    "The gateway batches every snapshot an operation needs into one upstream call.",
    "A retry with backoff hid the flaky connection, but the breaker still opened twice.",
    "We agreed to keep the simulator's answers identical to what Pieces OS sends.",
    "The pull request renames the settings and adds a test for each new flag.",
    "Profiling showed most of the time in validation until the cache was fixed.",
    "The release notes mention the new persisted queries and the metrics endpoint.",
    "Reviewers asked for a smaller module and a docstring on the error tree.",
    "Connection pooling keeps the latency flat once the first request warmed it up.",
    "The design doc compares a compiled projection with the regular executor.",
    "Tomorrow: finish the rollout checklist and hand the dashboard to the on-call.",
)
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
_TAGS = (
    "graphql",
    "python",
    "performance",
    "httpx",
    "starlette",
    "release",
    "code-review",
    "dataloader",
    "observability",
    "testing",
)
_PEOPLE = (
    ("Ada Lovelace", "ada"),
    ("Grace Hopper", "grace"),
    ("Alan Turing", "alan"),
    ("Barbara Liskov", "barbara"),
    ("Edsger Dijkstra", "edsger"),
)
_PAGES = (
    ("GraphQL over HTTP", "https://graphql.github.io/graphql-over-http/draft/"),
    ("Strawberry DataLoaders", "https://strawberry.rocks/docs/guides/dataloaders"),
    ("HTTPX Async Support", "https://www.python-httpx.org/async/"),
    ("Starlette Lifespan", "https://www.starlette.io/lifespan/"),
    ("asyncio Tasks", "https://docs.python.org/3/library/asyncio-task.html"),
)
_FILES = (
    "gateway/_upstream.py",
    "gateway/_loaders.py",
    "schema/_compiled.py",
    "tests/gateway/test_batching.py",
    "README.md",
)


def enrich(event: dict[str, Any], rng: random.Random, base: datetime, kilobytes: int) -> None:
    """Grow `event` in place to about `kilobytes` KB of JSON (never less than its start)."""
    maker = _Maker(rng, base)
    title = event.get("windowTitle", "")
    event["readable"] = f"{event.get('readable', '')} {maker.paragraph(6)}".strip()
    event["context"] = maker.context(title)
    event["anchors"] = {"iterable": [maker.anchor() for _ in range(rng.randint(2, 4))]}
    event["summaries"] = {"iterable": [maker.summary() for _ in range(rng.randint(2, 3))]}
    event["tags"] = {"iterable": [maker.tag() for _ in range(rng.randint(3, 5))]}
    event["websites"] = {"iterable": [maker.website() for _ in range(rng.randint(2, 4))]}
    event["persons"] = {"iterable": [maker.person() for _ in range(rng.randint(1, 3))]}
    size = _size(event)
    growers: tuple[tuple[str, Callable[[], dict[str, Any]]], ...] = (
        ("tags", maker.tag),
        ("websites", maker.website),
        ("summaries", maker.summary),
    )
    turn = 0
    while size < kilobytes * 1024:
        key, make = growers[turn % len(growers)]
        item = make()
        event[key]["iterable"].append(item)
        size += _size(item) + 1
        turn += 1


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":")))


class _Maker:
    def __init__(self, rng: random.Random, base: datetime) -> None:
        self._rng = rng
        self._base = base

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def paragraph(self, sentences: int) -> str:
        return " ".join(self._rng.choice(_SENTENCES) for _ in range(sentences))

    def timestamp(self) -> dict[str, Any]:
        moment = self._base - timedelta(seconds=self._rng.randint(0, 60 * 86400))
        return {"value": format_instant(moment)}

    def score(self) -> dict[str, Any]:
        rng = self._rng
        return {"manual": rng.randint(0, 3), "automatic": rng.randint(0, 40)}

    def context(self, title: str) -> dict[str, Any]:
        rng = self._rng
        screen = "\n".join(rng.choice(_CODE + _SENTENCES) for _ in range(24))
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
                "accessibilityText": self.paragraph(8),
                "isCached": False,
                "isMerged": False,
            },
        }

    def anchor(self) -> dict[str, Any]:
        anchor_id = self.uuid()
        return {
            "id": anchor_id,
            "reference": {
                "id": anchor_id,
                "type": "FILE",
                "name": self._rng.choice(_FILES),
                "watch": False,
                "created": self.timestamp(),
                "updated": self.timestamp(),
                "points": {"iterable": [{"id": self.uuid()} for _ in range(2)]},
            },
        }

    def summary(self) -> dict[str, Any]:
        rng = self._rng
        summary_id = self.uuid()
        return {
            "id": summary_id,
            "reference": {
                "id": summary_id,
                "name": self.paragraph(1).rstrip("."),
                "created": self.timestamp(),
                "updated": self.timestamp(),
                "mechanism": "AUTOMATIC",
                "phase": "COMPLETED",
                "favorited": rng.random() < 0.2,
                "processing": "LOCAL",
                "score": self.score(),
                "model": {
                    "id": self.uuid(),
                    "name": "Phi-3 Mini 4K Instruct",
                    "version": "3.0.0",
                    "cloud": False,
                    "created": self.timestamp(),
                    "type": "BALANCED",
                    "usage": "CODE_DESCRIPTION",
                },
                "tags": {"iterable": [{"id": self.uuid()} for _ in range(3)]},
                "websites": {"iterable": [{"id": self.uuid()} for _ in range(2)]},
            },
        }

    def tag(self) -> dict[str, Any]:
        rng = self._rng
        tag_id = self.uuid()
        return {
            "id": tag_id,
            "reference": {
                "id": tag_id,
                "text": rng.choice(_TAGS),
                "category": "UNKNOWN",
                "created": self.timestamp(),
                "updated": self.timestamp(),
                "interactions": rng.randint(0, 50),
                "score": self.score(),
                "mechanisms": {self.uuid(): "AUTOMATIC"},
            },
        }

    def website(self) -> dict[str, Any]:
        rng = self._rng
        website_id = self.uuid()
        name, url = rng.choice(_PAGES)
        return {
            "id": website_id,
            "reference": {
                "id": website_id,
                "name": name,
                "url": url,
                "created": self.timestamp(),
                "updated": self.timestamp(),
                "interactions": rng.randint(0, 50),
                "score": self.score(),
            },
        }

    def person(self) -> dict[str, Any]:
        name, handle = self._rng.choice(_PEOPLE)
        person_id = self.uuid()
        return {
            "id": person_id,
            "reference": {
                "id": person_id,
                "created": self.timestamp(),
                "updated": self.timestamp(),
                "interactions": self._rng.randint(0, 50),
                "type": {
                    "basic": {
                        "name": name,
                        "username": handle,
                        "email": f"{handle}@example.com",
                        "sourced": "GIT_HUB",
                    }
                },
            },
        }
