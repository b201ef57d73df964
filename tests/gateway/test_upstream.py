"""Upstream failures become coded errors; ids stay one path segment."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from schema._context import MAX_ID_LENGTH
from tests.conftest import GraphQLClient, running_gateway
from tests.recording import Answering, Recorder

READ = "query Read($id: ID!) { workstreamEvent(id: $id) { id readable } }"


def upstream_answering(endpoint: Callable[[Request], Any]) -> httpx.ASGITransport:
    return httpx.ASGITransport(
        Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])
    )


async def _read_error(
    transport: httpx.AsyncBaseTransport | None, **settings: Any
) -> dict[str, Any]:
    async with running_gateway(transport, **settings) as http:
        result = await GraphQLClient(http)(READ, {"id": "some-id"})
    assert result["data"] == {"workstreamEvent": None}
    (error,) = result["errors"]
    assert error["path"] == ["workstreamEvent"]
    for secret in ("pieces-os.invalid", "127.0.0.1", "Traceback", "upstream says"):
        assert secret not in str(result)
    return dict(error)


async def test_an_unknown_id_is_not_found(gql: GraphQLClient) -> None:
    result = await gql(READ, {"id": "no-such-event"})
    assert result["data"] == {"workstreamEvent": None}
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("status", [300, 400, 404, 500, 503])
async def test_an_upstream_error_status_is_upstream_error(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    async def fail(request: Request) -> Response:
        return PlainTextResponse(
            "upstream says: database locked at /var/pieces", status_code=status
        )

    error = await _read_error(upstream_answering(fail))
    assert error["extensions"] == {"code": "UPSTREAM_ERROR", "status": status}
    assert error["message"] == f"Pieces OS refused the request (HTTP {status})."
    # What Pieces OS said is kept in the log (the first 500 characters), not in the answer.
    (logged, *_) = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    said = "upstream says: database locked at /var/pieces"
    assert logged == f"/workstream_event/some-id: {status} {said!r}"


@pytest.mark.parametrize(
    ("body", "logged"),
    [
        # Not UTF-8: kept with replacement characters, not a failure of its own.
        (b"\xffbusy\xfe", "'\ufffdbusy\ufffd'"),
        # Long: its first 500 characters.
        (b"x" * 600, repr("x" * 500)),
    ],
    ids=["not-utf-8", "long"],
)
async def test_an_upstream_error_body_is_logged_as_text_and_cut_short(
    body: bytes, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def fail(request: Request) -> Response:
        return Response(body, status_code=500)

    error = await _read_error(upstream_answering(fail))
    assert error["extensions"] == {"code": "UPSTREAM_ERROR", "status": 500}
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    assert warnings[0] == f"/workstream_event/some-id: 500 {logged}"


async def test_an_answer_that_is_not_json_is_logged_cut_short(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def endpoint(request: Request) -> Response:
        return Response(b"y" * 150)

    async with running_gateway(upstream_answering(endpoint)) as http:
        await GraphQLClient(http)("{ workstreamEventsConnection { totalCount } }")
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    said = f"/workstream_events/identifiers: answer is not JSON: {b'y' * 100!r}"
    assert said in warnings


_TEXT = PlainTextResponse("upstream says hello")
_ARRAY = JSONResponse(["not", "an", "object"])


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (_TEXT, "Pieces OS sent an event that is not JSON."),
        (_ARRAY, "Pieces OS sent an event that is not an object."),
    ],
    ids=["text", "array"],
)
async def test_an_answer_that_is_not_a_json_object_is_a_bad_response(
    answer: Response, message: str
) -> None:
    async def endpoint(request: Request) -> Response:
        return answer

    error = await _read_error(upstream_answering(endpoint))
    assert (error["extensions"]["code"], error["message"]) == ("UPSTREAM_BAD_RESPONSE", message)


@pytest.mark.parametrize(
    ("answer", "message", "logged"),
    [
        (_TEXT, "Pieces OS sent an answer that is not JSON.", "not JSON: b'upstream says hello'"),
        (_ARRAY, "Pieces OS sent an answer of an unexpected shape.", "a JSON list"),
    ],
    ids=["text", "array"],
)
async def test_a_listing_that_is_not_a_json_object_is_a_bad_response(
    answer: Response, message: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def endpoint(request: Request) -> Response:
        return answer

    async with running_gateway(upstream_answering(endpoint)) as http:
        query = "{ workstreamEventsConnection { totalCount } }"
        result = await GraphQLClient(http)(query)
    (error,) = result["errors"]
    assert (error["extensions"]["code"], error["message"]) == ("UPSTREAM_BAD_RESPONSE", message)
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    assert f"/workstream_events/identifiers: answer is {logged}" in warnings


async def test_a_slow_upstream_is_a_timeout() -> None:
    async def slow(request: Request) -> Response:
        await asyncio.Event().wait()  # it never answers
        return JSONResponse({})

    async with asyncio.timeout(10):  # a hang fails the test instead of stalling the suite
        error = await _read_error(upstream_answering(slow), upstream_timeout=0.2)
    assert error["extensions"]["code"] == "UPSTREAM_TIMEOUT"


async def test_a_refused_connection_is_unavailable() -> None:
    # Port 9 on loopback: nothing listens there, the connection is refused.
    error = await _read_error(None, upstream="http://127.0.0.1:9")
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"


@pytest.mark.parametrize(
    ("event_id", "on_the_wire"),
    [
        ("a/b", "a%2Fb"),
        ("a?b=c", "a%3Fb%3Dc"),
        ("a#b", "a%23b"),
        ("100%", "100%25"),
        ("%2E%2E", "%252E%252E"),
        ("a b", "a%20b"),
        ("évènement-☃", "%C3%A9v%C3%A8nement-%E2%98%83"),
        ("../../workstream_events", "..%2F..%2Fworkstream_events"),
        ("...", "..."),
    ],
)
async def test_an_id_is_exactly_one_path_segment(
    gql: GraphQLClient, upstream: Recorder, event_id: str, on_the_wire: str
) -> None:
    await gql(READ, {"id": event_id})
    assert upstream.calls() == [("GET", f"/workstream_event/{on_the_wire}")]


@pytest.mark.parametrize(
    "event_id",
    ["", ".", "..", "x" * (MAX_ID_LENGTH + 1), "é" * 11_000],
    ids=["empty", "dot", "dot-dot", "one-too-long", "long-when-encoded"],
)
async def test_an_impossible_id_is_refused_before_the_upstream(
    gql: GraphQLClient, upstream: Recorder, event_id: str
) -> None:
    for query, variables in (
        (READ, {"id": event_id}),
        ("query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }", {"ids": [event_id] * 2}),
        (
            "mutation($id: ID!) { workstreamEventsDeleteSpecificWorkstreamEvent("
            "workstreamEvent: $id) { workstreamEventId } }",
            {"id": event_id},
        ),
    ):
        result = await gql(query, variables)
        codes = {error["extensions"]["code"] for error in result["errors"]}
        assert codes == {"BAD_USER_INPUT"}, query
        assert len(str(result)) < 2_000  # the id is not echoed back
    assert upstream.requests == []


async def test_an_id_of_the_longest_length_goes_upstream(
    gql: GraphQLClient, upstream: Recorder
) -> None:
    result = await gql(READ, {"id": "x" * MAX_ID_LENGTH})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert len(upstream.requests) == 1


async def test_a_base_url_with_a_path_keeps_it(
    simulator: Starlette, events: dict[str, Any]
) -> None:
    # Pieces OS behind a reverse proxy, say: every call goes below the base path.
    seen: list[str] = []

    async def strip_prefix(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["raw_path"].decode())
        prefix = b"/pieces"
        assert scope["raw_path"].startswith(prefix)
        scope = {
            **scope,
            "raw_path": scope["raw_path"][len(prefix) :],
            "path": scope["path"][len(prefix) :],
        }
        await simulator(scope, receive, send)

    event_id = next(iter(events))
    async with running_gateway(strip_prefix, upstream="http://pieces-os.invalid/pieces/") as http:
        result = await GraphQLClient(http)(READ, {"id": event_id})
    assert result["data"]["workstreamEvent"]["id"] == event_id
    assert seen == [f"/pieces/workstream_event/{event_id}"]


async def test_a_snapshot_of_another_event_is_a_bad_response() -> None:
    async def other(request: Request) -> Response:
        return JSONResponse({"id": "someone-else", "readable": "not what was asked"})

    error = await _read_error(upstream_answering(other))
    assert error["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"
    assert "someone-else" not in error["message"]


_A_BATCH = (
    "Pieces OS sent a batch answer of an unexpected shape.",
    "a batch answer of an unexpected shape: ",
)
_AN_EVENT = ("Pieces OS sent an event of an unexpected shape.", "not an event: ")


@pytest.mark.parametrize(
    ("answer", "said", "why"),
    [
        pytest.param(
            {"workstreamEvents": [{"id": "a"}]},
            _A_BATCH,
            "Expected `object`, got `array` - at `$.workstreamEvents`",
            id="a-list-for-the-wrapper",
        ),
        pytest.param(
            {"workstreamEvents": {"iterable": [{"id": 5}]}},
            _AN_EVENT,
            "Expected `str`, got `int` - at `$.id`",
            id="an-id-not-a-string",
        ),
        pytest.param(
            {"workstreamEvents": {"iterable": ["a"]}},
            _AN_EVENT,
            "Expected `object`, got `str`",
            id="an-event-not-an-object",
        ),
        pytest.param(
            {"workstreamEvents": {"iterable": []}, "notFound": [5]},
            _A_BATCH,
            "Expected `str`, got `int` - at `$.notFound[0]`",
            id="bad-not-found",
        ),
        pytest.param(
            {"iterable": []},
            _A_BATCH,
            "Object missing required field `workstreamEvents`",
            id="no-wrapper",
        ),
    ],
)
async def test_a_batch_answer_of_another_shape_is_a_bad_response(
    answer: Any, said: tuple[str, str], why: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def batch(request: Request) -> Response:
        return JSONResponse(answer)

    query = "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }"
    async with running_gateway(upstream_answering(batch)) as http:
        result = await GraphQLClient(http)(query, {"ids": ["a", "b"]})
    codes = {error["extensions"]["code"] for error in result["errors"]}
    assert codes == {"UPSTREAM_BAD_RESPONSE"}
    assert len(result["errors"]) == 2  # one per id, at its index
    message, logged = said
    assert {error["message"] for error in result["errors"]} == {message}
    # What was wrong goes to the log (msgspec's words), with the endpoint's path.
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    assert warnings[0] == f"/workstream_events/batch/fetch: {logged}{why}"


@pytest.mark.parametrize(
    "selection", ["{ readable }", "{ __typename }"], ids=["no-id-selected", "typename-only"]
)
async def test_the_id_is_checked_whatever_the_selection(selection: str) -> None:
    async def other(request: Request) -> Response:
        return JSONResponse({"id": "someone-else", "readable": "not what was asked"})

    query = f"query Read($id: ID!) {{ workstreamEvent(id: $id) {selection} }}"
    async with running_gateway(upstream_answering(other)) as http:
        result = await GraphQLClient(http)(query, {"id": "some-id"})
    assert result["data"] == {"workstreamEvent": None}
    assert [e["extensions"]["code"] for e in result["errors"]] == ["UPSTREAM_BAD_RESPONSE"]


@pytest.mark.parametrize("how", ["one", "batch"])
async def test_a_not_found_message_quotes_a_bounded_prefix_of_the_id(
    gql: GraphQLClient, how: str
) -> None:
    long_id = "y" * 63 + "z" * (MAX_ID_LENGTH - 63)
    if how == "one":  # a single GET, answered 410
        result = await gql(READ, {"id": long_id})
    else:  # the batch endpoint's notFound
        query = "query($ids: [ID!]!) { workstreamEvents(ids: $ids) { id } }"
        result = await gql(query, {"ids": [long_id, "x" * 10]})
    error = result["errors"][0]
    assert error["extensions"] == {"code": "NOT_FOUND", "id": long_id}
    shown = "y" * 63 + "z" + "…"
    assert error["message"] == f"No workstream event has the id {shown!r}."


@pytest.mark.parametrize(
    ("status", "ready"), [(200, True), (204, True), (299, True), (300, False), (503, False)]
)
async def test_pieces_os_is_ready_when_its_health_is_2xx_asked_once(
    status: int, ready: bool
) -> None:
    asked: list[str] = []

    async def health(request: Request) -> Response:
        asked.append(request.url.path)
        return Response(status_code=status)

    async with running_gateway(upstream_answering(health)) as http:
        response = await http.get("/readyz")
    assert (response.status_code, response.json()["status"]) == (
        (200, "ready") if ready else (503, "unavailable")
    )
    assert asked == ["/.well-known/health"]  # not retried, not even a 503: it is a probe


class FailingOnce:
    """An upstream whose first answer under `prefix` is a 503; it counts what was asked there."""

    def __init__(self, app: Starlette, prefix: str) -> None:
        self.app, self.prefix, self.asked = app, prefix, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            self.asked += 1
            if self.asked == 1:
                await PlainTextResponse("busy", status_code=503)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _with_bare(events: dict[str, Any], key: str) -> str:
    """An event that references a record under `key` with no embedded copy."""
    return next(
        event_id
        for event_id, event in events.items()
        if any(i.get("reference") is None for i in (event.get(key) or {}).get("iterable") or [])
    )


# A read of each kind, and the path it asks Pieces OS under.
_READS = [
    ("/workstream_events/identifiers", "{ workstreamEventsConnection { totalCount } }"),
    ("/workstream_event/", "query($one: ID!) { workstreamEvent(id: $one) { id } }"),
    (
        "/workstream_events/batch/fetch",
        "query($all: [ID!]!) { workstreamEvents(ids: $all) { id } }",
    ),
    (
        "/workstream_summaries/batch",
        "query($all: [ID!]!) { workstreamEvents(ids: $all)"
        " { summaries { iterable { reference { id } } } } }",
    ),
    (
        "/tag/",
        "query($tagged: ID!) { workstreamEvent(id: $tagged)"
        " { tags { iterable { reference { id } } } } }",
    ),
]


def _variables(query: str, events: dict[str, Any]) -> dict[str, Any]:
    """The variables of one of `_READS`: an event, all of them, or one with a bare tag."""
    every = {"one": next(iter(events)), "all": list(events), "tagged": _with_bare(events, "tags")}
    return {name: value for name, value in every.items() if f"${name}" in query}


@pytest.mark.parametrize(("prefix", "query"), _READS, ids=[p for p, _ in _READS])
async def test_each_kind_of_read_is_asked_again_past_a_503(
    simulator: Starlette, events: dict[str, Any], prefix: str, query: str
) -> None:
    upstream = FailingOnce(simulator, prefix)
    used = _variables(query, events)
    async with running_gateway(upstream) as http:
        result = (await http.post("/graphql", json={"query": query, "variables": used})).json()
    assert "errors" not in result
    assert upstream.asked >= 2


_UPDATE = (
    """mutation($e: WorkstreamEventInput!) { workstreamEventUpdate(workstreamEvent: $e) { id } }"""
)
_EVENT = {
    "id": "some-id",
    "application": {
        "id": "app",
        "name": "VS_CODE",
        "version": "1",
        "platform": "LINUX",
        "onboarded": True,
        "privacy": "OPEN",
    },
    "created": {"value": "2026-01-02T03:04:05.678Z"},
    "updated": {"value": "2026-01-02T03:04:05.678Z"},
    "trigger": {},
}


@pytest.mark.parametrize(
    ("status", "body", "message", "logged"),
    [
        (503, "busy", "Pieces OS refused the request (HTTP 503).", "503 'busy'"),
        (200, "{}", "Pieces OS applied the change but answered without the event's id.", None),
        (200, "oops", "Pieces OS sent an answer that is not JSON.", "answer is not JSON: b'oops'"),
    ],
    ids=["refused", "no-id", "not-json"],
)
async def test_a_write_is_asked_once_and_its_failure_said_and_logged(
    status: int, body: str, message: str, logged: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[str] = []

    async def endpoint(request: Request) -> Response:
        asked.append(request.url.path)
        return PlainTextResponse(body, status_code=status)

    async with running_gateway(upstream_answering(endpoint)) as http:
        result = await GraphQLClient(http)(_UPDATE, {"e": _EVENT})
    (error,) = result["errors"]
    assert error["message"] == message
    assert asked == ["/workstream_event/update"]  # a write is never asked again
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    if logged is not None:
        assert f"/workstream_event/update: {logged}" in warnings


_BARE_WRITES = [
    (
        'mutation { workstreamEventsDeleteSpecificWorkstreamEvent(workstreamEvent: "e1")'
        " { workstreamEventId } }",
        "/workstream_events/e1/delete",
    ),
    (
        'mutation { workstreamEventAssociateTag(workstreamEvent: "e1", tag: "t1")'
        " { workstreamEventId } }",
        "/workstream_event/e1/tags/associate/t1",
    ),
    (
        'mutation { workstreamEventScoresIncrement(workstreamEvent: "e1") { workstreamEventId } }',
        "/workstream_event/e1/scores/increment",
    ),
]


@pytest.mark.parametrize(("mutation", "path"), _BARE_WRITES, ids=["delete", "associate", "scores"])
async def test_a_refused_write_of_no_answer_is_asked_once_and_logged_with_its_path(
    mutation: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[str] = []

    async def endpoint(request: Request) -> Response:
        asked.append(request.url.path)
        return PlainTextResponse("busy", status_code=503)

    async with running_gateway(upstream_answering(endpoint)) as http:
        result = await GraphQLClient(http)(mutation)
    (error,) = result["errors"]
    assert error["message"] == "Pieces OS refused the request (HTTP 503)."
    assert asked == [path]  # a write is never asked again
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    assert f"{path}: 503 'busy'" in warnings


# Every read refused; those that read a JSON object (not an event) answered a list.
_LISTED = {"/workstream_events/identifiers", "/workstream_summaries/batch", "/tag/"}
_FAILED_READS = [
    pytest.param(prefix, query, *failure, id=f"{prefix}-{name}")
    for prefix, query in _READS
    for name, failure in [
        ("refused", (500, b"no", "500 'no'")),
        ("a-list", (200, b"[]", "answer is a JSON list")),
    ]
    if name == "refused" or prefix in _LISTED
]


@pytest.mark.parametrize(("prefix", "query", "status", "body", "logged"), _FAILED_READS)
async def test_a_failed_read_is_logged_with_the_path_it_asked(
    simulator: Starlette,
    events: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    prefix: str,
    query: str,
    status: int,
    body: bytes,
    logged: str,
) -> None:
    used = _variables(query, events)
    async with running_gateway(Answering(simulator, prefix, status, body)) as http:
        result = (await http.post("/graphql", json={"query": query, "variables": used})).json()
    assert {e["extensions"]["code"] for e in result["errors"]} == (
        {"UPSTREAM_ERROR"} if status == 500 else {"UPSTREAM_BAD_RESPONSE"}
    )
    warnings = [r.getMessage() for r in caplog.records if r.name == "pieces_gateway.upstream"]
    assert warnings, "nothing logged"
    assert all(w.startswith(prefix) and w.endswith(f": {logged}") for w in warnings), warnings


@pytest.mark.parametrize(
    "body", [b'{"iterable": "x"}', b'{"iterable": [5]}', b'{"iterable": [{"id": 5}]}', b"{}"]
)
async def test_identifiers_of_another_shape_are_a_bad_response(
    simulator: Starlette, body: bytes
) -> None:
    upstream = Answering(simulator, "/workstream_events/identifiers", 200, body)
    async with running_gateway(upstream) as http:
        query = "{ workstreamEventsConnection { totalCount } }"
        result = (await http.post("/graphql", json={"query": query})).json()
    assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [
        ("UPSTREAM_BAD_RESPONSE", "Pieces OS sent identifiers of an unexpected shape.")
    ]


@pytest.mark.parametrize("status", [404, 410])
async def test_a_tag_pieces_os_has_not_is_named_as_a_tag(
    simulator: Starlette, events: dict[str, Any], status: int
) -> None:
    tagged = _with_bare(events, "tags")
    upstream = Answering(simulator, "/tag/", status, b"")
    query = (
        "query($id: ID!) { workstreamEvent(id: $id) { tags { iterable { id reference { id } } } } }"
    )
    async with running_gateway(upstream) as http:
        result = (
            await http.post("/graphql", json={"query": query, "variables": {"id": tagged}})
        ).json()
    (error, *_) = result["errors"]
    record_id = error["extensions"]["id"]
    assert (error["extensions"]["code"], error["message"]) == (
        "NOT_FOUND",
        f"No tag has the id '{record_id}'.",
    )
