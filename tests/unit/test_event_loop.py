import asyncio
import sys

import pytest

from wsbridge.consumer.event_loop import EventLoop, run, running_loop


async def _which() -> tuple[EventLoop, str]:
    return running_loop(), type(asyncio.get_running_loop()).__module__


@pytest.mark.parametrize("choice", list(EventLoop))
def test_run_runs_the_coroutine_on_the_chosen_loop(choice: EventLoop) -> None:
    which, module = run(_which(), choice)
    assert which is choice
    assert module.startswith("uvloop") == (choice is EventLoop.UVLOOP)


def test_run_falls_back_to_asyncio_where_uvloop_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    which, _ = run(_which(), EventLoop.UVLOOP)
    assert which is EventLoop.ASYNCIO
