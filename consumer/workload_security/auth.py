"""The API key and the two header schemes that carry it."""

from __future__ import annotations

from wsbridge.consumer.settings import AuthScheme


class ApiKey:
    """Holds the API key; ``repr`` and ``str`` never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("the WS API key is empty")
        self._value = value

    def headers(self, scheme: AuthScheme) -> dict[str, str]:
        """``Authorization: ApiKey <key>`` (Cloud One keys) or ``api-secret-key: <key>`` (DSM, legacy keys)."""
        if scheme is AuthScheme.API_SECRET_KEY:
            return {"api-secret-key": self._value}
        return {"Authorization": f"ApiKey {self._value}"}

    def __repr__(self) -> str:
        return "ApiKey('**********')"

    __str__ = __repr__
