"""One finding in both of its shapes: the native event and the Security Hub (ASFF) copy."""

from __future__ import annotations

from typing import Any

from support.handler_samples import sample_document

GD_ASFF = "securityhub-imported-guardduty-ec2-1.json"
INSPECTOR_NATIVE = "inspector2-package-ec2-2.json"


def native_guardduty_for(asff: dict[str, Any]) -> dict[str, Any]:
    """The native GuardDuty event for the finding in a GuardDuty ASFF sample, built from its fields."""
    native = sample_document("guardduty-canary-ec2-1.json")
    instance = asff["Resources"][0]["Id"].rsplit("/", 1)[1]
    native["account"] = asff["AwsAccountId"]
    native["detail"].update(
        id=asff["Id"].rsplit("/", 1)[1],
        arn=asff["Id"].replace("arn:aws::", "arn:aws:"),
        accountId=asff["AwsAccountId"],
        region=asff["Resources"][0]["Region"],
        type="UnauthorizedAccess:EC2/SSHBruteForce",
        severity=asff["Severity"]["Product"],
        createdAt=asff["CreatedAt"],
        updatedAt=asff["UpdatedAt"],
    )
    native["detail"]["resource"]["instanceDetails"]["instanceId"] = instance
    native["detail"]["service"]["count"] = int(asff["ProductFields"]["aws/guardduty/service/count"])
    return native


def inspector_asff_document() -> dict[str, Any]:
    """A Security Hub Imported event holding the ASFF copy of ``inspector2-package-ec2-2``."""
    detail = sample_document(INSPECTOR_NATIVE)["detail"]
    document = sample_document("securityhub-imported-inspector2-ecr-1.json")
    document["detail"]["findings"][0].update(
        Id=detail["findingArn"],
        AwsAccountId=detail["awsAccountId"],
        Region="eu-central-1",
        UpdatedAt="2023-09-08T20:07:30.366Z",
        Severity={"Label": "MEDIUM", "Normalized": 40},
        Resources=[
            {
                "Type": "AwsEc2Instance",
                "Id": "arn:aws:ec2:eu-central-1:644160558196:instance/i-07b035550fa86717d",
                "Partition": "aws",
                "Region": "eu-central-1",
            }
        ],
        Vulnerabilities=[{"Id": "CVE-2022-40982"}],
    )
    return document
