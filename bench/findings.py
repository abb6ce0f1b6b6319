"""GuardDuty findings about protected EC2 instances, and the WS sandbox computers that protect them."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from bench.common import ROOT

EVENTS = ROOT / "tests" / "fixtures" / "events"
TEMPLATE = EVENTS / "guardduty-canary-ec2-1.json"
INSPECTOR_TEMPLATE = EVENTS / "inspector2-package-ec2-1.json"
SEED = ROOT / "sandbox" / "wsbridge_sandbox" / "seed" / "default.json"
FINDING_TYPE = "UnauthorizedAccess:EC2/SSHBruteForce"
FIRST_COMPUTER_ID = 1000


def instance_id(index: int) -> str:
    return f"i-{index:017x}"


def protected_computers(count: int) -> list[dict[str, Any]]:
    """``count`` computers like the seed's protected ``demo-web-1``, each on its own instance."""
    seed = json.loads(SEED.read_text())
    template = next(computer for computer in seed["computers"] if computer["hostName"] == "demo-web-1")
    computers = []
    for index in range(count):
        computer = copy.deepcopy(template)
        computer["ID"] = FIRST_COMPUTER_ID + index
        computer["hostName"] = computer["displayName"] = f"bench-{index}"
        computer["hostGUID"] = str(uuid.UUID(int=index))
        computer["ec2VirtualMachineSummary"]["instanceID"] = instance_id(index)
        computers.append(computer)
    return computers


def sandbox_seed(count: int) -> dict[str, Any]:
    """The seed's computers plus ``count`` protected ones (policies and rules stay the seed's)."""
    seed = json.loads(SEED.read_text())
    return {"computers": seed["computers"] + protected_computers(count)}


def guardduty_body(instance: str, finding_id: str | None = None) -> str:
    """The SQS body EventBridge delivers for a new GuardDuty finding about ``instance``."""
    event: dict[str, Any] = json.loads(TEMPLATE.read_text())
    event["id"] = str(uuid.uuid4())
    detail = event["detail"]
    detail["id"] = finding_id or uuid.uuid4().hex
    detail["arn"] = f"arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/{detail['id']}"
    detail["type"] = FINDING_TYPE
    detail["resource"]["instanceDetails"]["instanceId"] = instance
    return json.dumps(event)


def inspector_body(instance: str, cve: str) -> str:
    """The SQS body EventBridge delivers for an active Inspector2 package finding of ``cve`` on ``instance``."""
    event: dict[str, Any] = json.loads(INSPECTOR_TEMPLATE.read_text().replace("{{FINDING_ID}}", uuid.uuid4().hex))
    event["id"] = str(uuid.uuid4())
    event["resources"] = [instance]
    detail = event["detail"]
    detail["packageVulnerabilityDetails"]["vulnerabilityId"] = cve
    detail["title"] = f"{cve} - package"
    detail["status"] = "ACTIVE"
    detail["resources"][0]["id"] = instance
    return json.dumps(event)


def bodies(count: int, instances: int) -> list[str]:
    """``count`` findings spread round-robin over ``instances`` instances (distinct when equal)."""
    return [guardduty_body(instance_id(index % instances)) for index in range(count)]


def probe_body(**detail: Any) -> str:
    """A ``wsbridge Probe`` event (the test handler plugin)."""
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "wsbridge Probe",
            "source": "wsbridge.test",
            "account": "000000000000",
            "region": "us-east-1",
            "time": "2026-11-27T00:00:00Z",
            "resources": [],
            "detail": {"run": "bench", **detail},
        }
    )
