"""`python -m bench.openapi [SERVER_URL]`: an OpenAPI 3 document for GraphQL Mesh.

Built from `schema/contract.py` (MODELS, ENUMS): the WorkstreamEvent endpoints
the benchmark reads, with every model they reach and enums as string enums.
`make bench-peer` composes GraphQL Mesh's supergraph from it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from schema.contract import ENUMS, MODELS, SDK_VERSION

__all__ = ["document"]

_SCALARS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
}
_ID = {"name": "workstream_event", "in": "path", "required": True, "schema": {"type": "string"}}
_TRANSFERABLES = {"name": "transferables", "in": "query", "schema": {"type": "boolean"}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _kind(kind: str) -> dict[str, Any]:
    if kind.endswith("?"):
        return {**_kind(kind[:-1]), "nullable": True}
    if kind.startswith("["):
        return {"type": "array", "items": _kind(kind[1:-1])}
    if kind.startswith("{"):
        return {"type": "object", "additionalProperties": _kind(kind[1:-1])}
    return _SCALARS.get(kind) or _ref(kind)


def _referenced(kind: str) -> str:
    return kind.rstrip("?").strip("[]{}")


def _closure(roots: list[str]) -> list[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or (name not in MODELS and name not in ENUMS):
            continue
        seen.add(name)
        todo += [_referenced(kind) for _, kind, _ in MODELS.get(name, ())]
    return sorted(seen)


def _schema(name: str) -> dict[str, Any]:
    if name in ENUMS:
        return {"type": "string", "enum": list(ENUMS[name])}
    fields = MODELS[name]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {key: _kind(kind) for key, kind, _ in fields},
    }
    required = [key for key, _, needed in fields if needed]
    if required:
        schema["required"] = required
    return schema


def _json(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": _ref(name)}}}


def document(server_url: str) -> dict[str, Any]:
    roots = ["WorkstreamEvent", "WorkstreamEvents", "WorkstreamEventsBatchFetchInput"]
    roots.append("WorkstreamEventsBatchFetchOutput")
    return {
        "openapi": "3.0.3",
        "info": {"title": "Pieces OS WorkstreamEvent API (subset)", "version": SDK_VERSION},
        "servers": [{"url": server_url}],
        "paths": {
            "/workstream_event/{workstream_event}": {
                "get": {
                    "operationId": "workstreamEventsSpecificWorkstreamEventSnapshot",
                    "parameters": [_ID, _TRANSFERABLES],
                    "responses": {"200": {"description": "OK", **_json("WorkstreamEvent")}},
                }
            },
            "/workstream_events": {
                "get": {
                    "operationId": "workstreamEventsSnapshot",
                    "parameters": [_TRANSFERABLES],
                    "responses": {"200": {"description": "OK", **_json("WorkstreamEvents")}},
                }
            },
            "/workstream_events/batch/fetch": {
                "post": {
                    "operationId": "workstreamEventsBatch",
                    "parameters": [_TRANSFERABLES],
                    "requestBody": {"required": True, **_json("WorkstreamEventsBatchFetchInput")},
                    "responses": {
                        "200": {"description": "OK", **_json("WorkstreamEventsBatchFetchOutput")}
                    },
                }
            },
        },
        "components": {"schemas": {name: _schema(name) for name in _closure(roots)}},
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    server = args[0] if args else "http://127.0.0.1:39300"
    json.dump(document(server), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
