"""The WAF audit's pure rules: classification by application type names, web ACL ARNs, the report."""

from __future__ import annotations

import pytest

from wsbridge.handlers.waf_audit.classify import Classification, classify, strongest
from wsbridge.handlers.waf_audit.webacl import RuleGroup, WebAclRef, runs

REGIONAL = "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/shop/0a1b2c3d"
GLOBAL = "arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/9f8e7d6c"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Web Server Common", "Web Application Common"], Classification.WEB_APPLICATION),
        (["Web Server Common", "WordPress"], Classification.WEB_APPLICATION),
        (["Web Server Common", "SSH Server"], Classification.WEB_SERVER),
        (["Web Client Common", "Database MySQL"], Classification.NOT_WEB),
        ([], Classification.NOT_WEB),
        (None, Classification.UNKNOWN),
    ],
)
def test_application_types_decide_the_class(names: list[str] | None, expected: Classification) -> None:
    assert classify(names) is expected


def test_the_strongest_class_behind_a_front_door_wins() -> None:
    assert strongest([Classification.NOT_WEB, Classification.WEB_SERVER]) is Classification.WEB_SERVER
    assert strongest([Classification.WEB_SERVER, Classification.WEB_APPLICATION]) is Classification.WEB_APPLICATION
    assert strongest([Classification.UNKNOWN]) is Classification.UNKNOWN
    assert strongest([]) is Classification.UNKNOWN


def test_web_acl_arns_give_scope_region_name_and_id() -> None:
    regional, edge = WebAclRef.parse(REGIONAL), WebAclRef.parse(GLOBAL)

    assert regional is not None and edge is not None
    assert (regional.scope, regional.region, regional.account, regional.name, regional.id) == (
        "REGIONAL",
        "eu-west-1",
        "111111111111",
        "shop",
        "0a1b2c3d",
    )
    assert (edge.scope, edge.region) == ("CLOUDFRONT", "us-east-1")
    assert WebAclRef.parse("473e64fd-f30b-4765-81a0-62ad96dd167a") is None


def test_a_web_acl_runs_a_group_only_by_vendor_and_name() -> None:
    acl = {"Rules": [{"Statement": {"ManagedRuleGroupStatement": {"VendorName": "Trend Micro", "Name": "A"}}}]}

    assert runs(acl, RuleGroup("Trend Micro", "A"))
    assert not runs(acl, RuleGroup("Trend Micro", "B"))
    assert not runs(acl, RuleGroup("AWS", "A"))
