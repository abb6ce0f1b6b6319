"""AWS reads happen in the finding's own account and region: own account with the task credentials,
any other account through the member role, and a role that cannot be assumed is a clear, counted error."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from member_accounts import EXTERNAL_ID, MEMBER_ROLE, OWN_ACCOUNT, MemberAccount, launch, member_account
from prometheus_client import REGISTRY

from wsbridge.consumer.aws import AwsClients
from wsbridge.consumer.aws_roles import AssumeRoleFailed

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        "WSBRIDGE_STACK_MOTO_URL" not in os.environ,
        reason="needs the local stack: python -m devstack test -- pytest ...",
    ),
]

Clients = Callable[..., AwsClients]


def failures(reason: str) -> float:
    return REGISTRY.get_sample_value("wsbridge_aws_assume_role_failures_total", {"reason": reason}) or 0.0


async def instance_ids(ec2: Any) -> set[str]:
    reservations = (await ec2.describe_instances())["Reservations"]
    return {instance["InstanceId"] for reservation in reservations for instance in reservation["Instances"]}


async def test_the_own_account_comes_from_sts_once_and_uses_the_task_credentials(make_clients: Clients) -> None:
    aws = make_clients()
    assert await aws.own_account() == OWN_ACCOUNT
    identity = await aws.identity()
    assert (identity.account, identity.partition) == (OWN_ACCOUNT, "aws")
    own = await aws.client("ec2")
    assert await aws.client("ec2", account=OWN_ACCOUNT) is own
    assert await aws.client("ec2", account=OWN_ACCOUNT, region="us-east-1") is own
    caller = await (await aws.client("sts", account=OWN_ACCOUNT)).get_caller_identity()
    assert caller["Arn"] == identity.arn
    demo = boto3.client("ec2").describe_instances(Filters=[{"Name": "tag:Name", "Values": ["demo-web-1"]}])
    [demo_id] = [item["InstanceId"] for reservation in demo["Reservations"] for item in reservation["Instances"]]
    assert demo_id in await instance_ids(own)


async def test_another_account_is_read_with_the_assumed_member_role(
    make_clients: Clients, member: MemberAccount
) -> None:
    theirs = launch(member.session, "member-web-1")
    aws = make_clients(aws_role_name=MEMBER_ROLE, aws_external_id=EXTERNAL_ID)
    member_ec2 = await aws.client("ec2", account=member.account, region="us-east-1")
    assert theirs in await instance_ids(member_ec2)
    assert theirs not in await instance_ids(await aws.client("ec2"))
    caller = await (await aws.client("sts", account=member.account)).get_caller_identity()
    assert caller["Account"] == member.account
    assert caller["Arn"] == f"arn:aws:sts::{member.account}:assumed-role/{MEMBER_ROLE}/wsbridge"
    assert await aws.client("ec2", account=member.account, region="us-east-1") is member_ec2


async def test_each_region_of_a_member_account_has_its_own_client(make_clients: Clients, member: MemberAccount) -> None:
    in_ireland = launch(member.session, "member-eu-1", region="eu-west-1")
    aws = make_clients(aws_role_name=MEMBER_ROLE, aws_external_id=EXTERNAL_ID)
    ireland = await aws.client("ec2", account=member.account, region="eu-west-1")
    virginia = await aws.client("ec2", account=member.account, region="us-east-1")
    assert ireland is not virginia
    assert in_ireland in await instance_ids(ireland)
    assert in_ireland not in await instance_ids(virginia)


async def test_two_member_accounts_are_kept_apart(make_clients: Clients, member: MemberAccount) -> None:
    other = member_account()
    first, second = launch(member.session, "a"), launch(other.session, "b")
    aws = make_clients(aws_role_name=MEMBER_ROLE)

    async def seen_in(account: str) -> set[str]:
        return await instance_ids(await aws.client("ec2", account=account))

    seen = await asyncio.gather(*(seen_in(item.account) for item in (member, other, member, other)))
    assert first in seen[0] and second not in seen[0]
    assert second in seen[1] and first not in seen[1]
    assert seen[2] == seen[0] and seen[3] == seen[1]


async def test_a_member_account_without_a_configured_role_is_a_counted_error(
    make_clients: Clients, member: MemberAccount
) -> None:
    aws = make_clients()
    before = failures("not_configured")
    with pytest.raises(AssumeRoleFailed) as raised:
        await aws.client("ec2", account=member.account)
    assert raised.value.reason == "not_configured"
    assert f"account {member.account}" in str(raised.value)
    assert "WSBRIDGE_AWS_ROLE_NAME" in str(raised.value)
    assert failures("not_configured") == before + 1
    await aws.client("ec2")


async def test_a_refused_role_is_a_counted_error_naming_account_and_role(
    make_clients: Clients, refusing_sts: list[str]
) -> None:
    aws = make_clients(aws_role_name=MEMBER_ROLE, aws_external_id=EXTERNAL_ID)
    before = failures("refused")
    results = await asyncio.gather(
        *(aws.client("ec2", account="999999999999") for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(result, AssumeRoleFailed) for result in results)
    error = results[0]
    assert isinstance(error, AssumeRoleFailed)
    assert (error.account, error.role_name, error.reason) == ("999999999999", MEMBER_ROLE, "refused")
    assert f"cannot assume role {MEMBER_ROLE} in account 999999999999" in str(error)
    assert "AccessDenied" in str(error)
    assert failures("refused") == before + 3
    assert refusing_sts.count("GetCallerIdentity") == 1
    assert refusing_sts.count("AssumeRole") == 3
