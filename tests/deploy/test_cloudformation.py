"""deploy/wsbridge.yaml: linted, scanned, and consistent with the daemon and the local stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_calls import actions, aws_calls, daemon_modules
from conftest import DECODE_TEMPLATE, TEMPLATE, setting_names
from deploy_tools import ROOT, Tools

from wsbridge.consumer.aws_roles import MEMBER_ROLE_ACTIONS
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.state.dynamodb import TTL_ATTRIBUTE

PATTERN_FILE = ROOT / "config" / "eventbridge-pattern.json"
FORWARDER = ROOT / "deploy" / "region-forwarder.yaml"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
FARGATE_MAX_STOP_TIMEOUT = 120
# Each skip is justified next to the resource in the template; a new one must be added here on purpose.
ACCEPTED_CHECKOV_SKIPS = {"CKV_AWS_27", "CKV_AWS_158", "CKV_AWS_28", "CKV_AWS_119"}


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == kind}


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for policy in role["Properties"]["Policies"] for item in policy["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def environment_of(definition: dict[str, Any]) -> dict[str, Any]:
    """The container's variables; one set only under a condition counts with its value when set."""
    entries = [item["Fn::If"][1] if "Fn::If" in item else item for item in definition["Environment"]]
    return {item["Name"]: item["Value"] for item in entries}


def container(template: dict[str, Any], name: str = "wsbridge") -> dict[str, Any]:
    """A container of the task definition by name (one under a condition counts as if it were set)."""
    (task,) = resources_of(template, "AWS::ECS::TaskDefinition").values()
    entries = task["Properties"]["ContainerDefinitions"]
    definitions = [item["Fn::If"][1] if "Fn::If" in item else item for item in entries]
    (definition,) = [item for item in definitions if item["Name"] == name]
    return definition


def test_cfn_lint_reports_no_error_warning_or_informational_finding(tools: Tools) -> None:
    result = tools.run([*tools.cfn_lint, "--include-checks", "I", "--", str(TEMPLATE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_checkov_finds_no_failed_check_and_only_the_justified_skips(tools: Tools) -> None:
    command = [*tools.checkov, "--file", str(TEMPLATE), "--framework", "cloudformation"]
    result = tools.run([*command, "--skip-download", "--compact", "--output", "json"])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0, summary
    assert summary["passed"] >= 20, summary
    skipped = report["results"].get("skipped_checks", [])
    assert {check["check_id"] for check in skipped} == ACCEPTED_CHECKOV_SKIPS
    assert all(len(check["check_result"].get("suppress_comment", "")) > 40 for check in skipped), skipped


def test_findings_rule_pattern_is_the_config_pattern(template: dict[str, Any]) -> None:
    rules = resources_of(template, "AWS::Events::Rule")
    patterns = [body["Properties"]["EventPattern"] for body in rules.values() if "EventPattern" in body["Properties"]]
    assert patterns == [json.loads(PATTERN_FILE.read_text())]
    assert all(source.startswith("aws.") for source in patterns[0]["source"]), patterns[0]["source"]


def test_both_rules_deliver_to_the_findings_queue_which_lets_only_them_and_config_forwarders_send(
    template: dict[str, Any],
) -> None:
    rules = resources_of(template, "AWS::Events::Rule")
    assert {name for name, body in rules.items() if "ScheduleExpression" in body["Properties"]} == {"WafAuditRule"}
    assert rules["WafAuditRule"]["Properties"]["ScheduleExpression"] == {"Ref": "WafAuditSchedule"}
    for body in rules.values():
        (target,) = body["Properties"]["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": ["FindingsQueue", "Arn"]}
        assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    policy = template["Resources"]["FindingsQueuePolicy"]["Properties"]
    allow = [item for item in policy["PolicyDocument"]["Statement"] if item.get("Effect") == "Allow"]
    conditional = [item["Fn::If"][0] for item in policy["PolicyDocument"]["Statement"] if "Fn::If" in item]
    assert conditional == ["HasConfigForwarders"]
    assert allow == [
        {
            "Sid": "AllowFindingRules",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["FindingsQueue", "Arn"]},
            "Condition": {
                "ArnEquals": {
                    "aws:SourceArn": [{"Fn::GetAtt": [name, "Arn"]} for name in ("FindingsRule", "WafAuditRule")]
                }
            },
        }
    ]


def test_queues_take_1_mib_messages_are_encrypted_and_redrive_to_the_dead_letter_queue(
    template: dict[str, Any],
) -> None:
    queues = resources_of(template, "AWS::SQS::Queue")
    assert set(queues) == {"FindingsQueue", "DeadLetterQueue"}
    for body in queues.values():
        assert body["Properties"]["MaximumMessageSize"] == 1048576
        assert body["Properties"]["SqsManagedSseEnabled"] is True
    redrive = queues["FindingsQueue"]["Properties"]["RedrivePolicy"]
    assert redrive == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
        "maxReceiveCount": {"Ref": "MaxReceiveCount"},
    }


@pytest.mark.usefixtures("without_daemon_environment")
def test_every_stop_timeout_leaves_the_daemon_a_valid_drain_deadline(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["StopTimeoutSeconds"]
    drains = template["Mappings"]["DrainSeconds"]
    assert {str(value) for value in parameter["AllowedValues"]} == set(drains)
    for stop, row in drains.items():
        assert int(stop) <= FARGATE_MAX_STOP_TIMEOUT
        settings = Settings(
            queue_url="https://sqs.example/q", stop_timeout_seconds=int(stop), drain_seconds=row["Value"]
        )
        assert settings.drain_seconds + 3 <= settings.stop_timeout_seconds
    defaults = Settings.model_fields
    assert parameter["Default"] == defaults["stop_timeout_seconds"].default
    assert drains[str(parameter["Default"])]["Value"] == defaults["drain_seconds"].default


def test_the_container_stops_drains_and_reads_settings_as_the_daemon_expects(template: dict[str, Any]) -> None:
    definition = container(template)
    environment = environment_of(definition)
    secrets = {item["Name"]: item["ValueFrom"] for item in definition.get("Secrets", [])}
    assert definition["StopTimeout"] == {"Ref": "StopTimeoutSeconds"}
    assert environment["WSBRIDGE_STOP_TIMEOUT_SECONDS"] == {"Ref": "StopTimeoutSeconds"}
    assert environment["WSBRIDGE_DRAIN_SECONDS"] == {
        "Fn::FindInMap": ["DrainSeconds", {"Ref": "StopTimeoutSeconds"}, "Value"]
    }
    daemon_variables = {name for name in [*environment, *secrets] if name.startswith("WSBRIDGE_")}
    assert daemon_variables <= setting_names(), daemon_variables - setting_names()
    assert environment["WSBRIDGE_QUEUE_URL"] == {"Ref": "FindingsQueue"}
    assert environment["WSBRIDGE_DLQ_URL"] == {"Ref": "DeadLetterQueue"}
    assert environment["WSBRIDGE_NOTIFY_SNS_TOPIC_ARN"] == {"Ref": "NotificationTopicArn"}
    assert secrets == {}, "the daemon reads the key secret itself, so a rotated key needs no redeploy"
    assert environment["WSBRIDGE_WS_API_KEY_SECRET_ID"] == {"Ref": "WsApiKeySecretArn"}
    assert not any(name.startswith("AWS_ENDPOINT_URL") for name in environment)
    assert definition["ReadonlyRootFilesystem"] is True
    assert definition["User"] == "10001:10001"
    assert definition["LogConfiguration"]["LogDriver"] == "awslogs"
    port = int(environment["WSBRIDGE_METRICS_PORT"])
    assert definition["PortMappings"] == [{"ContainerPort": port, "Protocol": "tcp"}]
    assert f"http://127.0.0.1:{port}/healthz" in definition["HealthCheck"]["Command"][-1]


def daemon_actions() -> set[str]:
    """The IAM actions of the AWS calls in the modules the daemon runs."""
    reached = daemon_modules()
    return actions({call for call in aws_calls() if call.module in reached})


def test_the_source_scan_sees_every_kind_of_client_call() -> None:
    found = {(call.module.rsplit(".", 1)[-1], call.action) for call in aws_calls()}
    assert {
        ("sqs", "sqs:DeleteMessage"),  # a batch call, authorized as the single one
        ("dynamodb", "dynamodb:PutItem"),  # an operation named to getattr(client, ...)
        ("edges", "elasticloadbalancing:DescribeTargetGroups"),  # an operation handed to a paginating helper
        ("reads", "iam:ListRoles"),  # get_paginator("list_roles")
        ("classic_lookup", "inspector:DescribeFindings"),  # a direct call
    } <= found
    assert ("coverage", "ec2:DescribeInstances") in found and "wsbridge.consumer.coverage" not in daemon_modules()


def policies_attached_to(template: dict[str, Any], role: str) -> set[str]:
    """Resources that add a policy to ``role`` from outside it."""
    kinds = {"AWS::IAM::RolePolicy", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}
    return {
        name
        for name, body in template["Resources"].items()
        if body["Type"] in kinds
        and {"Ref": role} in [body["Properties"].get("RoleName"), *body["Properties"].get("Roles", [])]
    }


def test_task_role_grants_exactly_the_calls_the_daemon_makes(template: dict[str, Any]) -> None:
    # The one policy attached from outside is the metrics collector's (amp-sidecar): the collector
    # container calls aps:RemoteWrite, the daemon does not (test_metrics_export checks it).
    assert policies_attached_to(template, "TaskRole") == {"CollectorRemoteWritePolicy"}
    granted = statements(template["Resources"]["TaskRole"])
    assert all(item["Effect"] == "Allow" for item in granted)
    allowed = {action for item in granted for action in as_list(item["Action"])}
    assert allowed == daemon_actions(), (allowed - daemon_actions(), daemon_actions() - allowed)
    assert set(MEMBER_ROLE_ACTIONS) <= allowed, "a member account is asked only for what the daemon does itself"
    by_sid = {item["Sid"]: item for item in granted}
    assert by_sid["ConsumeFindings"]["Resource"] == {"Fn::GetAtt": ["FindingsQueue", "Arn"]}
    assert by_sid["DeadLetterPoison"]["Resource"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    assert by_sid["Notify"]["Resource"] == {"Ref": "NotificationTopicArn"}
    assert by_sid["ReadApiKeySecret"]["Resource"] == {"Ref": "WsApiKeySecretArn"}
    assume = by_sid["AssumeMemberAccountRoles"]["Resource"]
    assert assume == {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"}
    wildcard = {item["Sid"] for item in granted if item["Resource"] == "*"}
    assert wildcard == {
        "DescribeInstances",
        "ListRoles",
        "ReadInspectorClassicFindings",
        "ReportConfigEvaluations",
        "ReadEdgeResources",
    }


def test_the_operator_commands_permissions_are_documented() -> None:
    reached = daemon_modules()
    operator = actions({call for call in aws_calls() if call.module not in reached})
    section = DEPLOY_DOC.read_text().split("### Operator permissions\n", 1)[1].split("\n#", 1)[0]
    assert operator, "the CLI commands call AWS"
    assert {action for action in operator if f"`{action}`" not in section} == set()


def test_tasks_reach_https_and_the_ws_manager_port_the_url_names(template: dict[str, Any]) -> None:
    (always,) = template["Resources"]["TaskSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert (always["FromPort"], always["ToPort"], always["CidrIp"]) == (443, 443, "0.0.0.0/0")
    (name,) = resources_of(template, "AWS::EC2::SecurityGroupEgress")
    extra = template["Resources"][name]
    assert template["Conditions"][extra["Condition"]] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "WsManagerPort"}, "443"]}]
    }
    rule = extra["Properties"]
    assert rule["GroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}
    assert (rule["FromPort"], rule["ToPort"]) == ({"Ref": "WsManagerPort"}, {"Ref": "WsManagerPort"})
    assert template["Parameters"]["WsManagerPort"]["Default"] == 443


def test_execution_role_pulls_the_image_and_writes_logs_only(template: dict[str, Any]) -> None:
    granted = statements(template["Resources"]["ExecutionRole"])
    by_sid = {item["Sid"]: item for item in granted}
    assert "secretsmanager:GetSecretValue" not in json.dumps(granted), "the task role reads the key secret"
    assert by_sid["Logs"]["Resource"] == {"Fn::GetAtt": ["LogGroup", "Arn"]}
    assert "ManagedPolicyArns" not in template["Resources"]["ExecutionRole"]["Properties"]


def test_service_scales_on_visible_messages_per_running_task(template: dict[str, Any]) -> None:
    target = template["Resources"]["ScalableTarget"]["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == ({"Ref": "MinTasks"}, {"Ref": "MaxTasks"})
    policy = template["Resources"]["BacklogPerTaskScaling"]["Properties"]
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == {"Ref": "BacklogPerTaskTarget"}
    queries = {query["Id"]: query for query in configuration["CustomizedMetricSpecification"]["Metrics"]}
    visible = queries["visible"]["MetricStat"]["Metric"]
    assert (visible["Namespace"], visible["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert visible["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["FindingsQueue", "QueueName"]}}]
    tasks = queries["tasks"]["MetricStat"]["Metric"]
    assert (tasks["Namespace"], tasks["MetricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert queries["backlog"]["Expression"] == "visible / IF(tasks > 0, tasks, 1)"
    bottleneck = queries["ws_bottleneck"]["MetricStat"]["Metric"]
    filters = resources_of(template, "AWS::Logs::MetricFilter")
    transformation = filters["WsBottleneckMetricFilter"]["Properties"]["MetricTransformations"][0]
    assert (bottleneck["Namespace"], bottleneck["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    returned = [query for query in queries.values() if query["ReturnData"]]
    assert [query["Expression"] for query in returned] == [
        {
            "Fn::Sub": "IF(FILL(ws_bottleneck, 0) > 0 AND backlog > ${BacklogPerTaskTarget}, "
            "${BacklogPerTaskTarget}, backlog)"
        }
    ]
    assert "DesiredCount" not in template["Resources"]["Service"]["Properties"], "the scalable target owns the count"
    cluster = template["Resources"]["Cluster"]["Properties"]
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["ClusterSettings"]


def test_alarms_watch_dead_letters_and_the_oldest_message(template: dict[str, Any]) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    watched = {
        (body["Properties"]["MetricName"], body["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0])
        for body in alarms.values()
    }
    assert watched == {
        ("ApproximateNumberOfMessagesVisible", "DeadLetterQueue"),
        ("ApproximateAgeOfOldestMessage", "FindingsQueue"),
    }


def test_the_state_table_is_on_demand_expires_items_and_is_the_daemons(template: dict[str, Any]) -> None:
    table = template["Resources"]["StateTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    environment = environment_of(container(template))
    assert environment["WSBRIDGE_STATE_TABLE"] == {"Ref": "StateTable"}
    assert environment["WSBRIDGE_WS_RATE_LIMIT_PER_MINUTE"] == {"Ref": "WsRateLimitPerMinute"}
    by_sid = {item["Sid"]: item for item in statements(template["Resources"]["TaskRole"])}
    assert by_sid["SharedState"]["Resource"] == {"Fn::GetAtt": ["StateTable", "Arn"]}


def test_other_regions_forward_the_same_findings_to_the_wsbridge_regions_default_bus(tools: Tools) -> None:
    result = tools.run([*tools.cfn_lint, "--include-checks", "I", "--", str(FORWARDER)])
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr
    forwarder = tools.python_json(DECODE_TEMPLATE, str(FORWARDER))
    (rule,) = resources_of(forwarder, "AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"] == json.loads(PATTERN_FILE.read_text())
    (target,) = rule["Properties"]["Targets"]
    bus = "arn:${AWS::Partition}:events:${WsbridgeRegion}:${AWS::AccountId}:event-bus/default"
    assert target["Arn"] == {"Fn::Sub": bus}
    (allowed,) = statements(forwarder["Resources"]["ForwardRole"])
    assert (allowed["Action"], allowed["Resource"]) == ("events:PutEvents", {"Fn::Sub": bus})


def test_the_scheduled_waf_audit_fires_for_the_rule_the_daemon_is_told_about(template: dict[str, Any]) -> None:
    rule = template["Resources"]["WafAuditRule"]["Properties"]
    assert rule["ScheduleExpression"] == {"Ref": "WafAuditSchedule"}
    assert [target["Arn"] for target in rule["Targets"]] == [{"Fn::GetAtt": ["FindingsQueue", "Arn"]}]
    environment = environment_of(container(template))
    assert environment["WSBRIDGE_WAF_AUDIT_RULE"] == {"Fn::GetAtt": ["WafAuditRule", "Arn"]}
