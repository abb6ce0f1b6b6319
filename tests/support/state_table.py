"""A fresh shared-state table per test, on the stack's DynamoDB (moto)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from devstack.bootstrap import ensure_state_table


@contextmanager
def state_table() -> Iterator[str]:
    """Create a table shaped like the deployed one; delete it afterwards."""
    client = boto3.client("dynamodb")
    name = ensure_state_table(client, f"wsbridge-state-test-{uuid.uuid4().hex[:10]}")
    try:
        yield name
    finally:
        client.delete_table(TableName=name)
