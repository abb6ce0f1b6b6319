"""Notices routed by instance tag and by account to different SNS topics, with filterable attributes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator

import boto3
import pytest
from responders import Notifications, guardduty_finding
from support.daemon import Daemon, QueueUnderTest, wait_for

OWN_ACCOUNT = "123456789012"


def topic_with_inbox() -> Notifications:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    name = f"wsbridge-route-{uuid.uuid4().hex[:10]}"
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Notifications(topic_arn, queue_url, sqs)


@pytest.fixture
def routes() -> Iterator[tuple[Notifications, Notifications]]:
    made = (topic_with_inbox(), topic_with_inbox())
    yield made
    for inbox in made:
        boto3.client("sns").delete_topic(TopicArn=inbox.topic_arn)
        inbox.sqs.delete_queue(QueueUrl=inbox.queue_url)


@pytest.fixture
def instances() -> Iterator[dict[str, str]]:
    """Two instances no WS computer reports: one tagged Team=payments, one untagged."""
    ec2 = boto3.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    made = {}
    for name, tags in (("payments", [{"Key": "Team", "Value": "payments"}]), ("plain", [])):
        spec = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"route-{name}"}, *tags]}]
        answer = ec2.run_instances(
            ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, TagSpecifications=spec
        )
        made[name] = answer["Instances"][0]["InstanceId"]
    yield made
    ec2.terminate_instances(InstanceIds=list(made.values()))


def received_by_subject(inbox: Notifications, expected: int) -> list[dict[str, object]]:
    """SNS envelopes (not raw delivery), so the message attributes are visible."""
    found: list[dict[str, object]] = []

    def collect() -> bool:
        found.extend(inbox.received())
        return len(found) >= expected

    wait_for(collect, 60, interval=0, what=f"{expected} notices on {inbox.topic_arn}")
    return found


def test_a_tag_route_and_an_account_route_each_get_their_instances_notice(
    responder: Callable[..., Daemon],
    queue: QueueUnderTest,
    routes: tuple[Notifications, Notifications],
    instances: dict[str, str],
) -> None:
    team, account = routes
    config = f"""
[[notify.routes]]
name = "payments-team"
tags = {{ Team = ["payments"] }}
sns_topic_arn = "{team.topic_arn}"

[[notify.routes]]
name = "prod-account"
accounts = ["{OWN_ACCOUNT}"]
sns_topic_arn = "{account.topic_arn}"
"""
    responder(config)
    for instance_id in instances.values():
        queue.send(json.dumps(guardduty_finding(instance_id)))

    [to_team] = received_by_subject(team, 1)
    [to_account] = received_by_subject(account, 1)
    team_notice, account_notice = json.loads(str(to_team["Message"])), json.loads(str(to_account["Message"]))
    assert team_notice["details"]["instance_id"] == instances["payments"]
    assert team_notice["details"]["tags"] == {"Team": "payments"}
    assert team_notice["route"] == "payments-team"
    assert account_notice["details"]["instance_id"] == instances["plain"]
    assert account_notice["route"] == "prod-account"
    attributes = to_team["MessageAttributes"]
    assert isinstance(attributes, dict)
    assert {name: value["Value"] for name, value in attributes.items()} == {
        "topic": "unprotected-instance",
        "route": "payments-team",
        "account": OWN_ACCOUNT,
        "region": "us-east-1",
        "severity": "MEDIUM",
    }
    assert team.received() == [] and account.received() == []
