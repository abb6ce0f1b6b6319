"""Credentials for another account: the member role assumed there, refreshed before it expires.

The role is ``WSBRIDGE_AWS_ROLE_NAME`` in the finding's account, assumed with the daemon's own (task)
credentials and ``WSBRIDGE_AWS_EXTERNAL_ID``. botocore's refreshable credentials renew it in the
background of a call once less than 15 minutes are left, and before any call once less than 10 are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import structlog
from aiobotocore.credentials import AioDeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError

from wsbridge.consumer import metrics
from wsbridge.consumer.settlement import TransientError

MEMBER_ROLE_ACTIONS = (
    "cloudfront:ListDistributions",
    "config:GetResourceConfigHistory",
    "config:PutEvaluations",
    "ec2:DescribeInstances",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:ListRoles",
    "s3:GetBucketPolicy",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:ListAvailableManagedRuleGroups",
    "wafv2:UpdateWebACL",
)
"""Every AWS call a handler makes in a member account, and all that ``deploy/member-role.yaml`` grants."""

SESSION_NAME = "wsbridge"
SESSION_SECONDS = 3600
"""Lifetime asked for each set of role credentials (the IAM default maximum)."""

_REFUSED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "NoSuchEntity", "InvalidIdentityToken"})

_log = structlog.get_logger("wsbridge.aws")

StsFactory = Callable[[], Awaitable[Any]]
Clock = Callable[[], datetime]


class AssumeRoleFailed(TransientError):
    """The member role could not be assumed in a finding's account.

    Transient: the role may be deployed or fixed meanwhile, so the message is retried with backoff and
    reaches the dead-letter queue with this reason once its receives are used up.
    """

    def __init__(self, account: str, role_name: str | None, reason: str, detail: str) -> None:
        """``reason`` is the metric label (``not_configured``, ``refused``, ``error``)."""
        self.account = account
        self.role_name = role_name
        self.reason = reason
        role = role_name or "(WSBRIDGE_AWS_ROLE_NAME is not set)"
        super().__init__(f"cannot assume role {role} in account {account}: {detail}")


def role_arn(partition: str, account: str, role_name: str) -> str:
    """The ARN of the member role in ``account``."""
    return f"arn:{partition}:iam::{account}:role/{role_name}"


def not_configured(account: str) -> AssumeRoleFailed:
    """The error (counted and logged) for a finding in another account when no role name is set."""
    return _failed(AssumeRoleFailed(account, None, "not_configured", "no member role is configured"))


def member_credentials(
    sts: StsFactory,
    *,
    partition: str,
    account: str,
    role_name: str,
    external_id: str | None,
    clock: Clock | None = None,
) -> AioDeferredRefreshableCredentials:
    """Refreshable credentials of the member role in ``account``, fetched on first use.

    ``sts`` returns the daemon's own STS client; ``clock`` replaces botocore's (for tests).
    """
    arn = role_arn(partition, account, role_name)
    params: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": SESSION_NAME, "DurationSeconds": SESSION_SECONDS}
    if external_id:
        params["ExternalId"] = external_id

    async def fetch() -> dict[str, Any]:
        client = await sts()
        try:
            response = await client.assume_role(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "ClientError"))
            reason = "refused" if code in _REFUSED_CODES or code.startswith("AccessDenied") else "error"
            raise _failed(AssumeRoleFailed(account, role_name, reason, str(error))) from None
        except BotoCoreError as error:
            raise _failed(AssumeRoleFailed(account, role_name, "error", f"{type(error).__name__}: {error}")) from None
        credentials = response["Credentials"]
        _log.info("assumed member role", account=account, role=role_name, expires=str(credentials["Expiration"]))
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
            "account_id": account,
        }

    if clock is None:
        return AioDeferredRefreshableCredentials(refresh_using=fetch, method="assume-role")
    return AioDeferredRefreshableCredentials(refresh_using=fetch, method="assume-role", time_fetcher=clock)


def _failed(error: AssumeRoleFailed) -> AssumeRoleFailed:
    metrics.AWS_ASSUME_ROLE_FAILURES.labels(error.reason).inc()
    _log.warning("cannot assume member role", account=error.account, role=error.role_name, error=str(error))
    return error
