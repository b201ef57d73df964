"""The benchmark's pure helpers (no services, no load, no timing)."""

from __future__ import annotations

import json

from bench._pyload import percentile
from bench._results import Measurement, Row, table
from bench._stacks import parse
from bench._workloads import graphql, many, ordinary, selection
from bench._wrk import lua_script
from bench._wrk import parse as parse_wrk


def test_selection_names_only_fields_present() -> None:
    events = [{"id": "a", "readable": "x", "score": {"manual": 1}}, {"id": "b", "tags": None}]
    assert selection("WorkstreamEvent", events) == "{ id readable score { manual } }"


def test_ordinary_leaves_out_outsized_events() -> None:
    small = [{"id": str(i)} for i in range(5)]
    assert ordinary([*small, {"id": "big", "readable": "x" * 1000}]) == small


def test_ordinary_leaves_out_deeper_events() -> None:
    # The simulator's coverage events nest far deeper than any ordinary one.
    usual = [{"id": str(i), "tags": {"iterable": [{"id": "t"}]}} for i in range(5)]
    deep = {"id": "deep", "tags": {"iterable": [{"id": "t", "reference": {"score": {"a": 1}}}]}}
    assert ordinary([*usual, deep]) == usual


def test_selection_leaves_out_objects_with_nothing_to_select() -> None:
    events = [{"id": "a", "persons": {"iterable": [{"id": "p", "reference": {"type": {}}}]}}]
    assert "type" not in selection("WorkstreamEvent", events)


def test_many_sends_distinct_ids() -> None:
    workload = many([str(i) for i in range(10)], per_op=4, variants=2)
    bodies = [json.loads(r.body or b"") for r in workload.requests]
    assert [b["variables"]["ids"] for b in bodies] == [["0", "1", "2", "3"], ["5", "6", "7", "8"]]
    assert workload.ids_per_op == 4 and workload.graphql


def test_lua_script_quotes_bodies_and_checks_graphql_errors() -> None:
    script = lua_script(graphql("small", "{ id }", ["]]"]))
    assert '"variables":{"id":"]]"}' in script and "[=[" in script
    assert "function response" in script


def test_wrk_result_line() -> None:
    line = 'BENCH_RESULT {"requests": 20, "micros": 2000000, "p50": 1500, "p99": 9000, "errors": 1}'
    assert parse_wrk(f"noise\n{line}\n") == Measurement(20, 2.0, 1.5, 9.0, 1)


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile([], 0.5)) == (
        50.0,
        99.0,
        0.0,
    )


def test_table_ratio_to_direct_rest() -> None:
    row = Row("gateway", 16, Measurement(100, 1.0, 1.0, 2.0, 0), 1.0, 400.0, 80.0)
    assert "| gateway | 16 | 100 | - | 1.00 | 2.00 | 0 | 1.00 | 0.250 | 80.0 |" in table([row])
    measured = Row("gateway", 16, Measurement(100, 1.0, 1.0, 2.0, 0), 1.0, 400.0, 80.0, cpu_ms=0.5)
    assert "| gateway | 16 | 100 | 0.50 | 1.00 |" in table([measured])


def test_stacks_self_time_and_phases() -> None:
    profile = parse(
        [
            "run (uvicorn/server.py:1);validate (graphql/validation/validate.py:2) 3",
            "run (uvicorn/server.py:1) 1",
        ]
    )
    assert profile.top("own") == [
        ("validate (graphql/validation/validate.py)", 75.0),
        ("run (uvicorn/server.py)", 25.0),
    ]
    assert profile.phases["validate (incl. depth limit)"] == 3
