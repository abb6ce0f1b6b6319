"""The outside world as handlers and actions see it: the WS client, AWS clients and the notifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from wsbridge.consumer.notify import LogNotifier

if TYPE_CHECKING:
    from wsbridge.consumer.aws import AwsClients
    from wsbridge.consumer.workload_security import WorkloadSecurityClient


class Notifier(Protocol):
    """Sends a notification to the people responsible for a resource."""

    async def send(self, topic: str, subject: str, details: dict[str, Any]) -> None:
        """Deliver one notification."""


class ServiceUnavailable(RuntimeError):
    """A service the plan needs was not configured."""


@dataclass
class Services:
    """Clients shared by all workers of one daemon."""

    ws: WorkloadSecurityClient | None = None
    aws: AwsClients | None = None
    notify: Notifier | None = None

    def workload_security(self) -> WorkloadSecurityClient:
        """The WS client, or a clear error when WSBRIDGE_WS_URL/key are not configured."""
        if self.ws is None:
            raise ServiceUnavailable("the Workload Security client is not configured")
        return self.ws

    def aws_clients(self) -> AwsClients:
        """The AWS clients, or a clear error when there are none (offline use)."""
        if self.aws is None:
            raise ServiceUnavailable("AWS clients are not available")
        return self.aws

    def notifier(self) -> Notifier:
        """The configured notifier (SNS and/or webhook), else the log."""
        if self.notify is None:
            self.notify = LogNotifier()
        return self.notify
