"""The plan for a handled Macie finding, shared by the native and the Security Hub path.

The bucket's readers (:mod:`~wsbridge.handlers.macie.exposure`) lead to their instance profiles and
to the running instances using them (one filtered DescribeInstances). A protected instance gets a
recommendation scan with the results applied and an integrity scan, coalesced per computer; an
instance Workload Security does not know or protect gets a notice naming the bucket, the role and
the instance. A bucket anyone or other accounts can read gets a notice of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.actions import Action, RunIntegrityScan, RunRecommendationScan
from wsbridge.handlers._shared.instances import look_up
from wsbridge.handlers._shared.notices import FindingSummary
from wsbridge.handlers._shared.plans import applies_integrity_rules, unique
from wsbridge.handlers.macie.exposure import Exposure, find_readers
from wsbridge.handlers.macie.notices import exposure_notice, unprotected_reader_notice
from wsbridge.handlers.macie.reads import AccountReads, NoSuchBucket

if TYPE_CHECKING:
    from wsbridge.consumer.handler import HandlerContext
    from wsbridge.handlers.macie.finding import MacieFinding, MaciePolicy


def summary(finding: MacieFinding) -> FindingSummary:
    """What a notice says about a Macie finding."""
    where = (finding.account, finding.region)
    return FindingSummary("Macie", finding.finding_id, finding.finding_type, finding.severity, *where)


async def account_reads(finding: MacieFinding, context: HandlerContext) -> AccountReads:
    """Reads in the finding's account and region (the member role there, unless it is the daemon's own)."""
    aws = context.services.aws_clients()
    where = {"account": finding.account, "region": finding.region}
    return AccountReads(
        iam=await aws.client("iam", **where), s3=await aws.client("s3", **where), ec2=await aws.client("ec2", **where)
    )


async def plan_macie(finding: MacieFinding, policy: MaciePolicy, context: HandlerContext) -> list[Action]:
    """Scans for the protected instances that can read the finding's bucket, notices for the rest."""
    if finding.bucket is None:
        return []
    reads = await account_reads(finding, context)
    try:
        exposure = await find_readers(finding.bucket, finding.account, policy, reads)
    except NoSuchBucket:
        return []
    return await answer(exposure, finding, reads, context)


def why_nothing(exposure: Exposure) -> str:
    """Why an exposure needs no action: no role reads the bucket, or no running instance uses those roles."""
    if not exposure.roles:
        return f"no role in the account can read bucket {exposure.bucket}"
    roles = ", ".join(sorted(exposure.roles))
    return f"no running instance uses the roles that can read bucket {exposure.bucket} ({roles})"


async def answer(
    exposure: Exposure, finding: MacieFinding, reads: AccountReads, context: HandlerContext
) -> list[Action]:
    """The actions for the instances behind the exposure's roles."""
    about = summary(finding)
    actions: list[Action] = [exposure_notice(exposure, about)] if exposure.public or exposure.other_accounts else []
    role_of_profile = {
        profile: role for role in exposure.roles.values() for profile in await reads.instance_profiles(role.name)
    }
    instances = await reads.running_instances(role_of_profile) if role_of_profile else {}
    ws = context.services.workload_security()
    for instance_id, profile in sorted(instances.items()):
        known = await look_up(instance_id, ws)
        if known is None or not known.verdict.protected:
            role = role_of_profile[profile]
            actions.append(unprotected_reader_notice(instance_id, role, exposure.bucket, about, known))
        else:
            integrity_rules = applies_integrity_rules(context.settings)
            scan = RunRecommendationScan(known.computer_id, apply=True, integrity_rules=integrity_rules)
            actions += [scan, RunIntegrityScan(known.computer_id)]
    return unique(actions)
