"""`tests.mutation_selection`: the tests each mutant of `make mutation` is tried by."""

from __future__ import annotations

from pathlib import Path

from tests.mutation_selection import TESTS, files_of, narrowed

ROOT = Path(__file__).parent.parent


def test_every_module_and_test_file_named_exists() -> None:
    assert [module for module in TESTS if not (ROOT / module).is_file()] == []
    files = {file for files in TESTS.values() for file in files}
    assert sorted(file for file in files if not (ROOT / file).is_file()) == []


def test_a_mutant_is_tried_by_the_tests_of_its_module() -> None:
    assert files_of("gateway._server.x_protocol__mutmut_1") == TESTS["gateway/_server.py"]
    # A method's mutant: mutmut names it after its class, between two `ǁ`.
    middleware = "gateway._middleware.xǁCorsǁpreflight_response__mutmut_4"
    assert files_of(middleware) == TESTS["gateway/_middleware.py"]
    assert (
        files_of("schema.compiled._compiler.x_compile__mutmut_2")
        == (TESTS["schema/compiled/_compiler.py"])
    )


def test_mutmuts_own_runs_and_unnamed_modules_keep_every_test() -> None:
    for run in ("", "stats", "fail", "list_all_tests", "mutant_generation"):
        assert files_of(run) is None
    assert files_of("gateway._unheard_of.x_f__mutmut_1") is None


def test_only_the_ids_of_the_named_files_are_kept_the_first_file_first() -> None:
    ids = [
        "tests/gateway/test_server.py::test_a[x-1]",
        "tests/gateway/test_http.py::test_b",
        "tests/gateway/test_upstream.py::test_c",
        "tests/gateway/test_server.py::test_d",
    ]
    server, http = "tests/gateway/test_server.py", "tests/gateway/test_http.py"
    assert narrowed(ids, (server,)) == [ids[0], ids[3]]
    assert narrowed(ids, (http, server)) == [ids[1], ids[0], ids[3]]
    assert narrowed(ids, ("tests/schema/test_limits.py",)) == []
