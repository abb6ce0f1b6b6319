"""The WAF audit's demo front doors, made idempotently with boto3 (all served by moto in the local stack).

An application load balancer ``wsbridge-demo-alb`` forwarding to demo-web-1 and demo-web-2, with the
web ACL ``wsbridge-demo-acl``; a CloudFront distribution whose origin is that load balancer; and a
classic load balancer ``wsbridge-demo-legacy`` holding demo-legacy-1, with no web ACL (WAF cannot
attach to classic load balancers).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

DEMO_ALB = "wsbridge-demo-alb"
DEMO_TARGET_GROUP = "wsbridge-demo-web"
DEMO_ACL = "wsbridge-demo-acl"
DEMO_LEGACY_ELB = "wsbridge-demo-legacy"
DEMO_DISTRIBUTION_COMMENT = "wsbridge-demo"
WAF_AUDIT_RULE = "wsbridge-waf-audit"
"""The schedule name ``make run`` fires and the stack environment names in ``WSBRIDGE_WAF_AUDIT_RULE``."""
_VISIBILITY = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": DEMO_ACL}
WEB_INSTANCES = ("demo-web-1", "demo-web-2")
LEGACY_INSTANCES = ("demo-legacy-1",)


def ensure_front_doors(aws: Any, instances: dict[str, str]) -> dict[str, str]:
    """The load balancers, web ACL and distribution; returns name -> ARN (or distribution id)."""
    ec2, elbv2 = aws.client("ec2"), aws.client("elbv2")
    vpc_id, subnets = _default_subnets(ec2)
    alb = _ensure_alb(elbv2, subnets)
    group = _ensure_target_group(elbv2, vpc_id, alb, [instances[name] for name in WEB_INSTANCES])
    acl = _ensure_web_acl(aws.client("wafv2"), alb["LoadBalancerArn"])
    distribution = _ensure_distribution(aws.client("cloudfront"), alb["DNSName"])
    legacy = _ensure_classic(aws.client("elb"), [instances[name] for name in LEGACY_INSTANCES])
    return {
        DEMO_ALB: alb["LoadBalancerArn"],
        DEMO_TARGET_GROUP: group,
        DEMO_ACL: acl,
        "cloudfront": distribution,
        DEMO_LEGACY_ELB: legacy,
    }


def _default_subnets(ec2: Any) -> tuple[str, list[str]]:
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    by_zone = {subnet["AvailabilityZone"]: subnet["SubnetId"] for subnet in subnets}
    return vpc, [by_zone[zone] for zone in sorted(by_zone)[:2]]


def _ensure_alb(elbv2: Any, subnets: list[str]) -> dict[str, Any]:
    try:
        return dict(elbv2.describe_load_balancers(Names=[DEMO_ALB])["LoadBalancers"][0])
    except elbv2.exceptions.LoadBalancerNotFoundException:
        created = elbv2.create_load_balancer(Name=DEMO_ALB, Subnets=subnets, Type="application")
        return dict(created["LoadBalancers"][0])


def _ensure_target_group(elbv2: Any, vpc_id: str, alb: dict[str, Any], instance_ids: list[str]) -> str:
    try:
        arn = elbv2.describe_target_groups(Names=[DEMO_TARGET_GROUP])["TargetGroups"][0]["TargetGroupArn"]
    except elbv2.exceptions.TargetGroupNotFoundException:
        arn = elbv2.create_target_group(
            Name=DEMO_TARGET_GROUP, Protocol="HTTP", Port=80, VpcId=vpc_id, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": instance_id} for instance_id in instance_ids])
    if not elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]:
        elbv2.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
        )
    return str(arn)


def _ensure_web_acl(wafv2: Any, alb_arn: str) -> str:
    listed = wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"]
    arn = next((item["ARN"] for item in listed if item["Name"] == DEMO_ACL), None)
    if arn is None:
        arn = wafv2.create_web_acl(
            Name=DEMO_ACL,
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            Rules=[],
            VisibilityConfig=_VISIBILITY,
        )["Summary"]["ARN"]
    if (wafv2.get_web_acl_for_resource(ResourceArn=alb_arn).get("WebACL") or {}).get("ARN") != arn:
        wafv2.associate_web_acl(WebACLArn=arn, ResourceArn=alb_arn)
    return str(arn)


def _ensure_distribution(cloudfront: Any, origin: str) -> str:
    items = cloudfront.list_distributions().get("DistributionList", {}).get("Items", [])
    for item in items:
        if any(entry["DomainName"] == origin for entry in item["Origins"]["Items"]):
            return str(item["Id"])
    config = {
        "CallerReference": f"{DEMO_DISTRIBUTION_COMMENT}-{origin}",
        "Comment": DEMO_DISTRIBUTION_COMMENT,
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": DEMO_ALB,
                    "DomainName": origin,
                    "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": DEMO_ALB,
            "ViewerProtocolPolicy": "allow-all",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "all"}},
        },
    }
    return str(cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"])


def _ensure_classic(elb: Any, instance_ids: list[str]) -> str:
    try:
        found = elb.describe_load_balancers(LoadBalancerNames=[DEMO_LEGACY_ELB])["LoadBalancerDescriptions"]
    except elb.exceptions.AccessPointNotFoundException:
        found = []
    if not found:
        elb.create_load_balancer(
            LoadBalancerName=DEMO_LEGACY_ELB,
            Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
            AvailabilityZones=["us-east-1a"],
        )
    registered = {item["InstanceId"] for item in (found[0].get("Instances", []) if found else [])}
    missing = [{"InstanceId": instance_id} for instance_id in instance_ids if instance_id not in registered]
    if missing:
        elb.register_instances_with_load_balancer(LoadBalancerName=DEMO_LEGACY_ELB, Instances=missing)
    return DEMO_LEGACY_ELB


def scheduled_event(account: str, region: str, rule: str = WAF_AUDIT_RULE) -> dict[str, Any]:
    """A ``Scheduled Event`` envelope, as an EventBridge scheduled rule named ``rule`` delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule}"],
        "detail": {},
    }


def send_scheduled_audit(sqs: Any, queue_url: str, account: str, region: str) -> str:
    """Put one firing of the WAF audit schedule on the findings queue; returns the event id."""
    event = scheduled_event(account, region)
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
    return str(event["id"])
