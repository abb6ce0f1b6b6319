"""Turn an SQS message body into an :class:`Event`, or say in one line why it cannot be one.

Three shapes reach the queue: EventBridge envelopes (the normal case), SNS notifications without raw
delivery (Inspector Classic), and AWS Config custom-rule invocation payloads forwarded as they are.
The last two get a synthetic ``detail-type`` so that dispatch stays one lookup.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import orjson

from wsbridge.consumer.json_types import json_type

SNS_NOTIFICATION = "SNS Notification"
CONFIG_RULE_INVOCATION = "Config Rules Invocation"

_MAX_REASON_SNIPPET = 60


class MalformedMessage(Exception):
    """The body is not an event we can dispatch; ``str()`` is the one-line reason."""


@dataclass(frozen=True, slots=True)
class Event:
    """One parsed event. ``detail`` is always a JSON object."""

    id: str
    detail_type: str
    source: str
    detail: dict[str, Any]
    account: str = ""
    region: str = ""
    time: str = ""
    resources: tuple[str, ...] = field(default=())


def parse_body(body: str | bytes) -> Event:
    """Parse one message body; raise :class:`MalformedMessage` with the reason when it is not usable."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedMessage(f"body is not JSON: {_snippet(body)}") from None
    return parse_document(document, body)


def parse_document(document: Any, body: str | bytes = b"") -> Event:
    """Parse an already-decoded JSON document (an envelope, SNS notification or Config invocation)."""
    if not isinstance(document, dict):
        raise MalformedMessage(f"body is a JSON {json_type(document)}, not an object")
    if "detail-type" in document or ("detail" in document and "source" in document):
        return _eventbridge(document)
    if document.get("Type") == "Notification" and "Message" in document:
        return _sns_notification(document)
    if {"invokingEvent", "configRuleName"} <= document.keys():
        return _config_rule_invocation(document, body)
    raise MalformedMessage("not an EventBridge envelope: no detail-type")


def _eventbridge(document: dict[str, Any]) -> Event:
    detail = document.get("detail")
    if isinstance(detail, str):
        detail = _json_object_from_string(detail, "detail")
    elif not isinstance(detail, dict):
        raise MalformedMessage(f"detail is a JSON {json_type(detail)}, not an object")
    resources = document.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(item, str) for item in resources):
        raise MalformedMessage("resources is not a list of strings")
    return Event(
        id=_required_string(document, "id"),
        detail_type=_required_string(document, "detail-type"),
        source=_required_string(document, "source"),
        detail=detail,
        account=_optional_string(document, "account"),
        region=_optional_string(document, "region"),
        time=_optional_string(document, "time"),
        resources=tuple(resources),
    )


def _sns_notification(document: dict[str, Any]) -> Event:
    message = document["Message"]
    if not isinstance(message, str):
        raise MalformedMessage("SNS Message is not a string")
    try:
        inner = orjson.loads(message)
    except orjson.JSONDecodeError:
        inner = None
    if isinstance(inner, dict) and "detail-type" in inner:
        return _eventbridge(inner)
    topic = _optional_string(document, "TopicArn")
    return Event(
        id=_required_string(document, "MessageId"),
        detail_type=SNS_NOTIFICATION,
        source="aws.sns",
        detail={"topicArn": topic, "message": inner if isinstance(inner, dict) else message},
        account=_arn_field(topic, 4),
        region=_arn_field(topic, 3),
        time=_optional_string(document, "Timestamp"),
        resources=(topic,) if topic else (),
    )


def _config_rule_invocation(document: dict[str, Any], body: str | bytes) -> Event:
    """A custom rule's payload. ``invokingEvent`` and ``ruleParameters`` are parsed when they are JSON
    objects; otherwise they stay as sent, so the handler can still answer the rule with the reason."""
    detail = dict(document)
    for name in ("invokingEvent", "ruleParameters"):
        if isinstance(document.get(name), str):
            with suppress(MalformedMessage):
                detail[name] = _json_object_from_string(document[name], name)
    invoking = detail["invokingEvent"]
    created = invoking.get("notificationCreationTime") if isinstance(invoking, dict) else None
    rule_arn = _optional_string(document, "configRuleArn")
    digest = hashlib.sha256(body if isinstance(body, bytes) else body.encode()).hexdigest()[:32]
    return Event(
        id=f"config-invocation-{digest}",
        detail_type=CONFIG_RULE_INVOCATION,
        source="aws.config",
        detail=detail,
        account=_optional_string(document, "accountId"),
        region=_arn_field(rule_arn, 3),
        time=created if isinstance(created, str) else "",
        resources=(rule_arn,) if rule_arn else (),
    )


def json_object_problem(text: Any, name: str) -> str | None:
    """Why ``text`` is not a JSON object held in a string, or ``None`` when it is one."""
    try:
        _json_object_from_string(text, name)
    except MalformedMessage as problem:
        return str(problem)
    return None


def _json_object_from_string(text: Any, name: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise MalformedMessage(f"{name} is a JSON {json_type(text)}, not an object or JSON string")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise MalformedMessage(f"{name} is a string that is not JSON: {_snippet(text)}") from None
    if not isinstance(value, dict):
        raise MalformedMessage(f"{name} holds a JSON {json_type(value)}, not an object")
    return value


def _required_string(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    if value is None:
        raise MalformedMessage(f"envelope has no {key}")
    if not isinstance(value, str) or not value.strip():
        raise MalformedMessage(f"envelope {key} is a JSON {json_type(value)}, not a non-empty string")
    return value


def _optional_string(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedMessage(f"envelope {key} is a JSON {json_type(value)}, not a string")
    return value


def _arn_field(arn: str, index: int) -> str:
    parts = arn.split(":")
    return parts[index] if len(parts) > index else ""


def _snippet(body: str | bytes) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    if len(text) > _MAX_REASON_SNIPPET:
        text = text[:_MAX_REASON_SNIPPET] + f"... ({len(text)} chars)"
    return repr(text)
