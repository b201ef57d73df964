"""What the resolvers need from the running gateway, per request.

The schema does not know how the upstream is reached: the gateway hands each
operation a `Context` holding an object that speaks the upstream API, the
operation's DataLoader of snapshots and its loaders of related records. A
`Snapshot` is an event as Pieces OS sent it: its JSON text, parsed whole only
when a resolver asks for it (the compiled path decodes just the fields it
selects).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

import orjson
from strawberry.dataloader import DataLoader

from schema._relations import Relation
from schema.errors import BadUserInput, UpstreamBadResponse, shown_id

__all__ = [
    "Context",
    "Json",
    "Records",
    "Snapshot",
    "SnapshotKey",
    "WorkstreamEventApi",
    "check_id",
    "snapshot_keys",
]

Json = dict[str, Any]


class Snapshot:
    """The event `id`: the JSON text Pieces OS sent, checked and parsed on first use.

    Whoever reads it checks it: `json` parses it whole, and the compiled path
    decodes its selected keys and `id` (schema.compiled). Text that is not a
    JSON object, or an object of another id, is UPSTREAM_BAD_RESPONSE (the
    compiled path hands such a snapshot to `json`). Reading the text once for
    the check and again for the fields would cost a second pass over ~30 KB.
    """

    __slots__ = ("_json", "content", "id")

    def __init__(self, content: bytes | None, id: str, parsed: Json | None = None) -> None:
        self.content = content
        self.id = id
        self._json = parsed

    @classmethod
    def of(cls, event: Json) -> Snapshot:
        """A snapshot of an event already parsed (a write's answer, which has its id)."""
        return cls(None, event["id"], event)

    @property
    def json(self) -> Json:
        if self._json is None:
            assert self.content is not None
            try:
                parsed = orjson.loads(self.content)
            except orjson.JSONDecodeError as exc:
                raise UpstreamBadResponse("Pieces OS sent an event that is not JSON.") from exc
            if not isinstance(parsed, dict):
                raise UpstreamBadResponse("Pieces OS sent an event that is not an object.")
            if parsed.get("id") != self.id:
                raise UpstreamBadResponse(
                    f"Pieces OS answered for another event than {shown_id(self.id)}."
                )
            self._json = parsed
        return self._json


class SnapshotKey(NamedTuple):
    id: str
    transferables: bool | None


def check_id(value: str) -> str:
    """`value`, if it can be a record id: ids go into URL paths as one segment,
    and `.` and `..` would be dot segments, which URL normalisers resolve away.
    Pieces OS's ids are UUIDs; `MAX_ID_LENGTH` leaves room for any other."""
    if value in _NOT_IDS:
        raise BadUserInput(f"{value!r} is not a record id: ids cannot be empty, '.' or '..'.")
    if len(value) > MAX_ID_LENGTH:
        raise BadUserInput(f"A record id has {MAX_ID_LENGTH} characters at most.")
    return value


_NOT_IDS = frozenset({"", ".", ".."})
MAX_ID_LENGTH = 1024


def snapshot_keys(
    ids: Sequence[str], transferables: bool | None, *, max_ids: int, argument: str = "ids"
) -> list[SnapshotKey]:
    """What a root field that names events loads: one key per id, in order.

    The resolvers, the compiled plan and `_entities` all call this, so that
    they load and refuse alike (over `max_ids`: BAD_USER_INPUT, nothing loaded).
    """
    if len(ids) > max_ids:
        raise BadUserInput(f"`{argument}` may name {max_ids} at most.", argument=argument)
    return [SnapshotKey(event_id, transferables) for event_id in ids]


class WorkstreamEventApi(Protocol):
    """The upstream REST calls the schema makes (one method per endpoint)."""

    async def snapshot(self, event_id: str, *, transferables: bool | None) -> Snapshot: ...

    async def update(self, event: Json, *, transferables: bool | None) -> Json: ...

    async def create(self, seeded: Json, *, transferables: bool | None) -> Json: ...

    async def delete(self, event_id: str) -> None: ...

    async def identifiers(self, filters: dict[str, str]) -> list[str]: ...

    async def relate(
        self,
        event_id: str,
        segment: str,
        action: Literal["associate", "disassociate"],
        other_id: str,
    ) -> None: ...

    async def increment_scores(self, event_id: str, increment: Json | None) -> None: ...


class Records(Protocol):
    """The records events point at (tags, websites, ...), for one operation: each
    distinct id of a relation fetched once (gateway._related)."""

    def load(self, relation: Relation, record_id: str) -> Awaitable[Json]:
        """The record, in the form an embedded reference has (its `Flattened<X>`)."""
        ...

    def renewed(self) -> Records:
        """The same source, remembering nothing: for a subscription's next change."""
        ...

    def forget(self) -> None:
        """Remember none of the records read so far (a write may have changed them);
        what the operation may still fetch stands."""
        ...


@dataclass(slots=True)
class Context:
    upstream: WorkstreamEventApi
    snapshots: DataLoader[SnapshotKey, Snapshot]
    records: Records
    max_page_size: int
    max_ids: int = 1000
    request_id: str = ""
    operation_name: str | None = None  # set once the document is parsed
    # Where subscriptions get their changes (schema._subscription.ChangeSource);
    # None where no stream can carry them (plain HTTP).
    changes: Any = None

    async def event(self, key: SnapshotKey) -> Json:
        """The event `key` names, parsed (through the DataLoader)."""
        snapshot = await self.snapshots.load(key)
        return snapshot.json

    def forget(self) -> None:
        """After a write: what was read before it may have changed, the events and
        the records that point back at them alike."""
        self.snapshots.clear_all()
        self.records.forget()

    def remember(self, key: SnapshotKey, event: Json) -> None:
        """Keep an event Pieces OS answered a write with, as if read."""
        self.snapshots.prime(key, Snapshot.of(event))
