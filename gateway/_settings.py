"""The gateway's settings: one frozen value, built once at the edge."""

from __future__ import annotations

from pydantic import Field, HttpUrl
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every setting can be given as `PIECES_GATEWAY_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="PIECES_GATEWAY_", frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="Port to listen on.")
    upstream: HttpUrl = Field(
        HttpUrl("http://127.0.0.1:39300"), description="Base URL of the Pieces OS REST API."
    )
    upstream_timeout: float = Field(
        10.0, gt=0, description="Seconds to wait for one upstream call, in all."
    )
    upstream_max_connections: int = Field(
        32, ge=1, description="Upper bound on open connections to the upstream."
    )
    upstream_batch_size: int = Field(
        100, ge=1, description="Most snapshots asked for in one upstream batch call."
    )
    upstream_concurrency: int = Field(
        8, ge=1, description="Most single snapshot reads at once, when there is no batch endpoint."
    )
    max_page_size: int = Field(100, ge=1, description="Largest `first` a connection accepts.")
    graphiql: bool = Field(True, description="Serve GraphiQL to browsers at /graphql.")
