"""Small helpers shared by the handlers: ARN tails, timestamps, severity labels, finding keys."""

from __future__ import annotations

from datetime import UTC, datetime

SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
"""Severity labels from lowest to highest (Inspector2, Security Hub, upper-cased Macie)."""

_TIME_FORMATS = (
    "%a %b %d %H:%M:%S.%f %Z %Y",
    "%a %b %d %H:%M:%S %Z %Y",
    "%b %d, %Y, %I:%M:%S %p",
    "%b %d, %Y, %I:%M:%S.%f %p",
)


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


def canonical_time(text: str) -> str:
    """A timestamp in one spelling, ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds).

    Accepts ISO-8601 and both Inspector2 formats (``Wed Sep 04 16:59:44.356 UTC 2024``,
    ``Mar 20, 2023, 6:08:05 PM``); text that is none of these is returned stripped, unchanged.
    """
    parsed = parse_time(text)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else text.strip()


def parse_time(text: str) -> datetime | None:
    """Parse an ISO-8601 or Inspector2 timestamp as an aware UTC datetime, or ``None``."""
    parsed = _parse_any(text.strip())
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def _parse_any(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for layout in _TIME_FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None


def severity_rank(label: str | None) -> int | None:
    """Position of a severity label in :data:`SEVERITY_LABELS`; ``None`` when unknown or untriaged."""
    if label is None:
        return None
    upper = label.strip().upper()
    return SEVERITY_LABELS.index(upper) if upper in SEVERITY_LABELS else None


def below_label(label: str | None, minimum: str) -> bool:
    """Whether a known severity label ranks below ``minimum`` (unknown severities never do)."""
    rank = severity_rank(label)
    floor = severity_rank(minimum)
    return rank is not None and floor is not None and rank < floor


def finding_key(service: str, *parts: str | None) -> str:
    """A de-duplication key: the service name and the parts that identify one finding version."""
    return ":".join([service, *(part or "" for part in parts)])
