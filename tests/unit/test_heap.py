"""After start-up, collections leave the start-up heap alone and examine young objects less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from wsbridge.consumer.heap import YOUNG_COLLECTION_THRESHOLD, settle_after_start_up


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_the_start_up_heap_is_frozen_and_young_objects_are_collected_less_often() -> None:
    start_up_object = {"kept": ["for the daemon's life"]}
    settle_after_start_up()
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(start_up_object)
    assert all(tracked is not start_up_object for tracked in gc.get_objects())
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
