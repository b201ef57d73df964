"""An ASGI wrapper that records what an upstream app received."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Received:
    method: str
    path: str  # as sent on the wire, still percent-encoded
    query: dict[str, str]
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Recorder:
    app: ASGIApp
    requests: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.requests.append(
            Received(
                scope["method"],
                scope["raw_path"].decode("ascii"),
                dict(parse_qsl(scope["query_string"].decode("latin-1"))),
                body,
                {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            )
        )

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def clear(self) -> None:
        self.requests.clear()

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]


class InFlight:
    """Counts the upstream requests in flight at once (only those of `method`, if
    given); each lets the others run first."""

    def __init__(self, app: ASGIApp, method: str | None = None) -> None:
        self.app = app
        self.method = method
        self.now = 0
        self.most = 0
        self.methods: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.method not in (None, scope["method"]):
            await self.app(scope, receive, send)
            return
        self.methods.append(scope["method"])
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            for _ in range(3):  # a few turns of the loop, for whoever else is on the way
                await asyncio.sleep(0)
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


class Answering:
    """An upstream that answers `status` and `body` to any request under `prefix`, and is
    `app` for the rest."""

    def __init__(self, app: ASGIApp, prefix: str, status: int, body: bytes) -> None:
        self.app, self.prefix, self.status, self.body = app, prefix, status, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            answer = Response(self.body, self.status, media_type="application/json")
            await answer(scope, receive, send)
        else:
            await self.app(scope, receive, send)
