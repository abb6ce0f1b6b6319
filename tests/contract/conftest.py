"""The contract tier runs against its own sandbox process, with the WS suite's fixtures."""

from integration.ws.conftest import API_KEY, make_client, sandbox, sandbox_url

__all__ = ["API_KEY", "make_client", "sandbox", "sandbox_url"]
