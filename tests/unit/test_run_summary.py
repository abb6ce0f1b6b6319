"""`make run`'s summary: the daemon's counters since the samples were sent, as one table."""

from __future__ import annotations

from devstack.run_summary import Counts, parse, render

BEFORE = """\
# TYPE wsbridge_messages_processed_total counter
wsbridge_messages_processed_total{detail_type="GuardDuty Finding",handler="guardduty",outcome="success"} 1.0
"""

AFTER = """\
# TYPE wsbridge_messages_processed_total counter
wsbridge_messages_processed_total{detail_type="GuardDuty Finding",handler="guardduty",outcome="success"} 3.0
wsbridge_messages_processed_total{detail_type="GuardDuty Finding",handler="guardduty",outcome="skipped"} 1.0
wsbridge_messages_processed_total{detail_type="Macie Finding",handler="macie",outcome="retry"} 2.0
wsbridge_messages_processed_total{detail_type="Macie Finding",handler="macie",outcome="dead_letter"} 1.0
# TYPE wsbridge_actions_total counter
wsbridge_actions_total{action="recommendation_scan",result="done"} 2.0
wsbridge_actions_total{action="recommendation_scan",result="coalesced"} 1.0
# TYPE wsbridge_ws_requests_total counter
wsbridge_ws_requests_total{operation="list_computers",status_code="200"} 7.0
"""


def test_only_what_was_counted_after_the_snapshot_is_shown() -> None:
    counts = parse(AFTER).since(parse(BEFORE))

    assert counts.messages == {
        ("GuardDuty Finding", "success"): 2,
        ("GuardDuty Finding", "skipped"): 1,
        ("Macie Finding", "retry"): 2,
        ("Macie Finding", "dead_letter"): 1,
    }
    assert counts.actions == {("recommendation_scan", "done"): 2, ("recommendation_scan", "coalesced"): 1}


def test_a_retry_is_not_settled_until_the_message_has_another_outcome() -> None:
    assert parse(AFTER).since(parse(BEFORE)).settled == 4


def test_the_table_has_a_row_per_detail_type_a_total_and_a_row_per_action() -> None:
    text = render(parse(AFTER).since(parse(BEFORE)), expected=4)

    assert text.splitlines() == [
        "devstack: 4 of the 4 sample messages sent have settled:",
        "  detail-type        handled  skipped  duplicate  retry  dead-lettered",
        "  GuardDuty Finding        2        1          0      0              0",
        "  Macie Finding            0        0          0      2              1",
        "  total                    2        1          0      2              1",
        "",
        "  action                done  coalesced  dry_run  failed",
        "  recommendation_scan      2          1        0       0",
    ]


def test_messages_that_did_not_settle_are_reported_as_pending() -> None:
    text = render(Counts(), expected=3)

    assert text.splitlines()[0] == "devstack: 0 of the 3 sample messages sent have settled, 3 still pending:"
    assert text.splitlines()[-1] == "  total              0        0          0      0              0"
