"""Accounts on moto for the AWS access layer: the daemon's own, and fresh member accounts per test.

moto keeps resources per account: a request signed with credentials that STS AssumeRole issued for a
role in account N acts in account N. So a member account is made by assuming a role in it.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

import boto3

from wsbridge.consumer.settings import Settings

MEMBER_ROLE = "wsbridge-member"
EXTERNAL_ID = "wsbridge-test-external-id"
OWN_ACCOUNT = "123456789012"
"""moto's default account: what the stack's test credentials are."""


@dataclass(frozen=True)
class MemberAccount:
    """An account on moto other than the daemon's, with the member role in it."""

    account: str
    session: boto3.session.Session
    """Signed as the member role: everything made with it lives in ``account``."""


def fresh_account_id() -> str:
    return "9" + "".join(random.choices("0123456789", k=11))


def member_account(role_name: str = MEMBER_ROLE) -> MemberAccount:
    account = fresh_account_id()
    answer = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role_name}", RoleSessionName="wsbridge-test-setup"
    )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    )
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",'
        f'"Principal":{{"AWS":"arn:aws:iam::{OWN_ACCOUNT}:root"}},'
        f'"Condition":{{"StringEquals":{{"sts:ExternalId":"{EXTERNAL_ID}"}}}}}}]}}'
    )
    session.client("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)
    return MemberAccount(account, session)


def settings(**overrides: Any) -> Settings:
    return Settings(queue_url="http://unused.invalid/queue", **overrides)


def launch(session: boto3.session.Session, name: str, region: str | None = None) -> str:
    ec2 = session.client("ec2", region_name=region) if region else session.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}]
    reservation = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, TagSpecifications=tags
    )
    return str(reservation["Instances"][0]["InstanceId"])


class RefusingSts(BaseHTTPRequestHandler):
    """STS as it answers a daemon whose member role is missing or does not trust it: AssumeRole is denied.

    Neither emulator refuses AssumeRole (both issue credentials for any role ARN), so this small HTTP
    server gives the real client stack the answer AWS gives.
    """

    calls: list[str] = []

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        action = form.get("Action", [""])[0]
        self.calls.append(action)
        if action == "GetCallerIdentity":
            body = (
                '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
                f"<Arn>arn:aws:sts::{OWN_ACCOUNT}:assumed-role/wsbridge-task/task</Arn><UserId>AROA:task</UserId>"
                f"<Account>{OWN_ACCOUNT}</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
            )
            self._answer(200, body)
            return
        role = form.get("RoleArn", ["?"])[0]
        message = (
            f"User: arn:aws:sts::{OWN_ACCOUNT}:assumed-role/wsbridge-task/task is not authorized to perform: "
            f"sts:AssumeRole on resource: {role}"
        )
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>AccessDenied</Code><Message>{message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>"
        )
        self._answer(403, body)

    def _answer(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return
