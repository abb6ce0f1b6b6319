"""The API key, the two header schemes that carry it, and how a rotated key is read again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog

from wsbridge.consumer.settings import AuthScheme

log = structlog.get_logger(__name__)

KeySource = Callable[[], Awaitable[str]]
"""Reads the current key (e.g. from Secrets Manager) again."""


class ApiKey:
    """Holds the API key; ``repr`` and ``str`` never show it.

    With a ``source``, the key is read again when it is older than ``max_age_seconds`` (0: never by
    age) and when the manager refuses it (:meth:`reload_after`), so a rotated secret needs no restart.
    """

    __slots__ = ("_loaded", "_lock", "_max_age", "_source", "_value", "generation")

    def __init__(self, value: str, source: KeySource | None = None, max_age_seconds: float = 0.0) -> None:
        if not value:
            raise ValueError("the WS API key is empty")
        self._value = value
        self._source = source
        self._max_age = max_age_seconds
        self._loaded = time.monotonic()
        self._lock = asyncio.Lock()
        self.generation = 0
        """Counts the reads that changed the key."""

    def headers(self, scheme: AuthScheme) -> dict[str, str]:
        """``Authorization: ApiKey <key>`` (Cloud One keys) or ``api-secret-key: <key>`` (DSM, legacy keys)."""
        if scheme is AuthScheme.API_SECRET_KEY:
            return {"api-secret-key": self._value}
        return {"Authorization": f"ApiKey {self._value}"}

    @property
    def rotatable(self) -> bool:
        """Whether the key can be read again."""
        return self._source is not None

    @property
    def stale(self) -> bool:
        """Older than ``max_age_seconds`` (never without a source or a maximum age)."""
        return self.rotatable and self._max_age > 0 and time.monotonic() - self._loaded >= self._max_age

    async def refresh_if_stale(self) -> None:
        """Read the key again when it is :attr:`stale`."""
        if self.stale:
            await self.reload_after(self.generation)

    async def reload_after(self, generation: int) -> bool:
        """Read the key again unless another caller already did since ``generation``; True when the key
        in use now differs from the one of ``generation``. A failed read keeps the key and says False."""
        if self._source is None:
            return False
        async with self._lock:
            if self.generation != generation:
                return True
            try:
                value = await self._source()
            except Exception as error:
                log.warning("ws_api_key_reload_failed", error=type(error).__name__)
                return False
            self._loaded = time.monotonic()
            if not value or value == self._value:
                return False
            self._value = value
            self.generation += 1
            log.info("ws_api_key_reloaded")
            return True

    def __repr__(self) -> str:
        return "ApiKey('**********')"

    __str__ = __repr__
