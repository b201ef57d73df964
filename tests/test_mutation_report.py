"""`python -m tests.mutation_report` over a small `mutants/` of made-up results."""

from __future__ import annotations

import json
from pathlib import Path

from tests.mutation_report import table, tallies


def _meta(mutants: Path, module: str, exit_codes: list[int | None]) -> None:
    path = mutants / f"{module}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {f"{module}.x_f__mutmut_{i}": code for i, code in enumerate(exit_codes, 1)}
    path.write_text(json.dumps({"exit_code_by_key": keys}))


def test_each_module_is_tallied_by_mutmuts_exit_codes(tmp_path: Path) -> None:
    # 1 and 3 are kills, 0 a survivor, 33 no covering test, 36 a timeout, None not run yet.
    _meta(tmp_path, "schema/_a.py", [1, 3, 1, 0, 33, 36, None])
    _meta(tmp_path, "gateway/_b.py", [1, 0])
    _meta(tmp_path, "gateway/_never.py", [None, None])
    rows = tallies(tmp_path)
    assert [(t.module, t.total, t.killed, t.survived, t.other, t.not_run) for t in rows] == [
        ("gateway/_b.py", 2, 1, 1, 0, 0),
        ("gateway/_never.py", 2, 0, 0, 0, 2),  # counted in the totals, with no rate
        ("schema/_a.py", 7, 3, 1, 2, 1),
    ]
    assert [t.rate for t in rows] == [0.5, None, 0.5]


def test_the_table_ends_with_the_overall_rate(tmp_path: Path) -> None:
    _meta(tmp_path, "schema/_a.py", [1, 1, 1, 0])
    _meta(tmp_path, "schema/_b.py", [1, 0, 0, 0, None])
    assert table(tallies(tmp_path)).splitlines()[2:] == [
        "| schema/_a.py | 4 | 3 | 1 | 0 | 0 | 75% |",
        "| schema/_b.py | 5 | 1 | 3 | 0 | 1 | 25% |",
        "| overall | 9 | 4 | 4 | 0 | 1 | 50% |",
    ]
