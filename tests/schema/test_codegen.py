"""The generated modules match the SDK, and the naming rules hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import GraphQLList, GraphQLNonNull, get_named_type, get_nullable_type
from strawberry.utils.str_converters import to_camel_case

import schema._generated as generated
import schema.codegen
from schema import build_schema, print_sdl
from schema.codegen import _python_member, enum_value_names, render_all, sync
from schema.codegen import main as codegen_main
from schema.contract import ENUMS, MODELS
from tests.contract_walk import closure

GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
SDL = Path(__file__).parents[2] / "schema" / "schema.graphql"


def test_the_generated_modules_match_the_sdk() -> None:
    for path, text in render_all().items():
        assert path.read_text() == text, f"{path.name} is stale: run `make schema`"
    assert codegen_main(["--check"]) == 0


def test_the_committed_sdl_is_the_printed_schema() -> None:
    assert SDL.read_text() == print_sdl(), "schema/schema.graphql is stale: run `make schema`"


def test_the_workstream_event_closure_is_whole() -> None:
    pairs = closure()
    models = {model for model, _ in pairs if not model.startswith("enum:")}
    enums = {model for model, _ in pairs if model.startswith("enum:")}
    assert (len(models), len(enums)) == (204, 35)
    # Models reached only as the values of a map travel inside a JSONObject.
    assert set(generated.OUTPUT_TYPES) == models - {"PersonAccess", "PersonModel"}


def test_enum_values_get_distinct_valid_names_that_keep_every_valid_value() -> None:
    renamed = 0
    for values in ENUMS.values():
        names = enum_value_names(values)
        assert len(set(names)) == len(names)
        for value, name in zip(values, names, strict=True):
            assert GRAPHQL_NAME.fullmatch(name)
            assert not name.startswith("__")
            assert name not in {"true", "false", "null"}
            if GRAPHQL_NAME.fullmatch(value) and not value.startswith("__"):
                assert name == value
            else:
                renamed += 1
    assert renamed == 228


def test_a_renamed_enum_value_says_its_raw_value() -> None:
    sdl = print_sdl()
    assert '"""Upstream value: GPT_3.5"""\n  GPT_3_5' in sdl
    assert '"""Upstream value: .bash_aliases"""\n  _bash_aliases' in sdl


def test_fields_are_the_camel_case_of_upstream_keys() -> None:
    sdl = print_sdl()
    block = sdl[sdl.index('type WorkstreamEvent @key(fields: "id") {') :]
    block = block[: block.index("}")]
    for field in ("browserUrl", "sourceWindows", "windowTitle", "schema", "workstreamEventsVector"):
        assert f"  {field}:" in block
    assert "  id: ID!" in block and "  application: Application!" in block
    assert "  readable: String" in block and "  readable: String!" not in block


def test_every_field_has_the_type_the_contract_says() -> None:
    types = build_schema()._schema.type_map
    scalars = {"str": "String", "int": "Int64", "float": "Float", "bool": "Boolean"}
    scalars |= {"datetime": "DateTime"}
    for name in (*generated.OUTPUT_TYPES, *generated.INPUT_TYPES):
        model = name.removesuffix("Input")
        fields = types[name].fields  # type: ignore[union-attr]
        assert len(fields) == len(MODELS[model])
        for key, kind, required in MODELS[model]:
            field_type = fields[to_camel_case(key)].type
            assert isinstance(field_type, GraphQLNonNull) == (required and not kind.endswith("?"))
            inner = get_named_type(field_type)
            base = kind.rstrip("?").strip("[]")
            if base.startswith("{"):
                assert inner.name == "JSONObject"
            elif base in scalars:
                assert inner.name == ("ID" if key == "id" else scalars[base])
            elif base in ENUMS:
                assert inner.name == base
            else:
                assert inner.name == base + ("Input" if name.endswith("Input") else "")
            assert isinstance(get_nullable_type(field_type), GraphQLList) == kind.startswith("[")


def test_the_generator_rewrites_a_drifted_file_and_its_check_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rendered = render_all()
    # The same texts, rendered for files in a copy: the real ones are never touched.
    copies = {tmp_path / "schema" / path.name: text for path, text in rendered.items()}
    (tmp_path / "schema").mkdir()
    for path, text in copies.items():
        path.write_text(text)
    drifted = tmp_path / "schema" / "_generated.py"
    drifted.write_text(copies[drifted] + "# drifted\n")

    def codegen(*, check: bool) -> tuple[int, str]:
        code = sync(copies, check=check, root=tmp_path)
        return code, capsys.readouterr().out

    assert codegen(check=True) == (1, "stale: schema/_generated.py\n")
    assert drifted.read_text() == copies[drifted] + "# drifted\n"  # a check writes nothing
    assert codegen(check=False) == (0, "wrote: schema/_generated.py\n")
    assert drifted.read_text() == copies[drifted]
    assert codegen(check=True) == (0, "")


def test_values_that_are_no_graphql_name_are_renamed_apart_from_every_other() -> None:
    values = ("1st", "", "__typename", "true", "a-b", "a_b", "a.b", "a_b_2", "ok")
    assert enum_value_names(values) == [
        "_1st",  # a name cannot start with a digit
        "_",
        "V__typename",  # `__` is GraphQL's own
        "Vtrue",  # true, false and null are no enum values
        "a_b_3",  # a_b and a_b_2 are values already
        "a_b",
        "a_b_4",
        "a_b_2",
        "ok",
    ]
    assert enum_value_names(("x-y", "x_y")) == ["x_y_2", "x_y"]  # the first free number


def test_python_members_are_identifiers_apart_from_every_other() -> None:
    taken: set[str] = set()
    members = [_python_member(n, taken) for n in ("ok", "class", "_x", "1a", "ok", "ok")]
    assert members == ["ok", "v_class", "v_x", "v_1a", "ok_2", "ok_3"]
    assert taken == set(members)


def test_the_generator_says_what_it_is_and_what_check_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        codegen_main(["--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: python -m schema.codegen [-h] [--check]\n\n")
    first_line = schema.codegen.__doc__.split("\n")[0] if schema.codegen.__doc__ else ""
    assert help_text.split("\n\n")[1] == first_line  # the docstring's first line alone
    assert "--check     exit 1 if the files have drifted\n" in help_text
