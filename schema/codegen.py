"""Generate the schema's types and the upstream contract from the official SDK.

    python -m schema.codegen           # rewrite the generated modules
    python -m schema.codegen --check   # exit 1 when they have drifted

The official Python SDK (`pieces-os-client`, a development dependency) is the
contract: its pydantic models say which JSON keys the upstream sends, their
types and which are required. This walks the models reachable from a few roots
and writes two modules:

* `schema/contract.py`: the contract as plain data (models, fields, enums),
  which the gateway and the bundled simulator read at run time without the SDK;
* `schema/_generated.py`: the Strawberry enums, object types and input types,
  with their Federation 2 directives (see `ENTITIES`).

Nothing of the SDK's text is carried over: descriptions come from
`_DESCRIPTIONS` below.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import keyword
import re
import sys
import typing
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path

from pydantic import BaseModel

from schema._keys import attribute_name
from schema._relations import RECORD_MODELS, RELATIONS

SDK_PACKAGE = "pieces_os_client"
OUTPUT_ROOTS = ("WorkstreamEvent",)
INPUT_ROOTS = ("WorkstreamEvent", "SeededScoreIncrement", "SeededWorkstreamEvent")
# Federation: the entities this subgraph resolves by key, all through the
# hand-written base class `schema._entity.Entity`: the events it owns, and the
# records they point at (shareable, as a sibling Pieces subgraph generated the
# same way would declare them too). Every other object type is a value type:
# @shareable. Input types, enums and scalars compose without a directive when
# declared identically.
ENTITIES = {
    "WorkstreamEvent": ("id", False),
    **{relation.flattened: ("id", True) for relation in RELATIONS},
}
# `Referenced<X>.reference` of these is resolved on demand (schema._related).
REFERENCES = {relation.referenced: relation.key for relation in RELATIONS}
CONTRACT_ROOTS = (
    *INPUT_ROOTS,
    "WorkstreamEventsBatchFetchInput",
    "WorkstreamEventsBatchFetchOutput",
    # The related records, as their own endpoints answer them (schema._related).
    *RECORD_MODELS,
    "WorkstreamSummariesBatchInput",
    "WorkstreamSummariesBatchOutput",
)

HERE = Path(__file__).parent
CONTRACT_PATH = HERE / "contract.py"
TYPES_PATH = HERE / "_generated.py"

_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_RESERVED_ENUM_NAMES = frozenset({"true", "false", "null"})

_DESCRIPTIONS = {
    "WorkstreamEvent": (
        "One thing the user did, as Pieces OS recorded it: in which application, "
        "when, and what it relates to (summaries, tags, websites, people, ...)."
    ),
    "WorkstreamEventInput": "A whole workstream event, as sent back to Pieces OS to update it.",
    "SeededWorkstreamEventInput": "What Pieces OS needs to record a new workstream event.",
    "SeededScoreIncrementInput": (
        "Which scores to increment: each field names a kind of record, and each true "
        "flag in it adds one to that score."
    ),
    "GroupedTimestamp": "A moment, with an optional human-readable rendering.",
    "Application": "The application (editor, browser, plugin) a record came from.",
    "Score": "How often and how a record was used.",
    "WorkstreamEventTrigger": "What caused a workstream event to be recorded.",
    "WorkstreamEventContext": "Where the user was when the event happened.",
    "EmbeddedModelSchema": "The version of the upstream model a record was written with.",
}


# --- the intermediate form ---------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    key: str  # the upstream JSON key
    type: str  # see the grammar in contract.py's docstring
    required: bool


@dataclass(frozen=True)
class Contract:
    models: dict[str, tuple[Field, ...]]
    enums: dict[str, tuple[str, ...]]
    sdk_version: str


def _model_class(name: str) -> type[BaseModel]:
    # The SDK's generator names a model's module by splitting its name before each
    # capital that starts a word: `OSDeviceInformationReturnable` is in
    # `os_device_information_returnable`.
    module = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    return typing.cast(
        type[BaseModel], getattr(importlib.import_module(f"{SDK_PACKAGE}.models.{module}"), name)
    )


def read_contract() -> Contract:
    """Walk the SDK's models from the roots and describe them."""
    models: dict[str, tuple[Field, ...]] = {}
    enums: dict[str, tuple[str, ...]] = {}

    def type_of(annotation: object) -> str:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            return type_of(args[0])
        if origin is typing.Union:
            members = [a for a in args if a is not type(None)]
            kinds = {type_of(a) for a in members}
            if kinds == {"float", "int"}:
                return "float"
            if len(kinds) != 1:
                raise TypeError(f"unsupported union {annotation}")
            (kind,) = kinds
            return kind
        if origin is list:
            return f"[{type_of(args[0])}]"
        if origin is dict:
            if args[0] is not str:
                raise TypeError(f"unsupported map key in {annotation}")
            return "{" + type_of(args[1]) + "}"
        simple = {str: "str", int: "int", float: "float", bool: "bool", datetime: "datetime"}
        if annotation in simple:
            return simple[annotation]
        if inspect.isclass(annotation) and issubclass(annotation, Enum):
            enums.setdefault(annotation.__name__, tuple(m.value for m in annotation))
            return annotation.__name__
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            visit(annotation)
            return annotation.__name__
        raise TypeError(f"unsupported annotation {annotation!r}")

    def visit(model: type[BaseModel]) -> None:
        if model.__name__ in models:
            return
        models[model.__name__] = ()  # mark first: the models are recursive
        fields = []
        for name, info in model.model_fields.items():
            key = info.alias or name
            if key.endswith("_") or not key.isidentifier():
                raise ValueError(f"{model.__name__}.{key}: key needs a naming rule")
            kind = type_of(info.annotation)
            nullable = type(None) in typing.get_args(info.annotation)
            if info.is_required() and nullable:
                kind += "?"  # must be present, may be null
            fields.append(Field(key, kind, info.is_required()))
        models[model.__name__] = tuple(fields)

    for root in CONTRACT_ROOTS:
        visit(_model_class(root))
    version = importlib.import_module(SDK_PACKAGE).__version__
    return Contract(dict(sorted(models.items())), dict(sorted(enums.items())), version)


# --- naming ------------------------------------------------------------------------------


def enum_value_names(values: tuple[str, ...]) -> list[str]:
    """One distinct GraphQL name per raw value, keeping every valid name as it is."""

    def valid(value: str) -> bool:
        return (
            bool(_GRAPHQL_NAME.fullmatch(value))
            and not value.startswith("__")
            and (value not in _RESERVED_ENUM_NAMES)
        )

    taken = {v for v in values if valid(v)}
    names = []
    for value in values:
        if valid(value):
            names.append(value)
            continue
        base = re.sub(r"[^_0-9A-Za-z]", "_", value)
        if not base or base[0].isdigit():
            base = "_" + base
        if base.startswith("__") or base in _RESERVED_ENUM_NAMES:
            base = "V" + base
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        names.append(name)
    return names


def _python_member(name: str, taken: set[str]) -> str:
    member = name if name.isidentifier() and not keyword.iskeyword(name) else f"v_{name}"
    if member.startswith("_"):
        member = "v" + member
    base, n = member, 1
    while member in taken:
        n += 1
        member = f"{base}_{n}"
    taken.add(member)
    return member


def _closure(contract: Contract, roots: tuple[str, ...]) -> list[str]:
    seen: list[str] = []

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.append(name)
        for field in contract.models[name]:
            # A map's values travel inside a JSONObject: no GraphQL type needed.
            target = field.type.strip("[]?")
            if target in contract.models:
                visit(target)

    for root in roots:
        visit(root)
    return sorted(seen)


# --- rendering ---------------------------------------------------------------------------

_HEADER = (
    "# Generated by `python -m schema.codegen` from pieces-os-client {version}. Do not edit.\n"
)


def _py_type(kind: str, contract: Contract, *, suffix: str) -> str:
    if kind.startswith("["):
        return f"list[{_py_type(kind[1:-1], contract, suffix=suffix)}]"
    if kind.startswith("{"):
        return "JSONObject"
    # Pieces OS is a Dart service: any of its ints may need 64 bits (schema._scalars).
    scalars = {
        "str": "str",
        "int": "Int64",
        "float": "float",
        "bool": "bool",
        "datetime": "DateTime",
    }
    if kind in scalars:
        return scalars[kind]
    if kind in contract.enums:
        return kind
    return kind + suffix


def render_contract(contract: Contract) -> str:
    out = [_HEADER.format(version=contract.sdk_version)]
    out.append(
        '"""The upstream JSON contract: every model, field and enum the gateway relays.\n'
        "\n"
        "MODELS maps a model name to its fields as (json_key, type, required). A type is\n"
        "`str`, `int`, `float`, `bool`, `datetime` (an ISO-8601 string), an enum name (a\n"
        "key of ENUMS), a model name (a key of MODELS), `[T]` a list of T, or `{T}` a JSON\n"
        "object whose values are T. A trailing `?` on a required field's type means the\n"
        "key must be present but may be null. ENUMS maps an enum name to its raw values.\n"
        '"""\n\n'
    )
    out.append(f'SDK_VERSION = "{contract.sdk_version}"\n\n')
    out.append("MODELS: dict[str, tuple[tuple[str, str, bool], ...]] = {\n")
    for name, fields in contract.models.items():
        out.append(f'    "{name}": (\n')
        out.extend(f"        ({f.key!r}, {f.type!r}, {f.required}),\n" for f in fields)
        out.append("    ),\n")
    out.append("}\n\n")
    out.append("ENUMS: dict[str, tuple[str, ...]] = {\n")
    for name, values in contract.enums.items():
        out.append(f'    "{name}": (\n')
        out.extend(f"        {v!r},\n" for v in values)
        out.append("    ),\n")
    out.append("}\n")
    return "".join(out)


def _description(name: str) -> str:
    text = _DESCRIPTIONS.get(name)
    return f", description={text!r}" if text else ""


def _render_class(contract: Contract, name: str, *, kind: str) -> list[str]:
    suffix = "Input" if kind == "input" else ""
    gql_name = name + suffix
    if kind == "input":
        out = [f"@strawberry.input(name={gql_name!r}{_description(gql_name)})\n"]
        out.append(f"class {gql_name}:\n")
    elif name in ENTITIES:
        key, shareable = ENTITIES[name]
        out = [
            f"@strawberry.federation.type(name={gql_name!r}, keys=[{key!r}]"
            f"{', shareable=True' if shareable else ''}{_description(gql_name)})\n",
            f"class {gql_name}(Entity):\n",
        ]
    else:
        out = [
            f"@strawberry.federation.type(name={gql_name!r}, shareable=True"
            f"{_description(gql_name)})\n",
            f"class {gql_name}:\n",
        ]
    for field in contract.models[name]:
        base = field.type.removesuffix("?")
        annotation = (
            "strawberry.ID"
            if field.key == "id" and base == "str"
            else _py_type(base, contract, suffix=suffix)
        )
        non_null = field.required and not field.type.endswith("?")
        if not non_null:
            annotation += " | None"
        attr = attribute_name(field.key)
        options = f"name={field.key!r}" if attr != field.key else ""
        if kind == "input" and not field.required:
            default = (
                f"strawberry.field({options}, default=strawberry.UNSET)"
                if options
                else ("strawberry.UNSET")
            )
            out.append(f"    {attr}: {annotation} = {default}\n")
        elif kind == "type" and field.key == "reference" and name in REFERENCES:
            resolver = f"resolver=reference_of({REFERENCES[name]!r})"
            out.append(f"    {attr}: {annotation} = strawberry.field({resolver})\n")
        elif options:
            out.append(f"    {attr}: {annotation} = strawberry.field({options})\n")
        else:
            out.append(f"    {attr}: {annotation}\n")
    return [*out, "\n\n"]


def render_types(contract: Contract) -> str:
    outputs = _closure(contract, OUTPUT_ROOTS)
    inputs = _closure(contract, INPUT_ROOTS)
    enums = sorted(
        {f.type.strip("[]{}?") for m in {*outputs, *inputs} for f in contract.models[m]}
        & contract.enums.keys()
    )
    out = [
        _HEADER.format(version=contract.sdk_version),
        '"""Strawberry types mirroring the upstream models; see schema/codegen.py."""\n\n',
        "from __future__ import annotations\n\n",
        "import enum\n\n",
        "import strawberry\n\n",
        "from schema._entity import Entity\n",
        "from schema._related import reference_of\n",
        "from schema._scalars import DateTime, Int64, JSONObject\n\n",
        f"OUTPUT_TYPES = {tuple(outputs)!r}\n",
        f"INPUT_TYPES = {tuple(n + 'Input' for n in inputs)!r}\n",
        f"ENUM_TYPES = {tuple(enums)!r}\n\n\n",
    ]
    for name in enums:
        values = contract.enums[name]
        out.append(f"@strawberry.enum(name={name!r})\nclass {name}(enum.Enum):\n")
        taken: set[str] = set()
        for value, gql in zip(values, enum_value_names(values), strict=True):
            member = _python_member(gql, taken)
            if gql == value and member == gql:
                out.append(f"    {member} = {value!r}\n")
            elif gql == value:
                out.append(f"    {member} = strawberry.enum_value({value!r}, name={gql!r})\n")
            else:
                out.append(
                    f"    {member} = strawberry.enum_value(\n"
                    f"        {value!r}, name={gql!r}, description={'Upstream value: ' + value!r}\n"
                    "    )\n"
                )
        out.append("\n\n")
    for name in outputs:
        out.extend(_render_class(contract, name, kind="type"))
    for name in inputs:
        out.extend(_render_class(contract, name, kind="input"))
    return "".join(out).rstrip("\n") + "\n"


def render_all() -> dict[Path, str]:
    contract = read_contract()
    return {CONTRACT_PATH: render_contract(contract), TYPES_PATH: render_types(contract)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schema.codegen", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the files have drifted")
    args = parser.parse_args(argv)
    return sync(render_all(), check=args.check, root=HERE.parent)


def sync(rendered: dict[Path, str], *, check: bool, root: Path) -> int:
    """Write each file of `rendered` that differs (or, to `check`, only name it); the exit code."""
    stale = []
    for path, text in rendered.items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not check:
            path.write_text(text)
    for path in stale:
        print(f"{'stale' if check else 'wrote'}: {path.relative_to(root)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
