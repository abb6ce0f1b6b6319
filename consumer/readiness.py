"""The /readyz probe and ``wsbridge check``: does SQS answer, does the WS API accept our key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from wsbridge.consumer.settings import Settings

if TYPE_CHECKING:
    from wsbridge.consumer.workload_security import WorkloadSecurityClient


def readiness_probe(
    settings: Settings, sqs: Any, ws: WorkloadSecurityClient | None
) -> Callable[[], Awaitable[dict[str, str]]]:
    """A probe returning the failing dependencies as {name: one-line reason}."""

    async def probe() -> dict[str, str]:
        failing: dict[str, str] = {}
        try:
            await sqs.get_queue_attributes(QueueUrl=settings.queue_url, AttributeNames=["QueueArn"])
        except Exception as error:
            failing["sqs"] = f"{type(error).__name__}: {error}"
        if ws is None:
            failing["workload_security"] = "no API key configured (WSBRIDGE_WS_API_KEY or ..._SECRET_ID)"
        else:
            try:
                await ws.check()
            except Exception as error:
                failing["workload_security"] = f"{type(error).__name__}: {error}"
        return failing

    return probe
