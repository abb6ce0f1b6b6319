"""The Prometheus metrics of the daemon (names are a contract; labels never carry ids)."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.metrics import MetricWrapperBase

_Metric = TypeVar("_Metric", bound=MetricWrapperBase)

_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

MESSAGES_RECEIVED = Counter("wsbridge_messages_received", "SQS messages received")
MESSAGES_PROCESSED = Counter(
    "wsbridge_messages_processed",
    "Messages finished, by outcome (success, skipped, duplicate, retry, dead_letter)",
    ["detail_type", "handler", "outcome"],
)
HANDLER_DURATION = Histogram(
    "wsbridge_handler_duration_seconds",
    "Time from receipt to outcome of one message",
    ["detail_type", "handler"],
    buckets=_DURATION_BUCKETS,
)
MESSAGES_IN_FLIGHT = Gauge("wsbridge_messages_in_flight", "Messages being processed now")
WORKER_SLOTS = Gauge("wsbridge_worker_slots", "Messages the daemon processes at once (WSBRIDGE_CONCURRENCY)")
VISIBILITY_EXTENSIONS = Counter(
    "wsbridge_visibility_extensions", "Leases renewed by the heartbeat (one per message renewed)"
)
ACTIONS = Counter(
    "wsbridge_actions", "Planned actions, by result (done, coalesced, dry_run, failed)", ["action", "result"]
)
WS_REQUESTS = Counter("wsbridge_ws_requests", "Workload Security API requests", ["operation", "status_code"])
WS_REQUEST_DURATION = Histogram(
    "wsbridge_ws_request_duration_seconds",
    "Workload Security API request latency",
    ["operation"],
    buckets=_DURATION_BUCKETS,
)
WS_RETRIES = Counter("wsbridge_ws_retries", "Workload Security API retries", ["reason"])
WS_CIRCUIT_OPEN = Gauge("wsbridge_ws_circuit_open", "1 while the WS API circuit breaker is open")
LAST_POLL = Gauge("wsbridge_last_poll_timestamp_seconds", "Unix time of the last ReceiveMessage call that succeeded")
REFUSED_SOURCES = Counter(
    "wsbridge_refused_sources",
    "Events refused because their source may not carry their detail-type (e.g. a forged GuardDuty finding)",
    ["detail_type"],
)
AWS_ASSUME_ROLE_FAILURES = Counter(
    "wsbridge_aws_assume_role_failures",
    "Member roles that could not be assumed, by reason (not_configured, refused, error)",
    ["reason"],
)
LOG_WRITE_FAILURES = Counter(
    "wsbridge_log_write_failures", "Log lines dropped because the log sink failed (a closed pipe or terminal)"
)
SQS_ERRORS = Counter("wsbridge_sqs_errors", "Failed SQS calls", ["operation"])
BUILD_INFO = Info("wsbridge_build", "Build information")


def package_version() -> str:
    """The installed wsbridge version."""
    try:
        return version("wsbridge")
    except PackageNotFoundError:
        return "0.0.0"


BUILD_INFO.info({"version": package_version()})


def registry() -> CollectorRegistry:
    """The registry served on /metrics."""
    return REGISTRY


UNCOVERED_CVES = Counter(
    "wsbridge_uncovered_cves", "Vulnerability findings whose CVE no Workload Security IPS rule covers"
)


@lru_cache(maxsize=4096)
def labelled(metric: _Metric, *values: str) -> _Metric:
    """``metric.labels(*values)``, looked up once per combination of values (hot paths count per call)."""
    return metric.labels(*values)
