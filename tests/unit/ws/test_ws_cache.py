"""The TTL cache with single-flight loading."""

from __future__ import annotations

import asyncio

import pytest

from wsbridge.consumer.workload_security.cache import TtlCache


class Loader:
    def __init__(self, value: str = "v", delay: float = 0.01, fail: bool = False) -> None:
        self.calls = 0
        self.value, self.delay, self.fail = value, delay, fail

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("boom")
        return f"{self.value}{self.calls}"


async def test_concurrent_misses_share_one_load() -> None:
    cache: TtlCache[str, str] = TtlCache(60)
    load = Loader()
    results = await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(20)))
    assert set(results) == {"v1"} and load.calls == 1
    assert await cache.get_or_load("k", load) == "v1" and load.calls == 1


async def test_values_expire() -> None:
    now = [0.0]
    cache: TtlCache[str, str] = TtlCache(10, clock=lambda: now[0])
    load = Loader(delay=0)
    await cache.get_or_load("k", load)
    now[0] = 9.9
    assert await cache.get_or_load("k", load) == "v1"
    now[0] = 10.0
    assert await cache.get_or_load("k", load) == "v2"


async def test_failures_are_shared_but_not_cached() -> None:
    cache: TtlCache[str, str] = TtlCache(60)
    failing = Loader(fail=True)
    results = await asyncio.gather(*(cache.get_or_load("k", failing) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results) and failing.calls == 1
    assert await cache.get_or_load("k", Loader(value="ok")) == "ok1"


async def test_a_load_that_overlapped_an_invalidation_is_not_stored() -> None:
    cache: TtlCache[str, str] = TtlCache(60)
    load = Loader(delay=0.05)
    pending = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0.01)
    cache.invalidate_where(lambda value: True)
    assert await pending == "v1"
    assert cache.get("k") is None


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    cache: TtlCache[str, str] = TtlCache(60)
    load = Loader(delay=0.05)
    first = asyncio.create_task(cache.get_or_load("k", load))
    second = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await second == "v1"
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_zero_ttl_stores_nothing_and_size_is_bounded() -> None:
    uncached: TtlCache[str, str] = TtlCache(0)
    await uncached.get_or_load("k", Loader(delay=0))
    assert len(uncached) == 0
    small: TtlCache[int, int] = TtlCache(60, max_entries=3)
    for key in range(5):
        small.put(key, key)
    assert len(small) == 3 and small.get(0) is None and small.get(4) == 4


async def test_invalidate_where_drops_matching_values() -> None:
    cache: TtlCache[str, tuple[int, ...]] = TtlCache(60)
    cache.put("a", (1, 2))
    cache.put("b", (3,))
    assert cache.invalidate_where(lambda ids: 2 in ids) == 1
    assert cache.get("a") is None and cache.get("b") == (3,)


async def test_update_changes_one_key_keeps_its_expiry_and_voids_only_its_load_under_way() -> None:
    now = [0.0]
    cache: TtlCache[str, str] = TtlCache(10, clock=lambda: now[0])
    cache.put("a", "old")
    cache.put("b", "untouched")
    now[0] = 5.0
    assert cache.update("a", lambda value: value + "+new") and not cache.update("missing", str.upper)
    assert not cache.update("b", lambda value: None)
    assert (cache.get("a"), cache.get("b")) == ("old+new", "untouched")
    now[0] = 10.0
    assert cache.get("a") is None, "the update kept the original expiry"
    slow_c, slow_d = Loader("c", delay=0.05), Loader("d", delay=0.05)
    loads = asyncio.gather(cache.get_or_load("c", slow_c), cache.get_or_load("d", slow_d))
    await asyncio.sleep(0.01)
    cache.update("c", str.upper)
    assert await loads == ["c1", "d1"]
    assert (cache.get("c"), cache.get("d")) == (None, "d1"), "only the updated key's load is not stored"
