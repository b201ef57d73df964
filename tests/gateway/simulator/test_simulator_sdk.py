"""The simulator against the official SDK, over real HTTP: every answer must parse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pieces_os_client.api.anchor_api import AnchorApi
from pieces_os_client.api.annotation_api import AnnotationApi
from pieces_os_client.api.conversation_message_api import ConversationMessageApi
from pieces_os_client.api.person_api import PersonApi
from pieces_os_client.api.tag_api import TagApi
from pieces_os_client.api.website_api import WebsiteApi
from pieces_os_client.api.workstream_event_api import WorkstreamEventApi
from pieces_os_client.api.workstream_events_api import WorkstreamEventsApi
from pieces_os_client.api.workstream_pattern_engine_source_api import (
    WorkstreamPatternEngineSourceApi,
)
from pieces_os_client.api.workstream_pattern_engine_source_window_api import (
    WorkstreamPatternEngineSourceWindowApi,
)
from pieces_os_client.api.workstream_summaries_api import WorkstreamSummariesApi
from pieces_os_client.api.workstream_summary_api import WorkstreamSummaryApi
from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import Configuration
from pieces_os_client.exceptions import ApiException
from pieces_os_client.models.anchor import Anchor
from pieces_os_client.models.annotation import Annotation
from pieces_os_client.models.application import Application
from pieces_os_client.models.application_name_enum import ApplicationNameEnum
from pieces_os_client.models.conversation_message import ConversationMessage
from pieces_os_client.models.flattened_workstream_events import FlattenedWorkstreamEvents
from pieces_os_client.models.flattened_workstream_summaries import FlattenedWorkstreamSummaries
from pieces_os_client.models.identified_workstream_pattern_engine_source import (
    IdentifiedWorkstreamPatternEngineSource,
)
from pieces_os_client.models.person import Person
from pieces_os_client.models.platform_enum import PlatformEnum
from pieces_os_client.models.privacy_enum import PrivacyEnum
from pieces_os_client.models.referenced_workstream_event import ReferencedWorkstreamEvent
from pieces_os_client.models.referenced_workstream_summary import ReferencedWorkstreamSummary
from pieces_os_client.models.seeded_score import SeededScore
from pieces_os_client.models.seeded_score_increment import SeededScoreIncrement
from pieces_os_client.models.seeded_workstream_event import SeededWorkstreamEvent
from pieces_os_client.models.tag import Tag
from pieces_os_client.models.website import Website
from pieces_os_client.models.workstream_event_trigger import WorkstreamEventTrigger
from pieces_os_client.models.workstream_events_batch_fetch_input import (
    WorkstreamEventsBatchFetchInput,
)
from pieces_os_client.models.workstream_pattern_engine_source_window import (
    WorkstreamPatternEngineSourceWindow,
)
from pieces_os_client.models.workstream_summaries_batch_input import (
    WorkstreamSummariesBatchInput,
)
from pieces_os_client.models.workstream_summary import WorkstreamSummary
from starlette.applications import Starlette

from gateway.simulator import create_simulator
from gateway.simulator._store import Store
from tests.serving import serve

# Per relation (its event key): the SDK's API, its snapshot of one record, the model answered.
SNAPSHOTS: dict[str, tuple[type[Any], str, type[Any]]] = {
    "summaries": (
        WorkstreamSummaryApi,
        "workstream_summaries_specific_workstream_summary_snapshot",
        WorkstreamSummary,
    ),
    "anchors": (AnchorApi, "anchor_specific_anchor_snapshot", Anchor),
    "annotations": (AnnotationApi, "annotation_specific_annotation_snapshot", Annotation),
    "messages": (ConversationMessageApi, "message_specific_message_snapshot", ConversationMessage),
    "persons": (PersonApi, "person_snapshot", Person),
    "tags": (TagApi, "tags_specific_tag_snapshot", Tag),
    "websites": (WebsiteApi, "websites_specific_website_snapshot", Website),
    "sources": (
        WorkstreamPatternEngineSourceApi,
        "workstream_pattern_engine_sources_specific_source_snapshot",
        IdentifiedWorkstreamPatternEngineSource,
    ),
    "source_windows": (
        WorkstreamPatternEngineSourceWindowApi,
        "workstream_pattern_engine_source_window_specific_source_window_snapshot",
        WorkstreamPatternEngineSourceWindow,
    ),
}
# The SDK's query parameters of each snapshot, as a client would send them.
SNAPSHOT_PARAMETERS: dict[str, dict[str, Any]] = {
    "summaries": {"transferables": False, "association_metadata": "true"},
    "annotations": {},
}
# Records read over HTTP per relation; every record is parsed by the SDK's model below.
_READ = 12


@pytest.fixture(params=[None, 30], ids=["ordinary", "rich"])
def simulator(request: pytest.FixtureRequest) -> Starlette:
    return create_simulator(events=20, seed=3, event_kb=request.param)


@pytest.fixture
def client(simulator: Starlette) -> Iterator[ApiClient]:
    """An SDK client talking to the simulator served by uvicorn on a free port."""
    with serve(simulator) as url, ApiClient(Configuration(host=url)) as api_client:
        yield api_client


def test_snapshot_and_unknown_event(client: ApiClient, simulator: Starlette) -> None:
    api = WorkstreamEventApi(client)
    first = next(iter(simulator.state.store.events))

    event = api.workstream_events_specific_workstream_event_snapshot(first, transferables=True)

    assert event.id == first
    with pytest.raises(ApiException) as caught:
        api.workstream_events_specific_workstream_event_snapshot("no-such-event")
    assert caught.value.status == 410
    assert caught.value.body == "WorkstreamEvent not found."


def test_update_stores_the_event(client: ApiClient, simulator: Starlette) -> None:
    api = WorkstreamEventApi(client)
    event_id = list(simulator.state.store.events)[-1]
    event = api.workstream_events_specific_workstream_event_snapshot(event_id)
    event.readable = "Renamed through the SDK."

    updated = api.workstream_event_update(workstream_event=event, transferables=False)

    assert updated.readable == "Renamed through the SDK."
    # Seeded timestamps are fixed in the past; an update is stamped with the wall clock.
    assert abs(updated.updated.value - datetime.now(UTC)) < timedelta(minutes=1)
    assert simulator.state.store.events[event_id]["readable"] == "Renamed through the SDK."


def test_associate_and_disassociate(client: ApiClient, simulator: Starlette) -> None:
    api = WorkstreamEventApi(client)
    event_id = list(simulator.state.store.events)[-1]

    api.workstream_event_associate_tag(event_id, "tag-1")
    api.workstream_event_associate_workstream_pattern_engine_source(event_id, "source-1")
    event = api.workstream_events_specific_workstream_event_snapshot(event_id)
    assert event.tags is not None and event.sources is not None
    assert "tag-1" in [tag.id for tag in event.tags.iterable]
    assert [source.id for source in event.sources.iterable] == ["source-1"]

    api.workstream_event_disassociate_tag(event_id, "tag-1")
    api.workstream_event_disassociate_tag(event_id, "tag-1")
    event = api.workstream_events_specific_workstream_event_snapshot(event_id)
    assert event.tags is not None
    assert "tag-1" not in [tag.id for tag in event.tags.iterable]
    with pytest.raises(ApiException) as caught:
        api.workstream_event_associate_website("no-such-event", "website-1")
    assert caught.value.status == 500


def test_scores_increment(client: ApiClient, simulator: Starlette) -> None:
    api = WorkstreamEventApi(client)
    event_id = list(simulator.state.store.events)[-1]
    before = api.workstream_events_specific_workstream_event_snapshot(event_id).score
    assert before is not None

    api.workstream_event_scores_increment(
        event_id,
        SeededScoreIncrement(workstream_event=SeededScore(reuse=True, searched=True, update=False)),
    )

    after = api.workstream_events_specific_workstream_event_snapshot(event_id).score
    assert after is not None
    assert (after.reuse, after.searched, after.update) == (
        (before.reuse or 0) + 1,
        (before.searched or 0) + 1,
        before.update,
    )


def test_a_score_increment_moves_updated() -> None:
    # Mid-millisecond, as the wall clock usually is: the SDK sends all six digits.
    written = datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)
    simulator = create_simulator(events=12, seed=3, clock=lambda: written)
    event_id = list(simulator.state.store.events)[-1]
    with serve(simulator) as url, ApiClient(Configuration(host=url)) as client:
        api, events = WorkstreamEventApi(client), WorkstreamEventsApi(client)
        before = api.workstream_events_specific_workstream_event_snapshot(event_id).updated.value
        just_before = written - timedelta(microseconds=400)
        assert (
            events.workstream_events_identifiers_snapshot(updated_from=just_before).iterable == []
        )

        api.workstream_event_scores_increment(
            event_id, SeededScoreIncrement(workstream_event=SeededScore(reuse=True))
        )

        after = api.workstream_events_specific_workstream_event_snapshot(event_id).updated.value
        changed = events.workstream_events_identifiers_snapshot(updated_from=just_before)
    assert before < after == written.replace(microsecond=123000)
    assert [reference.id for reference in changed.iterable] == [event_id]


def test_create_then_delete(client: ApiClient, simulator: Starlette) -> None:
    events = WorkstreamEventsApi(client)
    seeded = SeededWorkstreamEvent(
        application=Application(
            id="4f4f9c55-0000-4000-8000-000000000001",
            name=ApplicationNameEnum.VS_CODE,
            version="1.98.2",
            platform=PlatformEnum.LINUX,
            onboarded=True,
            privacy=PrivacyEnum.OPEN,
        ),
        trigger=WorkstreamEventTrigger(copy=True),
        readable="Copied a snippet.",
        summary=ReferencedWorkstreamSummary(id="summary-1"),
    )

    created = events.workstream_events_create_new_workstream_event(
        transferables=True, seeded_workstream_event=seeded
    )

    assert created.readable == "Copied a snippet."
    assert created.summaries is not None
    assert [summary.id for summary in created.summaries.iterable] == ["summary-1"]
    assert created.id in simulator.state.store.events
    events.workstream_events_delete_specific_workstream_event(created.id)
    assert created.id not in simulator.state.store.events
    with pytest.raises(ApiException) as caught:
        events.workstream_events_delete_specific_workstream_event(created.id)
    assert caught.value.status == 500


def test_identifiers_with_filters(client: ApiClient, simulator: Starlette) -> None:
    events = WorkstreamEventsApi(client)
    stored = simulator.state.store.events.values()
    created = sorted(datetime.fromisoformat(e["created"]["value"]) for e in stored)
    middle = created[len(created) // 2]

    everything = events.workstream_events_identifiers_snapshot()
    recent = events.workstream_events_identifiers_snapshot(created_from=middle, limit=100)
    first_two = events.workstream_events_identifiers_snapshot(limit=2)
    naive = events.workstream_events_identifiers_snapshot(
        created_to=(middle - timedelta(milliseconds=1)).astimezone(UTC).replace(tzinfo=None)
    )

    assert len(everything.iterable) == len(created)
    assert len(recent.iterable) == len(created) - len(created) // 2
    assert [r.id for r in first_two.iterable] == [r.id for r in everything.iterable[:2]]
    assert len(naive.iterable) == len(created) // 2


def test_batch_fetch_and_full_snapshot(client: ApiClient, simulator: Starlette) -> None:
    events = WorkstreamEventsApi(client)
    known = list(simulator.state.store.events)[:2]
    wanted = [known[1], "missing-1", known[0]]
    body = WorkstreamEventsBatchFetchInput(
        workstreamEvents=FlattenedWorkstreamEvents(
            iterable=[ReferencedWorkstreamEvent(id=event_id) for event_id in wanted]
        )
    )

    batch = events.workstream_events_batch(body, transferables=False)
    everything = events.workstream_events_snapshot(transferables=True)

    assert [event.id for event in batch.workstream_events.iterable] == [known[1], known[0]]
    assert batch.not_found == ["missing-1"]
    assert [event.id for event in everything.iterable] == list(simulator.state.store.events)


def _store(simulator: Starlette) -> Store:
    store: Store = simulator.state.store
    return store


@pytest.mark.parametrize("key", list(SNAPSHOTS))
def test_every_record_snapshot(client: ApiClient, simulator: Starlette, key: str) -> None:
    api, method, model = SNAPSHOTS[key]
    snapshot = getattr(api(client), method)
    parameters = SNAPSHOT_PARAMETERS.get(key, {"transferables": True})
    store = _store(simulator)
    record_ids = list(store.records.ids(key))
    assert record_ids

    for record_id in record_ids[:_READ]:
        record = snapshot(record_id, **parameters)
        assert isinstance(record, model)
        assert record.id == record_id
    with pytest.raises(ApiException) as caught:
        snapshot("no-such-record")
    assert caught.value.status == 410
    assert caught.value.body == f"{model.__name__} not found."
    # The rest without HTTP: every record the store holds is one the SDK reads.
    for record_id in record_ids[_READ:]:
        assert model.from_dict(store.record(key, record_id)) is not None


def test_a_removed_record_is_gone(client: ApiClient, simulator: Starlette) -> None:
    store = _store(simulator)
    tag = next(store.records.ids("tags"))
    store.remove_record("tags", tag)
    with pytest.raises(ApiException) as caught:
        TagApi(client).tags_specific_tag_snapshot(tag)
    assert (caught.value.status, caught.value.body) == (410, "Tag not found.")


def test_summaries_batch(client: ApiClient, simulator: Starlette) -> None:
    known = list(_store(simulator).records.ids("summaries"))[:2]
    wanted = [known[1], "missing-1", known[0]]
    body = WorkstreamSummariesBatchInput(
        workstreamSummaries=FlattenedWorkstreamSummaries(
            iterable=[ReferencedWorkstreamSummary(id=summary_id) for summary_id in wanted]
        )
    )

    batch = WorkstreamSummariesApi(client).workstream_summaries_batch(body, transferables=False)

    assert [summary.id for summary in batch.workstream_summaries.iterable] == [known[1], known[0]]
    assert all(isinstance(s, WorkstreamSummary) for s in batch.workstream_summaries.iterable)
    assert batch.not_found == ["missing-1"]


def test_no_summaries_batch_on_an_old_pieces_os() -> None:
    simulator = create_simulator(events=12, seed=3, batch_endpoint=False)
    body = WorkstreamSummariesBatchInput(
        workstreamSummaries=FlattenedWorkstreamSummaries(iterable=[])
    )
    with (
        serve(simulator) as url,
        ApiClient(Configuration(host=url)) as client,
        pytest.raises(ApiException) as caught,
    ):
        WorkstreamSummariesApi(client).workstream_summaries_batch(body)
    assert caught.value.status in (404, 405)
