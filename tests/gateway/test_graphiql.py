"""GraphiQL served from the gateway itself, and usable in a browser that is offline."""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway import Settings, create_app
from gateway._graphiql import LocalGraphiQL
from tests.conftest import UPSTREAM, running_gateway
from tests.recording import Recorder
from tests.serving import Demo, demo_process

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
INSTALLED = LocalGraphiQL.find() is not None
needs_bundles = pytest.mark.skipif(
    not INSTALLED, reason="GraphiQL's bundles are not installed (`make install` needs npm)"
)
# Flags for a root user in a container, with nothing that phones home.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@needs_bundles
async def test_the_page_loads_only_bundles_the_gateway_serves(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(urls) == 7
    for url in urls:
        assert url.startswith("/graphiql/static/"), url
        asset = await http.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "unpkg.com" not in page.text
    assert "explorerPlugin()" in page.text
    # Each tag on a line of its own, the scripts in the order they depend on each other.
    tags = re.findall(r"\n    (<(?:link|script) [^\n]*)(?=\n)", page.text)
    assert [re.sub(r"\?v=\w+", "", tag) for tag in tags] == [
        '<link rel="stylesheet" href="/graphiql/static/graphiql.min.css">',
        '<link rel="stylesheet" href="/graphiql/static/plugin-explorer.css">',
        '<script src="/graphiql/static/react.production.min.js"></script>',
        '<script src="/graphiql/static/react-dom.production.min.js"></script>',
        '<script src="/graphiql/static/graphiql.min.js"></script>',
        '<script src="/graphiql/static/graphql-ws.min.js"></script>',
        '<script src="/graphiql/static/plugin-explorer.umd.js"></script>',
    ]


@needs_bundles
async def test_a_bundle_the_browser_has_is_not_sent_again(http: httpx.AsyncClient) -> None:
    url = "/graphiql/static/graphiql.min.js?v=1"
    first = await http.get(url)
    again = await http.get(url, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@needs_bundles
async def test_the_bundles_are_compressed(http: httpx.AsyncClient) -> None:
    asset = await http.get("/graphiql/static/graphiql.min.js", headers={"accept-encoding": "gzip"})
    assert asset.headers["content-encoding"] == "gzip"


BUNDLES = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",
    "plugin-explorer.umd.js",
    "graphiql.min.css",
    "plugin-explorer.css",
)


async def test_without_bundles_strawberrys_cdn_page_is_kept_and_said_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in BUNDLES[2:-1]:
        (tmp_path / name).write_text("bundle")
    with caplog.at_level(logging.WARNING, logger="pieces_gateway.graphiql"):
        assert LocalGraphiQL.find(tmp_path) is None
    assert [record.getMessage() for record in caplog.records] == [
        "GraphiQL's bundles are not installed (react.production.min.js, "
        "react-dom.production.min.js, plugin-explorer.css missing; `make install` needs npm): "
        "GraphiQL will load React and GraphiQL from a public CDN"
    ]


def test_the_bundles_version_is_their_contents_hash(tmp_path: Path) -> None:
    # The page names each bundle with it: new bundles get new URLs past a year of caching.
    digest = hashlib.sha256()
    for name in BUNDLES:
        (tmp_path / name).write_text(f"the bundle {name}")
        digest.update(f"the bundle {name}".encode())
    found = LocalGraphiQL.find(tmp_path)
    assert found is not None
    assert found.version == digest.hexdigest()[:12]
    assert f"/graphiql/static/graphiql.min.js?v={digest.hexdigest()[:12]}" in found.page()


async def test_no_graphiql_and_no_bundles_in_production(upstream: Recorder) -> None:
    async with running_gateway(upstream, production=True) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        asset = await http.get("/graphiql/static/graphiql.min.js")
        assert asset.status_code == 404


@pytest.fixture
def demo() -> Iterator[Demo]:
    """`pieces-gateway demo` in a subprocess, stopped by its pid."""
    with demo_process() as running:
        yield running


# GraphiQL's query editor keeps the document it last parsed on its CodeMirror instance.
_PARSED_AS_SUBSCRIPTION = """() => document.querySelector(".graphiql-query-editor .CodeMirror")
    ?.CodeMirror?.documentAST?.definitions?.[0]?.operation === 'subscription'"""


def _result(page: Any, text: str, timeout_ms: float = TIMEOUT_MS) -> str:
    """The result pane's text, once it holds `text`."""
    page.wait_for_function(
        "text => document.querySelector('.result-window')?.innerText.includes(text)",
        arg=text,
        timeout=timeout_ms,
    )
    return str(page.locator(".result-window").inner_text())


@needs_bundles
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")
def test_graphiql_runs_a_query_in_an_offline_browser(demo: Demo) -> None:
    from playwright.sync_api import Route, sync_playwright

    assert CHROMIUM is not None
    requested: list[str] = []
    refused: list[str] = []

    def only_the_gateway(route: Route) -> None:
        url = route.request.url
        if url.startswith(f"{demo.url}/"):
            requested.append(url)
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            timeout=TIMEOUT_MS,
        )
        try:
            browser.set_default_timeout(TIMEOUT_MS)
            browser.route("**/*", only_the_gateway)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{demo.url}/graphql", timeout=TIMEOUT_MS)

            # The default query names an event the page asked the gateway for.
            editor = page.locator(".graphiql-query-editor .CodeMirror")
            editor.wait_for()
            default = re.search(r'workstreamEvent\(id: "([^"]+)"\)', editor.inner_text())
            assert default, editor.inner_text()
            page.click(".graphiql-execute-button")
            assert f'"id": "{default[1]}"' in _result(page, default[1])

            # A query typed into the editor: the demo's seeded event.
            editor.click()
            page.keyboard.press("ControlOrMeta+A")
            query = f'{{ workstreamEvent(id: "{demo.event_id}") {{ id application {{ name }} }} }}'
            page.keyboard.insert_text(query)
            page.click(".graphiql-execute-button")
            result = _result(page, demo.event_id)
            assert f'"id": "{demo.event_id}"' in result
            assert '"application"' in result

            assert page.get_by_label("Show GraphiQL Explorer").count() == 1
            assert errors == []
        finally:
            browser.close()
    assert refused == []
    assert any("/graphiql/static/graphiql.min.js" in url for url in requested)


@needs_bundles
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")
def test_graphiql_runs_a_subscription() -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None
    # The demo's simulator changes an event every 0.2 s, as Pieces OS does while its user
    # works; GraphiQL sends an operation it has parsed as a subscription over WebSocket.
    with (
        demo_process("--activity", "0.2", "--live-interval", "0.1") as demo,
        tempfile.TemporaryDirectory() as profile,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            timeout=TIMEOUT_MS,
        )
        try:
            browser.set_default_timeout(TIMEOUT_MS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{demo.url}/graphql", timeout=TIMEOUT_MS)
            editor = page.locator(".graphiql-query-editor .CodeMirror")
            editor.wait_for()
            editor.click()
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.insert_text("subscription { workstreamEventChanges { kind id } }")
            # As after a person's typing: the editor has parsed the document (a click
            # before that sends it as a query, over HTTP, which answers as well).
            page.wait_for_function(_PARSED_AS_SUBSCRIPTION)
            with page.expect_websocket() as opened:
                page.click(".graphiql-execute-button")
            assert opened.value.url == f"{demo.url.replace('http', 'ws', 1)}/graphql"
            # The pane shows the latest change; every kind shows up in turn.
            seen: set[str] = set()
            deadline = time.monotonic() + 60
            while seen != {"CREATED", "UPDATED", "DELETED"} and time.monotonic() < deadline:
                # The first change may take a while on a loaded machine: the
                # loop's deadline bounds the wait, not one page's timeout.
                left_ms = max(1.0, (deadline - time.monotonic()) * 1000)
                text = _result(page, '"kind"', left_ms)
                seen.update(re.findall(r'"kind": "(CREATED|UPDATED|DELETED)"', text))
                page.wait_for_timeout(50)  # polling, with a deadline
            assert seen == {"CREATED", "UPDATED", "DELETED"}
            assert errors == []
        finally:
            browser.close()


@needs_bundles
async def test_behind_a_path_prefix_the_page_asks_for_its_bundles_under_it(
    upstream: Recorder,
) -> None:
    app = create_app(Settings(upstream=UPSTREAM), transport=httpx.ASGITransport(upstream))
    async with LifespanManager(app) as manager:
        # A proxy that serves the gateway under /pieces says so in the ASGI root_path.
        to_gateway = httpx.ASGITransport(manager.app, root_path="/pieces")
        async with httpx.AsyncClient(transport=to_gateway, base_url="http://localhost") as http:
            page = await http.get("/graphql", headers={"accept": "text/html"})
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(urls) == 7
    assert all(url.startswith("/pieces/graphiql/static/") for url in urls), urls
