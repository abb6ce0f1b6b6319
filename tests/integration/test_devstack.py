"""The local stack as `python -m devstack up` leaves it: bootstrap, event routing, `.stack/env`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack import bootstrap, env, samples, settings
from devstack.settings import DEMO_BUCKET, DEMO_INSTANCE_NAMES, PATTERN_FILE, ROOT, RULE_NAME

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        "WSBRIDGE_STACK_LOCALSTACK_URL" not in os.environ,
        reason="needs the local stack: python -m devstack test -- pytest ...",
    ),
]

GUARDDUTY_SAMPLE = ROOT / "tests" / "fixtures" / "events" / "guardduty-trojan-blackhole-dns-1.json"
ENVELOPE_KEYS = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
DELIVERY_SECONDS = 60


@pytest.fixture(scope="module")
def aws() -> boto3.session.Session:
    return bootstrap.session()


@pytest.fixture(scope="module")
def bootstrapped() -> bootstrap.Bootstrapped:
    return bootstrap.bootstrap(os.environ["WSBRIDGE_SANDBOX_URL"])


@dataclass
class IsolatedBus:
    """A private event bus with a rule using the findings pattern, delivering to a private queue."""

    name: str
    queue_url: str


@pytest.fixture
def isolated_bus(aws: boto3.session.Session) -> Iterator[IsolatedBus]:
    sqs, events = aws.client("sqs"), aws.client("events")
    name = f"wsbridge-test-{uuid.uuid4().hex[:12]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name=name)
    events.put_rule(Name=name, EventBusName=name, EventPattern=bootstrap.event_pattern())
    events.put_targets(Rule=name, EventBusName=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    yield IsolatedBus(name, queue_url)
    events.remove_targets(Rule=name, EventBusName=name, Ids=["queue"])
    events.delete_rule(Name=name, EventBusName=name)
    events.delete_event_bus(Name=name)
    sqs.delete_queue(QueueUrl=queue_url)


def put(events: Any, event: dict[str, Any], bus: str = "default") -> str:
    entry = {**samples.entry(event), "EventBusName": bus}
    response = events.put_events(Entries=[entry])
    assert response["FailedEntryCount"] == 0, response
    return str(response["Entries"][0]["EventId"])


def receive_all(sqs: Any, queue_url: str, expected: int, timeout: float = DELIVERY_SECONDS) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(bodies) < expected and time.monotonic() < deadline:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def guardduty_finding(finding_id: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(GUARDDUTY_SAMPLE.read_text())
    event["detail"]["id"] = finding_id
    return event


def test_bootstrap_twice_leaves_one_rule_the_same_queues_and_four_demo_instances(
    aws: boto3.session.Session, bootstrapped: bootstrap.Bootstrapped
) -> None:
    again = bootstrap.bootstrap(os.environ["WSBRIDGE_SANDBOX_URL"])

    assert (again.queue_url, again.dlq_url) == (bootstrapped.queue_url, bootstrapped.dlq_url)
    assert again.instances == bootstrapped.instances
    events = aws.client("events")
    assert [rule["Name"] for rule in events.list_rules(NamePrefix=RULE_NAME)["Rules"]] == [RULE_NAME]
    assert [target["Arn"] for target in events.list_targets_by_rule(Rule=RULE_NAME)["Targets"]] == [again.queue_arn]
    reservations = aws.client("ec2").describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": list(DEMO_INSTANCE_NAMES)},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )["Reservations"]
    demo = {
        tag["Value"]: instance["InstanceId"]
        for reservation in reservations
        for instance in reservation["Instances"]
        for tag in instance["Tags"]
        if tag["Key"] == "Name"
    }
    assert demo == again.instances
    assert len(set(demo.values())) == len(DEMO_INSTANCE_NAMES) == 4


def test_findings_queue_redrives_to_the_dlq_after_five_receives(
    aws: boto3.session.Session, bootstrapped: bootstrap.Bootstrapped
) -> None:
    sqs = aws.client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=bootstrapped.queue_url, AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=bootstrapped.dlq_url, AttributeNames=["All"])["Attributes"]

    redrive = json.loads(queue["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 5
    assert redrive["deadLetterTargetArn"] == dlq["QueueArn"]
    assert queue["MaximumMessageSize"] == "1048576"
    assert queue["VisibilityTimeout"] == "30"
    assert queue["ReceiveMessageWaitTimeSeconds"] == "20"
    assert dlq["MessageRetentionPeriod"] == str(14 * 24 * 3600)


def test_rule_uses_the_pattern_file_and_the_queue_policy_admits_only_that_rule(
    aws: boto3.session.Session, bootstrapped: bootstrap.Bootstrapped
) -> None:
    rule = aws.client("events").describe_rule(Name=RULE_NAME)
    policy = aws.client("sqs").get_queue_attributes(QueueUrl=bootstrapped.queue_url, AttributeNames=["Policy"])

    assert json.loads(rule["EventPattern"]) == json.loads(PATTERN_FILE.read_text())
    (statement,) = json.loads(policy["Attributes"]["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": bootstrapped.rule_arn}}


def test_a_guardduty_finding_put_on_the_bus_lands_in_the_findings_queue_as_the_full_envelope(
    aws: boto3.session.Session, bootstrapped: bootstrap.Bootstrapped
) -> None:
    sqs, events = aws.client("sqs"), aws.client("events")
    sent = guardduty_finding(f"devstack-{uuid.uuid4().hex}")

    event_id = put(events, sent)

    received = None
    deadline = time.monotonic() + DELIVERY_SECONDS
    while received is None and time.monotonic() < deadline:
        response = sqs.receive_message(
            QueueUrl=bootstrapped.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=5
        )
        for message in response.get("Messages", []):
            body = json.loads(message["Body"])
            if body.get("id") == event_id:
                received = body
                sqs.delete_message(QueueUrl=bootstrapped.queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert received is not None, f"the event did not reach the findings queue within {DELIVERY_SECONDS} s"
    assert set(received) == ENVELOPE_KEYS
    assert (received["source"], received["detail-type"]) == ("aws.guardduty", "GuardDuty Finding")
    assert received["detail"] == sent["detail"]
    assert received["region"] == "us-east-1"
    assert received["account"]


def test_the_pattern_routes_every_handled_source_and_nothing_else(
    aws: boto3.session.Session, isolated_bus: IsolatedBus
) -> None:
    events = aws.client("events")
    handled = [event for _, event in samples.envelopes(sorted(GUARDDUTY_SAMPLE.parent.glob("*.json")))]
    wanted = [event for event in handled if samples.matches_rule(event)]
    unwanted = [event for event in handled if not samples.matches_rule(event)]
    unwanted.append({"source": "aws.s3", "detail-type": "Object Created", "detail": {}})
    probe = {"source": "wsbridge.test", "detail-type": "wsbridge Probe", "detail": {"n": 1}}

    for event in [*unwanted, probe, *wanted]:
        put(events, event, isolated_bus.name)

    sqs = aws.client("sqs")
    bodies = receive_all(sqs, isolated_bus.queue_url, expected=len(wanted))
    bodies += receive_all(sqs, isolated_bus.queue_url, expected=1, timeout=2)
    kinds = sorted((body["source"], body["detail-type"]) for body in bodies)
    assert kinds == sorted((event["source"], event["detail-type"]) for event in wanted)
    assert {"aws.guardduty", "aws.macie", "aws.inspector2", "aws.securityhub", "aws.config"} <= {
        source for source, _ in kinds
    }


def test_eventbridge_matches_each_sample_as_devstacks_routing_does(aws: boto3.session.Session) -> None:
    events = aws.client("events")
    pattern = PATTERN_FILE.read_text()
    for stem, event in samples.envelopes(sorted(GUARDDUTY_SAMPLE.parent.glob("*.json"))):
        answer = events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"]
        assert answer == samples.matches_rule(event), stem


def test_the_demo_samples_point_at_the_demo_instances_and_all_reach_the_queue(
    aws: boto3.session.Session, bootstrapped: bootstrap.Bootstrapped, isolated_bus: IsolatedBus
) -> None:
    demo = samples.demo_events(bootstrapped.instances)
    mapped = json.loads((ROOT / "config" / "samples.json").read_text())["demo_instances"]

    text = json.dumps(demo)
    for name in mapped.values():
        assert bootstrapped.instances[name] in text
    events = aws.client("events")
    for batch in samples.batches([{**samples.entry(event), "EventBusName": isolated_bus.name} for event in demo]):
        assert events.put_events(Entries=batch)["FailedEntryCount"] == 0  # type: ignore[arg-type]
    bodies = receive_all(aws.client("sqs"), isolated_bus.queue_url, expected=len(demo))
    assert len(bodies) == len(demo)
    pointed = [body for body in bodies if bootstrapped.instances["demo-web-1"] in json.dumps(body)]
    assert pointed
    assert pointed[0]["detail"]["service"]["additionalInfo"]["sample"] is False
    macie = [body["detail"] for body in bodies if body["detail-type"] == "Macie Finding"]
    assert {detail["accountId"] for detail in macie} == {"123456789012"}
    demo_bucket = [detail for detail in macie if detail["resourcesAffected"]["s3Bucket"]["name"] == DEMO_BUCKET]
    assert len(demo_bucket) == 1
    assert "DOC-EXAMPLE-BUCKET1" not in json.dumps(demo_bucket)


def test_the_sandbox_knows_the_demo_instances(bootstrapped: bootstrap.Bootstrapped) -> None:
    with urllib.request.urlopen(f"{os.environ['WSBRIDGE_SANDBOX_URL']}/_sandbox/state", timeout=10) as response:
        state = json.load(response)

    linked = {
        computer["hostName"]: (computer.get("ec2VirtualMachineSummary") or {}).get("instanceID")
        for computer in _dicts_with(state, "hostName")
        if computer["hostName"] in DEMO_INSTANCE_NAMES
    }
    assert linked == bootstrapped.instances


def _dicts_with(document: Any, key: str) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        if key in document:
            yield document
        for value in document.values():
            yield from _dicts_with(value, key)
    elif isinstance(document, list):
        for value in document:
            yield from _dicts_with(value, key)


def test_env_load_returns_what_the_test_process_was_given() -> None:
    values = env.load()

    assert values["AWS_ENDPOINT_URL"] == os.environ["WSBRIDGE_STACK_LOCALSTACK_URL"]
    assert {name: os.environ.get(name) for name in values} == values


def test_a_shell_that_sources_the_env_file_reaches_localstack_and_moto(tmp_path: Path) -> None:
    script = (
        "import boto3, os\n"
        "sqs = boto3.client('sqs')\n"
        "url = os.environ['WSBRIDGE_QUEUE_URL']\n"
        "print(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn'])\n"
        "print(len(boto3.client('wafv2').list_web_acls(Scope='REGIONAL')['WebACLs']))\n"
    )
    env_file = settings.load().env_file
    python = sys.executable
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    result = subprocess.run(
        ["bash", "-c", f'. {env_file} && exec {python} -c "$0"', script],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    queue_arn, web_acls = result.stdout.split()
    assert queue_arn.endswith(":wsbridge-findings")
    assert web_acls.isdigit()


def test_bootstrap_gives_the_demo_app_role_its_bucket_and_instances(
    aws: boto3.session.Session, bootstrapped: bootstrap.Bootstrapped
) -> None:
    again = bootstrap.bootstrap(os.environ["WSBRIDGE_SANDBOX_URL"])
    role_arn = aws.client("iam").get_role(RoleName=settings.DEMO_APP_ROLE)["Role"]["Arn"]
    assert again.demo_app_role_arn == bootstrapped.demo_app_role_arn == role_arn
    policy = json.loads(aws.client("s3").get_bucket_policy(Bucket=settings.DEMO_BUCKET)["Policy"])
    assert [statement["Principal"] for statement in policy["Statement"]] == [{"AWS": role_arn}]
    profiles = aws.client("iam").list_instance_profiles_for_role(RoleName=settings.DEMO_APP_ROLE)["InstanceProfiles"]
    [profile_arn] = [profile["Arn"] for profile in profiles]
    associations = aws.client("ec2").describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    by_instance = {item["InstanceId"]: item["IamInstanceProfile"]["Arn"] for item in associations}
    with_profile = {name for name, instance in again.instances.items() if by_instance.get(instance) == profile_arn}
    assert with_profile == set(settings.DEMO_APP_INSTANCES) == {"demo-web-1", "demo-web-2", "demo-legacy-1"}
    assert again.instances["demo-db-1"] not in by_instance
    assert sum(1 for item in associations if item["InstanceId"] in again.instances.values()) == 3
