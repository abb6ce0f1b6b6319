"""deploy/config-rules.yaml: linted, scanned, a rule wsbridge answers, a forwarder that may only send to the queue."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import DECODE_TEMPLATE
from deploy_tools import ROOT, Tools
from test_cloudformation import as_list, statements

from wsbridge.handlers.config_rules.checks import CHECKS
from wsbridge.handlers.config_rules.events import ConfigRulesPolicy

RULES_TEMPLATE = ROOT / "deploy" / "config-rules.yaml"
# Each skip is justified next to the resource in the template; a new one must be added here on purpose.
ACCEPTED_CHECKOV_SKIPS = {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_158", "CKV_AWS_173"}


@pytest.fixture(scope="module")
def rules_template(tools: Tools) -> dict[str, Any]:
    decoded = tools.python_json(DECODE_TEMPLATE, str(RULES_TEMPLATE))
    assert isinstance(decoded, dict)
    return decoded


def test_cfn_lint_reports_no_error_warning_or_informational_finding(tools: Tools) -> None:
    result = tools.run([*tools.cfn_lint, "--include-checks", "I", "--", str(RULES_TEMPLATE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_checkov_finds_no_failed_check_and_only_the_justified_skips(tools: Tools) -> None:
    command = [*tools.checkov, "--file", str(RULES_TEMPLATE), "--framework", "cloudformation"]
    result = tools.run([*command, "--skip-download", "--compact", "--output", "json"])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0, summary
    skipped = report["results"].get("skipped_checks", [])
    assert {check["check_id"] for check in skipped} == ACCEPTED_CHECKOV_SKIPS
    assert all(len(check["check_result"].get("suppress_comment", "")) > 40 for check in skipped), skipped


def test_the_rule_is_a_wsbridge_rule_on_instances_with_the_checks_the_handler_knows(
    rules_template: dict[str, Any],
) -> None:
    parameters = rules_template["Parameters"]
    rule = rules_template["Resources"]["Rule"]["Properties"]
    assert parameters["Check"]["AllowedValues"] == list(CHECKS)
    assert parameters["RuleName"]["Default"].startswith(ConfigRulesPolicy().rule_prefix)
    assert rule["Scope"] == {"ComplianceResourceTypes": ["AWS::EC2::Instance"]}
    assert rule["Source"]["Owner"] == "CUSTOM_LAMBDA"
    assert set(rule["InputParameters"]) == {"check", "policy", "module"}


def test_the_forwarder_may_only_send_to_the_queue_and_write_its_log(rules_template: dict[str, Any]) -> None:
    role = rules_template["Resources"]["ForwarderRole"]
    granted = {action: item["Resource"] for item in statements(role) for action in as_list(item["Action"])}
    assert granted == {
        "sqs:SendMessage": {"Ref": "QueueArn"},
        "logs:CreateLogStream": {"Fn::GetAtt": ["ForwarderLogGroup", "Arn"]},
        "logs:PutLogEvents": {"Fn::GetAtt": ["ForwarderLogGroup", "Arn"]},
    }
    assert role["Properties"]["Path"] == "/wsbridge-config-forwarder/"


def test_the_service_admits_forwarders_of_the_organisation_only_under_their_path(template: dict[str, Any]) -> None:
    policy = template["Resources"]["FindingsQueuePolicy"]["Properties"]["PolicyDocument"]
    (conditional,) = [item for item in policy["Statement"] if "Fn::If" in item]
    condition, statement, otherwise = conditional["Fn::If"]
    assert condition == "HasConfigForwarders" and otherwise == {"Ref": "AWS::NoValue"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": {"Ref": "ConfigForwarderOrganizationId"}}
    assert "role/wsbridge-config-forwarder/*" in json.dumps(statement["Condition"]["ArnLike"])
