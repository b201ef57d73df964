"""GraphiQL from the gateway itself: its page, and the npm bundles the page loads.

`make install` (and the Dockerfile's node stage) runs `npm ci` in gateway/graphiql
and copies the bundles named below into gateway/static/graphiql. Where they are
missing (no npm), the view keeps Strawberry's page, which loads them from a CDN.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

__all__ = ["ASSETS_PATH", "LocalGraphiQL"]

logger = logging.getLogger("pieces_gateway.graphiql")

ASSETS_PATH = "/graphiql/static"
_DIRECTORY = Path(__file__).parent / "static" / "graphiql"
# The files gateway/graphiql/vendor.mjs copies, in the order the page loads them.
_SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",
    "plugin-explorer.umd.js",
)
_STYLES = ("graphiql.min.css", "plugin-explorer.css")

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>pieces-gateway GraphiQL</title>
    <style>
      body {{ margin: 0; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
{styles}
  </head>
  <body>
    <div id="graphiql">Loading…</div>
{scripts}
    <script>
      "use strict";
      const url = window.location.href.split(/[?#]/)[0];
      const fallback = `# A page of events (Ctrl-Enter runs it):
{{
  workstreamEventsConnection(first: 10) {{
    totalCount
    edges {{ node {{ id readable }} }}
  }}
}}
`;
      const example = (id) => `# An event of this Pieces OS (Ctrl-Enter runs it):
{{
  workstreamEvent(id: ${{JSON.stringify(id)}}) {{
    id
    readable
    application {{ name platform }}
    created {{ value }}
  }}
}}
`;

      // The default query names an event of this gateway's upstream, if it has one.
      async function defaultQuery() {{
        try {{
          const response = await fetch(url, {{
            method: "POST",
            headers: {{ "content-type": "application/json", accept: "application/json" }},
            body: JSON.stringify({{
              query: "{{ workstreamEventsConnection(first: 1) {{ edges {{ node {{ id }} }} }} }}",
            }}),
            signal: AbortSignal.timeout(5000),
          }});
          const edges = (await response.json()).data.workstreamEventsConnection.edges;
          return edges.length ? example(edges[0].node.id) : fallback;
        }} catch {{
          return fallback;
        }}
      }}

      defaultQuery().then((query) => {{
        const root = ReactDOM.createRoot(document.getElementById("graphiql"));
        root.render(
          React.createElement(GraphiQL, {{
            // Queries and mutations over HTTP; subscriptions over the gateway's
            // WebSocket (graphql-transport-ws), the one transport GraphiQL's fetcher
            // chooses for an operation it has parsed as a subscription.
            fetcher: GraphiQL.createFetcher({{
              url,
              wsClient: graphqlWs.createClient({{ url: url.replace(/^http/, "ws") }}),
            }}),
            defaultQuery: query,
            plugins: [GraphiQLPluginExplorer.explorerPlugin()],
            defaultEditorToolsVisibility: true,
            inputValueDeprecation: true,
          }}),
        );
      }});
    </script>
  </body>
</html>
"""


class _ImmutableFiles(StaticFiles):
    """Static files a year in caches: the page names each with its content's hash."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if scope["query_string"]:
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response


@dataclass(frozen=True)
class LocalGraphiQL:
    directory: Path
    version: str

    @classmethod
    def find(cls, directory: Path = _DIRECTORY) -> LocalGraphiQL | None:
        """The installed bundles, or None (and a warning) when any is missing."""
        files = [directory / name for name in (*_SCRIPTS, *_STYLES)]
        missing = [file.name for file in files if not file.is_file()]
        if missing:
            logger.warning(
                "GraphiQL's bundles are not installed (%s missing; `make install` needs npm): "
                "GraphiQL will load React and GraphiQL from a public CDN",
                ", ".join(missing),
            )
            return None
        digest = hashlib.sha256()
        for file in files:
            digest.update(file.read_bytes())
        return cls(directory, digest.hexdigest()[:12])

    def page(self, root_path: str = "") -> str:
        """The GraphiQL page, with every URL on this gateway (under `root_path`)."""

        def url(name: str) -> str:
            return html.escape(f"{root_path}{ASSETS_PATH}/{name}?v={self.version}")

        styles = "\n".join(f'    <link rel="stylesheet" href="{url(name)}">' for name in _STYLES)
        scripts = "\n".join(f'    <script src="{url(name)}"></script>' for name in _SCRIPTS)
        return _PAGE.format(styles=styles, scripts=scripts)

    def assets(self) -> ASGIApp:
        return GZipMiddleware(_ImmutableFiles(directory=self.directory))
