"""Cross-cutting concerns on the message lifecycle, one module each (see :mod:`.base` for the hooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.middleware.backpressure import WorkloadSecurityBackPressure
from wsbridge.consumer.middleware.base import Middleware, Processed
from wsbridge.consumer.middleware.canonical_log import CanonicalLogLine
from wsbridge.consumer.middleware.chain import ENTRY_POINT_GROUP, MiddlewareChain, MiddlewareError, plugin_middleware
from wsbridge.consumer.middleware.metrics import PrometheusMetrics

if TYPE_CHECKING:
    from wsbridge.consumer.services import Services
    from wsbridge.consumer.settings import Settings

__all__ = [
    "ENTRY_POINT_GROUP",
    "CanonicalLogLine",
    "Middleware",
    "MiddlewareChain",
    "MiddlewareError",
    "Processed",
    "PrometheusMetrics",
    "WorkloadSecurityBackPressure",
    "daemon_middleware",
]


def daemon_middleware(settings: Settings, services: Services) -> MiddlewareChain:
    """The built-in middleware (metrics, the canonical log line, WS back-pressure), then the plugins."""
    built_in = [
        PrometheusMetrics(settings.concurrency),
        CanonicalLogLine(),
        WorkloadSecurityBackPressure.from_runtime(settings, services),
    ]
    return MiddlewareChain([*built_in, *plugin_middleware(settings, services)])
