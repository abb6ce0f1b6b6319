"""Identifiers in findings: instance ids and bucket names in ARNs, ARN fields, finding ids and keys."""

from __future__ import annotations


def instance_id_from(resource_id: str) -> str | None:
    """The EC2 instance id in an ARN or bare id: the text after ``instance/``, or the id itself."""
    if "instance/" in resource_id:
        tail = resource_id.rsplit("instance/", 1)[1].split("/", 1)[0]
        return tail or None
    return resource_id if resource_id.startswith("i-") else None


def bucket_from(resource_id: str) -> str | None:
    """The bucket name in an S3 bucket ARN (``arn:aws:s3:::name``) or a bare name."""
    name = resource_id.rsplit(":::", 1)[1] if ":::" in resource_id else resource_id
    name = name.split("/", 1)[0]
    return name or None


def arn_field(arn: str, index: int) -> str:
    """Field ``index`` of a colon-separated ARN (3 = region, 4 = account), or ``""``."""
    parts = arn.split(":")
    return parts[index] if len(parts) > index else ""


def finding_id_from(finding_id: str) -> str:
    """The bare finding id at the end of a finding ARN (text after the last ``finding/``)."""
    if "finding/" in finding_id:
        tail = finding_id.rsplit("finding/", 1)[1]
        if tail:
            return tail
    return finding_id


def finding_key(service: str, *parts: str | None) -> str:
    """A de-duplication key: the service name and the parts that identify one finding version."""
    return ":".join([service, *(part or "" for part in parts)])
