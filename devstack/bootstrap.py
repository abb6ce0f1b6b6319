"""Create (idempotently) what wsbridge needs in AWS and in the WS sandbox.

Queues, the EventBridge rule, the shared-state table, the demo EC2 instances, role and bucket are
made with boto3, so the endpoints come from botocore's own ``AWS_ENDPOINT_URL*`` variables. Runs on its
own as ``python -m devstack.bootstrap`` (the docker-compose bootstrap service does);
``WSBRIDGE_SANDBOX_URL`` and ``WSBRIDGE_SANDBOX_SEED`` say where the sandbox is and which seed file to load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3

from devstack import demo_access, waf_demo
from devstack.settings import (
    DEMO_APP_INSTANCES,
    DEMO_APP_ROLE,
    DEMO_INSTANCE_NAMES,
    DLQ_NAME,
    PATTERN_FILE,
    QUEUE_NAME,
    REGION,
    ROOT,
    RULE_NAME,
    STATE_TABLE,
)

MAX_RECEIVE_COUNT = 5
QUEUE_ATTRIBUTES = {
    "MaximumMessageSize": "1048576",
    "VisibilityTimeout": "30",
    "ReceiveMessageWaitTimeSeconds": "20",
}
DLQ_ATTRIBUTES = {"MessageRetentionPeriod": str(14 * 24 * 3600)}
TARGET_ID = "wsbridge-findings-queue"
DEMO_TAG = "wsbridge:demo"
NOTIFICATION_TOPIC = "wsbridge-notifications"
NOTIFICATION_INBOX = "wsbridge-notifications-inbox"
DEFAULT_SEED = ROOT / "sandbox" / "wsbridge_sandbox" / "seed" / "default.json"


@dataclass(frozen=True, slots=True)
class Bootstrapped:
    """What the bootstrap made or found."""

    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    rule_arn: str
    instances: dict[str, str]
    seeded_computers: int
    notification_topic_arn: str = ""
    notification_inbox_url: str = ""
    demo_bucket: str = ""
    demo_app_role_arn: str = ""
    front_doors: dict[str, str] | None = None
    state_table: str = ""


def session() -> boto3.session.Session:
    """A boto3 session; the region defaults to us-east-1 when the environment names none."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or REGION
    return boto3.session.Session(region_name=region)


def ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    """Create queue ``name`` or bring its attributes to ``attributes``; return (url, arn)."""
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def ensure_queues(sqs: Any) -> tuple[str, str, str, str]:
    """The dead-letter queue, then the findings queue redriving into it: (url, arn, dlq url, dlq arn)."""
    dlq_url, dlq_arn = ensure_queue(sqs, DLQ_NAME, DLQ_ATTRIBUTES)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
    url, arn = ensure_queue(sqs, QUEUE_NAME, {**QUEUE_ATTRIBUTES, "RedrivePolicy": redrive})
    return url, arn, dlq_url, dlq_arn


def ensure_notifications(sns: Any, sqs: Any) -> tuple[str, str]:
    """The topic the daemon notifies people on, and a queue subscribed to it to read them back."""
    topic_arn = sns.create_topic(Name=NOTIFICATION_TOPIC)["TopicArn"]
    inbox_url, inbox_arn = ensure_queue(sqs, NOTIFICATION_INBOX, {})
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    if not any(item["Endpoint"] == inbox_arn for item in subscriptions):
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    return topic_arn, inbox_url


def event_pattern(path: Path = PATTERN_FILE) -> str:
    """The one event pattern of the findings rule, as compact JSON."""
    return json.dumps(json.loads(path.read_text()), separators=(",", ":"))


def ensure_rule(events: Any, sqs: Any, queue_url: str, queue_arn: str) -> str:
    """Put the findings rule targeting the queue, and the queue policy letting the rule send; return its ARN."""
    rule_arn: str = events.put_rule(
        Name=RULE_NAME,
        EventPattern=event_pattern(),
        State="ENABLED",
        Description="Security findings handled by wsbridge",
    )["RuleArn"]
    events.put_targets(Rule=RULE_NAME, Targets=[{"Id": TARGET_ID, "Arn": queue_arn}])
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": queue_policy(queue_arn, rule_arn)})
    return rule_arn


def queue_policy(queue_arn: str, rule_arn: str) -> str:
    """The queue policy that lets EventBridge deliver the rule's events."""
    statement = {
        "Sid": "AllowFindingsRule",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def ensure_state_table(dynamodb: Any, name: str = STATE_TABLE) -> str:
    """The shared-state table of ``WSBRIDGE_STATE_TABLE`` (key ``pk``, on demand, TTL on ``expires_at``)."""
    try:
        dynamodb.describe_table(TableName=name)
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.get_waiter("table_exists").wait(TableName=name)
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    return name


def ensure_demo_instances(ec2: Any, profile_arn: str) -> dict[str, str]:
    """Reuse or launch one instance per demo name (tag ``Name``); return name -> instance id.

    The demo application's instances (:data:`DEMO_APP_INSTANCES`) carry the instance profile ``profile_arn``.
    """
    found: dict[str, str] = {}
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": "tag:Name", "Values": list(DEMO_INSTANCE_NAMES)},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )
    for page in pages:
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                names = [tag["Value"] for tag in instance.get("Tags", []) if tag["Key"] == "Name"]
                found.setdefault(names[0], instance["InstanceId"])
    missing = [name for name in DEMO_INSTANCE_NAMES if name not in found]
    if missing:
        image_id = _any_image(ec2)
        for name in missing:
            tags = [{"Key": "Name", "Value": name}, {"Key": DEMO_TAG, "Value": "true"}]
            profile = {"IamInstanceProfile": {"Arn": profile_arn}} if name in DEMO_APP_INSTANCES else {}
            reservation = ec2.run_instances(
                ImageId=image_id,
                InstanceType="t3.micro",
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
                **profile,
            )
            found[name] = reservation["Instances"][0]["InstanceId"]
    demo_access.attach_profile(ec2, [found[name] for name in DEMO_APP_INSTANCES], profile_arn)
    return {name: found[name] for name in DEMO_INSTANCE_NAMES}


def _any_image(ec2: Any) -> str:
    images = ec2.describe_images(Owners=["amazon"]).get("Images", []) or ec2.describe_images()["Images"]
    linux = [image for image in images if "windows" not in image.get("Platform", "").lower()]
    return str((linux or images)[0]["ImageId"])


def seed_sandbox(sandbox_url: str, instances: dict[str, str], seed_file: Path = DEFAULT_SEED) -> int:
    """Load the seed, link computers to demo instances by ``hostName``, POST it; return the computer count."""
    seed = json.loads(seed_file.read_text())
    computers = seed.get("computers", [])
    for computer in computers:
        instance_id = instances.get(computer.get("hostName", ""))
        if instance_id:
            summary = computer.get("ec2VirtualMachineSummary") or {}
            computer["ec2VirtualMachineSummary"] = {**summary, "instanceID": instance_id}
    request = urllib.request.Request(
        f"{sandbox_url.rstrip('/')}/_sandbox/seed",
        data=json.dumps(seed).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return len(computers)


def seed_path() -> Path:
    """The sandbox seed file: ``WSBRIDGE_SANDBOX_SEED``, else the sandbox's bundled default."""
    return Path(os.environ.get("WSBRIDGE_SANDBOX_SEED") or DEFAULT_SEED)


def bootstrap(sandbox_url: str | None, seed_file: Path | None = None) -> Bootstrapped:
    """Queues, rule, demo role, bucket and instances, then the sandbox seed (skipped when ``sandbox_url`` is None)."""
    seed_file = seed_file or seed_path()
    if sandbox_url and not seed_file.is_file():
        raise FileNotFoundError(f"the sandbox seed {seed_file} does not exist")
    aws = session()
    sqs, events, ec2 = aws.client("sqs"), aws.client("events"), aws.client("ec2")
    queue_url, queue_arn, dlq_url, dlq_arn = ensure_queues(sqs)
    rule_arn = ensure_rule(events, sqs, queue_url, queue_arn)
    topic_arn, inbox_url = ensure_notifications(aws.client("sns"), sqs)
    role_arn, profile_arn = demo_access.ensure_app_profile(aws.client("iam"))
    bucket = demo_access.ensure_bucket(aws.client("s3"), role_arn)
    instances = ensure_demo_instances(ec2, profile_arn)
    front_doors = waf_demo.ensure_front_doors(aws, instances)
    table = ensure_state_table(aws.client("dynamodb"))
    seeded = seed_sandbox(sandbox_url, instances, seed_file) if sandbox_url else 0
    return Bootstrapped(
        queue_url,
        queue_arn,
        dlq_url,
        dlq_arn,
        rule_arn,
        instances,
        seeded,
        topic_arn,
        inbox_url,
        bucket,
        role_arn,
        front_doors,
        table,
    )


def summary(result: Bootstrapped) -> str:
    """A few lines saying what the bootstrap left in place."""
    linked = ", ".join(f"{name}={instance}" for name, instance in result.instances.items())
    lines = [
        f"queue      {result.queue_url} (dead letters after {MAX_RECEIVE_COUNT} receives: {DLQ_NAME})",
        f"rule       {RULE_NAME} -> {QUEUE_NAME}",
        f"instances  {linked}",
        f"notify     {NOTIFICATION_TOPIC} -> {NOTIFICATION_INBOX}",
        f"bucket     {result.demo_bucket} readable by {DEMO_APP_ROLE} (profile on {', '.join(DEMO_APP_INSTANCES)})",
        f"state      DynamoDB table {result.state_table} (WSBRIDGE_STACK_STATE_TABLE)",
    ]
    if result.front_doors:
        lines.append(f"waf demo   {', '.join(result.front_doors)} (audit schedule {waf_demo.WAF_AUDIT_RULE})")
    if result.seeded_computers:
        lines.append(f"sandbox    seeded with {result.seeded_computers} computers")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: bootstrap against the endpoints in the environment and print a summary."""
    parser = argparse.ArgumentParser(prog="python -m devstack.bootstrap", description=__doc__)
    parser.add_argument("--sandbox-url", default=os.environ.get("WSBRIDGE_SANDBOX_URL", "http://127.0.0.1:4580"))
    parser.add_argument("--seed", type=Path, default=seed_path())
    parser.add_argument("--no-sandbox", action="store_true", help="do not seed the WS sandbox")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = bootstrap(None if args.no_sandbox else args.sandbox_url, args.seed)
    print(json.dumps(asdict(result)) if args.json else summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
