"""`python -m tests.mutation_report` over a small `mutants/` of made-up results."""

from __future__ import annotations

import json
from pathlib import Path

from tests.mutation_fresh import FRESH, RETRIED, by_kills, keep, untried, verdict_of
from tests.mutation_report import table, tallies


def _meta(mutants: Path, module: str, exit_codes: list[int | None]) -> None:
    path = mutants / f"{module}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    name = module.removesuffix(".py").replace("/", ".")
    keys = {f"{name}.x_f__mutmut_{i}": code for i, code in enumerate(exit_codes, 1)}
    path.write_text(json.dumps({"exit_code_by_key": keys, "hash_by_function_name": {"x_f": "h1"}}))


def test_each_module_is_tallied_by_mutmuts_exit_codes(tmp_path: Path) -> None:
    # 1 and 3 are kills, as is a timeout (36: the tests hung); 0 a survivor, 33 no
    # covering test, None not run yet.
    _meta(tmp_path, "schema/_a.py", [1, 3, 1, 0, 33, 36, None])
    _meta(tmp_path, "gateway/_b.py", [1, 0])
    _meta(tmp_path, "gateway/_never.py", [None, None])
    rows = tallies(tmp_path)
    assert [(t.module, t.total, t.killed, t.survived, t.other, t.not_run) for t in rows] == [
        ("gateway/_b.py", 2, 1, 1, 0, 0),
        ("gateway/_never.py", 2, 0, 0, 0, 2),  # counted in the totals, with no rate
        ("schema/_a.py", 7, 4, 1, 1, 1),
    ]
    assert [t.rate for t in rows] == [0.5, None, 4 / 6]


def test_the_table_ends_with_the_overall_rate(tmp_path: Path) -> None:
    _meta(tmp_path, "schema/_a.py", [1, 1, 1, 0])
    _meta(tmp_path, "schema/_b.py", [1, 0, 0, 0, None])
    assert table(tallies(tmp_path)).splitlines()[2:] == [
        "| schema/_a.py | 4 | 3 | 1 | 0 | 0 | 75% |",
        "| schema/_b.py | 5 | 1 | 3 | 0 | 1 | 25% |",
        "| overall | 9 | 4 | 4 | 0 | 1 | 50% |",
    ]


def test_a_no_tests_mutant_counts_by_its_fresh_run_while_its_function_is_unchanged(
    tmp_path: Path,
) -> None:
    _meta(tmp_path, "gateway/_cli.py", [33, 33, 33, 1])
    assert [mutant.key for mutant in untried(tmp_path)] == [
        f"gateway._cli.x_f__mutmut_{i}" for i in (1, 2, 3)
    ]
    fresh = {
        "gateway._cli.x_f__mutmut_1": {"exit_code": 1, "hash": "h1"},
        "gateway._cli.x_f__mutmut_2": {"exit_code": 0, "hash": "h1"},
        "gateway._cli.x_f__mutmut_3": {"exit_code": 1, "hash": "h0"},  # of an older x_f
    }
    (tmp_path / FRESH).write_text(json.dumps(fresh))
    [row] = tallies(tmp_path)
    assert (row.killed, row.survived, row.other) == (2, 1, 1)
    assert [mutant.key for mutant in untried(tmp_path)] == ["gateway._cli.x_f__mutmut_3"]


def test_a_survivor_is_tried_again_only_when_asked_and_then_counts_by_that_run(
    tmp_path: Path,
) -> None:
    _meta(tmp_path, "gateway/_cli.py", [0, 0, 1])  # two survivors, one killed
    assert list(untried(tmp_path)) == []  # by default, "no tests" only
    assert [mutant.key for mutant in untried(tmp_path, RETRIED)] == [
        "gateway._cli.x_f__mutmut_1",
        "gateway._cli.x_f__mutmut_2",
    ]
    fresh = {
        "gateway._cli.x_f__mutmut_1": {"exit_code": 1, "hash": "h1"},  # killed now
        "gateway._cli.x_f__mutmut_2": {"exit_code": 0, "hash": "h1"},  # survived again
    }
    (tmp_path / FRESH).write_text(json.dumps(fresh))
    [row] = tallies(tmp_path)
    assert (row.killed, row.survived) == (2, 1)
    # A fresh survivor is tried again at the next pass: tests may have been written since.
    assert [mutant.key for mutant in untried(tmp_path, RETRIED)] == ["gateway._cli.x_f__mutmut_2"]


def test_a_module_no_test_file_is_named_for_is_not_tried_fresh(tmp_path: Path) -> None:
    _meta(tmp_path, "gateway/_unheard_of.py", [33])
    assert list(untried(tmp_path)) == []


def test_a_fresh_run_is_a_kill_when_its_tests_fail_or_cannot_be_collected() -> None:
    # pytest: 0 all passed, 1 a failure, 2 interrupted (a collection error), 3 internal
    # error, 5 no tests collected; 36 is this module's timeout.
    assert [verdict_of(code) for code in (0, 1, 2, 3, 5, 36)] == [0, 1, 1, 1, 33, 36]


def test_a_survivor_named_with_its_killing_test_is_tried_with_that_test_alone(
    tmp_path: Path,
) -> None:
    _meta(tmp_path, "gateway/_cli.py", [0, 0, 1])
    kills = tmp_path / "kills.jsonl"
    test = ["tests/gateway/test_cli.py", "-k", "flag"]
    lines = [{"key": "gateway._cli.x_f__mutmut_2", "args": test}]
    kills.write_text("".join(json.dumps(line) + "\n" for line in lines))
    chosen = by_kills(kills, list(untried(tmp_path, RETRIED)))
    assert [(m.key, m.files, m.function_hash) for m in chosen] == [
        ("gateway._cli.x_f__mutmut_2", tuple(test), "h1")
    ]


def test_each_verdict_is_kept_beside_those_already_found(tmp_path: Path) -> None:
    (tmp_path / FRESH).write_text(json.dumps({"a": {"exit_code": 1, "hash": "h1"}}))
    keep("b", {"exit_code": 0, "hash": "h2"}, tmp_path)
    assert json.loads((tmp_path / FRESH).read_text()) == {
        "a": {"exit_code": 1, "hash": "h1"},
        "b": {"exit_code": 0, "hash": "h2"},
    }
