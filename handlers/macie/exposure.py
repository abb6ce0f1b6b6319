"""Who can read a bucket: the roles its policy names, the account roles whose identity policies allow it, the public.

Roles are followed only in the bucket's (the finding's) account; principals of other accounts are
reported. A bucket-policy grant to this account's root reaches the account's roles whose identity
policies allow reading the bucket (``expand_account_root``); ``search_identity_policies`` looks for
such roles whatever the bucket policy says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wsbridge.handlers._shared.identifiers import arn_field
from wsbridge.handlers.macie.access import ReadGrant, read_grants

if TYPE_CHECKING:
    from wsbridge.handlers.macie.finding import MaciePolicy
    from wsbridge.handlers.macie.reads import AccountReads


@dataclass(frozen=True, slots=True)
class RoleAccess:
    """A role that can read the bucket, and how: ``bucket policy <statement>`` or ``identity policy <name>``."""

    name: str
    arn: str
    via: str
    conditions: dict[str, Any]


@dataclass
class Exposure:
    """Everything that can read one bucket."""

    bucket: str
    roles: dict[str, RoleAccess] = field(default_factory=dict)
    public: list[ReadGrant] = field(default_factory=list)
    other_accounts: list[str] = field(default_factory=list)

    def add(self, access: RoleAccess) -> None:
        """Record a role, keeping the first way found."""
        self.roles.setdefault(access.name, access)


def role_name(principal: str, account: str) -> str | None:
    """The role name in a role (or assumed-role session) ARN of ``account``; ``None`` for anything else."""
    if arn_field(principal, 4) != account:
        return None
    resource = principal.split(":", 5)[-1]
    if resource.startswith("role/"):
        return resource.rsplit("/", 1)[-1]
    if resource.startswith("assumed-role/"):
        return resource.split("/")[1]
    return None


def is_root(principal: str, account: str) -> bool:
    """Whether ``principal`` is ``account`` itself (its id or its root ARN)."""
    return principal == account or (principal.endswith(":root") and arn_field(principal, 4) == account)


async def find_readers(bucket: str, account: str, policy: MaciePolicy, reads: AccountReads) -> Exposure:
    """The bucket's readers in ``account``; raises :class:`~wsbridge.handlers.macie.reads.NoSuchBucket`."""
    exposure = Exposure(bucket)
    document = await reads.bucket_policy(bucket)
    root_grant: ReadGrant | None = None
    for grant in read_grants(document, bucket) if document else []:
        if grant.public:
            exposure.public.append(grant)
        for principal in grant.principals:
            name = role_name(principal, account)
            if name is not None:
                exposure.add(RoleAccess(name, principal, f"bucket policy {grant.statement}", grant.conditions))
            elif is_root(principal, account):
                root_grant = root_grant or grant
            elif principal != "*":
                exposure.other_accounts.append(principal)
    if policy.search_identity_policies or (root_grant is not None and policy.expand_account_root):
        await _identity_readers(exposure, reads, root_grant)
    return exposure


async def _identity_readers(exposure: Exposure, reads: AccountReads, root_grant: ReadGrant | None) -> None:
    for name, arn in await reads.roles():
        for policy_name, document in await reads.identity_documents(name):
            grants = read_grants(document, exposure.bucket)
            if grants:
                conditions = {**(root_grant.conditions if root_grant else {}), **grants[0].conditions}
                exposure.add(RoleAccess(name, arn, f"identity policy {policy_name}", conditions))
                break
