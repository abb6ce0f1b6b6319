import pytest

from wsbridge.consumer.state import Claim, MemoryDedupeStore


async def test_first_claim_wins_and_later_claims_see_progress_then_done() -> None:
    store = MemoryDedupeStore()
    assert await store.claim("k", 60) is Claim.NEW
    assert await store.claim("k", 60) is Claim.IN_PROGRESS
    await store.complete("k", 60)
    assert await store.claim("k", 60) is Claim.DONE


async def test_released_key_can_be_claimed_again() -> None:
    store = MemoryDedupeStore()
    await store.claim("k", 60)
    await store.release("k")
    assert await store.claim("k", 60) is Claim.NEW


async def test_expired_keys_are_forgotten_and_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    store = MemoryDedupeStore()
    monkeypatch.setattr(store, "_now", lambda: now[0])
    for index in range(100):
        await store.claim(f"k{index}", 10)
        await store.complete(f"k{index}", 10)
    now[0] += 11
    assert await store.claim("k0", 10) is Claim.NEW
    assert len(store) == 1


async def test_beyond_max_entries_the_oldest_keys_are_forgotten_first() -> None:
    store = MemoryDedupeStore(max_entries=3)
    for key in ("a", "b", "c"):
        await store.claim(key, 60)
        await store.complete(key, 60)
    await store.claim("d", 60)

    assert len(store) == 3
    assert await store.claim("b", 60) is Claim.DONE
    assert await store.claim("a", 60) is Claim.NEW
