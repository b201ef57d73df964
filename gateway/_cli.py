"""The `pieces-gateway` command line."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import httpx
import typer
import uvicorn
from pydantic import ValidationError

from gateway._app import create_app
from gateway._settings import Settings
from schema import print_sdl

__all__ = ["main"]

app = typer.Typer(
    help="A typed GraphQL gateway in front of the Pieces OS REST API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _option(help: str, setting: str) -> Any:
    return typer.Option(help=help, envvar=f"PIECES_GATEWAY_{setting}", show_envvar=True)


Host = Annotated[str | None, _option("Interface to listen on. [default: 127.0.0.1]", "HOST")]
Port = Annotated[int | None, _option("Port to listen on. [default: 8000]", "PORT")]
Upstream = Annotated[
    str | None,
    _option("Pieces OS base URL. [default: http://127.0.0.1:39300]", "UPSTREAM"),
]
UpstreamTimeout = Annotated[
    float | None,
    _option("Seconds one upstream call may take, in all. [default: 10]", "UPSTREAM_TIMEOUT"),
]

_EXAMPLE = """\
Try this query in GraphiQL:

  {{
    workstreamEvent(id: "{event_id}") {{
      id
      readable
      application {{ name platform }}
      created {{ value }}
    }}
  }}
"""


def _settings(**given: Any) -> Settings:
    """Settings from the flags that were given, the environment for the rest."""
    try:
        return Settings(**{name: value for name, value in given.items() if value is not None})
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from None


def _serve(asgi_app: Any, host: str, port: int) -> None:
    uvicorn.run(asgi_app, host=host, port=port, log_level="info", proxy_headers=False)


@app.command()
def serve(
    host: Host = None,
    port: Port = None,
    upstream: Upstream = None,
    upstream_timeout: UpstreamTimeout = None,
) -> None:
    """Serve the gateway in front of a Pieces OS."""
    settings = _settings(host=host, port=port, upstream=upstream, upstream_timeout=upstream_timeout)
    _serve(create_app(settings), settings.host, settings.port)


@app.command()
def demo(
    host: Host = None,
    port: Port = None,
    upstream_timeout: UpstreamTimeout = None,
    events: Annotated[int, typer.Option(help="Events to seed the simulator with.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the simulator's events.")] = 0,
) -> None:
    """Serve the gateway in front of an in-process Pieces OS simulator."""
    from gateway.simulator import create_simulator

    settings = _settings(host=host, port=port, upstream_timeout=upstream_timeout)
    simulator = create_simulator(events=events, seed=seed)
    gateway = create_app(settings, transport=httpx.ASGITransport(simulator))
    first_id = next(iter(simulator.state.store.events), "<no events>")
    typer.echo(f"GraphiQL: http://{settings.host}:{settings.port}/graphql\n")
    typer.echo(_EXAMPLE.format(event_id=first_id))
    _serve(gateway, settings.host, settings.port)


@app.command()
def simulator(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 39300,
    events: Annotated[int, typer.Option(help="Events to seed it with.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the generated events.")] = 0,
) -> None:
    """Serve the bundled Pieces OS simulator (the WorkstreamEvent API, in memory)."""
    from gateway.simulator import create_simulator

    _serve(create_simulator(events=events, seed=seed), host, port)


@app.command()
def schema() -> None:
    """Print the schema (SDL)."""
    typer.echo(print_sdl(), nl=False)


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app()
