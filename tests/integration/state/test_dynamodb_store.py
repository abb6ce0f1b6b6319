"""The shared store on DynamoDB (moto, over HTTP): what one replica claims, the others see."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import boto3

from wsbridge.consumer.state import Claim, StateStoreError
from wsbridge.consumer.state.dynamodb import DynamoDbStore


async def test_one_replica_claims_and_the_others_see_it_in_progress_then_done(
    replicas: Callable[[], DynamoDbStore],
) -> None:
    first, second = replicas(), replicas()
    assert await first.claim("event:1", 60) is Claim.NEW
    assert await second.claim("event:1", 60) is Claim.IN_PROGRESS
    await first.complete("event:1", 60)
    assert await second.claim("event:1", 60) is Claim.DONE


async def test_done_marks_written_at_once_are_each_seen_by_another_replica(
    replicas: Callable[[], DynamoDbStore],
) -> None:
    first, second = replicas(), replicas()
    keys = [f"event:{index}" for index in range(60)]
    assert await asyncio.gather(*(first.claim(key, 60) for key in keys)) == [Claim.NEW] * len(keys)
    await asyncio.gather(*(first.complete(key, 60) for key in keys))
    assert await asyncio.gather(*(second.claim(key, 60) for key in keys)) == [Claim.DONE] * len(keys)


async def test_a_done_mark_without_time_to_live_forgets_the_key(replicas: Callable[[], DynamoDbStore]) -> None:
    first, second = replicas(), replicas()
    await first.claim("event:1", 60)
    await first.complete("event:1", 0)
    assert await second.claim("event:1", 60) is Claim.NEW


async def test_only_one_of_many_concurrent_claims_wins(replicas: Callable[[], DynamoDbStore]) -> None:
    stores = [replicas() for _ in range(3)]
    claims = await asyncio.gather(*(store.claim("action:scan:7", 60) for store in stores for _ in range(4)))
    assert claims.count(Claim.NEW) == 1
    assert claims.count(Claim.IN_PROGRESS) == 11


async def test_a_released_claim_can_be_taken_by_another_replica(replicas: Callable[[], DynamoDbStore]) -> None:
    first, second = replicas(), replicas()
    await first.claim("k", 60)
    await first.release("k")
    assert await second.claim("k", 60) is Claim.NEW


async def test_an_expired_in_progress_marker_is_taken_over_and_the_old_owner_cannot_release_it(
    replicas: Callable[[], DynamoDbStore],
) -> None:
    dead, alive = replicas(), replicas()
    assert await dead.claim("action:recommendation_scan:5", 1) is Claim.NEW
    assert await alive.claim("action:recommendation_scan:5", 60) is Claim.IN_PROGRESS
    deadline = time.monotonic() + 30
    while (claim := await alive.claim("action:recommendation_scan:5", 60)) is not Claim.TAKEN_OVER:
        assert claim is Claim.IN_PROGRESS
        assert time.monotonic() < deadline, "the expired marker was never taken over"
        await asyncio.sleep(0.2)
    await dead.release("action:recommendation_scan:5")
    assert await replicas().claim("action:recommendation_scan:5", 60) is Claim.IN_PROGRESS


async def test_items_carry_the_ttl_attribute_the_table_expires(
    table: str, replicas: Callable[[], DynamoDbStore]
) -> None:
    store = replicas()
    await store.claim("k", 120)
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]
    assert abs(int(item["expires_at"]["N"]) - (time.time() + 120)) < 10
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


async def test_a_missing_table_is_a_store_error_not_a_crash(replicas: Callable[[], DynamoDbStore]) -> None:
    store = replicas()
    store._table = "wsbridge-no-such-table"
    try:
        await store.claim("k", 60)
    except StateStoreError as error:
        assert "wsbridge-no-such-table" in str(error)
    else:
        raise AssertionError("a claim on a missing table succeeded")
