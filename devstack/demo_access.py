"""The demo application's access graph: role ``wsbridge-demo-app``, its instance profile, and the bucket it reads.

Made idempotently with boto3 (endpoints from ``AWS_ENDPOINT_URL*``; in the local stack IAM, S3 and
EC2 are all served by moto, which keeps instance profiles on instances and serves the bucket reads
the Macie responder makes).
"""

from __future__ import annotations

import json
from typing import Any

from devstack.settings import DEMO_APP_ROLE, DEMO_BUCKET

EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def ensure_app_profile(iam: Any) -> tuple[str, str]:
    """The demo role and an instance profile of the same name holding it: (role ARN, profile ARN)."""
    try:
        role_arn = str(iam.get_role(RoleName=DEMO_APP_ROLE)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role_arn = str(
            iam.create_role(RoleName=DEMO_APP_ROLE, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))["Role"]["Arn"]
        )
    try:
        profile = iam.get_instance_profile(InstanceProfileName=DEMO_APP_ROLE)["InstanceProfile"]
    except iam.exceptions.NoSuchEntityException:
        profile = iam.create_instance_profile(InstanceProfileName=DEMO_APP_ROLE)["InstanceProfile"]
    if not any(role["RoleName"] == DEMO_APP_ROLE for role in profile.get("Roles", [])):
        iam.add_role_to_instance_profile(InstanceProfileName=DEMO_APP_ROLE, RoleName=DEMO_APP_ROLE)
    return role_arn, str(profile["Arn"])


def bucket_policy(role_arn: str) -> str:
    """Read access to the demo bucket for the demo role."""
    statement = {
        "Sid": "DemoAppReads",
        "Effect": "Allow",
        "Principal": {"AWS": role_arn},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{DEMO_BUCKET}", f"arn:aws:s3:::{DEMO_BUCKET}/*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def ensure_bucket(s3: Any, role_arn: str) -> str:
    """The demo bucket with its policy; returns its name."""
    try:
        s3.head_bucket(Bucket=DEMO_BUCKET)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=DEMO_BUCKET)
    s3.put_bucket_policy(Bucket=DEMO_BUCKET, Policy=bucket_policy(role_arn))
    return DEMO_BUCKET


def attach_profile(ec2: Any, instance_ids: list[str], profile_arn: str) -> None:
    """Associate the profile with each instance that has none (instances launched before it existed)."""
    if not instance_ids:
        return
    associations = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": instance_ids}]
    )["IamInstanceProfileAssociations"]
    associated = {item["InstanceId"] for item in associations if item.get("State") in {"associating", "associated"}}
    for instance_id in instance_ids:
        if instance_id not in associated:
            ec2.associate_iam_instance_profile(IamInstanceProfile={"Arn": profile_arn}, InstanceId=instance_id)
