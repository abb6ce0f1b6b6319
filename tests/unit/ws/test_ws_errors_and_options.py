"""Error classification by status, and options from settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wsbridge.consumer.settings import AuthScheme, Settings
from wsbridge.consumer.workload_security import (
    AuthError,
    ClientOptions,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    RecommendationMode,
    RecommendationModules,
    ServerError,
    WorkloadSecurityClient,
)
from wsbridge.consumer.workload_security.errors import error_for_status


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, InvalidRequestError, False),
        (401, AuthError, False),
        (403, AuthError, False),
        (404, NotFoundError, False),
        (409, InvalidRequestError, False),
        (429, RateLimitedError, True),
        (500, ServerError, True),
        (501, ServerError, False),
        (502, ServerError, True),
        (503, ServerError, True),
        (504, ServerError, True),
    ],
)
def test_statuses_map_to_errors(status: int, kind: type, retryable: bool) -> None:
    error = error_for_status(status, "The computer does not exist.", "get_computer")
    assert type(error) is kind and error.retryable is retryable and error.status == status
    assert error.message == "The computer does not exist."
    assert str(error) == f"get_computer: HTTP {status}: The computer does not exist."
    assert repr(error).startswith(f"{kind.__name__}(operation='get_computer', status={status}")


def test_options_come_from_settings_with_overrides() -> None:
    settings = Settings(
        queue_url="http://q",
        ws_auth_scheme=AuthScheme.API_SECRET_KEY,
        ws_rate_limit_per_minute=250,
        ws_recommendations="auto-apply",
        ws_verify_tls=False,
    )
    options = ClientOptions.from_settings(settings, max_attempts=2)
    assert options.auth_scheme is AuthScheme.API_SECRET_KEY
    assert options.rate_limit_per_minute == 250 and options.max_attempts == 2
    assert options.recommendations is RecommendationMode.AUTO_APPLY and options.verify_tls is False
    with pytest.raises(TypeError, match="no_such_option"):
        ClientOptions.from_settings(settings, no_such_option=1)


def test_recommendations_of_ips_only_and_no_un_assignments_unless_configured() -> None:
    default = ClientOptions.from_settings(Settings(queue_url="http://q"))
    assert default.recommendation_modules is RecommendationModules.IPS and default.recommendation_unassign is False
    settings = Settings(queue_url="http://q", ws_recommendation_modules="all", ws_recommendation_unassign=True)
    options = ClientOptions.from_settings(settings)
    assert options.recommendation_modules is RecommendationModules.ALL and options.recommendation_unassign is True
    with pytest.raises(ValidationError):
        Settings(queue_url="http://q", ws_recommendation_modules="ips,im")


def test_the_client_repr_names_the_url_and_scheme_only() -> None:
    client = WorkloadSecurityClient("https://dsm.example.com:4119/api/", "1:c2VjcmV0LXZhbHVl", ClientOptions())
    assert (
        repr(client)
        == "WorkloadSecurityClient(Transport(base_url='https://dsm.example.com:4119/api', auth_scheme='apikey'))"
    )
    assert not client.circuit_open and client.throttled_for == 0


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkloadSecurityClient("https://dsm.example.com:4119/api", "")
