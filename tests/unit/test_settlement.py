"""How a failure settles: dead-letter or retry, after which delay, with which DLQ reason."""

from __future__ import annotations

import pytest

from wsbridge.consumer.settings import Settings
from wsbridge.consumer.settlement import (
    PermanentError,
    RetryLater,
    TransientError,
    classify,
    dead_letter_reason,
    out_of_receives,
    requested_delay,
    retry_delay,
    settle_delay,
)
from wsbridge.consumer.workload_security import WorkloadSecurityError
from wsbridge.consumer.workload_security.errors import error_for_status


def ws_error(status: int) -> WorkloadSecurityError:
    return error_for_status(status, "answer", operation="describeComputer")


def test_a_permanent_error_dead_letters_with_its_type_and_message_as_the_reason() -> None:
    assert classify(PermanentError("no such policy")) == ("dead_letter", "PermanentError: no such policy")


def test_transient_errors_and_unexpected_exceptions_retry() -> None:
    assert classify(TransientError("busy"))[0] == "retry"
    assert classify(KeyError("surprise"))[0] == "retry"


def test_a_timeout_retries_with_a_short_reason() -> None:
    assert classify(TimeoutError()) == ("retry", "timed out")


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_an_api_answer_about_the_request_dead_letters(status: int) -> None:
    assert classify(ws_error(status))[0] == "dead_letter"


@pytest.mark.parametrize("status", [401, 403, 429, 500, 503])
def test_authentication_failures_throttling_and_outages_retry(status: int) -> None:
    assert classify(ws_error(status))[0] == "retry"


def test_a_reason_is_one_line() -> None:
    _, reason = classify(TransientError("first\nsecond"))
    assert "\n" not in reason


def test_retry_later_is_a_transient_error_that_carries_its_delay() -> None:
    error = RetryLater(120)
    assert classify(error)[0] == "retry"
    assert requested_delay(error) == 120
    assert requested_delay(TransientError("busy")) is None


@pytest.mark.parametrize("seconds", [-1, 43201])
def test_retry_later_refuses_a_delay_sqs_cannot_take(seconds: int) -> None:
    with pytest.raises(ValueError, match="retry delay"):
        RetryLater(seconds)


def test_retry_delay_doubles_per_receive_and_is_capped() -> None:
    assert [retry_delay(count, 10, 100) for count in range(0, 6)] == [10, 10, 20, 40, 80, 100]
    assert retry_delay(10_000, 10, 900) == 900


def test_a_requested_delay_wins_over_the_backoff() -> None:
    settings = Settings(queue_url="http://queue.invalid", retry_base_seconds=10, retry_max_seconds=900)
    assert settle_delay(None, 3, settings) == 40
    assert settle_delay(5, 3, settings) == 5
    assert settle_delay(0, 3, settings) == 0


def test_the_dead_letter_reason_is_bounded_and_never_empty() -> None:
    assert dead_letter_reason("") == "-"
    assert len(dead_letter_reason("x" * 5000)) == 1000


@pytest.mark.parametrize(
    ("receive_count", "max_receives", "last"),
    [(1, 5, False), (4, 5, False), (5, 5, True), (7, 5, True), (9, None, False)],
)
def test_a_retry_on_the_queues_last_receive_is_out_of_receives(
    receive_count: int, max_receives: int | None, last: bool
) -> None:
    assert out_of_receives(receive_count, max_receives) is last
