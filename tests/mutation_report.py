"""`python -m tests.mutation_report`: mutmut's results per module, after `make mutation`.

mutmut keeps one `<module>.py.meta` file per mutated module under `mutants/`, mapping each
mutant to the exit code of its test run; mutmut's own table says what each code means. A
"no tests" mutant (or a survivor, with `--survivors`) that `tests.mutation_fresh` tried in a
fresh process counts by that run, while its function is unchanged.
A timeout is a kill, as in mutmut's own score (the tests noticed the mutant: they hung).
The kill rate counts only mutants that were run: killed / (killed + survived + other).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mutmut.stats import status_by_exit_code

from tests.mutation_fresh import RETRIED, current, fresh_verdicts, function_hash

MUTANTS = Path("mutants")


@dataclass(frozen=True)
class Tally:
    module: str
    total: int
    killed: int
    survived: int
    not_run: int

    @property
    def other(self) -> int:
        """No covering test, timed out, suspicious, segfault, skipped, caught by mypy."""
        return self.total - self.killed - self.survived - self.not_run

    @property
    def rate(self) -> float | None:
        run = self.total - self.not_run
        return self.killed / run if run else None


def tally(module: str, exit_codes: list[int | None]) -> Tally:
    statuses = Counter(status_by_exit_code[code] for code in exit_codes)
    return Tally(
        module,
        total=len(exit_codes),
        killed=statuses["killed"] + statuses["timeout"],
        survived=statuses["survived"],
        not_run=statuses["not checked"],
    )


def tallies(mutants: Path = MUTANTS) -> list[Tally]:
    """One tally per module that has mutants, by path: those none of whose mutants ran too."""
    found = []
    verdicts = fresh_verdicts(mutants)
    for path in sorted(mutants.rglob("*.py.meta")):
        module = path.relative_to(mutants).as_posix().removesuffix(".meta")
        meta = json.loads(path.read_text())
        exit_codes = []
        for key, code in meta["exit_code_by_key"].items():
            if code in RETRIED:
                fresh = current(verdicts.get(key), function_hash(meta, key))
                code = code if fresh is None else fresh
            exit_codes.append(code)
        found.append(tally(module, exit_codes))
    return [t for t in found if t.total]


def table(rows: list[Tally]) -> str:
    overall = Tally(
        "overall",
        total=sum(t.total for t in rows),
        killed=sum(t.killed for t in rows),
        survived=sum(t.survived for t in rows),
        not_run=sum(t.not_run for t in rows),
    )
    lines = ["| module | mutants | killed | survived | other | not run | kill rate |"]
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for t in [*rows, overall]:
        rate = "n/a" if t.rate is None else f"{t.rate:.0%}"
        lines.append(
            f"| {t.module} | {t.total} | {t.killed} | {t.survived} | {t.other} | {t.not_run} "
            f"| {rate} |"
        )
    return "\n".join(lines)


def main() -> int:
    rows = tallies()
    if all(t.rate is None for t in rows):
        print("no mutants have been run: `make mutation` first", file=sys.stderr)
        return 1
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
