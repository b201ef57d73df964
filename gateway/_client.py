"""The Pieces OS REST client: one method per endpoint, and the shape of each answer.

`UpstreamClient` is one per process; `scoped(headers)` gives an operation its
own view (the request id and forwarded headers on every call, its own call
count). Each method builds one `Call`, sends it through `Resilience`
(`retry=True` for reads only) and checks what came back: a status other than
2xx is an `UpstreamError` (`snapshot` reads a 410 as `NotFound` first), a body
that is not the JSON object expected is an `UpstreamBadResponse`. What
Pieces OS said goes to the log, never into a message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Generic, Literal, NamedTuple, NotRequired, TypedDict, TypeVar
from urllib.parse import quote

import msgspec
import orjson

from gateway._resilience import Resilience
from gateway._transport import Answer, Call
from schema import Json, Snapshot, check_id
from schema._relations import Relation
from schema.errors import (
    NotFound,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamFailure,
    shown_id,
)

__all__ = ["BatchResult", "BatchUnsupported", "UpstreamClient", "path_segment"]

logger = logging.getLogger("pieces_gateway.upstream")

_LOGGED_BODY = 500  # characters of an upstream error body worth keeping in the log


def path_segment(value: str) -> str:
    """`value` as exactly one URL path segment: every character but the unreserved
    ones percent-encoded, `/ ? # %` included (ids that would be dot segments are
    refused by `check_id`)."""
    return quote(check_id(value), safe="")


T = TypeVar("T")


def _query(transferables: bool | None) -> dict[str, str] | None:
    return None if transferables is None else {"transferables": str(transferables).lower()}


class BatchResult(NamedTuple, Generic[T]):
    found: dict[str, T]
    not_found: set[str]


class BatchUnsupported(Exception):
    """The upstream has no batch endpoint (an older Pieces OS)."""


class UpstreamClient:
    def __init__(self, resilience: Resilience, headers: Mapping[str, str] | None = None) -> None:
        self._resilience = resilience
        self._headers = headers
        self.calls = 0  # calls made through this view (not counting retries)

    def scoped(self, headers: Mapping[str, str]) -> UpstreamClient:
        """A view for one operation: its headers, its own call count."""
        return UpstreamClient(self._resilience, headers)

    @property
    def breaker_state(self) -> str:
        return self._resilience.breaker.state

    async def health(self) -> bool:
        try:
            answer = await self._send(Call("health", "GET", "/.well-known/health"), retry=False)
        except UpstreamFailure:
            return False
        return 200 <= answer.status_code < 300

    async def snapshot(self, event_id: str, *, transferables: bool | None) -> Snapshot:
        path = f"/workstream_event/{path_segment(event_id)}"
        answer = await self._send(Call("snapshot", "GET", path, _query(transferables)), retry=True)
        if answer.status_code == 410:
            raise NotFound.event(event_id)
        # Checked (a JSON object with this id) by whoever reads it: see `Snapshot`.
        return Snapshot(_ok(answer, path).content, event_id)

    async def batch_snapshots(
        self, event_ids: Sequence[str], *, transferables: bool | None
    ) -> BatchResult[Snapshot]:
        """Several events in one call; `BatchUnsupported` if there is no such endpoint."""
        path = "/workstream_events/batch/fetch"
        body = {"workstreamEvents": {"iterable": [{"id": event_id} for event_id in event_ids]}}
        call = Call("batch_fetch", "POST", path, _query(transferables), orjson.dumps(body))
        answer = await self._send(call, retry=True)  # a read, though a POST
        if answer.status_code in {404, 405}:
            raise BatchUnsupported
        content = _ok(answer, path).content
        try:
            document = _BATCH.decode(content)
        except msgspec.DecodeError as exc:  # ValidationError included
            logger.warning("%s: a batch answer of an unexpected shape: %s", path, exc)
            raise UpstreamBadResponse(
                "Pieces OS sent a batch answer of an unexpected shape."
            ) from exc
        found = {}
        for event in document["workstreamEvents"]["iterable"]:
            raw = bytes(event)
            event_id = _event_id(raw, path)
            found[event_id] = Snapshot(raw, event_id)
        return BatchResult(found, set(document.get("notFound") or ()))

    async def record(self, relation: Relation, record_id: str) -> Json:
        """The record `record_id` of `relation` (a tag, a website, ...), as its own endpoint
        answers it: the SDK's `relation.model`."""
        path = relation.record_path + path_segment(record_id)
        answer = await self._send(Call(relation.key, "GET", path), retry=True)
        if answer.status_code in {404, 410}:
            raise NotFound.record(relation.noun, record_id)
        record = _object(_ok(answer, path), path)
        if record.get("id") != record_id:
            logger.warning("%s: answered for another record", path)
            raise UpstreamBadResponse(
                f"Pieces OS answered for another {relation.noun} than {shown_id(record_id)}."
            )
        return record

    async def batch_summaries(self, summary_ids: Sequence[str]) -> BatchResult[Json]:
        """Several workstream summaries in one call; `BatchUnsupported` if there is no
        such endpoint (an older Pieces OS)."""
        path = "/workstream_summaries/batch"
        body = {"workstreamSummaries": {"iterable": [{"id": each} for each in summary_ids]}}
        answer = await self._send(
            Call("summaries_batch", "POST", path, body=orjson.dumps(body)), retry=True
        )
        if answer.status_code in {404, 405}:
            raise BatchUnsupported
        document = _object(_ok(answer, path), path)
        summaries = document.get("workstreamSummaries")
        iterable = summaries.get("iterable") if isinstance(summaries, dict) else None
        not_found = document.get("notFound") or []
        if (
            not isinstance(iterable, list)
            or not all(isinstance(s, dict) and isinstance(s.get("id"), str) for s in iterable)
            or not isinstance(not_found, list)
            or not all(isinstance(each, str) for each in not_found)
        ):
            logger.warning("%s: a batch answer of an unexpected shape", path)
            raise UpstreamBadResponse("Pieces OS sent a batch answer of an unexpected shape.")
        return BatchResult({summary["id"]: summary for summary in iterable}, set(not_found))

    async def identifiers(self, filters: dict[str, str]) -> list[str]:
        """Ids of the events matching `filters` (created_from, updated_to, ...), newest first."""
        path = "/workstream_events/identifiers"
        answer = await self._send(Call("identifiers", "GET", path, filters), retry=True)
        references = _object(_ok(answer, path), path).get("iterable")
        if not isinstance(references, list) or not all(
            isinstance(r, dict) and isinstance(r.get("id"), str) for r in references
        ):
            raise UpstreamBadResponse("Pieces OS sent identifiers of an unexpected shape.")
        return [reference["id"] for reference in references]

    async def create(self, seeded: Json, *, transferables: bool | None) -> Json:
        path = "/workstream_events/create"
        return await self._write_event("create", path, seeded, transferables)

    async def update(self, event: Json, *, transferables: bool | None) -> Json:
        return await self._write_event("update", "/workstream_event/update", event, transferables)

    async def delete(self, event_id: str) -> None:
        await self._write("delete", f"/workstream_events/{path_segment(event_id)}/delete")

    async def relate(
        self,
        event_id: str,
        segment: str,
        action: Literal["associate", "disassociate"],
        other_id: str,
    ) -> None:
        event, other = path_segment(event_id), path_segment(other_id)
        await self._write(action, f"/workstream_event/{event}/{segment}/{action}/{other}")

    async def increment_scores(self, event_id: str, increment: Json | None) -> None:
        path = f"/workstream_event/{path_segment(event_id)}/scores/increment"
        await self._write("scores_increment", path, increment)

    # ---------------------------------------------------------------------------------------

    async def _write_event(
        self, endpoint: str, path: str, event: Json, transferables: bool | None
    ) -> Json:
        call = Call(endpoint, "POST", path, _query(transferables), orjson.dumps(event))
        written = _object(_ok(await self._send(call, retry=False), path), path)
        if not isinstance(written.get("id"), str):
            raise UpstreamBadResponse(
                "Pieces OS applied the change but answered without the event's id."
            )
        return written

    async def _write(self, endpoint: str, path: str, body: Any = None) -> None:
        content = None if body is None else orjson.dumps(body)
        _ok(await self._send(Call(endpoint, "POST", path, body=content), retry=False), path)

    async def _send(self, call: Call, *, retry: bool) -> Answer:
        self.calls += 1
        if self._headers:
            call = call._replace(headers=self._headers)
        return await self._resilience.send(call, retry=retry)


class _Identified(TypedDict):
    id: str


class _Events(TypedDict):
    iterable: list[msgspec.Raw]


class _BatchAnswer(TypedDict):
    workstreamEvents: _Events
    notFound: NotRequired[list[str] | None]


# msgspec reads only the keys these name, skipping the rest of each ~30 KB event
# without building it: the events stay JSON text until a resolver parses one
# whole, or the compiled path decodes the fields it selects (schema.compiled).
_IDENTIFIED = msgspec.json.Decoder(_Identified)
_BATCH = msgspec.json.Decoder(_BatchAnswer)


def _event_id(content: bytes, path: str) -> str:
    """The id of the event `content` holds, checking it is one (a JSON object with an id)."""
    try:
        return _IDENTIFIED.decode(content)["id"]
    except msgspec.DecodeError as exc:  # ValidationError included
        logger.warning("%s: not an event: %s", path, exc)
        raise UpstreamBadResponse("Pieces OS sent an event of an unexpected shape.") from exc


def _ok(answer: Answer, path: str) -> Answer:
    status = answer.status_code
    if 200 <= status < 300:
        return answer
    body = answer.content[:_LOGGED_BODY].decode("utf-8", errors="replace")
    logger.warning("%s: %s %r", path, status, body)
    raise UpstreamError(f"Pieces OS refused the request (HTTP {status}).", status=status)


def _object(answer: Answer, path: str) -> Json:
    try:
        document = orjson.loads(answer.content)
    except orjson.JSONDecodeError as exc:
        logger.warning("%s: answer is not JSON: %r", path, answer.content[:100])
        raise UpstreamBadResponse("Pieces OS sent an answer that is not JSON.") from exc
    if not isinstance(document, dict):
        logger.warning("%s: answer is a JSON %s", path, type(document).__name__)
        raise UpstreamBadResponse("Pieces OS sent an answer of an unexpected shape.")
    return document
