"""Settings of the search backends (environment prefix ``SEARCH_``), read through :func:`get_search_settings`."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SearchSettings(BaseSettings):
    """How to reach Elasticsearch and how to shape its indices.

    Attributes:
        url: Node or load balancer URL, or several nodes' URLs separated by commas.
        api_key: API key (takes precedence over ``username``/``password``).
        username: Basic auth user.
        password: Basic auth password.
        ca_certs: CA bundle for TLS.
        request_timeout: Seconds per HTTP request.
        max_retries: Client-level retries of a request (connection errors, 429, 502-504).
        number_of_shards: Primary shards of a new physical index.
        number_of_replicas: Replicas of a new physical index.
        vector_index_type: ``int8_hnsw`` (quantised, 4x less memory) or ``hnsw`` (full floats).
        index_prefix: Every alias and physical index is named ``{index_prefix}-{index}...``.
        num_candidates: kNN candidates per shard (at least ``k``).
        rescore_oversample: Quantised kNN: rescore ``k * oversample`` hits with the raw floats (0 disables).
        refresh: ``wait_for``: a write returns once searchable; ``true``: refresh after each call;
            ``false``: searchable after the next periodic refresh or :meth:`flush` (bulk rebuilds).
        bulk_chunk_size: Documents per ``_bulk`` request.
        bulk_threads: ``_bulk`` requests in flight at once within one write (the node indexes them in parallel).
        bulk_refresh_pause_at: A write of at least this many documents turns the index's periodic refresh
            off while it runs, then restores it and refreshes once (0: never).
        bulk_retries: Extra rounds for items rejected with 429/5xx or requests that failed to connect.
        bulk_backoff_s: First backoff between rounds, doubled each round.
        max_query_terms: A query text with more distinct analysed terms keeps only this many, the most
            informative (query frequency x inverse document frequency in the index), each as often as
            the text has it: a long offer otherwise makes a BM25 query of a hundred terms (0: keep all).
        reach_cache_s: How long the distinct ``reach_km`` values (the ``WithinReach`` filter) are kept
            before being read again; 0 reads them for every query (one more request each).
    """

    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore")

    url: str = "http://localhost:9200"
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_certs: str | None = None
    request_timeout: float = 30.0
    max_retries: int = Field(default=3, ge=0)
    number_of_shards: int = Field(default=1, ge=1)
    number_of_replicas: int = Field(default=0, ge=0)
    vector_index_type: Literal["int8_hnsw", "hnsw"] = "int8_hnsw"
    index_prefix: str = Field(default="matcher", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    num_candidates: int = Field(default=200, ge=1, le=10_000)
    rescore_oversample: float = Field(default=3.0, ge=0.0)
    refresh: Literal["wait_for", "true", "false"] = "wait_for"
    bulk_chunk_size: int = Field(default=500, ge=1)
    bulk_threads: int = Field(default=2, ge=1)
    bulk_refresh_pause_at: int = Field(default=5_000, ge=0)
    bulk_retries: int = Field(default=4, ge=0)
    bulk_backoff_s: float = Field(default=0.5, ge=0.0)
    max_query_terms: int = Field(default=64, ge=0)
    reach_cache_s: float = Field(default=60.0, ge=0.0)


@lru_cache
def get_search_settings() -> SearchSettings:
    """The process-wide search settings (read from the environment on first call)."""
    return SearchSettings()
