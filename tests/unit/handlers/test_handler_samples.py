"""Every real sample, through the registered handler with default policies: the decision table."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from support.handler_samples import SAMPLE_FILES, handler_classes, registry, sample_event


class Expect(NamedTuple):
    decision: str
    reason: str
    targets: dict[str, Any]


GD_EC2 = {"resource_type": "Instance"}

TABLE: dict[str, Expect] = {
    "config-cichange-ec2-1.json": Expect(
        "skip",
        "configuration of i-12345678901234567: CREATE; neither its security groups nor its instance profile changed",
        {"instance_ids": ["i-12345678901234567"], "account": "123456789012", "resource_type": "AWS::EC2::Instance"},
    ),
    "config-cichange-sqs-1.json": Expect(
        "skip", "AWS::SQS::Queue, not an EC2 instance", {"instance_ids": [], "resource_type": "AWS::SQS::Queue"}
    ),
    "config-compliance-ebsvolume-1.json": Expect(
        "skip", "AWS::EC2::Volume, not an EC2 instance", {"instance_ids": [], "account": "111111111111"}
    ),
    "config-compliance-iamuser-1.json": Expect(
        "skip", "AWS::IAM::User, not an EC2 instance", {"account": "477575873490", "resource_type": "AWS::IAM::User"}
    ),
    "config-ruleinvoked-ec2-1.json": Expect(
        "handle",
        "Config rule custodian-ec2-compliance: evaluate i-094bc87c84d56c589 (protected)",
        {"instance_ids": ["i-094bc87c84d56c589"], "account": "644160558196"},
    ),
    "config-ruleinvoked-ec2-2.json": Expect(
        "handle", "evaluate i-00000000 (protected)", {"instance_ids": ["i-00000000"], "region": "us-east-2"}
    ),
    "config-ruleinvoked-oversized-1.json": Expect(
        "handle", "evaluate i-00000000 (protected)", {"instance_ids": ["i-00000000"], "region": "us-west-2"}
    ),
    "config-ruleinvoked-periodic-1.json": Expect(
        "handle",
        "Config rule periodic-config-rule: evaluate every EC2 instance (protected)",
        {"instance_ids": [], "account": "123456789012", "resource_type": "AWS::EC2::Instance"},
    ),
    "guardduty-backdoor-ccactivity-dns-1.json": Expect(
        "skip", "sample finding (include_samples = false)", {**GD_EC2, "account": "883606788610", "severity": 5.0}
    ),
    "guardduty-backdoor-dos-tcp-1.json": Expect(
        "skip", "sample finding", {**GD_EC2, "account": "973743533182", "region": "us-east-2"}
    ),
    "guardduty-canary-ec2-1.json": Expect(
        "skip",
        "Canary:EC2/Stateless.IntegTest is a test (Canary) finding (include_samples = false)",
        {**GD_EC2, "instance_ids": ["i-05746eb48123455e0"], "finding_id": "16afba5c5c43e07c9e3e5e2e544e95df"},
    ),
    "guardduty-eks-anonymous-1.json": Expect(
        "skip", "type EKSCluster, not an EC2 instance", {"resource_type": "EKSCluster", "instance_ids": []}
    ),
    "guardduty-iamuser-maliciousip-1.json": Expect(
        "skip", "type AccessKey, not an EC2 instance", {"resource_type": "AccessKey", "instance_ids": []}
    ),
    "guardduty-iamuser-torcaller-1.json": Expect(
        "skip", "type AccessKey, not an EC2 instance", {"account": "883606788610", "instance_ids": []}
    ),
    "guardduty-rds-anomalous-login-1.json": Expect(
        "skip", "type RDSDBInstance, not an EC2 instance", {"resource_type": "RDSDBInstance", "severity": 8.0}
    ),
    "guardduty-runtime-dockersocket-1.json": Expect(
        "handle",
        "DockerSocketAccessed on i-abcd1234",
        {"resource_type": "Container", "instance_ids": ["i-abcd1234"], "account": "123456789", "region": "us-west-1"},
    ),
    "guardduty-ssh-bruteforce-1.json": Expect(
        "skip",
        "sample finding",
        {**GD_EC2, "finding_id": "decc2a7f-62f4-581d-93bd-084d4d4d430b", "account": "123456789012"},
    ),
    "guardduty-trojan-blackhole-dns-1.json": Expect(
        "skip", "sample finding", {**GD_EC2, "instance_ids": ["i-99999999"], "account": "123412341234"}
    ),
    "inspector-classic-sns-finding-1.json": Expect(
        "skip", "set classic_lookups = true", {"account": "123456789012", "region": "us-east-1"}
    ),
    "inspector2-network-reachability-1.json": Expect(
        "skip",
        "network_reachability = skip",
        {"instance_ids": ["i-12345678901234567"], "cves": [], "resource_type": "AWS_EC2_INSTANCE"},
    ),
    "inspector2-package-azurevm-1.json": Expect(
        "skip",
        "Microsoft.Compute/virtualMachines, not an EC2 instance",
        {"instance_ids": [], "cves": ["CVE-2024-29069"], "region": "us-east-1"},
    ),
    "inspector2-package-ec2-1.json": Expect(
        "skip", "is CLOSED, not ACTIVE", {"instance_ids": ["i-12345678901234567"], "cves": ["CVE-2024-29069"]}
    ),
    "inspector2-package-ec2-2.json": Expect(
        "handle",
        "CVE-2022-40982 on i-07b035550fa86717d",
        {
            "instance_ids": ["i-07b035550fa86717d"],
            "cves": ["CVE-2022-40982"],
            "account": "644160558196",
            "region": "eu-central-1",
            "severity": "MEDIUM",
            "resource_type": "AWS_EC2_INSTANCE",
        },
    ),
    "macie-classic-alert-1.json": Expect("skip", "Macie Classic is retired", {"bucket": None}),
    "macie2-sensitivedata-customidentifier-1.json": Expect(
        "handle",
        "SensitiveData:S3Object/CustomIdentifier on bucket whizlabs.183836.81670451 (severity MEDIUM)",
        {"bucket": "whizlabs.183836.81670451", "account": "843257763552", "severity": "MEDIUM"},
    ),
    "macie2-sensitivedata-multiple-1.json": Expect(
        "handle",
        "SensitiveData:S3Object/Multiple on bucket DOC-EXAMPLE-BUCKET1 (severity HIGH)",
        {"bucket": "DOC-EXAMPLE-BUCKET1", "severity": "HIGH"},
    ),
    "macie2-sensitivedata-multiple-2.json": Expect(
        "handle",
        "on bucket DOC-EXAMPLE-BUCKET1 (severity HIGH)",
        {"bucket": "DOC-EXAMPLE-BUCKET1", "account": "555555555555"},
    ),
    "scheduled-event-1.json": Expect(
        "skip",
        "scheduled run from arn:aws:",
        {"resource_type": "schedule", "finding_id": "arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"},
    ),
    "scheduler-default-1.json": Expect(
        "skip",
        "scheduled run from arn:aws:",
        {"resource_type": "schedule", "account": "257676781382", "region": "us-east-2"},
    ),
    "securityhub-imported-cis13-1.json": Expect(
        "skip", "control finding", {"account": "111111111111", "resource_type": "AwsAccount", "instance_ids": []}
    ),
    "securityhub-imported-control-fsbp-1.json": Expect(
        "skip", "control finding", {"region": "us-east-2", "resource_type": "AwsCloudTrailTrail"}
    ),
    "securityhub-imported-guardduty-ec2-1.json": Expect(
        "handle",
        "UnauthorizedAccess:EC2/SSHBruteForce on i-0c10c2c7863d1a356",
        {
            **GD_EC2,
            "instance_ids": ["i-0c10c2c7863d1a356"],
            "account": "193043430472",
            "region": "us-east-1",
            "finding_id": "46ba0ac2845071e23ccdeb2ae03bfdea",
            "severity": 2.0,
        },
    ),
    "securityhub-imported-guardduty-iam-1.json": Expect(
        "skip", "type AccessKey, not an EC2 instance", {"resource_type": "AccessKey", "instance_ids": []}
    ),
    "securityhub-imported-inspector-classic-1.json": Expect(
        "skip",
        "network_reachability = skip",
        {"instance_ids": ["i-0c10c2c7863d1a356"], "cves": [], "account": "111122223333"},
    ),
    "securityhub-imported-inspector2-ecr-1.json": Expect(
        "skip",
        "AWS_ECR_CONTAINER_IMAGE, not an EC2 instance",
        {"instance_ids": [], "cves": ["CVE-2021-44228"], "severity": "CRITICAL"},
    ),
}


def test_the_table_covers_every_sample_file() -> None:
    assert sorted(TABLE) == SAMPLE_FILES
    assert len(SAMPLE_FILES) == 35


def test_each_detail_type_belongs_to_exactly_one_registered_handler() -> None:
    assert set(handler_classes()) == {
        "guardduty",
        "inspector",
        "inspector_classic",
        "macie",
        "config_rules",
        "waf_audit",
        "securityhub",
    }
    assert {detail_type: handler.name for detail_type, handler in registry().items()} == {
        "GuardDuty Finding": "guardduty",
        "Inspector2 Finding": "inspector",
        "SNS Notification": "inspector_classic",
        "Macie Finding": "macie",
        "Macie Alert": "macie",
        "Config Rules Compliance Change": "config_rules",
        "Config Configuration Item Change": "config_rules",
        "Config Rules Invocation": "config_rules",
        "Scheduled Event": "waf_audit",
        "Security Hub Findings - Imported": "securityhub",
        "Security Hub Findings - Custom Action": "securityhub",
    }


@pytest.mark.parametrize("name", sorted(TABLE))
def test_sample_decision(name: str) -> None:
    expect = TABLE[name]
    event = sample_event(name)

    verdict = registry()[event.detail_type].triage(event)

    assert verdict.decision.value == expect.decision, verdict.reason
    assert expect.reason in verdict.reason
    assert "\n" not in verdict.reason
    targets = verdict.targets.as_json()
    assert {key: targets[key] for key in expect.targets} == expect.targets
    assert (verdict.finding_key is not None) == (
        expect.decision == "handle" and not name.startswith("config-ruleinvoked")
    ), verdict.finding_key
