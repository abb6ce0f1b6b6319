"""The middleware of one daemon, called in order; a failing hook is logged and never stops a message."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import structlog

from wsbridge.consumer.middleware.base import Middleware, Processed
from wsbridge.consumer.settings import StartupError

if TYPE_CHECKING:
    from wsbridge.consumer.executor import ExecutedAction
    from wsbridge.consumer.services import Services
    from wsbridge.consumer.settings import Settings
    from wsbridge.consumer.sqs import Message

ENTRY_POINT_GROUP = "wsbridge.middleware"


class MiddlewareError(StartupError):
    """A middleware plugin cannot be loaded; the message is one line."""


def plugin_middleware(settings: Settings, services: Services) -> list[Middleware]:
    """The installed ``wsbridge.middleware`` plugins, by entry-point name."""
    found = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda item: item.name):
        try:
            middleware_class = point.load()
        except Exception as error:
            raise MiddlewareError(f"middleware plugin {point.name!r} ({point.value}) failed to load: {error}") from None
        if not (isinstance(middleware_class, type) and issubclass(middleware_class, Middleware)):
            raise MiddlewareError(f"middleware plugin {point.name!r} ({point.value}) is not a Middleware subclass")
        found.append(middleware_class.from_runtime(settings, services))
    return found


class MiddlewareChain(Middleware):
    """Calls each hook on every middleware in order."""

    def __init__(self, middleware: Iterable[Middleware] = ()) -> None:
        self.middleware = list(middleware)
        self._log = structlog.get_logger("wsbridge.middleware")

    async def startup(self) -> None:
        """Start every middleware, in order."""
        for middleware in self.middleware:
            await middleware.startup()

    async def shutdown(self) -> None:
        """Stop every middleware, in reverse order; one failing does not keep the others running."""
        for middleware in reversed(self.middleware):
            try:
                await middleware.shutdown()
            except Exception as error:
                self._failed(middleware, "shutdown", error)

    def hold_receives(self) -> bool:
        """True when any middleware holds receives."""
        return any(self._ask(middleware) for middleware in self.middleware)

    def after_receive(self, messages: Sequence[Message]) -> None:
        """See :meth:`Middleware.after_receive`."""
        self._each("after_receive", lambda middleware: middleware.after_receive(messages))

    def after_queue_error(self, operation: str, error: Exception) -> None:
        """See :meth:`Middleware.after_queue_error`."""
        self._each("after_queue_error", lambda middleware: middleware.after_queue_error(operation, error))

    def before_process(self, message: Message) -> None:
        """See :meth:`Middleware.before_process`."""
        self._each("before_process", lambda middleware: middleware.before_process(message))

    def after_lease_extended(self, message: Message) -> None:
        """See :meth:`Middleware.after_lease_extended`."""
        self._each("after_lease_extended", lambda middleware: middleware.after_lease_extended(message))

    def after_action(self, executed: ExecutedAction) -> None:
        """See :meth:`Middleware.after_action`."""
        self._each("after_action", lambda middleware: middleware.after_action(executed))

    def after_process(self, processed: Processed) -> None:
        """See :meth:`Middleware.after_process`."""
        self._each("after_process", lambda middleware: middleware.after_process(processed))

    def _ask(self, middleware: Middleware) -> bool:
        try:
            return middleware.hold_receives()
        except Exception as error:
            self._failed(middleware, "hold_receives", error)
            return False

    def _each(self, hook: str, call: Callable[[Middleware], None]) -> None:
        for middleware in self.middleware:
            try:
                call(middleware)
            except Exception as error:
                self._failed(middleware, hook, error)

    def _failed(self, middleware: Middleware, hook: str, error: Exception) -> None:
        self._log.error("middleware_failed", middleware=type(middleware).__name__, hook=hook, error=repr(error))
