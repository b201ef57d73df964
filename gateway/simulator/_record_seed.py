"""What a record an event points at looks like, made from its relation and id alone.

The same id always makes the same record, so the seeding, the activity and
the store (which makes the records events name) agree on it without passing
it round. Each is a full, SDK-valid record of its relation's model, before
the events referencing it are listed in it (see `_records`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ._instants import format_instant
from ._records import back_key, flattened
from ._words import APPLICATIONS, FILES, PAGES, PEOPLE, TAGS, paragraph

__all__ = ["embedded", "new_record"]

Record = dict[str, Any]
_SPREAD = timedelta(days=60)


def new_record(key: str, record_id: str, base: datetime) -> Record:
    """The record `record_id` of relation `key` (an event field, as `tags`), from before `base`."""
    parts = _Parts(random.Random(f"{key} {record_id}"), base)
    return {"id": record_id, **parts.timestamps(), **_MAKERS[key](parts)}


def embedded(key: str, record_id: str, base: datetime, event_id: str) -> dict[str, Any]:
    """A `Referenced<X>` carrying the record as the event `event_id` embeds it."""
    record = new_record(key, record_id, base)
    record[back_key(key)] = {"iterable": [{"id": event_id}]}
    return {"id": record_id, "reference": flattened(key, record)}


class _Parts:
    def __init__(self, rng: random.Random, base: datetime) -> None:
        self.rng = rng
        self._base = base

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def instant(self) -> dict[str, Any]:
        moment = self._base - timedelta(
            seconds=self.rng.randint(0, _SPREAD // timedelta(seconds=1))
        )
        return {"value": format_instant(moment)}

    def timestamps(self) -> dict[str, Any]:
        created = self.instant()
        return {"created": created, "updated": max(created, self.instant(), key=_value)}

    def score(self) -> dict[str, Any]:
        return {"manual": self.rng.randint(0, 3), "automatic": self.rng.randint(0, 40)}

    def sentence(self) -> str:
        return paragraph(self.rng, 1)


def _value(timestamp: dict[str, Any]) -> str:
    # Instants as the simulator writes them sort as text.
    return str(timestamp["value"])


def _summary(parts: _Parts) -> Record:
    rng = parts.rng
    return {
        "name": parts.sentence().rstrip("."),
        "mechanism": "AUTOMATIC",
        "phase": "COMPLETED",
        "favorited": rng.random() < 0.2,
        "processing": "LOCAL",
        "score": parts.score(),
        "model": {
            "id": parts.uuid(),
            "name": "Phi-3 Mini 4K Instruct",
            "version": "3.0.0",
            "cloud": False,
            "created": parts.instant(),
            "type": "BALANCED",
            "usage": "CODE_DESCRIPTION",
        },
    }


def _anchor(parts: _Parts) -> Record:
    return {
        "type": "FILE",
        "name": parts.rng.choice(FILES),
        "watch": False,
        "points": {"iterable": [{"id": parts.uuid()}]},
    }


def _annotation(parts: _Parts) -> Record:
    rng = parts.rng
    return {
        "text": paragraph(rng, rng.randint(1, 3)),
        "type": rng.choice(("DESCRIPTION", "COMMENT", "SUMMARY", "EXPLANATION")),
        "mechanism": "AUTOMATIC",
        "favorited": False,
    }


def _message(parts: _Parts) -> Record:
    rng = parts.rng
    role = rng.choice(("USER", "ASSISTANT"))
    text = parts.sentence() if role == "USER" else paragraph(rng, rng.randint(2, 4))
    return {
        "role": role,
        "conversation": {"id": parts.uuid()},
        "fragment": {"string": {"raw": text}},
    }


def _person(parts: _Parts) -> Record:
    name, handle = parts.rng.choice(PEOPLE)
    return {
        "interactions": parts.rng.randint(0, 50),
        "type": {
            "basic": {
                "name": name,
                "username": handle,
                "email": f"{handle}@example.com",
                "sourced": "GIT_HUB",
            }
        },
    }


def _tag(parts: _Parts) -> Record:
    return {
        "text": parts.rng.choice(TAGS),
        "category": "UNKNOWN",
        "interactions": parts.rng.randint(0, 50),
        "score": parts.score(),
        "mechanisms": {parts.uuid(): "AUTOMATIC"},
    }


def _website(parts: _Parts) -> Record:
    name, url = parts.rng.choice(PAGES)
    return {
        "name": name,
        "url": url,
        "interactions": parts.rng.randint(0, 50),
        "score": parts.score(),
    }


def _source(parts: _Parts) -> Record:
    readable, process = parts.rng.choice(APPLICATIONS)
    return {
        "readable": readable,
        "raw": {"application": process, "name": readable},
        "filter": False,
        "score": parts.score(),
    }


def _source_window(parts: _Parts) -> Record:
    readable, _process = parts.rng.choice(APPLICATIONS)
    return {"name": f"{parts.rng.choice(FILES)} - {readable}", "score": parts.score()}


_MAKERS: dict[str, Callable[[_Parts], Record]] = {
    "summaries": _summary,
    "anchors": _anchor,
    "annotations": _annotation,
    "messages": _message,
    "persons": _person,
    "tags": _tag,
    "websites": _website,
    "sources": _source,
    "source_windows": _source_window,
}
