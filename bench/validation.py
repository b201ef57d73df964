"""`python -m bench.validation`: what preparing a hostile document costs.

Each shape of `bench._adversarial` is grown (n = 1, 2, 3, 4, 6, 8, …) until
the gateway's limits refuse it, and a few sizes beyond; each size is prepared
(parsed, measured, validated: `schema.Documents`, uncached) five times. The
table gives, per shape, the largest size admitted and its median time, and the
first size refused, with its code and time. The baseline in the same run is an
ordinary document: every field of WorkstreamEvent four levels deep (~800
selections). The last line is the worst time of any admitted document, the
figure the limits are chosen to keep under 50 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from strawberry.utils.str_converters import to_camel_case

from bench._adversarial import SHAPES
from schema import Documents, SchemaOptions
from schema._build import build_schema
from schema.contract import MODELS

_SIZES = (
    1,
    2,
    3,
    4,
    6,
    8,
    12,
    16,
    24,
    32,
    40,
    48,
    64,
    96,
    128,
    192,
    256,
    384,
    512,
    768,
    1024,
    1536,
    2048,
)
_BEYOND = 3  # sizes tried after the first refusal


def ordinary(levels: int = 4) -> str:
    """Every field of WorkstreamEvent, `levels` objects deep (no model twice on a path)."""

    def select(model: str, path: tuple[str, ...]) -> str:
        parts = []
        for key, kind, _ in MODELS[model]:
            target = kind.rstrip("?").strip("[]")
            if target in MODELS:
                if target in path or len(path) >= levels:
                    continue
                parts.append(f"{to_camel_case(key)} {{ {select(target, (*path, model))} }}")
            else:
                parts.append(to_camel_case(key))
        return " ".join(parts) or "__typename"

    return f'{{ workstreamEvent(id: "e") {{ {select("WorkstreamEvent", ())} }} }}'


def _time(documents: Documents, query: str, repeat: int) -> tuple[float, str | None]:
    """Median milliseconds to prepare `query`, and the code refusing it (None: admitted)."""
    times = []
    outcome: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        outcome = documents._prepare(query, None)
        times.append((time.perf_counter() - start) * 1000)
    code = None
    if isinstance(outcome, list):
        codes = {(error.extensions or {}).get("code") for error in outcome}
        code = ",".join(sorted(str(c) for c in codes))
    return statistics.median(times), code


def grow(
    documents: Documents, shape: Callable[[int], str], repeat: int
) -> tuple[tuple[int, float] | None, tuple[int, float, str] | None, float]:
    """(largest admitted n, ms), (first refused n, ms, code), and the worst admitted ms."""
    admitted: tuple[int, float] | None = None
    refused: tuple[int, float, str] | None = None
    worst = 0.0
    beyond = 0
    for n in _SIZES:
        ms, code = _time(documents, shape(n), repeat)
        if code is None or code == "GRAPHQL_VALIDATION_FAILED":
            # Within the limits (graphql-core's rules may still refuse it: a
            # conflict is a validation failure, found in the time measured).
            admitted = (n, ms)
            worst = max(worst, ms)
        elif refused is None:
            refused = (n, ms, code)
        if refused is not None:
            beyond += 1
            if beyond > _BEYOND:
                break
    return admitted, refused, worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validation", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="times each size is prepared")
    args = parser.parse_args(argv)
    documents = Documents(build_schema()._schema, SchemaOptions())
    baseline, code = _time(documents, ordinary(), args.repeat)
    assert code is None, f"the ordinary document is refused: {code}"
    print(f"baseline: every field 4 levels deep, prepared in {baseline:.1f} ms (median)\n")
    print("| shape | largest admitted n | ms | vs baseline | first refused n | ms | code |")
    print("|---|---:|---:|---:|---:|---:|---|")
    worst = (0.0, "")
    for name, shape in SHAPES.items():
        admitted, refused, shape_worst = grow(documents, shape, args.repeat)
        if shape_worst > worst[0]:
            worst = (shape_worst, name)
        a = (
            f"{admitted[0]} | {admitted[1]:.1f} | {admitted[1] / baseline:.2f}"
            if admitted
            else "- | - | -"
        )
        r = f"{refused[0]} | {refused[1]:.2f} | {refused[2]}" if refused else "- | - | -"
        print(f"| {name} | {a} | {r} |")
    print(f"\nworst admitted: {worst[0]:.1f} ms ({worst[1]}); baseline {baseline:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
