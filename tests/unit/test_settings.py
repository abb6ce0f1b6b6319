import pytest

from wsbridge.consumer.settings import SettingsError, load_settings
from wsbridge.consumer.settlement import retry_delay


def test_queue_url_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WSBRIDGE_QUEUE_URL", raising=False)
    with pytest.raises(SettingsError, match="WSBRIDGE_QUEUE_URL"):
        load_settings()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WSBRIDGE_DRAIN_SECONDS": "40", "WSBRIDGE_STOP_TIMEOUT_SECONDS": "30"}, "DRAIN_SECONDS"),
        ({"WSBRIDGE_CONCURRENCY": "0"}, "WSBRIDGE_CONCURRENCY"),
        ({"WSBRIDGE_WS_AUTH_SCHEME": "basic"}, "WSBRIDGE_WS_AUTH_SCHEME"),
        ({"WSBRIDGE_EVENT_LOOP": "trio"}, "WSBRIDGE_EVENT_LOOP"),
        ({"WSBRIDGE_WS_API_KEY": "k", "WSBRIDGE_WS_API_KEY_SECRET_ID": "s"}, "only one of"),
        ({"WSBRIDGE_RETRY_BASE_SECONDS": "100", "WSBRIDGE_RETRY_MAX_SECONDS": "10"}, "RETRY_BASE"),
        ({"WSBRIDGE_HANDLER_TIMEOUT_SECONDS": "60"}, "WSBRIDGE_WS_SCAN_WAIT_SECONDS"),
        ({"WSBRIDGE_AWS_EXTERNAL_ID": "ext-123"}, "WSBRIDGE_AWS_ROLE_NAME is not"),
        ({"WSBRIDGE_AWS_ROLE_NAME": "arn:aws:iam::1:role/x"}, "WSBRIDGE_AWS_ROLE_NAME"),
        ({"WSBRIDGE_AWS_ROLE_NAME": "r", "WSBRIDGE_AWS_EXTERNAL_ID": "x"}, "WSBRIDGE_AWS_EXTERNAL_ID"),
    ],
)
def test_unsafe_combinations_fail_with_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("WSBRIDGE_QUEUE_URL", "http://q")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_api_key_is_not_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WSBRIDGE_QUEUE_URL", "http://q")
    monkeypatch.setenv("WSBRIDGE_WS_API_KEY", "super-secret-value")
    settings = load_settings()
    assert "super-secret-value" not in repr(settings)


def test_retry_delay_grows_with_receive_count_and_is_capped() -> None:
    delays = [retry_delay(count, 10, 900) for count in range(1, 9)]
    assert delays == [10, 20, 40, 80, 160, 320, 640, 900]
