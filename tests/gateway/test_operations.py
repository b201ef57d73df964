"""One operation's deadline: past it, the operation is cut off with a coded error."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from starlette.types import Receive, Scope, Send

from tests.conftest import running_gateway

READ = 'query Slow { workstreamEvent(id: "x") { id } }'


class _Silent:
    """An upstream that never answers; it counts the calls, and the callers that gave up."""

    def __init__(self) -> None:
        self.asked = 0
        self.given_up = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.asked += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.given_up += 1
            raise


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_an_operation_past_its_deadline_is_cut_off_with_a_code(
    accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pieces_gateway.operations")
    upstream = _Silent()
    # The upstream call's own deadline is far off: the operation's ends it.
    async with running_gateway(upstream, operation_timeout=0.2, upstream_timeout=60) as http:
        async with asyncio.timeout(10):  # a hang fails the test instead of stalling the suite
            response = await http.post("/graphql", json={"query": READ}, headers={"accept": accept})
    # It was executed (not a request error): a 200 with null data, whichever the media type.
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "The operation did not finish within 0.2 seconds.",
                "extensions": {"code": "UPSTREAM_TIMEOUT"},
            }
        ],
    }
    assert (upstream.asked, upstream.given_up) == (1, 1)  # its upstream call was cancelled
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.http"]
    assert warnings == ["operation timed out after 0.2s"]
    # Its one line says what it was, and the call it made.
    (line,) = [r for r in caplog.records if r.name == "pieces_gateway.operations"]
    assert re.fullmatch(
        r"Slow in \d+\.\d ms, 1 upstream calls, errors: UPSTREAM_TIMEOUT", line.getMessage()
    )
    assert (line.__dict__["operation"], line.__dict__["upstream_calls"]) == ("Slow", 1)
