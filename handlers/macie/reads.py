"""The AWS reads behind a Macie finding, in its own account and region, each made at most once per finding.

Every list is paginated. The calls are exactly those in
:data:`~wsbridge.consumer.aws_roles.MEMBER_ROLE_ACTIONS` that the Macie responder needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from wsbridge.handlers.macie.access import parse_document

FILTER_VALUES = 200
"""Most values one DescribeInstances filter takes."""

Documents = list[tuple[str, dict[str, Any]]]


class NoSuchBucket(LookupError):
    """The bucket does not exist in the finding's account (deleted since the finding)."""


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass
class AccountReads:
    """Reads in one account and region through clients from the AWS access layer, cached for one finding."""

    iam: Any
    s3: Any
    ec2: Any
    _documents: dict[str, Documents] = field(default_factory=dict)
    _managed: dict[str, dict[str, Any]] = field(default_factory=dict)
    _profiles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    async def bucket_policy(self, bucket: str) -> str | None:
        """The bucket policy document, ``None`` when the bucket has none; raises :class:`NoSuchBucket`."""
        try:
            answer = await self.s3.get_bucket_policy(Bucket=bucket)
        except ClientError as error:
            if _code(error) == "NoSuchBucketPolicy":
                return None
            if _code(error) == "NoSuchBucket":
                raise NoSuchBucket(bucket) from None
            raise
        return str(answer["Policy"])

    async def roles(self) -> list[tuple[str, str]]:
        """``(name, ARN)`` of every role in the account."""
        found = []
        async for page in self.iam.get_paginator("list_roles").paginate():
            found += [(str(role["RoleName"]), str(role["Arn"])) for role in page["Roles"]]
        return found

    async def identity_documents(self, role_name: str) -> Documents:
        """``(policy name, document)`` of the role's inline and attached managed policies."""
        cached = self._documents.get(role_name)
        if cached is not None:
            return cached
        documents: Documents = []
        async for page in self.iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
            for name in page["PolicyNames"]:
                inline = await self.iam.get_role_policy(RoleName=role_name, PolicyName=name)
                documents.append((str(name), parse_document(inline["PolicyDocument"])))
        async for page in self.iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
            for attached in page["AttachedPolicies"]:
                arn = str(attached["PolicyArn"])
                documents.append((str(attached["PolicyName"]), await self._managed_document(arn)))
        self._documents[role_name] = documents
        return documents

    async def _managed_document(self, arn: str) -> dict[str, Any]:
        cached = self._managed.get(arn)
        if cached is None:
            version = (await self.iam.get_policy(PolicyArn=arn))["Policy"]["DefaultVersionId"]
            answer = await self.iam.get_policy_version(PolicyArn=arn, VersionId=version)
            cached = self._managed[arn] = parse_document(answer["PolicyVersion"]["Document"])
        return cached

    async def instance_profiles(self, role_name: str) -> tuple[str, ...]:
        """ARNs of the instance profiles holding the role (none when the role no longer exists)."""
        cached = self._profiles.get(role_name)
        if cached is not None:
            return cached
        arns: list[str] = []
        try:
            async for page in self.iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName=role_name):
                arns += [str(profile["Arn"]) for profile in page["InstanceProfiles"]]
        except ClientError as error:
            if _code(error) != "NoSuchEntity":
                raise
        self._profiles[role_name] = tuple(arns)
        return self._profiles[role_name]

    async def running_instances(self, profile_arns: Iterable[str]) -> dict[str, str]:
        """Running instances that use any of the profiles: instance id -> profile ARN."""
        wanted = sorted(set(profile_arns))
        using: dict[str, str] = {}
        for start in range(0, len(wanted), FILTER_VALUES):
            filters = [
                {"Name": "iam-instance-profile.arn", "Values": wanted[start : start + FILTER_VALUES]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
            async for page in self.ec2.get_paginator("describe_instances").paginate(Filters=filters):
                for reservation in page["Reservations"]:
                    for instance in reservation["Instances"]:
                        using[str(instance["InstanceId"])] = str(instance.get("IamInstanceProfile", {}).get("Arn", ""))
        return using
