"""Async client for the Trend Micro Workload Security / Deep Security API v1, and the protection verdict."""

from wsbridge.consumer.workload_security.client import WorkloadSecurityClient
from wsbridge.consumer.workload_security.errors import (
    AuthError,
    CircuitOpenError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ScanTimeoutError,
    ServerError,
    WorkloadSecurityError,
)
from wsbridge.consumer.workload_security.models import (
    ApplicationType,
    Computer,
    IpsAssignments,
    IpsRule,
    Policy,
    RuleAssignments,
    ScheduledTask,
)
from wsbridge.consumer.workload_security.options import ClientOptions, RecommendationMode, RecommendationModules
from wsbridge.consumer.workload_security.verdict import ModuleVerdict, ProtectionVerdict, protection_verdict

__all__ = [
    "ApplicationType",
    "AuthError",
    "CircuitOpenError",
    "ClientOptions",
    "Computer",
    "InvalidRequestError",
    "IpsAssignments",
    "IpsRule",
    "ModuleVerdict",
    "NotFoundError",
    "Policy",
    "ProtectionVerdict",
    "RateLimitedError",
    "RecommendationMode",
    "RecommendationModules",
    "RequestTimeoutError",
    "RuleAssignments",
    "ScanTimeoutError",
    "ScheduledTask",
    "ServerError",
    "WorkloadSecurityClient",
    "WorkloadSecurityError",
    "protection_verdict",
]
