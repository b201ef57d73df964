"""A refusal made after routing leaves the connection open (`gateway._refusals`).

Found by the mutation run (`make mutation`): only refusals that close the connection
(tests/gateway/test_middleware.py) were looked at for it.
"""

from __future__ import annotations

from tests.conftest import running_gateway
from tests.recording import Recorder


async def test_the_views_refusal_does_not_close_the_connection(
    upstream: Recorder,
) -> None:
    async with running_gateway(upstream) as http:
        refused = await http.get("/graphql", headers={"accept": "application/json"})
    assert (refused.status_code, refused.headers["content-type"]) == (400, "application/json")
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "connection" not in refused.headers
