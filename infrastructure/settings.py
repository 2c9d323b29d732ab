"""Typed settings read once from the environment (D7) and validated at start-up: a bad value stops the
process with a clear message instead of failing in a loop later. Also builds the policies the domain's rules
take (routing, SLA, clearance, triage) and the eventsourcing environment. The only module that reads os.environ.
"""

from __future__ import annotations

import json
import os
import re
from datetime import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from application.shopops import ShopOps
from domain.alerts import routes as alert_routes
from domain.base import DomainError
from domain.clearance import ClearancePolicies
from domain.routing import RoutingPolicy
from domain.ticket import PRIORITIES
from domain.triage import DEFAULT_RULES

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

DEV_SECRET = "shopops-dev-secret-change-me-0123456789"  # noqa: S105 - only used when none is configured


# Connections each part of `shopops up` holds at most, apart from the API's share (see connection_plan).
PART_CONNECTIONS: dict[str, tuple[int, int]] = {  # part: (event-store pool, app pool)
    "projections": (1, 2),  # + its LISTEN connection: 4
    "relay": (1, 1),
    "worker": (2, 2),
    "audit-chain": (1, 1),
}
LISTEN_CONNECTIONS = 1  # the projections' LISTEN connection
MIN_CONNECTIONS = sum(a + b for a, b in PART_CONNECTIONS.values()) + LISTEN_CONNECTIONS


def connection_plan(budget: int, api_processes: int, separate_jobs: bool = True) -> dict[str, dict[str, str]]:
    """The pool sizes of every part of `shopops up` as environment overrides, so that the group holds at most
    `budget` PostgreSQL connections: the fixed parts take PART_CONNECTIONS, each API process an equal share of
    the rest (its event-store pool runs the commands; one app connection; the rest reads). Without Redis the
    relay and worker share one process (`jobs`) and its pools."""
    share = (budget - MIN_CONNECTIONS) // api_processes
    if share < 3:
        raise ConfigurationError(
            f"SHOPOPS_DB_CONNECTIONS={budget} is too small for {api_processes} API process(es): "
            f"at least {MIN_CONNECTIONS + 3 * api_processes} are needed"
        )
    reads = max(1, (share - 1) // 3)
    parts = {**PART_CONNECTIONS, "api": (share - 1 - reads, 1)}
    if not separate_jobs:
        relay, worker = parts.pop("relay"), parts.pop("worker")
        parts["jobs"] = (relay[0] + worker[0], relay[1] + worker[1])
    plan = {}
    for part, (events, app) in parts.items():
        plan[part] = {
            "SHOPOPS_POOL_SIZE": str(events),
            "SHOPOPS_POOL_MAX_OVERFLOW": "0",
            "SHOPOPS_APP_POOL_SIZE": str(app),
        }
    plan["api"]["SHOPOPS_READ_POOL_SIZE"] = str(reads)
    return plan


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
    # Aggregates kept per process (eventsourcing's cache, fast-forwarded with the events stored since on every
    # load, so never stale): a hot stock stream is not replayed from its first event on every allocation.
    shopops_aggregate_cache: int = Field(default=20_000, ge=0)  # 0: no cache
    shopops_app_pool_size: int = Field(default=4, ge=1)  # a process's psycopg pool: read models, ledger, keys
    # `shopops up`: PostgreSQL connections the whole group may hold, split by `connection_plan` (each pool
    # above is then set per process), and how many API processes it starts (they are stateless).
    shopops_db_connections: int = Field(default=20, ge=MIN_CONNECTIONS + 3)
    shopops_api_processes: int = Field(default=1, ge=1, le=16)
    shopops_min_position_timeout_seconds: float = 5.0
    shopops_max_body_bytes: int = 1_048_576
    # Workers (D5): how often the relay sweeps, when a sent job counts as lost, how long a worker's lease lasts.
    shopops_relay_sweep_seconds: float = 5.0
    shopops_relay_stale_seconds: float = 30.0
    shopops_job_lease_seconds: float = 60.0
    shopops_worker_threads: int = Field(default=4, ge=1)
    shopops_forecast_worker_threads: int = Field(default=1, ge=1)  # the forecasts lane's own threads
    shopops_outbound_threads: int = Field(default=2, ge=1)  # the outbound lane's own threads
    # Test-only job kinds (`fault:crash`, `fault:hold`) for the crash and queue tests; never set in production.
    shopops_fault_injection: bool = False
    # Channel webhooks: JSON {channel: secret} for X-Shopops-Signature (HMAC-SHA256 of the raw body).
    shopops_channel_secrets: dict[str, str] = Field(default_factory=dict)
    # Dispatch: JSON {channel: [warehouse, ...]} preferred per channel; channels allocated only once paid.
    shopops_routing_preferred: dict[str, list[str]] = Field(default_factory=dict)
    shopops_payment_first_channels: Annotated[frozenset[str], NoDecode] = frozenset()
    # Ticket SLA: JSON {priority: [first_response_seconds, resolution_seconds]}, merged over the defaults.
    shopops_sla_policy: dict[str, tuple[float, float]] = Field(default_factory=dict)
    # Ticket rules: a JSON file replacing parts of domain.triage.DEFAULT_RULES.
    shopops_triage_rules: Path | None = None
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
    # min_sell_through, target_cover_days, beta, window_days (see domain/clearance.py).
    shopops_clearance_policy: dict[str, Any] = Field(default_factory=dict)
    # Ticket classifier: retrained once a day at this UTC time ("HH:MM"; empty: never) from the categories
    # agents confirmed or corrected. Reply drafts: a JSON file replacing the shipped templates.
    shopops_ticket_retrain_at: str = "03:00"
    shopops_reply_templates: str | None = None
    # ---- insight (issue 12) ----
    # Alerts: JSON {kind: [role...]} over the default routes (domain/alerts.py); how often rules are evaluated;
    # thresholds of the rules. Slow movers: on hand > 0 and units sold over `slow_days` below `slow_units_pct`
    # percent of the average on hand over those days.
    shopops_alert_routes: dict[str, list[str]] = Field(default_factory=dict)
    shopops_alert_evaluate_seconds: float = Field(default=30.0, ge=0)  # 0: no scheduled evaluation
    shopops_alert_spike_min_units: int = Field(default=5, ge=1)
    shopops_alert_mase_above: float = Field(default=1.5, gt=0)
    shopops_alert_sync_lag_seconds: float = Field(default=300.0, gt=0)
    shopops_slow_days: int = Field(default=60, ge=1, le=730)
    shopops_slow_units_pct: float = Field(default=1.0, ge=0)

    # ---- money (issue 10) ----
    # Refunds strictly above this amount (in the order's currency) wait for a second person's approval.
    shopops_refund_approval_above: Decimal = Field(default=Decimal("200.00"), ge=0)
    # Settlement matching: JSON {provider: {"rate": "0.02", "fixed": "0.30"}} (expected fee = rate × amount + fixed).
    shopops_provider_fees: dict[str, dict[str, Decimal]] = Field(default_factory=dict)
    # A recorded payment no settlement covers after this many days becomes an `unmatched_payment` exception.
    shopops_settlement_grace_days: int = Field(default=7, ge=0, le=365)
    # How often the scheduled job looks for such payments.
    shopops_unmatched_payment_check_seconds: float = Field(default=3600.0, gt=0)
    # Amount tolerance for matching without a reference.
    shopops_match_tolerance: Decimal = Field(default=Decimal("0.01"), ge=0)

    @field_validator("shopops_payment_first_channels", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return frozenset(c.strip() for c in value.split(",") if c.strip()) if isinstance(value, str) else value

    @field_validator("shopops_forecast_refresh_at", "shopops_ticket_retrain_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        value = value.strip()
        if value and not _CLOCK.match(value):
            raise ValueError(f"must be a UTC time HH:MM (00:00-23:59) or empty to disable; got {value!r}")
        return value

    @field_validator("shopops_sla_policy")
    @classmethod
    def _known_priorities(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        unknown = sorted(set(value) - set(PRIORITIES))
        if unknown:
            raise ValueError(f"unknown priorities {unknown}; known: {list(PRIORITIES)}")
        if any(seconds <= 0 for pair in value.values() for seconds in pair):
            raise ValueError("SLA seconds must be positive")
        return value

    @field_validator("shopops_clearance_policy")
    @classmethod
    def _clearance(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            ClearancePolicies.from_config(value)
        except (DomainError, TypeError) as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("shopops_alert_routes")
    @classmethod
    def _alert_kinds(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        alert_routes(value)  # refuses unknown alert kinds
        return value

    @field_validator("shopops_triage_rules")
    @classmethod
    def _triage_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            _load_triage_rules(value)
        return value

    # ---- checkout holds, unpaid orders and channels both ways (issue 11; see docs/channels.md) ----------
    # Orders of SHOPOPS_PAYMENT_FIRST_CHANNELS (above) still unpaid after this many minutes are cancelled.
    shopops_unpaid_cancel_minutes: float = Field(default=60.0, gt=0)
    # Stock pushes per channel and second (a token bucket shared by every worker through PostgreSQL).
    shopops_channel_rate: float = Field(default=5.0, gt=0)
    shopops_channel_batch_size: int = Field(default=100, ge=1, le=1000)
    # Available-to-sell at or below this goes first (the fast lane): zero and low stock stop overselling.
    shopops_channel_low_stock: int = Field(default=5, ge=0)
    shopops_channel_timeout_seconds: float = Field(default=5.0, gt=0)
    # The drift check re-pushes what a channel has not acknowledged after this many seconds.
    shopops_channel_drift_seconds: float = Field(default=15.0, gt=0)

    def channel_secret(self, channel: str) -> bytes | None:
        secret = self.shopops_channel_secrets.get(channel)
        return secret.encode() if secret else None

    @property
    def routing_policy(self) -> RoutingPolicy:
        return RoutingPolicy(
            {k: tuple(v) for k, v in self.shopops_routing_preferred.items()}, self.shopops_payment_first_channels
        )

    @property
    def clearance_policies(self) -> ClearancePolicies:
        return ClearancePolicies.from_config(self.shopops_clearance_policy)

    @property
    def forecast_refresh_time(self) -> time | None:
        """The nightly forecast refresh's UTC time, or None when the schedule is off."""
        return _clock(self.shopops_forecast_refresh_at)

    @property
    def ticket_retrain_time(self) -> time | None:
        """The daily classifier retraining's UTC time, or None when the schedule is off."""
        return _clock(self.shopops_ticket_retrain_at)

    def triage_rules(self) -> dict[str, Any]:
        """The ticket rules: the built-in ones, parts replaced by the operators' file (read on each use)."""
        return _load_triage_rules(self.shopops_triage_rules) if self.shopops_triage_rules else DEFAULT_RULES

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
            # No ping per checkout (a round trip on every command): the recorder retries a dead connection's
            # OperationalError (10 × 0.2 s) and the pool drops it, so a restarted server costs one retry.
            "POSTGRES_PRE_PING": "n",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "CREATE_TABLE": "n",
            "IS_SNAPSHOTTING_ENABLED": "n",
            **(
                {"AGGREGATE_CACHE_MAXSIZE": str(self.shopops_aggregate_cache), "AGGREGATE_CACHE_FASTFORWARD": "y"}
                if self.shopops_aggregate_cache
                else {}
            ),
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


def _clock(value: str) -> time | None:
    if not value:
        return None
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _load_triage_rules(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            custom = json.load(handle)
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read triage rules {path}: {error}") from None
    if not isinstance(custom, dict):
        raise ValueError(f"triage rules {path} must be a JSON object like domain.triage.DEFAULT_RULES")
    return {**DEFAULT_RULES, **custom}


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment a supervised child process starts with: this process's, with `overrides`."""
    return {**os.environ, **overrides}


def default_environment(name: str, value: str) -> str:
    """Set an environment variable for this process and its children unless it is set; returns its value
    (for libraries that read their own variables, e.g. pgserver's XDG_RUNTIME_DIR)."""
    return os.environ.setdefault(name, value)


class ConfigurationError(SystemExit):
    """Raised at start-up for a bad setting: the process stops (exit status 1) and says which setting and why."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, validated once; a bad value stops the process with a clear message."""
    try:
        return Settings()
    except SettingsError as error:  # a variable that is not even JSON where JSON is expected
        raise ConfigurationError(f"shopops: invalid configuration: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors(include_url=False)
        )
        raise ConfigurationError(f"shopops: invalid configuration: {problems}") from None
