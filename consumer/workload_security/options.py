"""Tunables of the WS client, and how they come from :class:`~wsbridge.consumer.settings.Settings`."""

from __future__ import annotations

from dataclasses import dataclass, fields
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


class RecommendationModules(StrEnum):
    """Which modules' recommendations get applied after a recommendation scan."""

    IPS = "ips"
    """Intrusion prevention only."""
    ALL = "all"
    """Intrusion prevention, integrity monitoring and log inspection."""


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Everything but the URL and the key, for the client and its transport. Defaults match :class:`Settings`."""

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
    recommendation_modules: RecommendationModules = RecommendationModules.IPS
    recommendation_unassign: bool = False
    scan_wait_seconds: float = 120.0
    scan_poll_seconds: float = 5.0
    api_key_refresh_seconds: float = 3600.0
    resume_window_seconds: float = 300.0
    """How long after its start the client resumes recommendation scans earlier processes left (the
    coalescing window, ``WSBRIDGE_COALESCE_WINDOW_SECONDS``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "auth_scheme", AuthScheme(self.auth_scheme))
        object.__setattr__(self, "recommendations", RecommendationMode(self.recommendations))
        object.__setattr__(self, "recommendation_modules", RecommendationModules(self.recommendation_modules))

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ClientOptions:
        """Options from the ``ws_<field>`` settings, then ``overrides`` by field name."""
        names = {item.name for item in fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise TypeError(f"unknown WS client options: {', '.join(sorted(unknown))}")
        configured = {name: getattr(settings, f"ws_{name}") for name in names if hasattr(settings, f"ws_{name}")}
        return cls(**{**configured, **overrides})
