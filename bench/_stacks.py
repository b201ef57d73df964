"""Summaries of py-spy's collapsed stacks (`--format raw`): where the time goes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Profile", "parse"]

_LINE = re.compile(r":\d+\)$")
_SITE_PACKAGES = re.compile(r"\(.*?/(?:site-packages|lib/python3\.\d+)/")


def _frame(text: str) -> str:
    """`fn (path/to/module.py:12)` -> `fn (module path from the package root)`."""
    text = _LINE.sub(")", text.strip())
    text = _SITE_PACKAGES.sub("(", text)
    return text.replace("(/work/main/", "(")


# Where a sample's time goes: the first of these found from the top of its stack down.
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("parse", ("graphql/language/parser", "graphql/language/lexer")),
    ("validate (incl. depth limit)", ("graphql/validation", "query_depth_limiter")),
    (
        "upstream client (httpx)",
        ("gateway/_upstream", "gateway/_resilience", "httpx/", "httpcore/"),
    ),
    ("DataLoader", ("strawberry/dataloader", "gateway/_loaders")),
    ("execute", ("graphql/execution", "strawberry/types", "strawberry/schema", "schema/")),
    ("HTTP server", ("uvicorn/", "starlette/", "strawberry/http", "strawberry/asgi", "gateway/")),
    ("logging", ("logging/",)),
)


def _phase(frames: list[str]) -> str:
    for frame in reversed(frames):
        for phase, needles in PHASES:
            if any(needle in frame for needle in needles):
                return phase
    return "event loop, other"


@dataclass(frozen=True)
class Profile:
    samples: int
    own: Counter[str]  # samples with the frame on top of the stack
    phases: Counter[str]  # samples per phase (PHASES)

    def top(self, which: str, n: int = 10) -> list[tuple[str, float]]:
        counter = self.own if which == "own" else self.phases
        return [(frame, 100 * count / self.samples) for frame, count in counter.most_common(n)]

    def markdown(self, n: int = 10) -> str:
        lines = [f"{self.samples} samples", ""]
        for which, title in (("own", "self time"), ("phases", "phase (inclusive)")):
            lines += [f"| {title} | % |", "|---|--:|"]
            lines += [f"| `{frame}` | {pct:.1f} |" for frame, pct in self.top(which, n)]
            lines.append("")
        return "\n".join(lines)


def parse(lines: Iterable[str]) -> Profile:
    own: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    samples = 0
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        phases[_phase(frames)] += count
    return Profile(samples, own, phases)
