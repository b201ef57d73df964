"""The timeline page's expected upstream calls, its pages and its query (no services, no load)."""

from __future__ import annotations

import graphql
import pytest

from bench._rest_client import shaped
from bench._results import Measurement, PageCalls, TimelineRow, page_calls_table, timeline_table
from bench._timeline import QUERY, Calls, expected_calls, pages, unfetched
from bench._workloads import ordinary
from gateway.simulator import create_simulator
from schema import build_schema


def _event(event_id: str, **relations: list[dict[str, object]]) -> dict[str, object]:
    return {"id": event_id, **{key: {"iterable": items} for key, items in relations.items()}}


def _copy(record_id: str, **fields: str) -> dict[str, object]:
    return {"id": record_id, "reference": {"id": record_id, **fields}}


def test_one_get_per_distinct_record_without_a_copy() -> None:
    events = {
        "e1": _event("e1", tags=[{"id": "t1"}, {"id": "t2"}], websites=[{"id": "w1"}]),
        # t1 again: no second GET; t3 embedded: none at all.
        "e2": _event("e2", tags=[{"id": "t1"}, _copy("t3", text="x")], websites=[{"id": "w1"}]),
    }
    calls = expected_calls(events, ["e1", "e2"], batch_size=100)
    assert calls == Calls(events=1, summaries=0, gets=3, records=3, references=5)
    assert calls.total == 4


def test_a_record_embedded_in_one_event_only_is_fetched_for_the_other() -> None:
    events = {
        "e1": _event("e1", tags=[_copy("t1", text="x")]),
        "e2": _event("e2", tags=[{"id": "t1"}]),
    }
    assert expected_calls(events, ["e1", "e2"], batch_size=100).gets == 1
    assert expected_calls(events, ["e1"], batch_size=100).gets == 0


def test_summaries_in_batches_and_events_in_batches() -> None:
    events = {
        f"e{n}": _event(f"e{n}", summaries=[{"id": f"s{n}"}, {"id": "shared"}]) for n in range(5)
    }
    ids = [f"e{n}" for n in range(5)]
    # Six distinct summaries in batches of 4: 2 calls, never one per summary.
    calls = expected_calls(events, ids, batch_size=4)
    assert (calls.events, calls.summaries, calls.gets, calls.records) == (2, 2, 0, 6)
    assert calls.references == 10


def test_relations_the_page_does_not_select_cost_nothing() -> None:
    events = {"e1": _event("e1", persons=[{"id": "p1"}], anchors=[{"id": "a1"}])}
    assert expected_calls(events, ["e1"], batch_size=100) == Calls(1, 0, 0, 0, 0)


def test_an_id_named_twice_is_one_event() -> None:
    events = {"e1": _event("e1", tags=[{"id": "t1"}]), "e2": _event("e2")}
    assert expected_calls(events, ["e1", "e1", "e2"], batch_size=2).events == 1


def test_unfetched_reads_events_without_the_relation() -> None:
    assert unfetched([{"id": "e1"}, {"id": "e2", "tags": None}], "tags") == set()


def test_the_seeded_pages_share_records_the_store_holds() -> None:
    store = create_simulator(events=250, seed=0).state.store
    events = list(store.events.values())
    timeline = pages([event["id"] for event in ordinary(events)])
    assert len(timeline) == 4 and all(len(page) == 50 for page in timeline)
    for page in timeline:
        calls = expected_calls(store.events, page, batch_size=100)
        assert (calls.events, calls.summaries) == (1, 1)
        # Shared references make distinct records fewer than references, and some embed theirs.
        assert 0 < calls.records < calls.references
        chosen = [store.events[event_id] for event_id in page]
        for key in ("tags", "websites", "summaries"):
            for record_id in unfetched(chosen, key):
                assert store.record(key, record_id)["id"] == record_id


def test_pages_are_consecutive_and_disjoint() -> None:
    ids = [str(n) for n in range(7)]
    assert pages(ids, count=3, size=2) == [["0", "1"], ["2", "3"], ["4", "5"]]
    with pytest.raises(ValueError, match="need 8"):
        pages(ids, count=4, size=2)


def test_the_query_is_valid_against_the_gateway_schema() -> None:
    assert graphql.validate(build_schema()._schema, graphql.parse(QUERY)) == []


def test_the_rest_client_shapes_a_page_as_the_query_selects_it() -> None:
    event = _event(
        "e1", tags=[_copy("t1", text="embedded"), {"id": "t2"}], websites=[], summaries=[]
    )
    del event["websites"]
    records = {"tags": {"t2": {"id": "t2", "text": "fetched"}}, "websites": {}, "summaries": {}}
    assert shaped(event, records) == {
        "id": "e1",
        "tags": {
            "iterable": [{"reference": {"text": "embedded"}}, {"reference": {"text": "fetched"}}]
        },
        "websites": None,
        "summaries": {"iterable": []},
    }


def test_page_calls_agree_only_when_all_three_do() -> None:
    expected = Calls(1, 1, 3, 4, 6)
    assert PageCalls(expected, gateway=5, rest=5, same_page=True).agree
    assert not PageCalls(expected, gateway=6, rest=5, same_page=True).agree
    assert not PageCalls(expected, gateway=5, rest=4, same_page=True).agree
    assert not PageCalls(expected, gateway=5, rest=5, same_page=False).agree
    assert "| 1 | 6 | 4 | 1 + 1 + 3 = **5** | 6 | 5 | yes |" in page_calls_table(
        [PageCalls(expected, gateway=6, rest=5, same_page=True)]
    )


def test_timeline_table_ratio_to_the_rest_client() -> None:
    measured = Measurement(100, 10.0, 50.0, 90.0, 0)
    gateway = TimelineRow("gateway", 16, measured, 30.0, 20.0, 5.0, 5.0, rest_cpu_ms=12.0)
    rest = TimelineRow("REST client", 16, measured, 12.0, 19.0, 5.0, 5.0)
    lines = timeline_table([gateway, rest]).splitlines()
    assert (
        lines[2]
        == "| gateway | 16 | 10.0 | 30.00 | 2.50 | 20.00 | 50.00 | 90.00 | 0 | 5.00 | 5.00 |"
    )
    assert "| 1 (the baseline) |" in lines[3]
