"""The WAF coverage audit: front doors -> web ACLs -> instances -> computers -> policies -> rule group.

Reads only; the additions it recommends are :class:`WafAddRuleGroup` actions for the executor. An
account or region that cannot be read is reported with its reason and the rest of the audit completes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from wsbridge.consumer.aws_roles import AssumeRoleFailed
from wsbridge.handlers.waf_audit.apply import WafAddRuleGroup
from wsbridge.handlers.waf_audit.classify import strongest
from wsbridge.handlers.waf_audit.edges import CLOUDFRONT_REGION, FrontDoor, distributions, fronted, load_balancers
from wsbridge.handlers.waf_audit.report import AuditResult, DoorReport, Status, Unreadable
from wsbridge.handlers.waf_audit.rule_groups import RuleGroupChooser
from wsbridge.handlers.waf_audit.webacl import WebAclRef, runs
from wsbridge.handlers.waf_audit.workloads import Workloads

if TYPE_CHECKING:
    from wsbridge.consumer.aws import AwsClients
    from wsbridge.consumer.services import Services
    from wsbridge.consumer.settings import WafAuditSettings
    from wsbridge.handlers.waf_audit.policy import WafAuditPolicy

_UNREADABLE = (AssumeRoleFailed, ClientError, BotoCoreError)


async def run_audit(services: Services, scope: WafAuditSettings, policy: WafAuditPolicy) -> AuditResult:
    """Audit every account and region of ``scope``."""
    aws = services.aws_clients()
    own = await aws.own_account()
    accounts = (own, *(account for account in scope.audit_accounts if account != own))
    regions = scope.audit_regions or (aws.region,)
    doors: list[FrontDoor] = []
    unreadable: list[Unreadable] = []
    for account in accounts:
        found, failed = await _read_account(aws, account, regions)
        doors += found
        unreadable += failed
    workloads = Workloads(services.workload_security())
    await workloads.load(instance for door in doors for instance in door.instances)
    auditor = _Auditor(aws, workloads, RuleGroupChooser(aws, policy), doors)
    reports = [await auditor.report(door) for door in doors]
    return AuditResult(tuple(reports), tuple(unreadable), tuple(auditor.additions.values()))


async def _read_account(
    aws: AwsClients, account: str, regions: tuple[str, ...]
) -> tuple[list[FrontDoor], list[Unreadable]]:
    doors: list[FrontDoor] = []
    failed: list[Unreadable] = []
    try:
        doors += await distributions(aws, account)
    except _UNREADABLE as error:
        failed.append(Unreadable(account, None, _reason(error)))
        if isinstance(error, AssumeRoleFailed):
            return [], failed
    for region in regions:
        try:
            doors += await load_balancers(aws, account, region)
        except _UNREADABLE as error:
            failed.append(Unreadable(account, region, _reason(error)))
    return fronted(doors), failed


def _reason(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__


class _Auditor:
    """Turns each front door into its report, reading each web ACL once."""

    def __init__(self, aws: AwsClients, workloads: Workloads, chooser: RuleGroupChooser, doors: list[FrontDoor]):
        self._aws = aws
        self._workloads = workloads
        self._chooser = chooser
        self._distributions = [door for door in doors if door.kind == "cloudfront"]
        self._acls: dict[str, dict[str, Any]] = {}
        self.additions: dict[tuple[str, str, str], WafAddRuleGroup] = {}

    async def report(self, door: FrontDoor) -> DoorReport:
        front = self._fronting(door)
        web_acl = door.web_acl or (front.web_acl if front and door.kind == "elb" else None)
        known = [found for instance in door.instances if (found := self._workloads.computer(instance))]
        computers = tuple(
            {
                "id": item.computer_id,
                "name": item.name,
                "instance_id": item.instance_id,
                "policy_id": item.policy_id,
                "policy": item.policy.name if item.policy else None,
            }
            for item in known
        )
        classification = strongest(self._workloads.classification(item.policy_id) for item in known)
        ref = WebAclRef.parse(web_acl) if web_acl else None
        cloudfront = door.kind == "cloudfront" or (ref is not None and ref.scope == "CLOUDFRONT")
        scope, region = ("CLOUDFRONT", CLOUDFRONT_REGION) if cloudfront else ("REGIONAL", door.region)
        group = await self._chooser.choose(classification, door.account, region, scope)
        status = await self._status(door, web_acl, ref, group)
        return DoorReport(
            door.id,
            door.kind,
            door.account,
            door.region,
            web_acl,
            door.instances,
            computers,
            classification.value,
            group,
            status,
            front.id if front else None,
        )

    def _fronting(self, door: FrontDoor) -> FrontDoor | None:
        if not door.dns_name:
            return None
        matches = [item for item in self._distributions if door.dns_name.lower() in item.origins]
        protected = [item for item in matches if item.web_acl]
        return next(iter(protected or matches), None)

    async def _status(self, door: FrontDoor, web_acl: str | None, ref: WebAclRef | None, group: Any) -> Status:
        if web_acl is None:
            return Status.WAF_UNSUPPORTED if door.kind == "elb" else Status.NO_WEB_ACL
        if group is None:
            return Status.NO_RECOMMENDATION
        if ref is None:
            return Status.NOT_WAFV2
        if runs(await self._acl(ref), group):
            return Status.RULE_GROUP_PRESENT
        key = (ref.arn, group.vendor, group.name)
        self.additions.setdefault(key, WafAddRuleGroup(ref.arn, group.vendor, group.name))
        return Status.RULE_GROUP_MISSING

    async def _acl(self, ref: WebAclRef) -> dict[str, Any]:
        if ref.arn not in self._acls:
            wafv2 = await self._aws.client("wafv2", account=ref.account, region=ref.region)
            self._acls[ref.arn] = (await ref.read(wafv2))[0]
        return self._acls[ref.arn]
