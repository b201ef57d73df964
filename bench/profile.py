"""`python -m bench.profile`: py-spy on the gateway process under load.

For each GraphQL workload, wrk loads the gateway at c=16 while py-spy samples
it; the hottest frames (self and inclusive) go to bench/results/profile.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench import _pyload, _wrk
from bench._session import session
from bench._stacks import parse

RESULTS = Path(__file__).with_name("results") / "profile.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "10"))
    )
    parser.add_argument("--event-kb", type=int, default=int(os.environ.get("BENCH_EVENT_KB", "30")))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("py-spy is missing: pip install py-spy", file=sys.stderr)
        return 2
    load = _wrk.run if _wrk.available() else _pyload.run
    seconds = max(2, round(args.seconds))

    sections = ["# Gateway profile (py-spy, c=16)", ""]
    with (
        session(events=1100, many_ids=(1000,), event_kb=args.event_kb or None) as s,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for workload in s.workloads:
            if workload.target != "gateway":
                continue
            out = Path(tmp) / "stacks.txt"
            spy = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(s.gateway.pid),
                    "--format",
                    "raw",
                    "--rate",
                    "250",
                    "--duration",
                    str(seconds),
                    "--output",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            loader = threading.Thread(
                target=load,
                args=(s.base_url(workload), workload),
                kwargs={"concurrency": 16, "seconds": seconds + 1},
            )
            loader.start()
            _, err = spy.communicate()
            loader.join()
            if spy.returncode != 0:
                print(err.decode(), file=sys.stderr)
                return 1
            profile = parse(out.read_text().splitlines())
            sections += [f"## {workload.name}", "", profile.markdown(15)]
            print(f"profiled {workload.name}", file=sys.stderr)
    report = "\n".join(sections)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
