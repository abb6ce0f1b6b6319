"""The lifecycle hooks a middleware may implement; every hook does nothing unless overridden.

The daemon calls them in this order: :meth:`Middleware.startup` once; per receive
:meth:`~Middleware.hold_receives` and :meth:`~Middleware.after_receive`; per message
:meth:`~Middleware.before_process`, :meth:`~Middleware.after_lease_extended` and
:meth:`~Middleware.after_action` while it runs, :meth:`~Middleware.after_process` once it is
settled; :meth:`~Middleware.shutdown` once at the end. Per-message hooks are synchronous and must
not block: they run on the event loop between awaits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Self

    from wsbridge.consumer.executor import ExecutedAction
    from wsbridge.consumer.pipeline import Outcome
    from wsbridge.consumer.services import Services
    from wsbridge.consumer.settings import Settings
    from wsbridge.consumer.sqs import Message


@dataclass(frozen=True, slots=True)
class Processed:
    """One settled message: its outcome, how long it took, and its retry delay when it was retried."""

    message: Message
    outcome: Outcome
    duration_seconds: float
    retry_in_seconds: int | None


class Middleware:
    """A cross-cutting concern on the message lifecycle (metrics, the canonical log line, back-pressure).

    Plugins register subclasses in the ``wsbridge.middleware`` entry-point group; the daemon builds
    each with :meth:`from_runtime`.
    """

    @classmethod
    def from_runtime(cls, settings: Settings, services: Services) -> Self:
        """Build the middleware for a daemon; override to read settings or use the clients."""
        return cls()

    async def startup(self) -> None:
        """The daemon is about to receive (start background tasks here)."""

    async def shutdown(self) -> None:
        """The daemon has drained (stop background tasks here)."""

    def hold_receives(self) -> bool:
        """True to receive nothing for now (checked before every receive)."""
        return False

    def after_receive(self, messages: Sequence[Message]) -> None:
        """A ReceiveMessage call succeeded (``messages`` may be empty)."""

    def after_queue_error(self, operation: str, error: Exception) -> None:
        """An SQS call (``operation``, e.g. ``ReceiveMessage``) failed."""

    def before_process(self, message: Message) -> None:
        """A worker took the message."""

    def after_lease_extended(self, message: Message) -> None:
        """The heartbeat extended the message's visibility timeout."""

    def after_action(self, executed: ExecutedAction) -> None:
        """The executor ran, coalesced, dry-ran or failed one planned action."""

    def after_process(self, processed: Processed) -> None:
        """The message was settled (deleted, retried or dead-lettered), or released at shutdown."""
