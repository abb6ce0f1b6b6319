"""Tunables of the WS client, and how they come from :class:`~wsbridge.consumer.settings.Settings`."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from wsbridge.consumer.settings import AuthScheme, Settings


class RecommendationMode(StrEnum):
    """How a recommendation scan's results get applied."""

    ASSIGN = "assign"
    """Wait for the scan, then assign ``recommendedToAssignRuleIDs`` to the computer."""
    AUTO_APPLY = "auto-apply"
    """Rely on ``intrusionPreventionSettingAutoApplyRecommendationsEnabled``; assign only where it is off."""


AUTO_APPLY_SETTING = "intrusionPreventionSettingAutoApplyRecommendationsEnabled"


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Everything but the URL and the key. Defaults match :class:`Settings`."""

    auth_scheme: AuthScheme = AuthScheme.APIKEY
    verify_tls: bool = True
    ca_file: Path | None = None
    timeout_seconds: float = 30.0
    max_connections: int = 32
    max_attempts: int = 5
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 20.0
    retry_after_cap_seconds: float = 60.0
    rate_limit_per_minute: int = 400
    rate_limit_window_seconds: float = 60.0
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0
    cache_ttl_seconds: float = 60.0
    rule_cache_ttl_seconds: float = 3600.0
    recommendations: RecommendationMode = RecommendationMode.ASSIGN
    scan_wait_seconds: float = 120.0
    scan_poll_seconds: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "auth_scheme", AuthScheme(self.auth_scheme))
        object.__setattr__(self, "recommendations", RecommendationMode(self.recommendations))

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ClientOptions:
        """Options from the ``ws_*`` settings, then ``overrides`` by field name."""
        options = cls(
            auth_scheme=settings.ws_auth_scheme,
            verify_tls=settings.ws_verify_tls,
            ca_file=settings.ws_ca_file,
            timeout_seconds=settings.ws_timeout_seconds,
            max_connections=settings.ws_max_connections,
            max_attempts=settings.ws_max_attempts,
            retry_base_seconds=settings.ws_retry_base_seconds,
            retry_max_seconds=settings.ws_retry_max_seconds,
            rate_limit_per_minute=settings.ws_rate_limit_per_minute,
            breaker_failures=settings.ws_breaker_failures,
            breaker_reset_seconds=settings.ws_breaker_reset_seconds,
            cache_ttl_seconds=settings.ws_cache_ttl_seconds,
            rule_cache_ttl_seconds=settings.ws_rule_cache_ttl_seconds,
            recommendations=RecommendationMode(settings.ws_recommendations),
            scan_wait_seconds=settings.ws_scan_wait_seconds,
            scan_poll_seconds=settings.ws_scan_poll_seconds,
        )
        unknown = set(overrides) - {item.name for item in fields(cls)}
        if unknown:
            raise TypeError(f"unknown WS client options: {', '.join(sorted(unknown))}")
        return replace(options, **overrides)
