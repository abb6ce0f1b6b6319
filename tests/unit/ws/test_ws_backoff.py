"""Backoff math: capped exponential ceilings, full jitter below them, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wsbridge.consumer.workload_security.backoff import Backoff, parse_retry_after


def test_ceilings_double_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(base_seconds=0.5, max_seconds=4.0)
    assert [backoff.ceiling(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.ceiling(10_000) == 4.0


@pytest.mark.parametrize(("draw", "expected"), [(0.0, 0.0), (0.5, 1.0), (0.999, 1.998)])
def test_full_jitter_spreads_the_delay_over_zero_to_the_ceiling(draw: float, expected: float) -> None:
    backoff = Backoff(base_seconds=0.5, max_seconds=30.0, random=lambda: draw)
    assert backoff.delay(3) == pytest.approx(expected)


def test_jitter_stays_within_bounds_with_real_randomness() -> None:
    backoff = Backoff(base_seconds=0.1, max_seconds=1.0)
    delays = [backoff.delay(5) for _ in range(2000)]
    assert min(delays) >= 0.0 and max(delays) <= 1.0
    assert max(delays) - min(delays) > 0.5, "jitter really spreads retries"


def test_retry_after_wins_and_is_capped() -> None:
    backoff = Backoff(base_seconds=0.5, max_seconds=2.0, retry_after_cap_seconds=60.0, random=lambda: 0.0)
    assert backoff.delay(1, retry_after=7.0) == 7.0
    assert backoff.delay(1, retry_after=3600.0) == 60.0
    assert backoff.delay(1, retry_after=-1.0) == 0.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Wed, 27 Nov 2026 12:00:30 GMT", 30.0),
        ("Wed, 27 Nov 2026 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_header_forms(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now) == expected
