"""deploy/member-role.yaml: linted, scanned, reads and Config answers only, trusting only the daemon."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import DECODE_TEMPLATE
from deploy_tools import ROOT, Tools
from test_cloudformation import as_list, container, environment_of, statements

from wsbridge.consumer.aws_roles import MEMBER_ROLE_ACTIONS

MEMBER_TEMPLATE = ROOT / "deploy" / "member-role.yaml"


@pytest.fixture(scope="module")
def member_template(tools: Tools) -> dict[str, Any]:
    decoded = tools.python_json(DECODE_TEMPLATE, str(MEMBER_TEMPLATE))
    assert isinstance(decoded, dict)
    return decoded


def test_cfn_lint_reports_no_error_warning_or_informational_finding(tools: Tools) -> None:
    result = tools.run([*tools.cfn_lint, "--include-checks", "I", "--", str(MEMBER_TEMPLATE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_checkov_finds_no_failed_check_and_skips_none(tools: Tools) -> None:
    command = [*tools.checkov, "--file", str(MEMBER_TEMPLATE), "--framework", "cloudformation"]
    result = tools.run([*command, "--skip-download", "--compact", "--output", "json"])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0 and summary["skipped"] == 0, summary
    assert summary["passed"] >= 5, summary


def test_the_member_role_grants_exactly_the_reads_the_handlers_make(member_template: dict[str, Any]) -> None:
    (role,) = member_template["Resources"].values()
    granted = statements(role)
    assert all(item["Effect"] == "Allow" for item in granted)
    actions = [action for item in granted for action in as_list(item["Action"])]
    assert sorted(actions) == sorted(MEMBER_ROLE_ACTIONS)
    wildcard = {action for item in granted if item["Resource"] == "*" for action in as_list(item["Action"])}
    assert wildcard == {
        "ec2:DescribeInstances",
        "iam:ListRoles",
        "cloudfront:ListDistributions",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "wafv2:GetWebACL",
        "wafv2:GetWebACLForResource",
        "wafv2:ListAvailableManagedRuleGroups",
        "config:PutEvaluations",
        "config:GetResourceConfigHistory",
    }
    assert role["Properties"]["MaxSessionDuration"] == 3600


def test_only_the_daemon_task_role_with_the_external_id_may_assume_it(member_template: dict[str, Any]) -> None:
    (role,) = member_template["Resources"].values()
    properties = role["Properties"]
    assert properties["RoleName"] == {"Ref": "RoleName"}
    assert properties["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": {"Ref": "DaemonRoleArn"}},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
        }
    ]
    assert member_template["Parameters"]["ExternalId"]["MinLength"] == 2
    assert "Default" not in member_template["Parameters"]["ExternalId"]


def test_the_service_assumes_that_role_by_name_and_tells_the_daemon_its_name_and_external_id(
    template: dict[str, Any], member_template: dict[str, Any]
) -> None:
    parameters = template["Parameters"]
    assert parameters["MemberRoleName"]["Default"] == member_template["Parameters"]["RoleName"]["Default"]
    assert parameters["MemberRoleName"]["AllowedPattern"] == member_template["Parameters"]["RoleName"]["AllowedPattern"]
    environment = environment_of(container(template))
    assert environment["WSBRIDGE_AWS_ROLE_NAME"] == {"Ref": "MemberRoleName"}
    assert environment["WSBRIDGE_AWS_EXTERNAL_ID"] == {"Ref": "MemberRoleExternalId"}
    (conditional,) = [item["Fn::If"] for item in container(template)["Environment"] if "Fn::If" in item]
    assert conditional[0] == "HasMemberRoleExternalId"
    assert conditional[2] == {"Ref": "AWS::NoValue"}
    assume = [item for item in statements(template["Resources"]["TaskRole"]) if item["Action"] == "sts:AssumeRole"]
    assert [item["Resource"] for item in assume] == [{"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}]
