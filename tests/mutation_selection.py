"""Which tests try a mutant, under `make mutation`: those of its module, not all that reach it.

mutmut runs, for each mutant, every test that reached the mutated function while it
collected its stats; for a function that most requests go through (`schema._limits.measure`,
`gateway._view`'s), that is most of the suite, a minute or two per surviving mutant. This
pytest plugin (`-p tests.mutation_selection`, in `[tool.mutmut]`'s `pytest_add_cli_args`)
narrows those tests to the files of `TESTS[module]`: the tests that exercise the module
directly. It reads the mutant from `MUTANT_UNDER_TEST`, which mutmut sets in each mutant's
process; during mutmut's stats, clean and forced-fail runs it changes nothing. A mutant none
of whose module's tests reach its function is "no tests" (exit code 5); a module `TESTS` does
not name keeps every test that reaches it.

The files come in the order of `TESTS[module]`, the most direct first (mutmut's order, the
quickest first, within a file): a mutant is mostly killed by its module's own tests, and with
`-x` the first failure ends its run. Hypothesis runs derandomized, without shrinking a
failure: a mutant's verdict is the same every run, and a kill costs no minimizing.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import Phase, settings

# Each hand-written module that has mutants, and the test files that exercise it directly.
TESTS: dict[str, tuple[str, ...]] = {
    "gateway/_app.py": (
        "tests/gateway/test_http.py",
        "tests/gateway/test_cors.py",
        "tests/gateway/test_middleware.py",
        "tests/gateway/test_tracing_export.py",
        "tests/gateway/test_tracing.py",
        "tests/gateway/test_discovery.py",
        "tests/gateway/test_graphiql.py",
        "tests/gateway/test_observability.py",
        "tests/gateway/test_upstream.py",
        "tests/gateway/test_review_fixes.py",
        "tests/gateway/test_resilience.py",
        "tests/gateway/test_server.py",
    ),
    "gateway/_cli.py": ("tests/gateway/test_cli.py", "tests/test_packaging.py"),
    "gateway/_client.py": (
        "tests/gateway/test_upstream.py",
        "tests/gateway/test_mutations.py",
        "tests/gateway/test_collection.py",
        "tests/gateway/test_batching.py",
        "tests/gateway/test_review_fixes.py",
        "tests/gateway/test_feed.py",
        "tests/gateway/test_resilience.py",
        "tests/gateway/test_related.py",
        "tests/gateway/test_related_attacks.py",
        "tests/gateway/test_connection.py",
        "tests/gateway/test_transport.py",
        "tests/gateway/test_observability.py",
    ),
    "gateway/_discovery.py": ("tests/gateway/test_discovery.py",),
    "gateway/_feed.py": (
        "tests/gateway/test_feed.py",
        "tests/gateway/test_subscriptions.py",
    ),
    "gateway/_graphiql.py": ("tests/gateway/test_graphiql.py",),
    "gateway/_live.py": ("tests/gateway/test_subscriptions.py",),
    "gateway/_loaders.py": (
        "tests/gateway/test_related.py",
        "tests/gateway/test_related_attacks.py",
        "tests/schema/test_subscription.py",
        "tests/gateway/test_batching.py",
        "tests/gateway/test_connection.py",
        "tests/schema/test_federation.py",
    ),
    "gateway/_logging.py": ("tests/gateway/test_observability.py",),
    "gateway/_media_types.py": ("tests/gateway/test_media_types.py",),
    "gateway/_metrics.py": (
        "tests/gateway/test_observability.py",
        "tests/gateway/test_feed.py",
    ),
    "gateway/_middleware.py": (
        "tests/gateway/test_middleware.py",
        "tests/gateway/test_http.py",
        "tests/gateway/test_server.py",
    ),
    "gateway/_multipart.py": (
        "tests/gateway/test_subscriptions.py",
        "tests/gateway/test_media_types.py",
    ),
    "gateway/_operations.py": (
        "tests/gateway/test_operations.py",
        "tests/gateway/test_media_types.py",
        "tests/gateway/test_observability.py",
        "tests/gateway/test_persisted.py",
        "tests/gateway/test_http.py",
        "tests/gateway/test_batching.py",
        "tests/gateway/test_subscriptions.py",
        "tests/gateway/test_tracing.py",
    ),
    "gateway/_persisted.py": (
        "tests/gateway/test_persisted.py",
        "tests/gateway/test_review_fixes.py",
    ),
    "gateway/_pool.py": ("tests/gateway/test_pool.py",),
    "gateway/_related.py": (
        "tests/gateway/test_related.py",
        "tests/gateway/test_related_attacks.py",
    ),
    "gateway/_refusals.py": (
        "tests/gateway/test_refusals.py",
        "tests/gateway/test_middleware.py",
        "tests/gateway/test_http.py",
        "tests/gateway/test_server.py",
    ),
    "gateway/_resilience.py": (
        "tests/gateway/test_resilience.py",
        "tests/gateway/test_resilience_breaker.py",
    ),
    "gateway/_server.py": ("tests/gateway/test_server.py", "tests/gateway/test_subscriptions.py"),
    "gateway/_tracing.py": (
        "tests/gateway/test_tracing.py",
        "tests/gateway/test_tracing_export.py",
    ),
    "gateway/_transport.py": (
        "tests/gateway/test_transport.py",
        "tests/gateway/test_resilience.py",
        "tests/gateway/test_upstream.py",
        "tests/gateway/test_discovery.py",
        "tests/gateway/test_review_fixes.py",
        "tests/gateway/test_observability.py",
        "tests/gateway/test_tracing.py",
    ),
    "gateway/_view.py": (
        "tests/gateway/test_http.py",
        "tests/gateway/test_media_types.py",
        "tests/gateway/test_persisted.py",
        "tests/gateway/test_review_fixes.py",
        "tests/gateway/test_batching.py",
        "tests/gateway/test_subscriptions.py",
        "tests/gateway/test_graphiql.py",
        "tests/gateway/test_server.py",
        "tests/gateway/test_observability.py",
    ),
    "schema/_build.py": (
        "tests/schema/test_federation.py",
        "tests/schema/test_codegen.py",
        "tests/schema/test_entity.py",
    ),
    "schema/_connection.py": (
        "tests/gateway/test_connection.py",
        "tests/gateway/test_review_fixes.py",
    ),
    "schema/_context.py": (
        "tests/schema/test_snapshot.py",
        "tests/gateway/test_upstream.py",
        "tests/gateway/test_batching.py",
    ),
    "schema/_convert.py": (
        "tests/gateway/test_mutations.py",
        "tests/gateway/test_collection.py",
        "tests/gateway/test_int64.py",
        "tests/gateway/test_roundtrip.py",
    ),
    "schema/_documents.py": (
        "tests/schema/test_documents.py",
        "tests/schema/test_limits.py",
        "tests/gateway/test_persisted.py",
        "tests/gateway/test_http.py",
    ),
    "schema/_entity.py": (
        "tests/gateway/test_related.py",
        "tests/gateway/test_related_attacks.py",
        "tests/schema/test_entity.py",
        "tests/schema/test_federation.py",
    ),
    "schema/_error_codes.py": (
        "tests/schema/test_error_codes.py",
        "tests/gateway/test_upstream_values.py",
        "tests/gateway/test_upstream.py",
    ),
    "schema/_execution.py": (
        "tests/schema/test_execution.py",
        "tests/gateway/test_http.py",
        "tests/gateway/test_upstream_values.py",
        "tests/gateway/test_int64.py",
        "tests/schema/test_compiled.py",
        "tests/schema/test_subscription.py",
        "tests/gateway/test_subscriptions.py",
    ),
    "schema/_keys.py": (
        "tests/gateway/test_roundtrip.py",
        "tests/gateway/test_upstream_values.py",
        "tests/gateway/test_mutations.py",
    ),
    "schema/_limits.py": ("tests/schema/test_limits.py",),
    "schema/_mutation.py": (
        "tests/gateway/test_mutations.py",
        "tests/gateway/test_collection.py",
        "tests/gateway/test_int64.py",
        "tests/gateway/test_upstream.py",
        "tests/schema/test_codegen.py",
    ),
    "schema/_related.py": (
        "tests/gateway/test_related.py",
        "tests/gateway/test_related_attacks.py",
    ),
    "schema/_scalars.py": (
        "tests/schema/test_scalars.py",
        "tests/gateway/test_int64.py",
        "tests/gateway/test_upstream_values.py",
    ),
    "schema/_subscription.py": (
        "tests/schema/test_subscription.py",
        "tests/gateway/test_subscriptions.py",
    ),
    "schema/codegen.py": ("tests/schema/test_codegen.py",),
    "schema/compiled/_compiler.py": (
        "tests/schema/test_compiled.py",
        "tests/gateway/test_upstream_values.py",
    ),
    "schema/compiled/_complete.py": (
        "tests/schema/test_compiled.py",
        "tests/gateway/test_upstream_values.py",
    ),
    "schema/compiled/_eligibility.py": ("tests/schema/test_compiled.py",),
    "schema/compiled/_executor.py": (
        "tests/schema/test_compiled.py",
        "tests/gateway/test_upstream_values.py",
    ),
    "schema/compiled/_references.py": (
        "tests/schema/test_compiled.py",
        "tests/gateway/test_related.py",
        "tests/gateway/test_related_attacks.py",
    ),
    "schema/errors.py": (
        "tests/schema/test_error_codes.py",
        "tests/schema/test_snapshot.py",
        "tests/gateway/test_upstream.py",
    ),
}


def files_of(mutant: str) -> tuple[str, ...] | None:
    """The test files of `gateway._view.x_post__mutmut_3`'s module (`gateway/_view.py`).

    None for a module `TESTS` does not name, and for mutmut's own runs (`stats`, `fail`, ``).
    """
    module, dot, _ = mutant.rpartition(".")
    path = module.replace(".", "/")
    return TESTS.get(f"{path}.py", TESTS.get(f"{path}/__init__.py")) if dot else None


def narrowed(args: list[str], files: tuple[str, ...]) -> list[str]:
    """The test ids of `args` that are in `files`, by file in the order of `files`."""
    order = {file: index for index, file in enumerate(files)}
    kept = [arg for arg in args if arg.partition("::")[0] in order]
    return sorted(kept, key=lambda arg: order[arg.partition("::")[0]])


def pytest_configure(config: pytest.Config) -> None:
    files = files_of(os.environ.get("MUTANT_UNDER_TEST", ""))
    if files is not None:
        config.args[:] = narrowed(config.args, files)
        settings.register_profile(
            "mutation", derandomize=True, phases=[Phase.explicit, Phase.reuse, Phase.generate]
        )
        settings.load_profile("mutation")
