"""Typed settings from ``WSBRIDGE_*`` environment variables, validated at start."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wsbridge.consumer.event_loop import EventLoop


class AuthScheme(StrEnum):
    """How the WS API key is sent."""

    APIKEY = "apikey"
    API_SECRET_KEY = "api-secret-key"


class LogFormat(StrEnum):
    """Log renderer; ``auto`` picks console on a TTY, JSON otherwise."""

    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class UnknownDetailTypePolicy(StrEnum):
    """What happens to an envelope whose detail-type no handler claims."""

    SKIP = "skip"
    DEAD_LETTER = "dead-letter"


class WafAuditSettings(BaseSettings):
    """The WAF coverage audit's settings, readable without the rest (the audit handler triages with them)."""

    model_config = SettingsConfigDict(env_prefix="WSBRIDGE_", extra="ignore", frozen=True)

    waf_audit_rule: str | None = Field(
        None,
        description="Name or ARN of the schedule (EventBridge rule or Scheduler schedule) that starts the WAF audit",
    )
    waf_audit_regions: str = Field(
        "", description="Comma-separated regions the WAF audit walks (empty: the daemon's region)"
    )
    waf_audit_accounts: str = Field(
        "",
        pattern=r"^[0-9,\s]*$",
        description="Comma-separated member accounts the WAF audit walks besides the daemon's own (member role)",
    )

    @property
    def audit_regions(self) -> tuple[str, ...]:
        """The regions of WSBRIDGE_WAF_AUDIT_REGIONS (empty: the daemon's region)."""
        return _names(self.waf_audit_regions)

    @property
    def audit_accounts(self) -> tuple[str, ...]:
        """The member accounts of WSBRIDGE_WAF_AUDIT_ACCOUNTS."""
        return _names(self.waf_audit_accounts)


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))


class Settings(WafAuditSettings):
    """Every setting of the daemon. Names are ``WSBRIDGE_`` + the field name in upper case."""

    model_config = SettingsConfigDict(env_prefix="WSBRIDGE_", extra="ignore", frozen=True)

    queue_url: str = Field(min_length=1, description="URL of the findings SQS queue (required)")
    dlq_url: str | None = Field(
        None, description="Dead-letter queue URL; read from the queue's RedrivePolicy when unset"
    )
    ws_url: str = Field("http://127.0.0.1:4580/api", description="Workload Security API base URL")
    ws_api_key: SecretStr | None = Field(None, description="Workload Security API key")
    ws_api_key_secret_id: str | None = Field(
        None, description="Secrets Manager secret id holding the WS API key (instead of ws_api_key)"
    )
    ws_api_key_refresh_seconds: float = Field(
        3600.0,
        ge=0,
        description="Read the WS API key secret again this often (0: only when WS answers 401)",
    )
    ws_auth_scheme: AuthScheme = Field(AuthScheme.APIKEY, description="`apikey` or `api-secret-key`")
    ws_verify_tls: bool = Field(True, description="Verify the WS API's TLS certificate")
    ws_ca_file: Path | None = Field(
        None, description="CA bundle that signed a self-signed manager's certificate (verification stays on)"
    )
    ws_rate_limit_per_minute: int = Field(
        400,
        ge=1,
        description="Client-side cap on WS API calls per minute, shared by all workers (and, with "
        "WSBRIDGE_STATE_TABLE, by every replica)",
    )
    ws_rate_limit_window_seconds: float = Field(
        60.0, gt=0, description="The window WSBRIDGE_WS_RATE_LIMIT_PER_MINUTE counts in (a manager's is 60 s)"
    )
    ws_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one WS API request")
    ws_max_attempts: int = Field(5, ge=1, le=20, description="Attempts per WS API call (retries + 1)")
    ws_retry_base_seconds: float = Field(0.5, gt=0, description="First WS retry delay cap; doubles per attempt")
    ws_retry_max_seconds: float = Field(20.0, gt=0, description="Cap on one WS retry delay (full jitter below it)")
    ws_max_connections: int = Field(32, ge=1, le=512, description="Open connections to the WS API at most")
    ws_breaker_failures: int = Field(
        5, ge=1, description="Consecutive failed WS calls (5xx, timeout, connection) that open the circuit"
    )
    ws_breaker_reset_seconds: float = Field(30.0, gt=0, description="Time the WS circuit stays open before a probe")
    ws_cache_ttl_seconds: float = Field(
        60.0, ge=0, description="TTL of cached instance->computer and policy reads (0 disables)"
    )
    ws_rule_cache_ttl_seconds: float = Field(3600.0, ge=0, description="TTL of the cached IPS rule catalogue")
    ws_recommendations: str = Field(
        "assign",
        pattern="^(assign|auto-apply)$",
        description="`assign` recommended rules after a scan, or rely on the policy's `auto-apply` settings",
    )
    ws_recommendation_modules: str = Field(
        "ips",
        pattern="^(ips|all)$",
        description="Apply the recommendations of `ips` only, or of `all` (also integrity monitoring, log inspection)",
    )
    ws_recommendation_unassign: bool = Field(
        False, description="Also remove the rules a recommendation scan recommends un-assigning"
    )
    ws_scan_wait_seconds: float = Field(
        120.0, gt=0, description="How long to wait for a recommendation scan before applying its results"
    )
    ws_scan_poll_seconds: float = Field(5.0, gt=0, description="Poll interval while waiting for a scan")
    concurrency: int = Field(
        32,
        ge=1,
        le=1024,
        description="Messages working at the same time (a message waiting for a scan's results gives its slot up)",
    )
    poll_loops: int = Field(2, ge=1, le=10, description="Concurrent long-poll receive loops")
    wait_time_seconds: int = Field(20, ge=0, le=20, description="SQS long-poll wait")
    visibility_timeout_seconds: int = Field(
        60, ge=5, le=43200, description="Lease taken on each received message, renewed by the heartbeat"
    )
    handler_timeout_seconds: float = Field(
        300.0, gt=0, description="Hard limit on one message's handling; then it is cancelled and retried"
    )
    retry_base_seconds: int = Field(10, ge=0, description="First retry delay; doubles per receive")
    retry_max_seconds: int = Field(900, ge=0, le=43200, description="Cap on the retry delay")
    drain_seconds: float = Field(
        25.0,
        ge=0,
        description="On SIGTERM/SIGINT, time given to in-flight messages before cancelling; "
        "what is left of it goes to pending scan-task deletes",
    )
    stop_timeout_seconds: float = Field(
        30.0, gt=0, description="The platform's stop timeout (ECS stopTimeout); drain must fit in it"
    )
    dedupe_ttl_seconds: int = Field(3600, ge=0, description="How long a processed event id is remembered")
    coalesce_window_seconds: int = Field(300, ge=0, description="One mutating WS action per target within this window")
    state_table: str | None = Field(
        None,
        description="DynamoDB table shared by every replica for de-duplication, coalescing and the WS "
        "rate budget (unset: in memory, per process)",
    )
    unknown_detail_type: UnknownDetailTypePolicy = Field(
        UnknownDetailTypePolicy.SKIP, description="`skip` or `dead-letter` for unhandled detail-types"
    )
    handlers: str = Field("", description="Comma-separated handler names to enable (empty: every installed handler)")
    aws_role_name: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[\w+=,.@-]+$",
        description="Role assumed in a finding's account when it is not the daemon's own (unset: own account only)",
    )
    aws_external_id: str | None = Field(
        None,
        min_length=2,
        max_length=1224,
        pattern=r"^[\w+=,.@:/-]+$",
        description="External id required by the member role's trust policy",
    )
    notify_sns_topic_arn: str | None = Field(None, description="SNS topic for notifications to people")
    notify_webhook_url: str | None = Field(None, description="URL that receives notifications as JSON POSTs")
    dry_run: bool = Field(False, description="Plan and log actions without executing them")
    metrics_port: int = Field(9102, ge=0, le=65535, description="Port of /metrics, /healthz, /readyz")
    metrics_host: str = Field("0.0.0.0", description="Address the metrics server binds")
    health_max_poll_age_seconds: float = Field(
        90.0, gt=0, description="/healthz fails when no receive call completed for this long"
    )
    log_format: LogFormat = Field(LogFormat.AUTO, description="`json`, `console` or `auto`")
    log_level: str = Field("info", description="Minimum log level")
    event_loop: EventLoop = Field(
        EventLoop.UVLOOP, description="`uvloop` (asyncio's own where uvloop is not installed) or `asyncio`"
    )
    handler_config: Path | None = Field(None, description="TOML file with per-handler policies")

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        if self.ws_api_key and self.ws_api_key_secret_id:
            raise ValueError("set only one of WSBRIDGE_WS_API_KEY and WSBRIDGE_WS_API_KEY_SECRET_ID")
        if self.handler_timeout_seconds <= self.ws_scan_wait_seconds:
            raise ValueError(
                "WSBRIDGE_HANDLER_TIMEOUT_SECONDS must be longer than WSBRIDGE_WS_SCAN_WAIT_SECONDS, "
                "or every recommendation scan that is waited for is cancelled"
            )
        if self.handler_timeout_seconds > 43200:
            raise ValueError("WSBRIDGE_HANDLER_TIMEOUT_SECONDS exceeds SQS's 12 h visibility cap")
        if self.visibility_timeout_seconds < 3 * self.heartbeat_interval_seconds:
            raise ValueError("WSBRIDGE_VISIBILITY_TIMEOUT_SECONDS is too short for a heartbeat")
        if self.drain_seconds + 3 > self.stop_timeout_seconds:
            raise ValueError(
                "WSBRIDGE_DRAIN_SECONDS must be at least 3 s shorter than WSBRIDGE_STOP_TIMEOUT_SECONDS "
                "so released messages are reset before SIGKILL"
            )
        if self.aws_external_id and not self.aws_role_name:
            raise ValueError("WSBRIDGE_AWS_EXTERNAL_ID is set but WSBRIDGE_AWS_ROLE_NAME is not")
        if self.retry_base_seconds > self.retry_max_seconds:
            raise ValueError("WSBRIDGE_RETRY_BASE_SECONDS is larger than WSBRIDGE_RETRY_MAX_SECONDS")
        return self

    @property
    def heartbeat_interval_seconds(self) -> float:
        """Renew the lease three times per visibility timeout."""
        return max(1.0, self.visibility_timeout_seconds / 3)

    @property
    def enabled_handlers(self) -> frozenset[str] | None:
        """The handler names of WSBRIDGE_HANDLERS, or ``None`` for all."""
        names = frozenset(name.strip() for name in self.handlers.split(",") if name.strip())
        return names or None

    def handler_policies(self) -> dict[str, Any]:
        """Per-handler tables from the TOML file (empty when none is configured)."""
        if self.handler_config is None:
            return {}
        import tomllib

        with self.handler_config.open("rb") as stream:
            return tomllib.load(stream)


class StartupError(Exception):
    """The daemon cannot start; the message is one line."""


class SettingsError(Exception):
    """Settings are missing or invalid; the message is one line fit for the terminal."""


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, turning validation errors into one line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(one_line_reason(error)) from None


def one_line_reason(error: ValidationError) -> str:
    """Join pydantic's errors into one line naming the environment variables."""
    parts = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        name = f"WSBRIDGE_{location.upper()}" if location else "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(message if location == "" else f"{name}: {message}")
    return "invalid settings: " + "; ".join(parts)
