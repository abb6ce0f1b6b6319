"""Route matching, the [notify] table's validation and the chat webhook body (pure logic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsbridge.consumer.notice_formats import chat_message
from wsbridge.consumer.routing import Route, RoutingTable, routing_table, severity_label
from wsbridge.consumer.settings import Settings, SettingsError


def test_the_first_route_whose_every_criterion_holds_wins_else_the_default() -> None:
    table = RoutingTable(
        routes=(
            Route(name="team", tags={"Team": ("payments",)}, severities=("HIGH",)),
            Route(name="prod", accounts=("111122223333",)),
        ),
        default=Route(name="default"),
    )
    high_payments = {"account": "111122223333", "severity": 8.0, "tags": {"Team": "payments"}}
    assert table.pick(high_payments).name == "team"
    assert table.pick({**high_payments, "severity": 5}).name == "prod"
    assert table.pick({"account": "999999999999", "tags": {"Team": "payments"}}).name == "default"
    assert table.tag_keys == ("Team",)


def test_severity_labels_from_numbers_and_labels() -> None:
    assert [severity_label(value) for value in (0.5, 2, 5.5, 7, 9.1)] == [
        "INFORMATIONAL",
        "LOW",
        "MEDIUM",
        "HIGH",
        "CRITICAL",
    ]
    assert severity_label("critical") == "CRITICAL"
    assert severity_label(None) is None


def test_a_bad_notify_table_is_a_one_line_settings_error(tmp_path: Path) -> None:
    config = tmp_path / "handlers.toml"
    config.write_text('[[notify.routes]]\nname = "x"\nwebhook_format = "teams"\n')
    with pytest.raises(SettingsError, match=r"notify.*webhook_format"):
        routing_table(Settings(queue_url="q", handler_config=config))


def test_without_a_table_the_default_is_the_notify_settings() -> None:
    table = routing_table(Settings(queue_url="q", notify_sns_topic_arn="arn:aws:sns:us-east-1:1:t"))
    assert table.routes == ()
    assert table.default.sns_topic_arn == "arn:aws:sns:us-east-1:1:t"


def test_the_chat_body_has_text_and_blocks_with_the_facts_and_links() -> None:
    body = chat_message(
        "finding on i-1",
        {"instance_id": "i-1", "account": "1", "reason": "no agent", "console_url": "https://c", "empty": None},
    )
    assert body["text"] == "finding on i-1"
    facts = body["blocks"][1]["text"]["text"]
    assert "*instance id*: i-1" in facts and "*reason*: no agent" in facts
    assert body["blocks"][2]["elements"][0]["text"] == "<https://c|console>"
