"""The Macie responder against moto and the WS sandbox: from a flagged bucket to the instances that can read it.

Findings in a member account are planned with the member role assumed there: the buckets, roles and
instances exist only in that account, so finding them proves the reads used the assumed credentials.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import pytest
import pytest_asyncio
from macie_world import Planner, Sandbox, bucket, kinds, launch_as, macie_event, policy, reads, role, ws_client
from member_accounts import EXTERNAL_ID, MEMBER_ROLE, OWN_ACCOUNT, MemberAccount, settings

from wsbridge.consumer.actions import Notify
from wsbridge.consumer.aws import AwsClients
from wsbridge.consumer.aws_roles import MEMBER_ROLE_ACTIONS
from wsbridge.handlers.securityhub.handler import SecurityHubHandler

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        "WSBRIDGE_STACK_MOTO_URL" not in os.environ,
        reason="needs the local stack: python -m devstack test -- pytest ...",
    ),
]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    linked = Sandbox()
    yield linked
    linked.restore()


@pytest_asyncio.fixture
async def planner() -> AsyncIterator[Planner]:
    aws = AwsClients(settings(aws_role_name=MEMBER_ROLE, aws_external_id=EXTERNAL_ID))
    ws = ws_client()
    yield Planner(aws, ws)
    await aws.close()
    await ws.close()


def notices(actions: tuple[object, ...], topic: str) -> list[Notify]:
    return [action for action in actions if isinstance(action, Notify) and action.topic == topic]


async def test_bucket_policy_roles_lead_to_scans_notices_and_a_public_exposure_report(
    member: MemberAccount, sandbox: Sandbox, planner: Planner
) -> None:
    web, web_arn = role(member.session)
    _, idle_arn = role(member.session)
    protected, unknown = launch_as(member.session, web), launch_as(member.session, web)
    computer = sandbox.link(protected, protected=True)
    ip_condition = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    name = bucket(member.session)
    member.session.client("s3").put_bucket_policy(
        Bucket=name,
        Policy=policy(
            reads({"AWS": [web_arn, idle_arn]}, name, Sid="Apps"),
            reads("*", name, Sid="Partners", Condition=ip_condition),
            reads({"AWS": "arn:aws:iam::210987654321:root"}, name, Sid="Auditors"),
        ),
    )

    plan = await planner.plan(macie_event(member.account, name))

    assert sorted(kinds(plan.actions)) == sorted(
        [
            f"notify:bucket-exposure:{name}",
            f"recommendation_scan:{computer}",
            f"integrity_scan:{computer}",
            f"notify:unprotected-instance:{unknown}:{name}",
        ]
    )
    [exposure] = notices(plan.actions, "bucket-exposure")
    assert exposure.details["public_statements"] == [{"statement": "Partners", "conditions": ip_condition}]
    assert exposure.details["other_account_principals"] == ["arn:aws:iam::210987654321:root"]
    [unprotected] = notices(plan.actions, "unprotected-instance")
    assert unprotected.details["bucket"] == name
    assert (unprotected.details["role_name"], unprotected.details["access"]) == (web, "bucket policy Apps")
    assert "not known to Workload Security" in unprotected.details["reason"]
    assert Counter(planner.calls) == {
        "s3:GetBucketPolicy": 1,
        "iam:ListInstanceProfilesForRole": 2,
        "ec2:DescribeInstances": 1,
    }


async def test_identity_policies_reach_roles_through_an_account_root_grant(
    member: MemberAccount, sandbox: Sandbox, planner: Planner
) -> None:
    iam = member.session.client("iam")
    name = bucket(member.session)
    inline, _ = role(member.session)
    iam.put_role_policy(
        RoleName=inline,
        PolicyName="reads-data",
        PolicyDocument=policy({"Effect": "Allow", "Action": "s3:Get*", "Resource": f"arn:aws:s3:::{name}/*"}),
    )
    managed, _ = role(member.session)
    prefix = name[: len("macie-") + 4]
    document = policy({"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": f"arn:aws:s3:::{prefix}*"})
    policy_arn = iam.create_policy(PolicyName=f"{managed}-list", PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=managed, PolicyArn=policy_arn)
    elsewhere, _ = role(member.session)
    other = policy({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::another-bucket/*"})
    iam.put_role_policy(RoleName=elsewhere, PolicyName="elsewhere", PolicyDocument=other)
    by_role = {launch_as(member.session, item): item for item in (inline, managed, elsewhere)}
    computers = {instance: sandbox.link(instance, protected=True) for instance in by_role}
    root = f"arn:aws:iam::{member.account}:root"
    member.session.client("s3").put_bucket_policy(Bucket=name, Policy=policy(reads({"AWS": root}, name)))

    plan = await planner.plan(macie_event(member.account, name))

    scanned = {computers[instance] for instance, item in by_role.items() if item != elsewhere}
    scans = ("recommendation_scan", "integrity_scan")
    expected = [f"{kind}:{computer}" for computer in sorted(scanned) for kind in scans]
    assert sorted(kinds(plan.actions)) == sorted(expected)
    macie_reads = {action for action in MEMBER_ROLE_ACTIONS if action.split(":")[0] in ("s3", "iam", "ec2")}
    assert set(planner.calls) == macie_reads
    assert planner.calls.count("iam:GetPolicyVersion") == 1
    assert planner.calls.count("ec2:DescribeInstances") == 1

    planner.calls.clear()
    plan = await planner.plan(macie_event(member.account, name), {"expand_account_root": False})

    assert plan.actions == ()
    assert plan.reason == f"no role in the account can read bucket {name}"
    assert set(planner.calls) == {"s3:GetBucketPolicy"}


async def test_identity_policy_search_finds_readers_of_a_bucket_without_a_policy(
    member: MemberAccount, sandbox: Sandbox, planner: Planner
) -> None:
    name = bucket(member.session)
    reader, _ = role(member.session)
    grant = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/reports/*"})
    member.session.client("iam").put_role_policy(RoleName=reader, PolicyName="reports", PolicyDocument=grant)
    instance = launch_as(member.session, reader)
    sandbox.link(instance, protected=False)

    assert (await planner.plan(macie_event(member.account, name))).reason == (
        f"no role in the account can read bucket {name}"
    )
    plan = await planner.plan(macie_event(member.account, name), {"search_identity_policies": True})

    [notice] = plan.actions
    assert isinstance(notice, Notify)
    assert notice.subject.startswith(f"Macie finding on bucket {name}: {instance} (role {reader}) reads it")
    assert notice.details["access"] == "identity policy reports"
    assert "computer_id" in notice.details


async def test_a_role_no_instance_uses_and_a_missing_bucket_need_nothing(
    member: MemberAccount, planner: Planner
) -> None:
    with_profile, with_profile_arn = role(member.session)
    without_profile, without_profile_arn = role(member.session, profile=False)
    name = bucket(member.session)
    statement = reads({"AWS": [with_profile_arn, without_profile_arn]}, name)
    member.session.client("s3").put_bucket_policy(Bucket=name, Policy=policy(statement))

    plan = await planner.plan(macie_event(member.account, name))

    assert plan.actions == ()
    roles = ", ".join(sorted([with_profile, without_profile]))
    assert plan.reason == f"no running instance uses the roles that can read bucket {name} ({roles})"
    missing = await planner.plan(macie_event(member.account, "macie-no-such-bucket"))
    assert missing.reason == f"bucket macie-no-such-bucket does not exist in account {member.account}"


def security_hub_copy(native: dict[str, Any]) -> dict[str, Any]:
    """The Security Hub Imported event for a native Macie finding (the fields wsbridge reads)."""
    detail = native["detail"]
    region, account = detail["region"], detail["accountId"]
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:macie2:{region}:{account}:finding/{detail['id']}",
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/macie",
        "AwsAccountId": account,
        "Types": ["Sensitive Data Identifications/PII/SensitiveData:S3Object-Multiple"],
        "UpdatedAt": detail["updatedAt"],
        "Severity": {"Label": "HIGH"},
        "Resources": [{"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::{detail['resourcesAffected']['s3Bucket']['name']}"}],
        "Region": region,
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": account,
        "time": detail["updatedAt"],
        "region": region,
        "resources": [],
        "detail": {"findings": [finding]},
    }


@pytest.mark.parametrize("path", ["native", "security hub"])
async def test_the_demo_bucket_in_the_own_account_scans_two_computers_and_reports_the_third(
    planner: Planner, path: str
) -> None:
    found = boto3.client("ec2").describe_instances(Filters=[{"Name": "tag:Name", "Values": ["demo-legacy-1"]}])
    legacy = found["Reservations"][0]["Instances"][0]["InstanceId"]
    native = macie_event(OWN_ACCOUNT, "wsbridge-demo-data")

    if path == "native":
        plan = await planner.plan(native)
    else:
        plan = await planner.plan(security_hub_copy(native), via=SecurityHubHandler())

    assert sorted(kinds(plan.actions)) == sorted(
        [
            "recommendation_scan:1",
            "integrity_scan:1",
            "recommendation_scan:2",
            "integrity_scan:2",
            f"notify:unprotected-instance:{legacy}:wsbridge-demo-data",
        ]
    )
    assert Counter(planner.calls) == {
        "s3:GetBucketPolicy": 1,
        "iam:ListInstanceProfilesForRole": 1,
        "ec2:DescribeInstances": 1,
    }
