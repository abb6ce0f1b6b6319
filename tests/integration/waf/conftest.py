"""A second set of front doors in us-west-2 (an ALB with an IP target and its own web ACL), and the audit command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack.bootstrap import DEFAULT_SEED, seed_sandbox

REGION = "us-west-2"
WEB_SERVERS_POLICY = 2
VISIBILITY = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "test"}


@dataclass(frozen=True)
class WestDoors:
    alb_arn: str
    acl_arn: str
    acl_name: str
    acl_id: str
    instance_id: str

    def acl(self) -> dict[str, Any]:
        answer = boto3.client("wafv2", region_name=REGION).get_web_acl(
            Name=self.acl_name, Scope="REGIONAL", Id=self.acl_id
        )
        return {"WebACL": answer["WebACL"], "LockToken": answer["LockToken"]}


def audit(*args: str, **env: str) -> tuple[int, list[dict[str, Any]]]:
    """``wsbridge waf-audit ARGS`` as a subprocess; its exit code and JSON lines."""
    command = [str(Path(sys.executable).parent / "wsbridge"), "waf-audit", *args]
    environment = {**os.environ, "WSBRIDGE_LOG_FORMAT": "json", **env}
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=240, check=False)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert lines and lines[-1].get("summary") is True, result.stdout + result.stderr
    return result.returncode, lines


def web_acl(name: str, region: str = REGION) -> tuple[str, str]:
    summary = boto3.client("wafv2", region_name=region).create_web_acl(
        Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=[], VisibilityConfig=VISIBILITY
    )["Summary"]
    return summary["ARN"], summary["Id"]


@pytest.fixture(scope="module")
def west() -> Iterator[WestDoors]:
    ec2 = boto3.client("ec2", region_name=REGION)
    elbv2 = boto3.client("elbv2", region_name=REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
    sandbox = os.environ["WSBRIDGE_SANDBOX_URL"]
    _seed_with_computer(sandbox, instance["InstanceId"])
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    zones = {subnet["AvailabilityZone"]: subnet["SubnetId"] for subnet in subnets}
    suffix = uuid.uuid4().hex[:8]
    alb = elbv2.create_load_balancer(Name=f"waf-test-{suffix}", Subnets=sorted(zones.values())[:2], Type="application")
    alb_arn = alb["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(Name=f"waf-test-{suffix}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    group_arn = group["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": instance["PrivateIpAddress"]}])
    elbv2.create_listener(
        LoadBalancerArn=alb_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
    )
    name = f"waf-test-{suffix}"
    acl_arn, acl_id = web_acl(name)
    boto3.client("wafv2", region_name=REGION).associate_web_acl(WebACLArn=acl_arn, ResourceArn=alb_arn)
    try:
        yield WestDoors(alb_arn, acl_arn, name, acl_id, instance["InstanceId"])
    finally:
        seed_sandbox(sandbox, json.loads(os.environ["WSBRIDGE_DEMO_INSTANCES"]))


def _seed_with_computer(sandbox: str, instance_id: str) -> None:
    """The demo seed plus one computer on the Web Servers policy for ``instance_id``."""
    seed = json.loads(DEFAULT_SEED.read_text())
    demo = json.loads(os.environ["WSBRIDGE_DEMO_INSTANCES"])
    for computer in seed["computers"]:
        if computer.get("hostName") in demo:
            computer["ec2VirtualMachineSummary"] = {
                **(computer.get("ec2VirtualMachineSummary") or {}),
                "instanceID": demo[computer["hostName"]],
            }
    extra = {**seed["computers"][0], "ID": 90, "hostName": "waf-test-web", "displayName": "waf-test-web"}
    extra["policyID"] = WEB_SERVERS_POLICY
    extra["ec2VirtualMachineSummary"] = {**(extra.get("ec2VirtualMachineSummary") or {}), "instanceID": instance_id}
    body = json.dumps({"computers": [*seed["computers"], extra]}).encode()
    request = urllib.request.Request(
        f"{sandbox}/_sandbox/seed", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
