"""Request hygiene and hostile inputs: refused cheaply, with a code, and nothing breaks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import Message

from gateway import Settings, create_app
from gateway._graphiql import LocalGraphiQL
from tests.conftest import UPSTREAM, running_gateway
from tests.recording import Recorder

ORDINARY = {"query": "{ __typename }"}
MUTATION = (
    'mutation { workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "x") '
    "{ __typename } }"
)


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def _still_fine(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json=ORDINARY)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_mutations_are_refused_over_get(http: httpx.AsyncClient, upstream: Recorder) -> None:
    response = await http.get("/graphql", params={"query": MUTATION})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert _code(response) == "METHOD_NOT_ALLOWED"
    assert response.json()["errors"][0]["message"] == "Mutations are only accepted over POST."
    assert upstream.requests == []


@pytest.mark.parametrize("name", ["variables", "extensions"])
async def test_a_get_whose_json_parameter_is_not_json_is_refused(
    http: httpx.AsyncClient, name: str
) -> None:
    for value in ("{", ""):  # an empty value is a value too
        response = await http.get("/graphql", params={"query": "{ __typename }", name: value})
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == f"`{name}` is not valid JSON."
        assert _code(response) == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "query=%7B__typename%7D"),
        ("text/plain", '{"query": "{ __typename }"}'),
        ("multipart/form-data; boundary=x", '--x\r\n\r\n{"query": "{ __typename }"}\r\n--x--'),
        (None, '{"query": "{ __typename }"}'),  # none said
    ],
)
async def test_only_json_bodies_are_accepted(
    http: httpx.AsyncClient, content_type: str | None, body: str
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    request = http.build_request("POST", "/graphql", content=body, headers=headers)
    assert request.headers.get("content-type") == content_type
    response = await http.send(request)
    assert response.status_code == 415
    assert _code(response) == "UNSUPPORTED_MEDIA_TYPE"
    assert response.json()["errors"][0]["message"] == "POST bodies must be application/json."


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_refused_with_the_two_that_serve(
    http: httpx.AsyncClient, method: str
) -> None:
    response = await http.request(method, "/graphql", json={"query": "{ __typename }"})
    assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")
    assert response.json() == {
        "errors": [
            {
                "message": "GraphQL is served over GET (queries) and POST.",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }
        ]
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"query": ', "The request body is not valid JSON."),
        (b'{"query": "\xff\xfe"}', "The request body is not valid UTF-8."),
        (b"5", "The request body must be a JSON object."),
        (b"{}", "No GraphQL query found in the request."),
        (b'"{ __typename }"', "The request body must be a JSON object."),
        (b'{"query": 5}', "The GraphQL operation's `query` must be a string or null."),
        (
            b'{"query": "{ __typename }", "variables": [1]}',
            "The GraphQL operation's `variables` must be an object or null.",
        ),
        (
            b'{"query": "{ __typename }", "operationName": 5}',
            "The GraphQL operation's `operationName` must be a string or null.",
        ),
        (
            b'{"query": "{ __typename }", "extensions": "x"}',
            "The GraphQL operation's `extensions` must be an object or null.",
        ),
        (b"[]", "Batching is not enabled: start the gateway with --batching."),
        (
            b'[{"query": "{ __typename }"}]',
            "Batching is not enabled: start the gateway with --batching.",
        ),
    ],
)
async def test_malformed_requests_get_a_4xx_with_a_clear_message(
    http: httpx.AsyncClient, body: bytes, message: str
) -> None:
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]
    }
    await _still_fine(http)


async def test_batching_when_enabled_is_bounded(upstream: Recorder) -> None:
    async with running_gateway(upstream, batching=True, max_batch_operations=2) as http:
        ok = await http.post("/graphql", json=[ORDINARY, ORDINARY])
        assert ok.json() == [{"data": {"__typename": "Query"}}] * 2
        refused = await http.post("/graphql", json=[ORDINARY] * 3)
        assert refused.status_code == 400


async def test_a_batch_empty_or_past_its_bound_is_refused_and_each_answer_is_plain_json(
    upstream: Recorder,
) -> None:
    async with running_gateway(upstream, batching=True, max_batch_operations=2) as http:
        for batch, message in (
            ([], "A batch must hold at least one operation."),
            ([ORDINARY] * 3, "A batch may hold 2 operations at most."),
        ):
            refused = await http.post("/graphql", json=batch)
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["message"] == message
            assert _code(refused) == "BAD_REQUEST"
        answers = await http.post("/graphql", json=[ORDINARY, {"query": "{ nope }"}])
        assert answers.status_code == 200  # each answer says how it went
        ok, invalid = answers.json()
        assert ok == {"data": {"__typename": "Query"}}
        # As application/json has it: an operation that did not run still has its `data`.
        assert invalid["data"] is None
        assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_body_over_the_limit_is_refused_before_parsing(http: httpx.AsyncClient) -> None:
    huge = b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * (8 * 1024 * 1024) + b'"}}'
    response = await http.post(
        "/graphql", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert _code(response) == "PAYLOAD_TOO_LARGE"
    await _still_fine(http)


async def test_a_streamed_body_over_the_limit_is_refused(http: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"x": "'
        for _ in range(64):
            yield b"a" * (128 * 1024)
        yield b'"}}'

    response = await http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    await _still_fine(http)


async def test_a_client_that_goes_away_mid_body_is_not_served(upstream: Recorder) -> None:
    app = create_app(
        Settings(upstream="http://pieces-os.invalid"), transport=httpx.ASGITransport(upstream)
    )
    # A whole operation arrives, then the client goes before saying the body has ended.
    incoming: list[dict[str, Any]] = [
        {
            "type": "http.request",
            "body": orjson.dumps({"query": '{ workstreamEvent(id: "x") { id } }'}),
            "more_body": True,
        },
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    async with LifespanManager(app) as manager:
        await asyncio.wait_for(manager.app(scope, receive, send), 5)
    assert upstream.requests == []  # the operation did not run
    assert sent[0]["status"] == 400
    assert orjson.loads(sent[1]["body"])["errors"][0]["message"] == (
        "The client went away before sending the whole body."
    )


def _nested(depth: int) -> str:
    # summaries -> iterable -> reference -> events -> iterable -> reference -> summaries ...
    cycle = ["summaries", "iterable", "reference", "events", "iterable", "reference"]
    path = [cycle[i % len(cycle)] for i in range(depth)]
    return "".join(f"{field} {{ " for field in path) + "id" + " }" * depth


async def test_a_deep_query_is_refused_without_an_upstream_call(
    http: httpx.AsyncClient, upstream: Recorder
) -> None:
    query = '{ workstreamEvent(id: "x") { ' + _nested(30) + " } }"
    response = await http.post("/graphql", json={"query": query})
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["MAX_DEPTH_EXCEEDED"]
    assert upstream.requests == []
    await _still_fine(http)


async def test_circular_fragments_are_refused_and_do_not_hang(http: httpx.AsyncClient) -> None:
    query = """
      query { workstreamEvent(id: "x") { ...A } }
      fragment A on WorkstreamEvent {
        summaries { iterable { reference { events { iterable { reference { ...B } } } } } }
      }
      fragment B on FlattenedWorkstreamEvent { id ...C }
      fragment C on FlattenedWorkstreamEvent { ...B }
    """
    response = await http.post("/graphql", json={"query": query})
    assert _code(response) == "GRAPHQL_VALIDATION_FAILED"
    assert "within itself" in response.text
    await _still_fine(http)


async def test_an_alias_flood_is_refused(http: httpx.AsyncClient, upstream: Recorder) -> None:
    aliases = " ".join(f'a{i}: workstreamEvent(id: "x") {{ id }}' for i in range(31))
    response = await http.post("/graphql", json={"query": "{ " + aliases + " }"})
    assert _code(response) == "MAX_ALIASES_EXCEEDED"
    assert upstream.requests == []
    await _still_fine(http)


async def test_a_token_flood_is_refused(http: httpx.AsyncClient, upstream: Recorder) -> None:
    query = "{ " + "__typename " * 16_000 + "}"
    response = await http.post("/graphql", json={"query": query})
    assert _code(response) == "MAX_TOKENS_EXCEEDED"
    await _still_fine(http)


async def test_an_empty_selection_set_is_a_parse_error(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": '{ workstreamEvent(id: "x") { } }'})
    assert _code(response) == "GRAPHQL_PARSE_FAILED"


async def test_every_response_carries_a_request_id_that_reaches_the_upstream(
    http: httpx.AsyncClient, upstream: Recorder
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": '{ workstreamEvent(id: "x") { id } }'},
        headers={"x-request-id": "client-chosen-42"},
    )
    assert response.headers["x-request-id"] == "client-chosen-42"
    generated = await http.post("/graphql", json=ORDINARY)
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await http.post("/graphql", json=ORDINARY, headers={"x-request-id": "a b\tc"})
    assert hostile.headers["x-request-id"] != "a b\tc"
    assert upstream.requests[0].headers["x-request-id"] == "client-chosen-42"


async def test_only_allow_listed_headers_are_forwarded(upstream: Recorder) -> None:
    async with running_gateway(
        upstream, forward_headers=("Authorization", "Connection", "X-Team")
    ) as http:
        await http.post(
            "/graphql",
            json={"query": '{ workstreamEvent(id: "x") { id } }'},
            headers={
                "authorization": "Bearer t",
                "x-team": "a",
                "cookie": "secret=1",
                "connection": "keep-alive",
            },
        )
    received = upstream.requests[0].headers
    assert received["authorization"] == "Bearer t"
    assert received["x-team"] == "a"
    assert "cookie" not in received
    # Allow-listed or not, a hop-by-hop header describes the client's connection only.
    assert "connection" not in received


async def test_cors_is_closed_by_default(http: httpx.AsyncClient) -> None:
    preflight = await http.options(
        "/graphql",
        headers={"origin": "http://app.test", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_allows_only_the_configured_origins(upstream: Recorder) -> None:
    async with running_gateway(upstream, cors_origins=("http://app.test",)) as http:
        ok = await http.options(
            "/graphql",
            headers={"origin": "http://app.test", "access-control-request-method": "POST"},
        )
        assert ok.headers["access-control-allow-origin"] == "http://app.test"
        other = await http.post("/graphql", json=ORDINARY, headers={"origin": "http://evil.test"})
        assert "access-control-allow-origin" not in other.headers


async def test_production_turns_off_introspection_graphiql_and_suggestions(
    upstream: Recorder,
) -> None:
    async with running_gateway(upstream, production=True) as http:
        introspection = await http.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}
        )
        assert "introspection has been disabled" in introspection.text
        assert _code(introspection) == "GRAPHQL_VALIDATION_FAILED"
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        assert page.json()["errors"][0]["message"] == "Not Found"
        typo = await http.post("/graphql", json={"query": '{ workstreamEvent(id: "x") { idd } }'})
        assert "Did you mean" not in typo.text
        # A variable's value is coerced as the operation runs: no suggestion there either.
        mistyped = await http.post("/graphql", json=_MISTYPED_SEED)
        assert _code(mistyped) == "BAD_USER_INPUT"
        assert "VS_COD" in mistyped.text and "Did you mean" not in mistyped.text
        await _still_fine(http)


async def test_a_subscription_refused_before_it_starts_is_one_json_answer(
    http: httpx.AsyncClient,
) -> None:
    # Asked for a multipart stream, but nothing to stream: its errors, as JSON (as
    # application/json has it, with a null `data`).
    response = await http.post(
        "/graphql",
        json={"query": 'subscription { workstreamEvent(id: "x") { nope } }'},
        headers={"accept": "multipart/mixed"},
    )
    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert response.json()["data"] is None


async def test_liveness_is_answered_without_asking_pieces_os(
    http: httpx.AsyncClient, upstream: Recorder
) -> None:
    response = await http.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert upstream.requests == []  # readiness (/readyz) is the one that asks


async def test_graphiql_is_for_a_get_that_takes_html_and_sends_no_operation(
    http: httpx.AsyncClient,
) -> None:
    for accept in ("text/html", "*/*"):
        page = await http.get("/graphql", headers={"accept": accept})
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
    api = await http.get("/graphql", headers={"accept": "application/json"})
    bare = http.build_request("GET", "/graphql")
    del bare.headers["accept"]
    for response in (api, await http.send(bare)):
        assert response.status_code == 400
        assert _code(response) == "BAD_REQUEST"


async def _over_bare_asgi(
    upstream: Recorder, method: str, headers: list[tuple[bytes, bytes]], body: list[Message]
) -> tuple[int, bytes]:
    """The gateway's answer (status, body) to a request as a minimal ASGI server sends it:
    only the scope's required keys (no `root_path`), the body in the `http.request`
    messages `body`, then a disconnect."""
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(upstream))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *headers],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 50000),
    }
    messages = iter(body)
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: Message) -> None:
        sent.append(message)

    async with LifespanManager(app) as manager:
        await manager.app(scope, receive, send)
    return sent[0]["status"], b"".join(message.get("body", b"") for message in sent[1:])


@pytest.mark.skipif(LocalGraphiQL.find() is None, reason="GraphiQL's bundles are not installed")
async def test_a_scope_without_a_root_path_gets_the_page_at_the_root(upstream: Recorder) -> None:
    # ASGI makes `root_path` optional, "" when left out (httpx and uvicorn always send it).
    status, page = await _over_bare_asgi(upstream, "GET", [(b"accept", b"text/html")], [])
    assert status == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.decode())
    assert len(urls) == 7
    assert all(url.startswith("/graphiql/static/") for url in urls), urls


async def test_a_body_message_may_leave_out_its_body_and_more_body(upstream: Recorder) -> None:
    # ASGI: `body` defaults to b"" and `more_body` to False.
    json_type = [(b"content-type", b"application/json")]
    status, answer = await _over_bare_asgi(
        upstream,
        "POST",
        json_type,
        [
            {"type": "http.request", "body": b'{"query": "{ __typ', "more_body": True},
            {"type": "http.request", "more_body": True},
            {"type": "http.request", "body": b'ename }"}'},
        ],
    )
    assert (status, orjson.loads(answer)) == (200, {"data": {"__typename": "Query"}})


async def test_a_body_that_stops_coming_is_timed_out_and_the_connection_closed(
    upstream: Recorder,
) -> None:
    stalled = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typ'
        await stalled.wait()  # the rest never comes

    async with running_gateway(upstream, body_timeout=0.2) as http:
        async with asyncio.timeout(10):
            response = await http.post(
                "/graphql", content=chunks(), headers={"content-type": "application/json"}
            )
    assert (response.status_code, response.headers["connection"]) == (408, "close")
    assert response.json() == {
        "errors": [
            {
                "message": "The request's body did not arrive in time.",
                "extensions": {"code": "REQUEST_TIMEOUT"},
            }
        ]
    }


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "Application/JSON ; charset=UTF-8", "application/json;"],
)
async def test_a_media_type_with_parameters_is_its_type(
    http: httpx.AsyncClient, content_type: str
) -> None:
    response = await http.post(
        "/graphql", content=orjson.dumps(ORDINARY), headers={"content-type": content_type}
    )
    assert response.json() == {"data": {"__typename": "Query"}}


_MISTYPED_SEED = {
    "query": "mutation($s: SeededWorkstreamEventInput!) {"
    " workstreamEventsCreateNewWorkstreamEvent(seededWorkstreamEvent: $s) { id } }",
    "variables": {
        "s": {
            "application": {
                "id": "a",
                "name": "VS_COD",
                "version": "1",
                "platform": "LINUX",
                "onboarded": True,
                "privacy": "OPEN",
            },
            "trigger": {},
        }
    },
}


async def test_development_keeps_introspection_and_suggestions(http: httpx.AsyncClient) -> None:
    typo = await http.post("/graphql", json={"query": '{ workstreamEvent(id: "x") { idd } }'})
    assert "Did you mean" in typo.text
    introspection = await http.post(
        "/graphql", json={"query": "{ __schema { queryType { name } } }"}
    )
    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    mistyped = await http.post("/graphql", json=_MISTYPED_SEED)
    assert "Did you mean the enum value 'VS_CODE'" in mistyped.text


async def test_a_cross_origin_websocket_is_closed_where_it_cannot_be_denied(
    upstream: Recorder,
) -> None:
    # A WebSocket is not guarded by CORS: a web page on any origin could
    # otherwise run operations against a local gateway. A server without the
    # denial-response extension cannot answer 403 (tests/gateway/
    # test_subscriptions.py has the one that can): the socket is closed unaccepted.
    app = create_app(
        Settings(upstream="http://pieces-os.invalid"), transport=httpx.ASGITransport(upstream)
    )
    incoming = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": '{"type": "connection_init"}'},
        {
            "type": "websocket.receive",
            "text": '{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}}',
        },
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # the client stays, silent
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"origin", b"http://evil.test"), (b"host", b"127.0.0.1:8000")],
        "subprotocols": ["graphql-transport-ws"],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    async with LifespanManager(app) as manager:
        await asyncio.wait_for(manager.app(scope, receive, send), 5)
    assert [m["type"] for m in sent] == ["websocket.close"]
    assert sent[0]["code"] == 1008


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("localhost:8000", True),
        ("127.0.0.1:8000", True),
        ("[::1]:8000", True),
        ("LOCALHOST", True),
        ("evil.test", False),
        ("localhost.evil.test", False),
        ("", False),
    ],
)
async def test_only_local_host_names_are_answered_by_default(
    http: httpx.AsyncClient, host: str, allowed: bool
) -> None:
    response = await http.post("/graphql", json=ORDINARY, headers={"host": host})
    if allowed:
        assert response.json() == {"data": {"__typename": "Query"}}
    else:
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_other_host_names_can_be_allowed(upstream: Recorder) -> None:
    async with running_gateway(upstream, allowed_hosts=("*.example.org", "gateway")) as http:
        for host, status in (("api.example.org", 200), ("gateway:80", 200), ("localhost", 400)):
            response = await http.post("/graphql", json=ORDINARY, headers={"host": host})
            assert response.status_code == status, host


@pytest.mark.parametrize("allowed_hosts", [("localhost",), ("*",)], ids=["allow-list", "any"])
async def test_a_second_host_line_is_refused_and_nothing_runs(
    upstream: Recorder, allowed_hosts: tuple[str, ...]
) -> None:
    settings = Settings(upstream="http://pieces-os.test", allowed_hosts=allowed_hosts)
    app = create_app(settings, transport=httpx.ASGITransport(upstream))
    mutation = (
        "mutation { workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "
        '"x") { workstreamEventId } }'
    )
    body = orjson.dumps({"query": mutation})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"evil.example"),
            (b"host", b"localhost"),
            (b"content-type", b"application/json"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    async with LifespanManager(app) as manager:
        await manager.app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert b"exactly one Host" in sent[-1]["body"]
    assert b'"code":"BAD_REQUEST"' in sent[-1]["body"]
    assert upstream.requests == []
