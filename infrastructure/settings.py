"""Typed settings read once from the environment (D7); also produces the eventsourcing environment."""

from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from application.shopops import ShopOps

DEV_SECRET = "shopops-dev-secret-change-me-0123456789"  # noqa: S105 - only used when none is configured


class Settings(BaseSettings):
    """Environment configuration. Unset DATABASE_URL / REDIS_URL mean: use the embedded defaults (D8)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    database_url: str | None = None
    redis_url: str | None = None
    shopops_secret_key: str = DEV_SECRET
    shopops_token_ttl_seconds: int = 3600
    shopops_token_leeway_seconds: int = 30
    shopops_data_dir: str = "var"
    # Pools: the API runs commands in a thread pool sized to the event-store pool.
    shopops_pool_size: int = Field(default=8, ge=1)
    shopops_pool_max_overflow: int = Field(default=4, ge=0)
    shopops_pool_timeout_seconds: float = 5.0
    shopops_lock_timeout_seconds: int = 5
    shopops_command_retries: int = Field(default=12, ge=1)
    shopops_read_pool_size: int = Field(default=8, ge=1)
    shopops_min_position_timeout_seconds: float = 5.0
    shopops_max_body_bytes: int = 1_048_576
    # Workers (D5): how often the relay sweeps, when a sent job counts as lost, how long a worker's lease lasts.
    shopops_relay_sweep_seconds: float = 5.0
    shopops_relay_stale_seconds: float = 30.0
    shopops_job_lease_seconds: float = 60.0
    shopops_worker_threads: int = Field(default=4, ge=1)
    # Channel webhooks: JSON {channel: secret} for X-Shopops-Signature (HMAC-SHA256 of the raw body).
    shopops_channel_secrets: str | None = None
    # Ticket SLA: JSON {priority: [first_response_seconds, resolution_seconds]}, merged over the defaults.
    shopops_sla_policy: str | None = None
    # Optional encryption of all event state at rest (eventsourcing's AES cipher; base64 key of 16/24/32 bytes,
    # e.g. from `python -c "from eventsourcing.cipher import AESCipher; print(AESCipher.create_key(32))"`).
    cipher_key: str | None = None
    # Tamper evidence: Ed25519 private key (PEM text or a file path) for signed checkpoints; never in the DB.
    shopops_audit_key: str | None = None
    shopops_audit_checkpoint_every: int = Field(default=1000, ge=1)
    # Forecast refresh: scheduled once a day at this UTC time ("HH:MM"; empty disables the schedule), plus
    # POST /api/v1/forecasts/refresh on demand. Each run fans out over the workers per batch of SKUs.
    shopops_forecast_refresh_at: str = "02:00"
    shopops_forecast_horizon_days: int = Field(default=28, ge=1, le=365)
    shopops_forecast_history_days: int = Field(default=730, ge=28, le=3650)
    shopops_forecast_batch_skus: int = Field(default=100, ge=1, le=1000)
    # Clearance: JSON {"default": {...}, "categories": {category: {...}}} over max_cover_days,
    # min_sell_through, target_cover_days, beta, window_days (see infrastructure/clearance.py).
    shopops_clearance_policy: str | None = None

    # ---- checkout holds, unpaid orders and channels both ways (issue 11; see docs/channels.md) ----------
    # Orders of these channels (comma-separated) are allocated only once paid, and cancelled if still unpaid.
    shopops_payment_first_channels: str = ""
    shopops_unpaid_cancel_minutes: float = Field(default=60.0, gt=0)
    # Stock pushes per channel and second (a token bucket shared by every worker through PostgreSQL).
    shopops_channel_rate: float = Field(default=5.0, gt=0)
    shopops_channel_batch_size: int = Field(default=100, ge=1, le=1000)
    # Available-to-sell at or below this goes first (the fast lane): zero and low stock stop overselling.
    shopops_channel_low_stock: int = Field(default=5, ge=0)
    shopops_channel_timeout_seconds: float = Field(default=5.0, gt=0)
    # The drift check re-pushes what a channel has not acknowledged after this many seconds.
    shopops_channel_drift_seconds: float = Field(default=15.0, gt=0)

    def payment_first_channels(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.shopops_payment_first_channels.split(",") if c.strip())

    def channel_secret(self, channel: str) -> bytes | None:
        secrets: dict[str, str] = json.loads(self.shopops_channel_secrets or "{}")
        secret = secrets.get(channel)
        return secret.encode() if secret else None

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError("DATABASE_URL is not set (run `shopops up` to use the embedded PostgreSQL)")
        return self.database_url

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing environment: PostgreSQL recorder, no table creation, bounded waits (see notes)."""
        url = urlsplit(self.require_database_url())
        socket_dir = parse_qs(url.query).get("host", [None])[0]  # postgresql://user@/db?host=/socket/dir
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": socket_dir or url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": str(self.shopops_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.shopops_pool_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(int(max(1, self.shopops_pool_timeout_seconds))),
            "POSTGRES_LOCK_TIMEOUT": str(self.shopops_lock_timeout_seconds),
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "5",
            "POSTGRES_PRE_PING": "y",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "CREATE_TABLE": "n",
            "IS_SNAPSHOTTING_ENABLED": "n",
            **(
                {"CIPHER_TOPIC": "eventsourcing.cipher:AESCipher", "CIPHER_KEY": self.cipher_key}
                if self.cipher_key
                else {}
            ),
        }

    def shopops_env(self) -> dict[str, str]:
        """Environment for the ShopOps application (names are prefixed per application by eventsourcing)."""
        return self.eventsourcing_env()

    @property
    def application_name(self) -> str:
        return ShopOps.name


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
