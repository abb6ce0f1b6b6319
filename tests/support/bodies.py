"""Malformed message bodies: each must be dead-lettered after one receive, with a reason."""

from __future__ import annotations

import json

QUEUE_MAX_BYTES = 1_048_576

_ENVELOPE = {
    "version": "0",
    "id": "7a1f7f1e-0000-4000-8000-000000000001",
    "detail-type": "wsbridge Probe",
    "source": "wsbridge.test",
    "account": "000000000000",
    "region": "us-east-1",
    "time": "2026-11-27T00:00:00Z",
    "resources": [],
    "detail": {},
}


def _envelope(**changes: object) -> str:
    document = {key: value for key, value in _ENVELOPE.items() if key not in changes or changes[key] is not ...}
    document.update({key: value for key, value in changes.items() if value is not ...})
    return json.dumps(document)


def malformed_bodies() -> dict[str, tuple[str, str]]:
    """name -> (body, substring expected in the dead-letter reason)."""
    return {
        "plain text": ("hello, this is not json", "not JSON"),
        "truncated json": ('{"detail-type": "GuardDuty Finding", "detail": {', "not JSON"),
        "json array": (json.dumps([_ENVELOPE]), "JSON array"),
        "json number": ("42", "JSON number"),
        "json string": (json.dumps("GuardDuty Finding"), "JSON string"),
        "json null": ("null", "JSON null"),
        "empty object": ("{}", "no detail-type"),
        "missing detail-type": (_envelope(**{"detail-type": ...}), "no detail-type"),
        "missing id": (_envelope(id=...), "no id"),
        "missing source": (_envelope(source=...), "no source"),
        "detail is a list": (_envelope(detail=[1, 2]), "detail is a JSON array"),
        "detail is a number": (_envelope(detail=7), "detail is a JSON number"),
        "detail string not json": (_envelope(detail="not json at all"), "detail is a string that is not JSON"),
        "detail-type is a number": (_envelope(**{"detail-type": 12}), "detail-type is a JSON number"),
        "id is an object": (_envelope(id={"a": 1}), "id is a JSON object"),
        "resources not a list": (_envelope(resources="arn:aws:ec2"), "resources is not a list"),
        "account is a number": (_envelope(account=123456789012), "account is a JSON number"),
        "control characters in json": (
            '{"detail-type": "wsbridge Probe\u0001\u0002", "source": 5, "id": "x", "detail": {}}'.replace(
                "\u0001", "\\u0001"
            ).replace("\u0002", "\\u0002"),
            "source is a JSON number",
        ),
        "raw control character in json string": (
            '{"detail-type": "GuardDuty\tFinding", "id": "x", "source": "aws.guardduty", "detail": {}}',
            "not JSON",
        ),
        "non-ascii unsupported": (
            _envelope(**{"detail-type": "Überwachung \u2013 ¿qué? 漢字 🚨", "detail": {"note": "naïve façade"}}),
            "no handler for detail-type",
        ),
        "non-json at the size limit": ("x" * QUEUE_MAX_BYTES, "not JSON"),
    }
