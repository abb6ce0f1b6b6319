"""The environment that points a shell, the daemon or a test at the stack, kept in ``.stack/env``."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from devstack import settings as stack_settings
from devstack.bootstrap import Bootstrapped
from devstack.settings import MOTO_SERVICES, REGION, SANDBOX_API_KEY, StackSettings
from devstack.waf_demo import WAF_AUDIT_RULE


def endpoints(settings: StackSettings) -> dict[str, str]:
    """Credentials, region and botocore endpoint variables: LocalStack for all, moto for what it lacks."""
    values = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": settings.localstack_url,
    }
    values.update({f"AWS_ENDPOINT_URL_{service}": settings.moto_url for service in MOTO_SERVICES})
    return values


def stack_environment(settings: StackSettings, result: Bootstrapped) -> dict[str, str]:
    """Every variable of ``.stack/env``."""
    return {
        **endpoints(settings),
        "WSBRIDGE_QUEUE_URL": result.queue_url,
        "WSBRIDGE_DLQ_URL": result.dlq_url,
        "WSBRIDGE_NOTIFY_SNS_TOPIC_ARN": result.notification_topic_arn,
        "WSBRIDGE_STACK_NOTIFICATIONS_URL": result.notification_inbox_url,
        "WSBRIDGE_WS_URL": f"{settings.sandbox_url}/api",
        "WSBRIDGE_WS_API_KEY": SANDBOX_API_KEY,
        "WSBRIDGE_SANDBOX_URL": settings.sandbox_url,
        "WSBRIDGE_STACK_LOCALSTACK_URL": settings.localstack_url,
        "WSBRIDGE_STACK_MOTO_URL": settings.moto_url,
        "WSBRIDGE_DEMO_INSTANCES": json.dumps(result.instances, separators=(",", ":")),
        "WSBRIDGE_WAF_AUDIT_RULE": WAF_AUDIT_RULE,
        "WSBRIDGE_STACK_STATE_TABLE": result.state_table,
    }


def write(path: Path, values: dict[str, str]) -> None:
    """Write ``values`` as ``export NAME=value`` lines (atomically)."""
    lines = ["# Points a shell at the local stack: . .stack/env"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    partial = path.with_suffix(".partial")
    partial.write_text("\n".join(lines) + "\n")
    partial.replace(path)


def parse(text: str) -> dict[str, str]:
    """Read ``export NAME=value`` lines back into a dict."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            values[name] = value
    return values


def load(path: Path | None = None) -> dict[str, str]:
    """The variables of ``.stack/env`` (written by ``python -m devstack up``) as a dict."""
    path = path or stack_settings.load().env_file
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: start the stack with `python -m devstack up`")
    return parse(path.read_text())
