"""A snapshot keeps Pieces OS's JSON text and parses it whole only when asked, once."""

from __future__ import annotations

import pytest

from schema import Snapshot
from schema.errors import UpstreamBadResponse


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
