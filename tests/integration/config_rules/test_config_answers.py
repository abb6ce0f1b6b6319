"""Config rule invocations answered with PutEvaluations: each check on the sandbox's computers, through
the daemon to a signed PutEvaluations call, periodic rules in batches, TestMode on moto, and the forwarder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from config_support import Captured, invocation
from integration.responders.responders import SandboxLog, demo_instances
from support.daemon import Daemon, QueueUnderTest, wait_for

ROOT = Path(__file__).resolve().parents[3]
WSBRIDGE = str(Path(sys.executable).with_name("wsbridge"))
UNKNOWN = "i-0123456789abcdef0"

pytestmark = pytest.mark.integration


def planned(tmp_path: Path, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``wsbridge replay --dry-run`` over the invocations: the evaluations planned for each, in order."""
    path = tmp_path / "invocations.jsonl"
    path.write_text("\n".join(json.dumps(document) for document in documents))
    environment = {key: value for key, value in os.environ.items() if key != "WSBRIDGE_HANDLER_CONFIG"}
    result = subprocess.run(
        [WSBRIDGE, "replay", "--dry-run", str(path)], capture_output=True, env=environment, timeout=300, check=False
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(documents), result.stderr.decode()[-3000:]
    answers = []
    for line in lines:
        [action] = line["actions"]
        [evaluation] = action["evaluations"]
        answers.append(evaluation)
    return answers


@pytest.fixture
def warning_on_db(sandbox: SandboxLog) -> Iterator[None]:
    """demo-db-1's anti-malware reports a warning (the rest of the seed unchanged)."""
    state = sandbox._admin("GET", "state")
    original = json.dumps({"computers": state["computers"]}).encode()
    for computer in state["computers"]:
        if computer["hostName"] == "demo-db-1":
            computer["antiMalware"]["moduleStatus"] = {"agentStatus": "warning", "agentStatusMessage": "pattern old"}
    request = json.dumps({"computers": state["computers"]}).encode()
    seed = f"{os.environ['WSBRIDGE_SANDBOX_URL']}/_sandbox/seed"
    with urllib.request.urlopen(urllib.request.Request(seed, data=request, method="POST"), timeout=10):
        pass
    yield
    with urllib.request.urlopen(urllib.request.Request(seed, data=original, method="POST"), timeout=10):
        pass
    sandbox.reset()


@pytest.mark.parametrize(
    ("parameters", "cases"),
    [
        ({}, {"demo-web-1": ("COMPLIANT", "is protected"), "demo-legacy-1": ("NON_COMPLIANT", "anti malware is off")}),
        (
            {"check": "policy", "policy": "web servers"},
            {"demo-web-2": ("COMPLIANT", "has policy web servers"), "demo-db-1": ("NON_COMPLIANT", "Database Servers")},
        ),
        ({"check": "policy", "policy": "4"}, {"demo-legacy-1": ("COMPLIANT", "has policy 4")}),
        (
            {"check": "module", "module": "intrusion_prevention"},
            {"demo-web-1": ("COMPLIANT", "intrusion prevention"), "demo-legacy-1": ("NON_COMPLIANT", "detect")},
        ),
        (
            {"check": "module", "module": "firewall"},
            {"demo-web-2": ("COMPLIANT", "firewall protects"), "demo-legacy-1": ("NON_COMPLIANT", "firewall is off")},
        ),
        (
            {"check": "clear"},
            {"demo-web-1": ("COMPLIANT", "clear of warnings"), "demo-db-1": ("NON_COMPLIANT", "pattern old")},
        ),
    ],
)
def test_each_check_is_compliant_non_compliant_or_not_applicable_on_the_sandboxs_computers(
    tmp_path: Path, warning_on_db: None, parameters: dict[str, str], cases: dict[str, tuple[str, str]]
) -> None:
    instances = demo_instances()
    documents = [invocation(instances[name], parameters=parameters) for name in cases]
    documents.append(invocation(UNKNOWN, parameters=parameters))
    documents.append(invocation("my-bucket", parameters=parameters, resource_type="AWS::S3::Bucket"))
    documents.append(invocation(instances["demo-web-1"], parameters=parameters, eventLeftScope=True))

    *known, unknown, bucket, left = planned(tmp_path, documents)

    for (name, (compliance, why)), answer in zip(cases.items(), known, strict=True):
        assert (answer["resource_id"], answer["compliance"]) == (instances[name], compliance), answer
        assert why in answer["annotation"], answer
    assert unknown["compliance"] == "NON_COMPLIANT"
    assert unknown["annotation"] == f"{UNKNOWN} is not known to Workload Security"
    assert (bucket["compliance"], bucket["annotation"]) == ("NOT_APPLICABLE", "AWS::S3::Bucket is not an EC2 instance")
    assert left["compliance"] == "NOT_APPLICABLE" and "left the rule's scope" in left["annotation"]


def finished(daemon: Daemon, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]] | None:
        lines = [line for line in daemon.message_lines() if line.get("outcome") in ("success", "dead_letter")]
        return lines if len(lines) >= count else None

    lines: list[dict[str, Any]] = wait_for(done, timeout, what=f"{count} finished messages")
    return lines


def test_the_daemon_answers_each_invocation_with_one_signed_put_evaluations_in_the_rules_account(
    answering: Callable[..., Daemon], queue: QueueUnderTest, config_endpoint: Captured
) -> None:
    daemon = answering()
    instances = demo_instances()
    protected = invocation(instances["demo-web-1"])
    unprotected = invocation(instances["demo-legacy-1"])
    broken = {**invocation(instances["demo-web-2"]), "ruleParameters": "{check: clear"}
    tokenless = {key: value for key, value in invocation(instances["demo-web-2"]).items() if key != "resultToken"}
    for document in (protected, unprotected, broken, tokenless):
        queue.send(json.dumps(document))

    lines = finished(daemon, 4)

    assert sorted(line["outcome"] for line in lines) == ["dead_letter", "success", "success", "success"]
    answers = config_endpoint.by_token()
    assert config_endpoint.unsigned == [] and len(config_endpoint.requests) == 3
    [web] = answers[protected["resultToken"]]
    assert (web["ComplianceResourceType"], web["ComplianceType"]) == ("AWS::EC2::Instance", "COMPLIANT")
    assert web["ComplianceResourceId"] == instances["demo-web-1"]
    [legacy] = answers[unprotected["resultToken"]]
    assert legacy["ComplianceType"] == "NON_COMPLIANT" and len(legacy["Annotation"]) <= 256
    [account] = answers[broken["resultToken"]]
    assert (account["ComplianceResourceType"], account["ComplianceType"]) == ("AWS::::Account", "NOT_APPLICABLE")
    assert "ruleParameters is a string that is not JSON" in account["Annotation"]
    [dead] = queue.drain_dlq(1)
    assert "no resultToken" in json.dumps(dead)


@pytest.fixture
def many_instances() -> Iterator[list[str]]:
    """101 instances in moto's us-west-2 (no other test uses that region), terminated afterwards."""
    ec2 = boto3.client("ec2", region_name="us-west-2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    reservation = ec2.run_instances(ImageId=image, MinCount=101, MaxCount=101, InstanceType="t3.micro")
    instance_ids = [item["InstanceId"] for item in reservation["Instances"]]
    yield instance_ids
    ec2.terminate_instances(InstanceIds=instance_ids)


def test_a_periodic_rule_evaluates_every_instance_with_one_walk_over_the_computers_and_batches_of_100(
    answering: Callable[..., Daemon],
    queue: QueueUnderTest,
    config_endpoint: Captured,
    sandbox: SandboxLog,
    many_instances: list[str],
) -> None:
    daemon = answering()
    periodic = invocation("", periodic=True, region="us-west-2")

    queue.send(json.dumps(periodic))
    [line] = finished(daemon, 1)

    assert line["outcome"] == "success", line
    assert [len(body["Evaluations"]) for body in config_endpoint.requests] == [100, 1]
    evaluations = config_endpoint.by_token()[periodic["resultToken"]]
    assert sorted(item["ComplianceResourceId"] for item in evaluations) == sorted(many_instances)
    assert {item["ComplianceType"] for item in evaluations} == {"NON_COMPLIANT"}
    searches = [call for call in sandbox.calls() if call["path"] == "/api/computers/search"]
    assert len(searches) == 1, searches


def test_test_mode_puts_evaluations_that_moto_accepts(
    answering: Callable[..., Daemon], queue: QueueUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", os.environ["AWS_ENDPOINT_URL_EC2"])
    daemon = answering("test_mode = true")

    queue.send(json.dumps(invocation(demo_instances()["demo-web-1"])))
    [line] = finished(daemon, 1)

    assert line["outcome"] == "success", line
    assert [(action["action"], action["result"]) for action in line["actions"]] == [("config_evaluation", "done")]


def forwarder_module() -> types.ModuleType:
    """The forwarder Lambda's code, as deploy/config-rules.yaml ships it inline (``ZipFile: |``)."""
    lines = (ROOT / "deploy" / "config-rules.yaml").read_text().splitlines()
    start = next(index for index, line in enumerate(lines) if line.strip() == "ZipFile: |") + 1
    indent = len(lines[start]) - len(lines[start].lstrip())
    block = []
    for line in lines[start:]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        block.append(line[indent:])
    module = types.ModuleType(f"forwarder_{uuid.uuid4().hex}")
    exec(compile("\n".join(block), "config-rules.yaml:ZipFile", "exec"), module.__dict__)
    return module


def test_the_forwarder_puts_the_invocation_on_the_queue_and_the_daemon_answers_it(
    answering: Callable[..., Daemon],
    queue: QueueUnderTest,
    config_endpoint: Captured,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUEUE_URL", queue.url)
    monkeypatch.setenv("QUEUE_REGION", "us-east-1")
    daemon = answering()
    document = invocation(demo_instances()["demo-web-2"], parameters={"check": "module", "module": "anti_malware"})

    forwarder_module().handler(document, None)
    [line] = finished(daemon, 1)

    assert line["outcome"] == "success", line
    [answer] = config_endpoint.by_token()[document["resultToken"]]
    assert answer["ComplianceResourceId"] == demo_instances()["demo-web-2"]
