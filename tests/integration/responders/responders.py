"""Findings about the demo instances, the sandbox's call log, and notifications caught from SNS."""

from __future__ import annotations

import copy
import json
import os
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parents[2] / "fixtures" / "events"


def demo_instances() -> dict[str, str]:
    """Demo computer name -> instance id, as ``devstack up`` linked them."""
    value = os.environ.get("WSBRIDGE_DEMO_INSTANCES")
    if not value:
        raise RuntimeError("WSBRIDGE_DEMO_INSTANCES is not set: run under `python -m devstack test` or `. .stack/env`")
    instances: dict[str, str] = json.loads(value)
    return instances


def sample(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return document


def guardduty_finding(instance_id: str, finding_type: str = "UnauthorizedAccess:EC2/SSHBruteForce") -> dict[str, Any]:
    """A fresh GuardDuty finding (new envelope and finding id) about ``instance_id``."""
    event = sample("guardduty-canary-ec2-1.json")
    event["id"] = str(uuid.uuid4())
    detail = event["detail"]
    detail["id"] = uuid.uuid4().hex
    detail["arn"] = f"arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/{detail['id']}"
    detail["type"] = finding_type
    detail["resource"]["instanceDetails"]["instanceId"] = instance_id
    return event


def asff_copy(native: dict[str, Any]) -> dict[str, Any]:
    """The Security Hub Imported event for a native GuardDuty finding (the fields wsbridge reads)."""
    detail = native["detail"]
    region, account = detail["region"], detail["accountId"]
    instance_id = detail["resource"]["instanceDetails"]["instanceId"]
    purpose, _, rest = detail["type"].partition(":")
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": detail["arn"],
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/guardduty",
        "GeneratorId": detail["arn"].split("/finding/")[0],
        "AwsAccountId": account,
        "Types": [f"TTPs/Initial Access/{purpose}:{rest.replace('/', '-', 1)}"],
        "CreatedAt": detail["createdAt"],
        "UpdatedAt": detail["updatedAt"],
        "Severity": {"Product": detail["severity"], "Label": "MEDIUM", "Normalized": 50},
        "Title": detail["title"],
        "Description": detail["description"],
        "ProductFields": {"aws/guardduty/service/archived": "false", "aws/guardduty/service/count": "1"},
        "Resources": [
            {
                "Type": "AwsEc2Instance",
                "Id": f"arn:aws:ec2:{region}:{account}:instance/{instance_id}",
                "Partition": "aws",
                "Region": region,
            }
        ],
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": account,
        "time": native["time"],
        "region": region,
        "resources": [finding["Id"]],
        "detail": {"findings": [finding]},
    }


def inspector_finding(instance_id: str, cve: str = "CVE-2022-40982") -> dict[str, Any]:
    """The Inspector2 package sample about ``instance_id`` and ``cve``, as a new finding."""
    event = copy.deepcopy(sample("inspector2-package-ec2-2.json"))
    event["id"] = str(uuid.uuid4())
    detail = event["detail"]
    detail["findingArn"] = detail["findingArn"].rsplit("/", 1)[0] + "/" + uuid.uuid4().hex
    detail["packageVulnerabilityDetails"]["vulnerabilityId"] = cve
    detail["resources"][0]["id"] = instance_id
    event["resources"] = [instance_id]
    return event


@dataclass
class SandboxLog:
    """The WS sandbox's admin view."""

    url: str

    def _admin(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path}", method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self._admin("POST", "reset")

    def calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self._admin("GET", "calls")["calls"]
        return calls

    def writes(self) -> list[dict[str, Any]]:
        """Every mutating call (not a GET, not a search), except the cleanup of run-now tasks."""
        return [
            call
            for call in self.calls()
            if call["method"] not in ("GET", "DELETE") and not call["path"].endswith("/search")
        ]

    def scans(self) -> list[tuple[str, int]]:
        """(task type, computer ID) of every scan task created, in order."""
        found = []
        for call in self.writes():
            if call["path"] == "/api/scheduledtasks" and call["status"] == 200:
                body = call["body"]
                parameters = next(value for key, value in body.items() if key.endswith("TaskParameters"))
                found.append((body["type"], parameters["computerFilter"]["computerID"]))
        return found

    def computer_id(self, host_name: str) -> int:
        state = self._admin("GET", "state")
        return int(next(c["ID"] for c in state["computers"] if c["hostName"] == host_name))


@dataclass
class Notifications:
    """An SNS topic whose messages land (raw) in an SQS queue the test reads."""

    topic_arn: str
    queue_url: str
    sqs: Any

    def received(self, wait_seconds: int = 1) -> list[dict[str, Any]]:
        documents = []
        while True:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
            )
            messages = response.get("Messages", [])
            if not messages:
                return documents
            for message in messages:
                documents.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
