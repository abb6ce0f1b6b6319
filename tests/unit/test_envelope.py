import json
from pathlib import Path

import pytest
from support.bodies import malformed_bodies

from wsbridge.consumer.envelope import CONFIG_RULE_INVOCATION, SNS_NOTIFICATION, MalformedMessage, parse_body

EVENTS = Path(__file__).parents[1] / "fixtures" / "events"


@pytest.mark.parametrize(("body", "reason"), malformed_bodies().values(), ids=list(malformed_bodies()))
def test_malformed_bodies_are_rejected_with_a_one_line_reason(body: str, reason: str) -> None:
    if reason.startswith("no handler"):
        assert parse_body(body).detail_type.startswith("Überwachung")
        return
    with pytest.raises(MalformedMessage) as error:
        parse_body(body)
    assert reason in str(error.value)
    assert "\n" not in str(error.value)
    assert len(str(error.value)) < 200


def test_every_sample_parses_to_an_event_with_an_object_detail() -> None:
    for path in sorted(EVENTS.glob("*.json")):
        event = parse_body(path.read_bytes())
        assert isinstance(event.detail, dict), path.name
        assert event.id and event.detail_type and event.source, path.name


def test_scheduler_string_detail_becomes_an_object() -> None:
    event = parse_body((EVENTS / "scheduler-default-1.json").read_bytes())
    assert event.source == "aws.scheduler"
    assert event.detail == {}


def test_sns_notification_gets_a_synthetic_detail_type_and_parsed_message() -> None:
    event = parse_body((EVENTS / "inspector-classic-sns-finding-1.json").read_bytes())
    assert event.detail_type == SNS_NOTIFICATION
    assert event.detail["message"]["event"] == "FINDING_REPORTED"


def test_eventbridge_event_forwarded_through_sns_is_unwrapped() -> None:
    inner = json.loads((EVENTS / "guardduty-canary-ec2-1.json").read_text())
    body = json.dumps({"Type": "Notification", "MessageId": "m-1", "Message": json.dumps(inner)})
    event = parse_body(body)
    assert event.detail_type == "GuardDuty Finding"
    assert event.id == inner["id"]


def test_config_rule_invocation_has_parsed_invoking_event_and_stable_id() -> None:
    body = (EVENTS / "config-ruleinvoked-ec2-2.json").read_bytes()
    first, second = parse_body(body), parse_body(body)
    assert first.detail_type == CONFIG_RULE_INVOCATION
    assert isinstance(first.detail["invokingEvent"], dict)
    assert first.id == second.id


def test_unknown_top_level_keys_and_missing_version_are_accepted() -> None:
    body = json.dumps({"id": "1", "detail-type": "X", "source": "s", "detail": {}, "debug": True})
    assert parse_body(body).detail_type == "X"
