"""The gateway's settings: one frozen value, built once at the edge.

Every setting can be given as `PIECES_GATEWAY_<NAME>` in the environment (or
in a `.env` file); the CLI's flags take precedence. Lists are comma-separated.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, HttpUrl, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway._discovery import parse_ports
from gateway._logging import LogFormat
from schema import SchemaOptions

__all__ = ["Settings"]

CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PIECES_GATEWAY_", env_file=".env", frozen=True, extra="forbid"
    )

    # --- serving ---------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="Port to listen on.")
    production: bool = Field(
        False, description="Turn off introspection, GraphiQL and field suggestions."
    )
    graphiql: bool = Field(True, description="Serve GraphiQL to browsers at /graphql.")
    log_format: LogFormat = Field(
        "auto", description="Log lines as json, text, or auto (text at a terminal, else json)."
    )
    log_level: str = Field("INFO", description="Least severe log level written.")
    tracing: bool = Field(False, description="Export OpenTelemetry traces (needs the otel extra).")
    tracing_endpoint: str | None = Field(
        None, description="OTLP/HTTP endpoint for traces (else the OTEL_EXPORTER_OTLP_* env)."
    )
    shutdown_grace: float = Field(
        10.0, ge=0, description="Seconds in-flight requests get to finish on SIGTERM."
    )
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a client has to send a request's headers (408 after)."
    )
    body_timeout: float = Field(
        30.0, gt=0, description="Seconds a client has to send a request's body (408 after)."
    )

    # --- the upstream ----------------------------------------------------------------------
    upstream: str = Field(
        "auto",
        description="Base URL of the Pieces OS REST API, or `auto` to look for it on this "
        "machine's discovery ports.",
    )
    discovery_ports: str = Field(
        "39300-39333,1000", description="Where `auto` looks for Pieces OS, in order."
    )
    upstream_timeout: float = Field(
        10.0, gt=0, description="Seconds one upstream read may take in all, retries included."
    )
    upstream_connect_timeout: float = Field(
        2.0, gt=0, description="Seconds to open a connection to the upstream."
    )
    upstream_retries: int = Field(
        2, ge=0, le=10, description="Retries of a failed upstream read (never of a mutation)."
    )
    upstream_max_connections: int = Field(
        32, ge=1, description="Upper bound on open connections to the upstream."
    )
    upstream_queue_timeout: float = Field(
        5.0, gt=0, description="Seconds a request waits for a free upstream connection."
    )
    upstream_max_response_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description="Largest upstream answer read (bigger: refused, UPSTREAM_BAD_RESPONSE). "
        "A batch of 100 rich (~30 KB) events is about 3 MB: ten times that, with room.",
    )
    breaker_threshold: int = Field(
        5, ge=1, description="Consecutive upstream failures that open the circuit breaker."
    )
    breaker_cooldown: float = Field(
        3.0, gt=0, description="Seconds the open breaker fails fast before it lets a probe by."
    )
    upstream_batch_size: int = Field(
        100,
        ge=1,
        description="Most records (snapshots, summaries) asked for in one upstream batch call.",
    )
    upstream_concurrency: int = Field(
        8,
        ge=1,
        description=(
            "Most single reads by id at once: snapshots when there is no batch endpoint, "
            "and related records."
        ),
    )
    forward_headers: CommaList = Field(
        (), description="Client request headers passed on to the upstream (e.g. Authorization)."
    )

    # --- operations ------------------------------------------------------------------------
    operation_timeout: float = Field(
        30.0, gt=0, description="Seconds one GraphQL operation may take in all."
    )
    max_depth: int = Field(24, ge=1, description="Deepest selection an operation may have.")
    max_aliases: int = Field(30, ge=0, description="Most aliases an operation may use.")
    max_tokens: int = Field(
        3_000,
        ge=1,
        description="Most tokens a document may have (validation costs about 15 µs a token).",
    )
    max_selections: int = Field(
        2_000,
        ge=1,
        description="Most selections an operation may make, a fragment counted at each spread.",
    )
    max_root_fields: int = Field(32, ge=1, description="Most root fields an operation may have.")
    max_fragments: int = Field(64, ge=0, description="Most fragments a document may define.")
    max_comparisons: int = Field(
        10_000,
        ge=0,
        description="Most work comparing fields of one response name in a selection set "
        "(fields of the name - 1, times their selections).",
    )
    max_mutation_fields: int = Field(
        10, ge=1, description="Most root fields (writes) one mutation may have, aliases included."
    )
    max_body_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 beyond)."
    )
    batching: bool = Field(False, description="Accept a JSON array of operations.")
    max_batch_operations: int = Field(10, ge=1, description="Most operations in one batch.")
    persisted_queries: bool = Field(
        True, description="Accept Apollo automatic persisted queries (hash-only requests)."
    )
    persisted_queries_max_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="Characters (not bytes, despite the name) of documents kept for persisted "
        "queries (LRU).",
    )
    max_ids: int = Field(
        1000, ge=1, description="Most ids one `workstreamEvents` (or `_entities`) call may name."
    )
    max_page_size: int = Field(100, ge=1, description="Largest `first` a connection accepts.")
    max_records: int = Field(
        1000,
        ge=1,
        description="Most related records (tags, websites, summaries, ...) one operation may "
        "fetch; a reference past them is null with MAX_RECORDS_EXCEEDED.",
    )
    compiled_execution: bool = Field(
        True,
        description="Answer snapshot reads through the compiled path (off: graphql-core's "
        "executor for every operation, as the benchmark compares).",
    )
    # --- subscriptions -----------------------------------------------------------------------
    live_interval: float = Field(
        1.0, gt=0, description="Seconds between two polls of Pieces OS for changed events."
    )
    live_deletion_scan: float = Field(
        10.0, gt=0, description="Seconds between two reads of every id, to see deletions."
    )
    live_max_pending: int = Field(
        1000, ge=1, description="Distinct changed events a subscriber may fall behind by."
    )
    max_subscriptions: int = Field(1000, ge=1, description="Most subscriptions at once.")
    max_websockets: int = Field(
        1000, ge=1, description="Most WebSockets open at once (503 beyond, before the upgrade)."
    )
    max_subscriptions_per_connection: int = Field(
        10, ge=1, description="Most operations at once on one WebSocket."
    )
    connection_init_timeout: float = Field(
        10.0, gt=0, description="Seconds a WebSocket has to send connection_init."
    )
    keep_alive: float = Field(
        15.0,
        gt=0,
        description="Seconds between two pings on a WebSocket (heartbeats on a multipart "
        "subscription).",
    )

    allowed_hosts: CommaList = Field(
        ("localhost", "127.0.0.1", "::1"),
        description="Host names the gateway answers to (`*` for any): guards a local "
        "gateway against DNS rebinding.",
    )
    cors_origins: CommaList = Field(
        (), description="Browser origins allowed to call the gateway (CORS); none by default."
    )

    @field_validator("upstream")
    @classmethod
    def _upstream_url(cls, value: str) -> str:
        if value == "auto":
            return value
        return str(HttpUrl(value))

    @field_validator("discovery_ports")
    @classmethod
    def _ports(cls, value: str) -> str:
        parse_ports(value)
        return value

    @field_validator("forward_headers", "cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @property
    def schema_options(self) -> SchemaOptions:
        return SchemaOptions(
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_tokens=self.max_tokens,
            max_selections=self.max_selections,
            max_root_fields=self.max_root_fields,
            max_fragments=self.max_fragments,
            max_comparisons=self.max_comparisons,
            max_mutation_fields=self.max_mutation_fields,
            introspection=not self.production,
            suggestions=not self.production,
            max_batch_operations=self.max_batch_operations if self.batching else None,
            compiled_execution=self.compiled_execution,
        )

    @property
    def serves_graphiql(self) -> bool:
        return self.graphiql and not self.production
