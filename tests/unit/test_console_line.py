"""On a terminal the canonical line is one short line; other lines pass through untouched."""

from __future__ import annotations

from wsbridge.consumer.console_line import shorten_message_line


def test_the_message_line_becomes_outcome_detail_type_target_actions_and_duration() -> None:
    line = {
        "event": "message",
        "level": "info",
        "timestamp": "t",
        "message_id": "m-1",
        "detail_type": "GuardDuty Finding",
        "outcome": "success",
        "reason": "handled",
        "duration_ms": 41.5,
        "targets": {"account": "1", "instance_ids": ["i-0abc"]},
        "actions": [
            {"action": "recommendation_scan", "computer_id": 1, "apply": True, "result": "done"},
            {"action": "notify", "details": {"deep": {"nested": 1}}, "result": "coalesced"},
        ],
    }
    short = shorten_message_line(None, "info", line)
    assert short == {
        "timestamp": "t",
        "level": "info",
        "event": "success GuardDuty Finding i-0abc recommendation_scan=done notify=coalesced 41.5 ms",
    }


def test_a_retry_says_why_and_when_and_other_lines_are_untouched() -> None:
    retry = {"event": "message", "outcome": "retry", "detail_type": "X", "reason": "WS down", "retry_in_seconds": 20}
    assert shorten_message_line(None, "warning", retry)["event"] == "retry X - (WS down) retry in 20 s 0 ms"
    other = {"event": "started", "queue_url": "q"}
    assert shorten_message_line(None, "info", dict(other)) == other
