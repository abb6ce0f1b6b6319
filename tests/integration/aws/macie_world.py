"""Buckets, roles and instances on moto, WS computers in the stack's sandbox, and the Macie handler planning.

Every AWS call the handler makes is recorded (``service:Operation``, as IAM names actions) through
botocore's ``before-call`` event on the very clients the plan uses.
"""

from __future__ import annotations

import copy
import json
import os
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import structlog

from wsbridge.consumer.actions import Action
from wsbridge.consumer.aws import AwsClients
from wsbridge.consumer.envelope import parse_document
from wsbridge.consumer.handler import Decision, HandlerContext, Plan
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.workload_security import ClientOptions, WorkloadSecurityClient
from wsbridge.handlers.macie.handler import MacieHandler

SAMPLE = Path(__file__).parents[2] / "fixtures" / "events" / "macie2-sensitivedata-multiple-1.json"
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def macie_event(account: str, bucket: str) -> dict[str, Any]:
    """A fresh Macie sensitive-data finding (new ids) about ``bucket`` in ``account``."""
    event: dict[str, Any] = json.loads(SAMPLE.read_text())
    event["id"] = str(uuid.uuid4())
    detail = event["detail"]
    detail["id"] = uuid.uuid4().hex
    detail["accountId"] = account
    detail["resourcesAffected"]["s3Bucket"]["name"] = bucket
    return event


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def reads(principal: Any, bucket: str, **extra: Any) -> dict[str, Any]:
    """A bucket-policy statement letting ``principal`` get the bucket's objects."""
    resource = f"arn:aws:s3:::{bucket}/*"
    return {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": resource, **extra}


def bucket(session: boto3.session.Session, document: str | None = None) -> str:
    name = f"macie-{uuid.uuid4().hex[:12]}"
    s3 = session.client("s3")
    s3.create_bucket(Bucket=name)
    if document:
        s3.put_bucket_policy(Bucket=name, Policy=document)
    return name


def role(session: boto3.session.Session, *, profile: bool = True) -> tuple[str, str]:
    """A role (and an instance profile of the same name holding it): (role name, role ARN)."""
    iam = session.client("iam")
    name = f"app-{uuid.uuid4().hex[:10]}"
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))["Role"]["Arn"])
    if profile:
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name, arn


def launch_as(session: boto3.session.Session, role_name: str) -> str:
    """A running instance with the role's instance profile."""
    ec2 = session.client("ec2")
    profile = session.client("iam").get_instance_profile(InstanceProfileName=role_name)["InstanceProfile"]["Arn"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    reservation = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, IamInstanceProfile={"Arn": profile}
    )
    return str(reservation["Instances"][0]["InstanceId"])


class Sandbox:
    """The stack's WS sandbox; :meth:`link` adds computers, :meth:`restore` puts the original ones back."""

    def __init__(self) -> None:
        self.url = os.environ["WSBRIDGE_SANDBOX_URL"]
        self.original = self._admin("GET", "state")["computers"]
        self.computers = copy.deepcopy(self.original)

    def link(self, instance_id: str, *, protected: bool) -> int:
        """A computer for ``instance_id``: a copy of demo-web-1 (protected) or demo-legacy-1 (not)."""
        template = "demo-web-1" if protected else "demo-legacy-1"
        computer = copy.deepcopy(next(item for item in self.original if item["hostName"] == template))
        computer_id = max(item["ID"] for item in self.computers) + 1
        computer.update({"ID": computer_id, "hostName": f"macie-{computer_id}", "displayName": f"macie-{computer_id}"})
        computer["ec2VirtualMachineSummary"]["instanceID"] = instance_id
        self.computers.append(computer)
        self._admin("POST", "seed", {"computers": self.computers})
        return computer_id

    def restore(self) -> None:
        self._admin("POST", "seed", {"computers": self.original})
        self._admin("POST", "reset", {})

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@dataclass
class Planner:
    """Plans Macie findings with real AWS clients (member role configured) and a WS client on the sandbox."""

    aws: AwsClients
    ws: WorkloadSecurityClient
    calls: list[str] = field(default_factory=list)

    async def plan(self, event: dict[str, Any], macie: dict[str, Any] | None = None, *, via: Any = None) -> Plan:
        """Triage and plan ``event`` with the Macie handler (or ``via``, another handler) in the finding's account."""
        parsed = parse_document(event)
        handler = via or MacieHandler(macie)
        verdict = handler.triage(parsed)
        assert verdict.decision is Decision.HANDLE, verdict.reason
        account, region = verdict.targets.account, verdict.targets.region
        for service in ("iam", "s3", "ec2"):
            client = await self.aws.client(service, account=account, region=region)
            client.meta.events.register("before-call", self._record, unique_id=f"record-{id(self)}")
        settings = Settings(queue_url="http://unused.invalid/queue")
        context = HandlerContext(Services(ws=self.ws, aws=self.aws), settings, structlog.get_logger("test"))
        return await handler.plan(parsed, verdict, context)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(f"{model.service_model.signing_name}:{model.name}")


def ws_client() -> WorkloadSecurityClient:
    options = ClientOptions(retry_base_seconds=0.01, retry_max_seconds=0.05, rate_limit_per_minute=1_000_000)
    return WorkloadSecurityClient(os.environ["WSBRIDGE_WS_URL"], os.environ["WSBRIDGE_WS_API_KEY"], options)


def kinds(actions: tuple[Action, ...]) -> list[str]:
    return [action.coalesce_key or action.kind for action in actions]
