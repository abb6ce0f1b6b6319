"""The middleware chain: every hook reaches every middleware in order, and a failing one stops nothing."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import REGISTRY

from wsbridge.consumer.middleware import Middleware, MiddlewareChain, PrometheusMetrics
from wsbridge.consumer.sqs import Message

MESSAGE = Message("id-1", "handle-1", "{}", 1)


class Recording(Middleware):
    def __init__(self, name: str, seen: list[str], *, hold: bool = False) -> None:
        self.name, self.seen, self.hold = name, seen, hold

    def hold_receives(self) -> bool:
        return self.hold

    def after_receive(self, messages: Sequence[Message]) -> None:
        self.seen.append(f"{self.name}:{len(messages)}")


class Broken(Middleware):
    def hold_receives(self) -> bool:
        raise RuntimeError("broken")

    def after_receive(self, messages: Sequence[Message]) -> None:
        raise RuntimeError("broken")

    async def shutdown(self) -> None:
        raise RuntimeError("broken")


def test_hooks_run_in_order_and_a_failing_middleware_does_not_stop_the_others() -> None:
    seen: list[str] = []
    chain = MiddlewareChain([Recording("a", seen), Broken(), Recording("b", seen)])
    chain.after_receive([MESSAGE])
    assert seen == ["a:1", "b:1"]
    assert chain.hold_receives() is False


def test_any_middleware_holds_receives() -> None:
    chain = MiddlewareChain([Recording("a", []), Recording("b", [], hold=True)])
    assert chain.hold_receives() is True


async def test_every_middleware_is_shut_down_even_after_one_failed() -> None:
    stopped: list[str] = []

    class Stopping(Middleware):
        async def shutdown(self) -> None:
            stopped.append("stopped")

    await MiddlewareChain([Stopping(), Broken()]).shutdown()
    assert stopped == ["stopped"]


def test_the_metrics_middleware_counts_receives_and_queue_errors_under_the_contract_names() -> None:
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    received, errors = value("wsbridge_messages_received_total"), value("wsbridge_sqs_errors_total", operation="X")
    metrics = PrometheusMetrics()
    metrics.after_receive([MESSAGE, MESSAGE])
    metrics.after_queue_error("X", RuntimeError("refused"))
    assert value("wsbridge_messages_received_total") == received + 2
    assert value("wsbridge_sqs_errors_total", operation="X") == errors + 1
