"""What the Macie responder tells people: a reader of the bucket that Workload Security does not protect,
and a bucket that anyone, or other accounts, can read."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from wsbridge.consumer.actions import Notify
from wsbridge.handlers._shared.notices import unprotected_notice

if TYPE_CHECKING:
    from wsbridge.handlers._shared.instances import KnownInstance
    from wsbridge.handlers._shared.notices import FindingSummary
    from wsbridge.handlers.macie.exposure import Exposure, RoleAccess

EXPOSURE_TOPIC = "bucket-exposure"


def unprotected_reader_notice(
    instance_id: str, role: RoleAccess, bucket: str, finding: FindingSummary, known: KnownInstance | None
) -> Notify:
    """An instance whose role reads the flagged bucket and that Workload Security does not protect."""
    notice = unprotected_notice(instance_id, finding, known)
    return dataclasses.replace(
        notice,
        subject=f"Macie finding on bucket {bucket}: {instance_id} (role {role.name}) reads it "
        "and Workload Security does not protect it",
        details={
            **notice.details,
            "bucket": bucket,
            "role_name": role.name,
            "role_arn": role.arn,
            "access": role.via,
            "conditions": role.conditions,
        },
        dedupe_key=f"{notice.dedupe_key}:{bucket}",
    )


def exposure_notice(exposure: Exposure, finding: FindingSummary) -> Notify:
    """The bucket policy lets anyone (``Principal: "*"``) or principals of other accounts read the bucket."""
    public = [{"statement": grant.statement, "conditions": grant.conditions} for grant in exposure.public]
    who = "anyone" if public else "other accounts"
    return Notify(
        topic=EXPOSURE_TOPIC,
        subject=f"Macie finding on bucket {exposure.bucket}, which {who} can read (bucket policy)",
        details={
            "bucket": exposure.bucket,
            "public_statements": public,
            "other_account_principals": sorted(set(exposure.other_accounts)),
            **finding.as_json(),
        },
        dedupe_key=f"{EXPOSURE_TOPIC}:{exposure.bucket}",
    )
