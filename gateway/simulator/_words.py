"""The words the simulator's records are written in: sentences, tags, people, pages, files."""

from __future__ import annotations

import random

__all__ = ["APPLICATIONS", "FILES", "PAGES", "PEOPLE", "SENTENCES", "TAGS", "paragraph"]

SENTENCES = (
    "The gateway batches every snapshot an operation needs into one upstream call.",
    "A retry with backoff hid the flaky connection, but the breaker still opened twice.",
    "We agreed to keep the simulator's answers identical to what Pieces OS sends.",
    "The pull request renames the settings and adds a test for each new flag.",
    "Profiling showed most of the time in validation until the cache was fixed.",
    "The release notes mention the new persisted queries and the metrics endpoint.",
    "Reviewers asked for a smaller module and a docstring on the error tree.",
    "Connection pooling keeps the latency flat once the first request warmed it up.",
    "The design doc compares a compiled projection with the regular executor.",
    "Tomorrow: finish the rollout checklist and hand the dashboard to the on-call.",
)
TAGS = (
    "graphql",
    "python",
    "performance",
    "httpx",
    "starlette",
    "release",
    "code-review",
    "dataloader",
    "observability",
    "testing",
)
PEOPLE = (
    ("Ada Lovelace", "ada"),
    ("Grace Hopper", "grace"),
    ("Alan Turing", "alan"),
    ("Barbara Liskov", "barbara"),
    ("Edsger Dijkstra", "edsger"),
)
PAGES = (
    ("GraphQL over HTTP", "https://graphql.github.io/graphql-over-http/draft/"),
    ("Strawberry DataLoaders", "https://strawberry.rocks/docs/guides/dataloaders"),
    ("HTTPX Async Support", "https://www.python-httpx.org/async/"),
    ("Starlette Lifespan", "https://www.starlette.io/lifespan/"),
    ("asyncio Tasks", "https://docs.python.org/3/library/asyncio-task.html"),
)
FILES = (
    "gateway/_upstream.py",
    "gateway/_loaders.py",
    "schema/_compiled.py",
    "tests/gateway/test_batching.py",
    "README.md",
)
# What the pattern engine names the applications it reads, with their process names.
APPLICATIONS = (
    ("Visual Studio Code", "Code"),
    ("IntelliJ IDEA", "idea"),
    ("Google Chrome", "Google Chrome"),
    ("Slack", "Slack"),
    ("Obsidian", "Obsidian"),
)


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(sentences))
