"""The lean keep-alive pool, against a small HTTP/1.1 server on loopback that misbehaves on cue."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import trustme

from gateway._pool import MAX_HEADER_BYTES, LeanPool, Origin, ResponseTooLarge

# (connection number, request number on it, request head) -> the bytes to answer
# with, None to hang up unanswered, or (bytes, True) to hang up after them.
Handler = Callable[[int, int, bytes], Awaitable[bytes | tuple[bytes, bool] | None]]


def _answer(body: bytes = b'{"ok": true}', *, headers: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + headers
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )


class Server:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.heads: list[bytes] = []
        self.tasks: set[asyncio.Task[None]] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        connection, request = self.connections, 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":")[1]))
                self.heads.append(head)
                request += 1
                answer = await self.handler(connection, request, head)
                if answer is None:  # hang up without answering
                    return
                data, hang_up = answer if isinstance(answer, tuple) else (answer, False)
                writer.write(data)
                await writer.drain()
                if hang_up:
                    return
        finally:
            writer.close()


@asynccontextmanager
async def served(
    handler: Handler, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[Server, Origin]]:
    server = Server(handler)
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0, ssl=tls)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield server, Origin("https" if tls else "http", "127.0.0.1", port)
    finally:
        listening.close()
        await listening.wait_closed()
        # Connections still open (a handler left waiting) end with the server.
        for task in server.tasks:
            task.cancel()
        await asyncio.gather(*server.tasks, return_exceptions=True)


def _pool(**overrides: float) -> LeanPool:
    options = {
        "max_connections": 4,
        "connect_timeout": 2.0,
        "pool_timeout": 2.0,
        "max_response_bytes": 1024,
    }
    return LeanPool(**{**options, **overrides})  # type: ignore[arg-type]


async def _ok(connection: int, request: int, head: bytes) -> bytes:
    return _answer()


async def test_connections_are_kept_alive_and_reused() -> None:
    pool = _pool()
    async with served(_ok) as (server, origin):
        for _ in range(3):
            answer = await pool.exchange(origin, b"GET", b"/a", [(b"accept", b"*/*")])
            assert (answer.status_code, answer.content) == (200, b'{"ok": true}')
        await pool.aclose()
        async with asyncio.timeout(10):  # closing the pool closes its sockets: the server sees it
            await asyncio.gather(*server.tasks)
    assert server.connections == 1
    assert server.heads[0].startswith(b"GET /a HTTP/1.1\r\nhost: 127.0.0.1:")
    assert b"accept: */*\r\n" in server.heads[0]


async def test_a_post_says_its_length_and_sends_its_body() -> None:
    pool = _pool()
    async with served(_ok) as (server, origin):
        await pool.exchange(origin, b"POST", b"/w", [], b'{"a": 1}')
        await pool.exchange(origin, b"POST", b"/w", [])
        await pool.aclose()
    assert b"content-length: 8\r\n" in server.heads[0]
    assert b"content-length: 0\r\n" in server.heads[1]
    assert server.connections == 1


async def test_a_connection_the_server_closes_is_not_reused() -> None:
    async def closing(connection: int, request: int, head: bytes) -> bytes:
        return _answer(headers=b"connection: close\r\n")

    pool = _pool()
    async with served(closing) as (server, origin):
        for _ in range(2):
            assert (await pool.exchange(origin, b"GET", b"/", [])).status_code == 200
        await pool.aclose()
    assert server.connections == 2


async def test_an_idle_connection_closed_as_the_request_left_is_replaced() -> None:
    # The server drops the second request of each connection unanswered, as a
    # server whose keep-alive timeout strikes just then does: nothing was read
    # back, so the pool asks again on a new connection.
    async def racing(connection: int, request: int, head: bytes) -> bytes | None:
        return None if request == 2 else _answer()

    pool = _pool()
    async with served(racing) as (server, origin):
        for _ in range(2):
            assert (await pool.exchange(origin, b"GET", b"/", [])).status_code == 200
        await pool.aclose()
    assert server.connections == 2


async def test_a_connection_closed_mid_answer_is_an_error() -> None:
    async def truncating(connection: int, request: int, head: bytes) -> tuple[bytes, bool]:
        return _answer(b"x" * 100)[:-50], True

    async def hang_up(connection: int, request: int, head: bytes) -> None:
        return None

    pool = _pool()
    async with served(truncating) as (_, origin):
        # The answer is cut short: some of it was read, so no second try.
        with pytest.raises(httpx.ReadError, match=r"^the server closed the connection$"):
            await pool.exchange(origin, b"GET", b"/", [])
    async with served(hang_up) as (server, origin):
        with pytest.raises(httpx.ReadError):  # a new connection: no second try
            await pool.exchange(origin, b"GET", b"/", [])
        assert server.connections == 1
    await pool.aclose()


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(_answer(b"x" * 2000), id="declared"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
            + b"".join(b"200\r\n" + b"y" * 512 + b"\r\n" for _ in range(3))
            + b"0\r\n\r\n",
            id="chunked",
        ),
    ],
)
async def test_an_answer_over_the_limit_is_refused(answer: bytes) -> None:
    async def large(connection: int, request: int, head: bytes) -> bytes:
        return answer

    pool = _pool()
    async with served(large) as (_, origin):
        with pytest.raises(ResponseTooLarge, match=r"^the answer is over 1024 bytes$"):
            await pool.exchange(origin, b"GET", b"/", [])
    await pool.aclose()


async def test_a_chunked_answer_within_the_limit_is_read_whole() -> None:
    async def chunked(connection: int, request: int, head: bytes) -> bytes:
        return (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )

    pool = _pool()
    async with served(chunked) as (server, origin):
        for _ in range(2):
            assert (await pool.exchange(origin, b"GET", b"/", [])).content == b"abcde"
        await pool.aclose()
    assert server.connections == 1


async def test_garbage_is_a_protocol_error() -> None:
    async def garbage(connection: int, request: int, head: bytes) -> bytes:
        return b"NOT HTTP AT ALL\r\n\r\n"

    pool = _pool()
    async with served(garbage) as (_, origin):
        with pytest.raises(httpx.RemoteProtocolError, match=r"^unparsable answer: "):
            await pool.exchange(origin, b"GET", b"/", [])
    await pool.aclose()


async def test_nothing_listening_is_a_connect_error() -> None:
    async with served(_ok) as (_, origin):
        pass  # the port is free again
    with pytest.raises(httpx.ConnectError, match=r"Connect call failed"):  # the OS's words
        await _pool().exchange(origin, b"GET", b"/", [])


async def test_a_connect_that_never_completes_is_given_up_in_time() -> None:
    # A listening socket whose queue is full drops new connections' SYNs: the
    # connect neither succeeds nor fails, as with a host that has gone away.
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(0)
        port = listening.getsockname()[1]
        waiting = []
        for _ in range(3):  # what the queue holds
            queued = socket.socket()
            queued.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                queued.connect(("127.0.0.1", port))
            waiting.append(queued)
        try:
            async with asyncio.timeout(10):
                with pytest.raises(
                    httpx.ConnectTimeout, match=rf"^no connection to 127.0.0.1:{port}$"
                ):
                    await _pool(connect_timeout=0.2).exchange(
                        Origin("http", "127.0.0.1", port), b"GET", b"/", []
                    )
        finally:
            for queued in waiting:
                queued.close()


async def test_a_request_waits_a_bounded_time_for_a_free_connection() -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(connection: int, request: int, head: bytes) -> bytes:
        started.set()
        await release.wait()
        return _answer()

    pool = _pool(max_connections=1, pool_timeout=0.05)
    async with served(slow) as (_, origin):
        first = asyncio.ensure_future(pool.exchange(origin, b"GET", b"/", []))
        await started.wait()  # the one connection is taken
        with pytest.raises(httpx.PoolTimeout, match=r"^no free connection in time$"):
            await pool.exchange(origin, b"GET", b"/", [])
        release.set()
        assert (await first).status_code == 200
        await pool.aclose()


async def test_a_cancelled_exchange_leaves_no_connection_behind() -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(connection: int, request: int, head: bytes) -> bytes:
        started.set()
        await release.wait()
        return _answer()

    pool = _pool()
    async with served(slow) as (server, origin):
        pending = asyncio.ensure_future(pool.exchange(origin, b"GET", b"/", []))
        await started.wait()
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        release.set()
        assert (await pool.exchange(origin, b"GET", b"/", [])).status_code == 200
        await pool.aclose()
    assert server.connections == 2  # the half-read one was not reused


async def test_any_httpx_client_can_use_it() -> None:
    async with (
        served(_ok) as (server, origin),
        httpx.AsyncClient(transport=_pool(), base_url=f"http://127.0.0.1:{origin.port}") as client,
    ):
        async with asyncio.timeout(10):  # a head the server misreads would leave it waiting
            response = await client.get("/x", params={"a": "1"}, headers={"x-request-id": "7"})
            posted = await client.post("/y", json={"b": 2})
            await client.post("/z")
            await client.put("/w", content=b"abc")  # a body on any method goes out
    assert response.json() == {"ok": True}
    assert response.headers["content-type"] == "application/json"  # the answer's own headers
    assert posted.status_code == 200
    get = server.heads[0].lower()
    assert get.startswith(b"get /x?a=1 http/1.1\r\n")
    assert b"x-request-id: 7\r\n" in get
    assert get.count(b"host: ") == 1  # the pool's own, not httpx's as well
    assert b"content-length" not in get  # a GET without a body says nothing of one
    assert b"content-length: 7\r\n" in server.heads[1]  # {"b":2}
    assert b"content-length: 0\r\n" in server.heads[2]  # an empty POST says so
    assert b"content-length: 3\r\n" in server.heads[3]
    # Each request whole, and nothing between them on the kept connection.
    starts = [head.lower().split(b"\r\n")[0] for head in server.heads]
    assert starts == [
        b"get /x?a=1 http/1.1",
        b"post /y http/1.1",
        b"post /z http/1.1",
        b"put /w http/1.1",
    ]
    assert server.connections == 1


async def test_an_endless_header_section_is_refused() -> None:
    async def headers(connection: int, request: int, head: bytes) -> bytes:
        many = b"".join(b"x-filler-%d: %s\r\n" % (i, b"y" * 1000) for i in range(100))
        return b"HTTP/1.1 200 OK\r\n" + many + b"content-length: 2\r\n\r\n{}"

    pool = _pool()
    async with served(headers) as (_, origin):
        with pytest.raises(ResponseTooLarge, match=r"^the answer's headers are over 65536 bytes$"):
            await pool.exchange(origin, b"GET", b"/", [])
    await pool.aclose()


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_comes() -> None:
    async def promising(connection: int, request: int, head: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n{}"  # and the rest never

    pool = _pool()
    async with served(promising) as (_, origin), asyncio.timeout(10):
        with pytest.raises(ResponseTooLarge, match=r"^the answer is over 1024 bytes$"):
            await pool.exchange(origin, b"GET", b"/", [])
    await pool.aclose()


async def test_bytes_nobody_asked_for_end_the_connection() -> None:
    # An answer with a second one stuck to it: the connection is not trusted again.
    async def doubled(connection: int, request: int, head: bytes) -> bytes:
        return _answer() + _answer()

    pool = _pool()
    async with served(doubled) as (server, origin):
        for _ in range(2):
            assert (await pool.exchange(origin, b"GET", b"/", [])).content == b'{"ok": true}'
        await pool.aclose()
    assert server.connections == 2


async def test_answers_of_exactly_the_limit_are_read_whole_one_after_another() -> None:
    body = b"z" * 1024
    chunked = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"200\r\n"
        + body[:512]
        + b"\r\n200\r\n"
        + body[512:]
        + b"\r\n0\r\n\r\n"
    )

    async def at_the_limit(connection: int, request: int, head: bytes) -> bytes:
        return _answer(body) if request % 2 else chunked

    pool = _pool()
    async with served(at_the_limit) as (server, origin):
        for _ in range(4):  # declared, chunked, declared, chunked: each counted from zero
            assert (await pool.exchange(origin, b"GET", b"/", [])).content == body
        await pool.aclose()
    assert server.connections == 1


async def test_header_sections_of_exactly_the_limit_are_read_one_after_another() -> None:
    # What is counted is each header's name and value: 65,536 bytes of them in all.
    fixed = [(b"content-length", b"2")]
    left = MAX_HEADER_BYTES - sum(len(n) + len(v) for n, v in fixed)
    fillers = [(b"x-filler-%03d" % i, b"y" * 988) for i in range(left // 1000)]
    left -= sum(len(n) + len(v) for n, v in fillers)
    fillers.append((b"x-last", b"y" * (left - len(b"x-last"))))
    headers = b"".join(n + b": " + v + b"\r\n" for n, v in [*fillers, *fixed])

    async def full(connection: int, request: int, head: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n{}"

    pool = _pool()
    async with served(full) as (server, origin):
        for _ in range(2):
            assert (await pool.exchange(origin, b"GET", b"/", [])).content == b"{}"
        await pool.aclose()
    assert server.connections == 1


async def test_a_kept_alive_connection_that_breaks_mid_answer_is_not_asked_again() -> None:
    async def breaking(connection: int, request: int, head: bytes) -> bytes | tuple[bytes, bool]:
        return _answer() if request == 1 else (_answer(b"x" * 100)[:-50], True)

    pool = _pool()
    async with served(breaking) as (server, origin):
        await pool.exchange(origin, b"GET", b"/", [])
        # Part of the answer came back: the request may have been acted on.
        with pytest.raises(httpx.ReadError, match=r"^the server closed the connection$"):
            await pool.exchange(origin, b"GET", b"/", [])
        await pool.aclose()
    assert (server.connections, len(server.heads)) == (1, 2)


async def test_a_connection_the_server_closed_while_idle_is_left_untried() -> None:
    async def answer_then_hang_up(connection: int, request: int, head: bytes) -> tuple[bytes, bool]:
        return _answer(), True  # no `connection: close`: it simply goes

    pool = _pool()
    async with served(answer_then_hang_up) as (server, origin), asyncio.timeout(10):
        await pool.exchange(origin, b"GET", b"/", [])
        idle = pool._idle[origin]
        while not all(connection.closed for connection in idle):
            await asyncio.sleep(0.001)  # polling, with a deadline: until the close is read
        assert (await pool.exchange(origin, b"GET", b"/", [])).status_code == 200
        await pool.aclose()
    assert (server.connections, len(server.heads)) == (2, 2)


async def test_a_closed_idle_connection_is_passed_over_for_an_open_one() -> None:
    release = asyncio.Event()

    async def first_goes(connection: int, request: int, head: bytes) -> bytes | tuple[bytes, bool]:
        if connection == 1:
            await release.wait()
            return _answer(), True  # answers last, then hangs up
        return _answer()

    pool = _pool()
    async with served(first_goes) as (server, origin), asyncio.timeout(10):
        slow = asyncio.create_task(pool.exchange(origin, b"GET", b"/slow", []))
        while server.connections < 1:
            await asyncio.sleep(0.001)  # polling, with a deadline
        await pool.exchange(origin, b"GET", b"/quick", [])  # on a second connection
        release.set()
        await slow
        idle = pool._idle[origin]  # the second, then the first: tried last first
        while not idle[-1].closed:
            await asyncio.sleep(0.001)  # until the first's close is read
        await pool.exchange(origin, b"GET", b"/again", [])
        await pool.aclose()
    assert (server.connections, len(server.heads)) == (2, 3)  # the open one was reused


def _certified(ca: trustme.CA) -> ssl.SSLContext:
    """A server's TLS context, with a certificate for 127.0.0.1 that `ca` signed."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A certificate authority the process trusts, as a system's would be (OpenSSL reads
    `SSL_CERT_FILE`)."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    return ca


async def test_an_https_origin_is_spoken_to_over_tls_on_one_kept_connection(
    trusted: trustme.CA,
) -> None:
    async with (
        served(_ok, tls=_certified(trusted)) as (server, origin),
        httpx.AsyncClient(transport=_pool(), base_url=f"https://127.0.0.1:{origin.port}") as client,
    ):
        async with asyncio.timeout(10):
            answers = [await client.get("/x"), await client.post("/y", json={})]
    assert [answer.json() for answer in answers] == [{"ok": True}, {"ok": True}]
    assert server.connections == 1


async def test_a_certificate_no_trusted_authority_signed_is_refused(trusted: trustme.CA) -> None:
    async with served(_ok, tls=_certified(trustme.CA())) as (server, origin):
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await _pool().exchange(origin, b"GET", b"/x", [], None)
    assert server.heads == []  # nothing was sent
