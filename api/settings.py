"""Settings of the HTTP service (environment prefix ``API_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    max_page_size: int = 200
    # Prometheus metrics on a port of their own (off when unset); admins also read them at GET /metrics.
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    session_https_only: bool = False  # pages' session cookie sent over HTTPS only (set true behind TLS)


@lru_cache
def get_api_settings() -> ApiSettings:
    return ApiSettings()
