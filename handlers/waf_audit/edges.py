"""The front doors of one account: load balancers per region and CloudFront distributions (AWS reads).

Every list is paginated, target groups are read once per region (not per load balancer), and IP
targets are mapped to instances with one DescribeInstances per 200 addresses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wsbridge.consumer.aws import AwsClients

CLOUDFRONT_REGION = "us-east-1"
"""CloudFront and CLOUDFRONT-scope WAFv2 calls go to this region."""

_ADDRESSES_PER_CALL = 200


@dataclass(frozen=True, slots=True)
class FrontDoor:
    """A CloudFront distribution, an application load balancer or a classic load balancer."""

    id: str
    kind: str
    account: str
    region: str
    web_acl: str | None = None
    dns_name: str | None = None
    instances: tuple[str, ...] = ()
    origins: tuple[str, ...] = field(default=(), compare=False)


async def load_balancers(aws: AwsClients, account: str, region: str) -> list[FrontDoor]:
    """The application and classic load balancers of one region, with their instances and web ACLs."""
    elbv2 = await aws.client("elbv2", account=account, region=region)
    albs = [lb async for lb in _items(elbv2, "describe_load_balancers", "LoadBalancers") if lb["Type"] == "application"]
    doors: list[FrontDoor] = []
    if albs:
        targets = await _targets_by_load_balancer(aws, elbv2, account, region)
        wafv2 = await aws.client("wafv2", account=account, region=region)
        for lb in albs:
            arn = lb["LoadBalancerArn"]
            answer = await wafv2.get_web_acl_for_resource(ResourceArn=arn)
            acl = (answer.get("WebACL") or {}).get("ARN")
            doors.append(FrontDoor(arn, "alb", account, region, acl, lb["DNSName"], targets.get(arn, ())))
    elb = await aws.client("elb", account=account, region=region)
    async for lb in _items(elb, "describe_load_balancers", "LoadBalancerDescriptions"):
        arn = f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{lb['LoadBalancerName']}"
        instances = tuple(sorted({item["InstanceId"] for item in lb.get("Instances", [])}))
        doors.append(FrontDoor(arn, "elb", account, region, None, lb["DNSName"], instances))
    return doors


async def distributions(aws: AwsClients, account: str) -> list[FrontDoor]:
    """The CloudFront distributions of one account with their web ACL and origin domain names."""
    cloudfront = await aws.client("cloudfront", account=account, region=CLOUDFRONT_REGION)
    doors = []
    async for page in cloudfront.get_paginator("list_distributions").paginate():
        for item in page.get("DistributionList", {}).get("Items", []):
            origins = tuple(origin["DomainName"].lower() for origin in item.get("Origins", {}).get("Items", []))
            acl = item.get("WebACLId") or None
            doors.append(FrontDoor(item["Id"], "cloudfront", account, CLOUDFRONT_REGION, acl, None, (), origins))
    return doors


async def _targets_by_load_balancer(
    aws: AwsClients, elbv2: Any, account: str, region: str
) -> dict[str, tuple[str, ...]]:
    instances: dict[str, set[str]] = {}
    addresses: dict[str, set[str]] = {}
    async for group in _items(elbv2, "describe_target_groups", "TargetGroups"):
        if group.get("TargetType") not in ("instance", "ip") or not group.get("LoadBalancerArns"):
            continue
        health = await elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
        ids = {item["Target"]["Id"] for item in health.get("TargetHealthDescriptions", [])}
        for lb in group["LoadBalancerArns"]:
            (instances if group["TargetType"] == "instance" else addresses).setdefault(lb, set()).update(ids)
    by_address = await _instances_by_address(aws, account, region, {ip for ips in addresses.values() for ip in ips})
    for lb, ips in addresses.items():
        instances.setdefault(lb, set()).update(by_address[ip] for ip in ips if ip in by_address)
    return {lb: tuple(sorted(ids)) for lb, ids in instances.items()}


async def _instances_by_address(aws: AwsClients, account: str, region: str, addresses: set[str]) -> dict[str, str]:
    if not addresses:
        return {}
    ec2 = await aws.client("ec2", account=account, region=region)
    found: dict[str, str] = {}
    ordered = sorted(addresses)
    for start in range(0, len(ordered), _ADDRESSES_PER_CALL):
        chunk = ordered[start : start + _ADDRESSES_PER_CALL]
        pages = ec2.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "private-ip-address", "Values": chunk}]
        )
        async for page in pages:
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    if instance.get("PrivateIpAddress"):
                        found[instance["PrivateIpAddress"]] = instance["InstanceId"]
    return found


async def _items(client: Any, operation: str, key: str) -> Any:
    async for page in client.get_paginator(operation).paginate():
        for item in page.get(key, []):
            yield item


def fronted(doors: Iterable[FrontDoor]) -> list[FrontDoor]:
    """Distributions with the instances of the load balancers their origins name (matched by DNS name)."""
    doors = list(doors)
    by_dns = {door.dns_name.lower(): door for door in doors if door.dns_name}
    linked = []
    for door in doors:
        if door.kind == "cloudfront":
            behind = [by_dns[origin] for origin in door.origins if origin in by_dns]
            instances = tuple(sorted({instance for lb in behind for instance in lb.instances}))
            door = FrontDoor(door.id, door.kind, door.account, door.region, door.web_acl, None, instances, door.origins)
        linked.append(door)
    return linked
