"""The `pieces-gateway` command line.

`serve` and `demo` take one flag per setting, made from the `Settings` fields
themselves, so the flags, the environment variables and the README's table
cannot drift apart. A flag that is given wins over the environment.
"""

from __future__ import annotations

import gc
import math
import os
import types
import typing
from collections.abc import Callable
from typing import Any

import click
import httpx
import uvicorn
from pydantic import ValidationError

from gateway._app import create_app
from gateway._logging import configure_logging
from gateway._server import GatewayWebSocketProtocol, protocol
from gateway._settings import Settings
from schema import print_sdl

__all__ = ["main", "settings_options"]

_ENV_PREFIX = "PIECES_GATEWAY_"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _click_type(annotation: Any) -> tuple[Any, bool]:
    """(click type, multiple) for a Settings field's annotation."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _click_type(typing.get_args(annotation)[0])
    if origin is tuple:
        return str, True
    if origin is typing.Literal:
        return click.Choice(typing.get_args(annotation)), False
    if origin in (typing.Union, types.UnionType):
        (inner,) = (a for a in typing.get_args(annotation) if a is not type(None))
        return _click_type(inner)
    if annotation in (int, float, bool):
        return annotation, False
    return str, False


def settings_options(*, exclude: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Any]:
    """Click options for every setting but `exclude`, each defaulting to 'not given'."""

    def decorate(command: Callable[..., Any]) -> Any:
        for name, field in reversed(Settings.model_fields.items()):
            if name in exclude:
                continue
            kind, multiple = _click_type(field.annotation)
            default = field.default
            shown = ",".join(default) if isinstance(default, tuple) else default
            help_text = (
                f"{field.description} [default: {shown!s}; env: {_ENV_PREFIX}{name.upper()}]"
            )
            if kind is bool:
                flag = _flag(name)
                option = click.option(f"{flag}/--no-{flag[2:]}", name, default=None, help=help_text)
            else:
                option = click.option(
                    _flag(name), name, type=kind, multiple=multiple, default=None, help=help_text
                )
            command = option(command)
        return command

    return decorate


def _settings(given: dict[str, Any]) -> Settings:
    """Settings from the flags that were given, the environment for the rest."""
    chosen = {name: value for name, value in given.items() if value not in (None, ())}
    try:
        return Settings(**chosen)
    except ValidationError as exc:
        raise click.UsageError(str(exc)) from None


def _run(app: Any, settings: Settings, **uvicorn_options: Any) -> None:
    configure_logging(settings.log_format, settings.log_level)
    # The schema and the libraries are a large heap that lives as long as the
    # process: out of the collector's sight, full collections under load stay cheap.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # uvicorn's loggers go through ours
        log_level=settings.log_level.lower(),
        access_log=False,  # one log line per operation comes from the gateway itself
        proxy_headers=False,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace),
        http=protocol(settings.header_timeout),
        ws=GatewayWebSocketProtocol,
        # Changes are small JSON messages on loopback: per-message deflate would
        # cost ~48 KiB of zlib state per socket (bench.live: +97 MiB for 1,000
        # subscribers with it, +50 without) and a tenth of the CPU.
        ws_per_message_deflate=False,
        **uvicorn_options,
    )


def app_from_environment() -> Any:
    """The app of one worker process, when `serve --workers N` starts several."""
    settings = Settings()
    # A worker is a fresh process (spawned): its log lines need their handler too.
    configure_logging(settings.log_format, settings.log_level)
    return create_app(settings)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def cli() -> None:
    """A typed GraphQL gateway in front of the Pieces OS REST API."""


@cli.command()
@settings_options()
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes (each with its own upstream pool and caches).",
)
def serve(workers: int, **given: Any) -> None:
    """Serve the gateway in front of a Pieces OS."""
    settings = _settings(given)
    if workers == 1:
        _run(create_app(settings), settings)
        return
    # Worker processes rebuild the settings from the environment: hand them
    # the flags given here that way.
    for name, value in given.items():
        if value not in (None, ()):
            text = ",".join(value) if isinstance(value, tuple) else str(value)
            os.environ[f"{_ENV_PREFIX}{name.upper()}"] = text
    _run("gateway._cli:app_from_environment", settings, factory=True, workers=workers)


# The simulator's seeding, shared by `demo` and `simulator`.
_events = click.option(
    "--events",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Events to seed the simulator with.",
)
_seed = click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the simulator's events."
)
_activity = click.option(
    "--activity",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Every SECONDS, change one event as Pieces OS does while its user works: mostly new "
    "events and edits, now and then a deletion. 0.1 changes ten events a second "
    "[default: no activity].",
)


@cli.command()
@settings_options(exclude=("upstream",))
@_events
@_seed
@_activity
def demo(events: int, seed: int, activity: float | None, **given: Any) -> None:
    """Serve the gateway in front of an in-process Pieces OS simulator."""
    from gateway.simulator import SimulatorLifespan, create_simulator

    settings = _settings(given)
    simulator = create_simulator(events=events, seed=seed, activity=activity)
    gateway = create_app(settings, transport=httpx.ASGITransport(simulator))
    first_id = next(iter(simulator.state.store.events), "<no events>")
    click.echo(f"GraphiQL: http://{settings.host}:{settings.port}/graphql\n")
    click.echo(_EXAMPLE.format(event_id=first_id))
    _run(SimulatorLifespan(gateway, simulator), settings)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=39300, show_default=True, help="Port to listen on.")
@_events
@_seed
@click.option(
    "--event-kb",
    type=click.IntRange(min=1),
    default=None,
    help="Grow events to about this many KB each, with nested references and screen text "
    "[default: ordinary events, ~3 KB].",
)
@_activity
def simulator(
    host: str, port: int, events: int, seed: int, event_kb: int | None, activity: float | None
) -> None:
    """Serve the bundled Pieces OS simulator (the WorkstreamEvent API, in memory)."""
    from gateway.simulator import create_simulator

    app = create_simulator(events=events, seed=seed, event_kb=event_kb, activity=activity)
    uvicorn.run(app, host=host, port=port, log_level="info")


@cli.command()
def schema() -> None:
    """Print the schema (the subgraph SDL)."""
    click.echo(print_sdl(), nl=False)


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


def main() -> None:
    configure_logging()
    cli()
