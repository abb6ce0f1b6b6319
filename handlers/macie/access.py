"""Which statements of an IAM policy document let principals read an S3 bucket. Pure: no AWS calls.

Only ``Allow`` statements count. ``Action``/``NotAction`` and ``Resource`` patterns are matched with
IAM's wildcards (``*``, ``?``); conditions are carried along to be reported, never evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote

READ_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:ListBucket",
    "s3:ListBucketVersions",
)
"""The S3 actions that read a bucket's data: a statement allowing any of them on the bucket grants read."""


@dataclass(frozen=True, slots=True)
class ReadGrant:
    """One ``Allow`` statement that grants read on the bucket: its principals (bucket policies), id and conditions."""

    principals: tuple[str, ...]
    statement: str
    conditions: dict[str, Any]

    @property
    def public(self) -> bool:
        """Whether the statement names everyone (``"*"``) as a principal."""
        return "*" in self.principals


def parse_document(document: str | dict[str, Any]) -> dict[str, Any]:
    """A policy document as a dict (IAM returns it URL-encoded when the SDK does not decode it)."""
    if isinstance(document, dict):
        return document
    text = document.strip()
    parsed = json.loads(text if text.startswith("{") else unquote(text))
    return parsed if isinstance(parsed, dict) else {}


def read_grants(document: str | dict[str, Any], bucket: str) -> list[ReadGrant]:
    """The statements of ``document`` that allow reading ``bucket`` or its objects."""
    grants = []
    for index, statement in enumerate(_statements(parse_document(document))):
        if statement.get("Effect") != "Allow" or not _reads(statement) or not _on_bucket(statement, bucket):
            continue
        conditions = statement.get("Condition")
        grants.append(
            ReadGrant(
                principals=tuple(_principals(statement.get("Principal"))),
                statement=str(statement.get("Sid") or f"statement {index + 1}"),
                conditions=conditions if isinstance(conditions, dict) else {},
            )
        )
    return grants


def _statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    found = document.get("Statement", [])
    for statement in found if isinstance(found, list) else [found]:
        if isinstance(statement, dict):
            yield statement


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


@cache
def _pattern(wildcard: str, *, ignore_case: bool) -> re.Pattern[str]:
    body = re.escape(wildcard).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(wildcard: str, text: str, *, ignore_case: bool = False) -> bool:
    return _pattern(wildcard, ignore_case=ignore_case).fullmatch(text) is not None


def _reads(statement: dict[str, Any]) -> bool:
    if "NotAction" in statement:
        excluded = _texts(statement["NotAction"])
        return any(not any(_matches(item, read, ignore_case=True) for item in excluded) for read in READ_ACTIONS)
    allowed = _texts(statement.get("Action"))
    return any(_matches(item, read, ignore_case=True) for item in allowed for read in READ_ACTIONS)


def _on_bucket(statement: dict[str, Any], bucket: str) -> bool:
    if "NotResource" in statement:
        return not any(_resource_covers(item, bucket) for item in _texts(statement["NotResource"]))
    return any(_resource_covers(item, bucket) for item in _texts(statement.get("Resource")))


def _resource_covers(resource: str, bucket: str) -> bool:
    """Whether a resource pattern names the bucket, or some of its objects."""
    if resource == "*":
        return True
    fields = resource.split(":", 5)
    if len(fields) < 6 or fields[0] != "arn" or not _matches(fields[2], "s3"):
        return False
    name, slash, _ = fields[5].partition("/")
    if slash:
        return _matches(name, bucket)
    return _matches(fields[5], bucket) or _matches(fields[5], f"{bucket}/object")


def _principals(principal: Any) -> Iterator[str]:
    if principal == "*":
        yield "*"
    elif isinstance(principal, dict):
        yield from _texts(principal.get("AWS"))
