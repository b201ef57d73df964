"""A snapshot keeps Pieces OS's JSON text and parses it whole only when asked, once;
the keys snapshots load by, the ids they may have, and how fields are read from them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from strawberry.dataloader import DataLoader

from schema import Context, Snapshot, SnapshotKey
from schema._context import MAX_ID_LENGTH, check_id, snapshot_keys
from schema._keys import attribute_name, read_field, upstream_key
from schema.errors import BadUserInput, UpstreamBadResponse


def test_the_text_is_parsed_once_on_first_use() -> None:
    snapshot = Snapshot(b'{"id": "a", "readable": "x"}', "a")
    assert snapshot.json == {"id": "a", "readable": "x"}
    assert snapshot.json is snapshot.json


@pytest.mark.parametrize(
    "text",
    [b"[1, 2]", b"null", b'"a"', b"{nope", b'{"id": "b"}', b'{"readable": "x"}', b'{"id": 5}'],
)
def test_text_that_is_not_this_event_is_a_bad_response(text: bytes) -> None:
    with pytest.raises(UpstreamBadResponse) as refused:
        _ = Snapshot(text, "a").json
    assert text.decode() not in refused.value.message


def test_an_event_a_write_answered_with_needs_no_text() -> None:
    event = {"id": "a"}
    assert Snapshot.of(event).json is event
    assert Snapshot.of(event).content is None
    assert Snapshot.of(event).id == "a"


def test_a_remembered_event_is_loaded_without_asking() -> None:
    async def refuse(keys: object) -> list[Snapshot]:
        raise AssertionError("a remembered event was asked for")

    async def load() -> None:
        context = Context(
            upstream=None,  # type: ignore[arg-type]
            snapshots=DataLoader(load_fn=refuse),
            records=None,  # type: ignore[arg-type]
            max_page_size=10,
        )
        key = SnapshotKey("a", True)
        context.remember(key, {"id": "a", "readable": "x"})
        assert await context.event(key) == {"id": "a", "readable": "x"}

    asyncio.run(load())


def test_the_keys_of_a_read_are_its_ids_in_order_with_its_transferables() -> None:
    assert snapshot_keys(["b", "a", "b"], True, max_ids=3) == [
        SnapshotKey("b", True),
        SnapshotKey("a", True),
        SnapshotKey("b", True),
    ]
    assert snapshot_keys([], None, max_ids=0) == []


@pytest.mark.parametrize("argument", [None, "representations"])
def test_a_read_of_more_ids_than_its_limit_is_refused(argument: str | None) -> None:
    named = {} if argument is None else {"argument": argument}
    with pytest.raises(BadUserInput) as refused:
        snapshot_keys(["a", "b", "c"], None, max_ids=2, **named)
    shown = argument or "ids"
    assert refused.value.message == f"`{shown}` may name 2 at most."
    assert refused.value.extensions == {"code": "BAD_USER_INPUT", "argument": shown}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "'' is not a record id: ids cannot be empty, '.' or '..'."),
        ("..", "'..' is not a record id: ids cannot be empty, '.' or '..'."),
        ("x" * (MAX_ID_LENGTH + 1), f"A record id has {MAX_ID_LENGTH} characters at most."),
    ],
)
def test_what_cannot_be_a_record_id_is_refused_in_words(value: str, message: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        check_id(value)
    assert refused.value.message == message
    assert check_id("x" * MAX_ID_LENGTH) == "x" * MAX_ID_LENGTH


@dataclass
class _Payload:
    from_: str


def test_fields_are_read_from_json_by_their_upstream_keys_and_from_payloads_by_name() -> None:
    assert (attribute_name("from"), attribute_name("readable")) == ("from_", "readable")
    assert (upstream_key("from_"), upstream_key("readable")) == ("from", "readable")
    assert read_field({"from": 1, "from_": 2}, "from_") == 1
    assert read_field({}, "readable") is None
    assert read_field(_Payload("x"), "from_") == "x"


@pytest.mark.parametrize(
    ("source", "kind"), [([{"id": "a"}], "a list"), ("VS_CODE", "a str"), (5.0, "a float")]
)
def test_anything_else_where_an_object_belongs_is_a_bad_response(source: object, kind: str) -> None:
    with pytest.raises(UpstreamBadResponse) as refused:
        read_field(source, "readable")
    assert refused.value.message == f"Pieces OS sent {kind} where an object belongs."
