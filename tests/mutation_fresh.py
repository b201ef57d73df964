"""`python -m tests.mutation_fresh`: the mutants mutmut found no test for, each tried anew.

mutmut tries a mutant in a process forked from its own, which imported every module
before any mutant was on: a function that only runs at import (the schema's mutation
fields, the command line's options, canned responses) never runs mutated there, and one
reached only by the tests that start a process is outside its stats. Both end as "no
tests". Here each such mutant gets a fresh Python process with `MUTANT_UNDER_TEST` set
before anything is imported, running every test of its module's files (`TESTS`, the end
to end ones too: a process the tests start inherits the variable), `-x`, in `mutants/`.

With `--kills FILE` (JSON lines of `{"key": mutant, "args": [pytest arguments]}`), each
survivor or "no tests" mutant named there is tried with those tests alone: the test
written to kill it, checked again in a fresh process at today's code, without running
every test of its module's files.

The verdicts go to `mutants/fresh.json` with the hash mutmut keeps of the mutated
function, so a verdict lapses when its function changes; `tests.mutation_report` reads
them in place of "no tests". Before any mutant, each set of files runs once with no mutant
on, and must pass: a failure there is the suite's, and no mutant of it is tried.
"""

from __future__ import annotations

import argparse
import fcntl
import fnmatch
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mutmut.stats import status_by_exit_code
from mutmut.utils.format_utils import mangled_name_from_mutant_name

from tests.mutation_selection import files_of

MUTANTS = Path("mutants")
FRESH = "fresh.json"
NO_TESTS = (5, 33)  # mutmut's exit codes for "no tests"
# mutmut's codes for what a fresh run ends with.
KILLED, SURVIVED, TIMEOUT = 1, 0, 36
# What a fresh run may stand in for: "no tests", and (`--survivors`) a survivor tried again
# with the tests as they are now, without mutmut's re-run of its whole function.
RETRIED = (*NO_TESTS, SURVIVED)


@dataclass(frozen=True)
class Untried:
    key: str  # mutmut's name, `gateway._cli.x__flag__mutmut_3`
    function_hash: str | None  # mutmut's hash of the function's source, when it keeps one
    files: tuple[str, ...]  # pytest's arguments: its module's test files, or `--kills`' tests


def function_hash(meta: dict[str, Any], key: str) -> str | None:
    """mutmut's hash of the function a mutant mutates, from its module's meta file."""
    function = mangled_name_from_mutant_name(key).rpartition(".")[2]
    hash_: str | None = meta.get("hash_by_function_name", {}).get(function)
    return hash_


def fresh_verdicts(mutants: Path = MUTANTS) -> dict[str, dict[str, object]]:
    path = mutants / FRESH
    return json.loads(path.read_text()) if path.is_file() else {}


def current(verdict: dict[str, object] | None, function_hash: str | None) -> int | None:
    """A fresh run's exit code, if it was of the function as it is now."""
    if verdict is None or verdict.get("hash") != function_hash:
        return None
    code = verdict.get("exit_code")
    return code if isinstance(code, int) else None


def untried(mutants: Path = MUTANTS, statuses: tuple[int, ...] = NO_TESTS) -> Iterator[Untried]:
    """Each mutant mutmut left with one of `statuses` ("no tests"), of a module `TESTS`
    names, with no current fresh verdict; when `statuses` has survivors, one whose fresh
    verdict is a survivor too (tests written since may kill it)."""
    verdicts = fresh_verdicts(mutants)
    again = (None, SURVIVED) if SURVIVED in statuses else (None,)
    for meta_path in sorted(mutants.rglob("*.py.meta")):
        meta = json.loads(meta_path.read_text())
        for key, code in meta["exit_code_by_key"].items():
            files = files_of(key)
            hash_ = function_hash(meta, key)
            if code in statuses and files and current(verdicts.get(key), hash_) in again:
                yield Untried(key, hash_, files)


def keep(key: str, verdict: dict[str, object], mutants: Path = MUTANTS) -> None:
    """Add one verdict to `fresh.json` at once, so that an interrupted pass keeps what it
    found; under a lock, so that two passes at a time (`--kills` beside a fresh pass) keep
    each other's."""
    with (mutants / f"{FRESH}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        verdicts = fresh_verdicts(mutants)
        verdicts[key] = verdict
        written = mutants / f"{FRESH}.new"
        written.write_text(json.dumps(verdicts, indent=1, sort_keys=True))
        written.replace(mutants / FRESH)


def run_tests(
    files: Iterable[str], mutant: str, timeout: float, mutants: Path, *, narrow: bool = True
) -> int:
    """pytest's exit code for `files` with `mutant` on from the start ("" for none);
    `narrow`ed to its module's files by `tests.mutation_selection`, or run as given."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly"]
    command += ["-p", "no:cacheprovider"]
    command += ["-p", "tests.mutation_selection", *files] if narrow else [*files]
    environment = {**os.environ, "MUTANT_UNDER_TEST": mutant}
    try:
        return subprocess.run(
            command,
            cwd=mutants,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
        ).returncode
    except subprocess.TimeoutExpired:
        return TIMEOUT


def by_kills(path: Path, chosen: list[Untried]) -> list[Untried]:
    """`chosen`, each with the tests `path` names for it instead of its module's files;
    those `path` does not name are left out."""
    named: dict[str, tuple[str, ...]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            named[record["key"]] = tuple(record["args"])
    return [replace(mutant, files=named[mutant.key]) for mutant in chosen if mutant.key in named]


def verdict_of(exit_code: int) -> int:
    """pytest's exit code as mutmut's: a failure, a collection error or an internal error
    (1, 2, 3) kills; every test passing survives; 5 is "no tests"; a timeout stays one."""
    return {0: SURVIVED, 5: NO_TESTS[1], TIMEOUT: TIMEOUT}.get(exit_code, KILLED)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="*", help="mutant names (globs) to try; default all")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=600, help="seconds a run may take")
    parser.add_argument(
        "--survivors", action="store_true", help="mutmut's survivors too, with today's tests"
    )
    parser.add_argument(
        "--kills",
        type=Path,
        help="JSON lines: the tests that kill each named mutant (survivors too)",
    )
    args = parser.parse_args(argv)
    chosen = [
        mutant
        for mutant in untried(statuses=RETRIED if args.survivors or args.kills else NO_TESTS)
        if not args.patterns or any(fnmatch.fnmatch(mutant.key, p) for p in args.patterns)
    ]
    if args.kills:
        chosen = by_kills(args.kills, chosen)
    narrow = not args.kills  # a kill's own test (and its `-k`), as it was written
    file_sets = sorted({mutant.files for mutant in chosen})
    with ThreadPoolExecutor(args.workers) as pool:
        codes = pool.map(
            lambda files: run_tests(files, "", args.timeout, MUTANTS, narrow=narrow), file_sets
        )
        clean = dict(zip(file_sets, codes, strict=True))
    for files, code in clean.items():
        if code != 0:
            print(f"not tried: {' '.join(files)} fail with no mutant on ({code})", file=sys.stderr)
    tried = [mutant for mutant in chosen if clean[mutant.files] == 0]
    print(f"{len(tried)} mutants, each in a fresh process, {args.workers} at a time")
    started = time.monotonic()

    def attempt(mutant: Untried) -> tuple[Untried, int]:
        code = run_tests(mutant.files, mutant.key, args.timeout, MUTANTS, narrow=narrow)
        return mutant, verdict_of(code)

    with ThreadPoolExecutor(args.workers) as pool:
        for done, (mutant, code) in enumerate(pool.map(attempt, tried), 1):
            keep(mutant.key, {"exit_code": code, "hash": mutant.function_hash})
            elapsed = time.monotonic() - started
            status = status_by_exit_code[code]
            print(f"{done}/{len(tried)} {elapsed:.0f}s {status}: {mutant.key}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
