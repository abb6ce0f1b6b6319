"""Which channel a notification goes to: routes by account, severity and instance tag, then a default.

The table is the ``[notify]`` part of the handler config (``WSBRIDGE_HANDLER_CONFIG``)::

    [[notify.routes]]
    name = "payments"
    tags = { Team = ["payments"] }
    sns_topic_arn = "arn:aws:sns:us-east-1:111122223333:payments-security"
    webhook_url = "https://hooks.slack.com/services/..."
    webhook_format = "slack"

The first route whose every criterion matches wins; without a match, ``[notify.default]``, else
``WSBRIDGE_NOTIFY_SNS_TOPIC_ARN`` / ``WSBRIDGE_NOTIFY_WEBHOOK_URL``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wsbridge.consumer.settings import Settings, SettingsError

_SEVERITY_STEPS = ((9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM"), (1.0, "LOW"))


class Route(BaseModel):
    """A destination and the notices it takes (an empty criterion matches everything)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "default"
    accounts: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    tags: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    sns_topic_arn: str | None = None
    webhook_url: str | None = None
    webhook_format: Literal["json", "slack"] = "json"

    @property
    def has_channel(self) -> bool:
        """An SNS topic or a webhook is set."""
        return bool(self.sns_topic_arn or self.webhook_url)

    def matches(self, details: Mapping[str, Any]) -> bool:
        """Every criterion of the route holds for a notice's details."""
        tags = details.get("tags") or {}
        return (
            (not self.accounts or str(details.get("account")) in self.accounts)
            and (not self.severities or severity_label(details.get("severity")) in self.severities)
            and all(tags.get(key) in values for key, values in self.tags.items())
        )


class RoutingTable(BaseModel):
    """The routes in order, and the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    routes: tuple[Route, ...] = ()
    default: Route = Route()

    @property
    def tag_keys(self) -> tuple[str, ...]:
        """The instance tags some route looks at (only these are read while planning)."""
        return tuple(sorted({key for route in self.routes for key in route.tags}))

    @property
    def has_channel(self) -> bool:
        """Some route, or the default, has a channel."""
        return any(route.has_channel for route in (*self.routes, self.default))

    def pick(self, details: Mapping[str, Any]) -> Route:
        """The first matching route, else the default."""
        return next((route for route in self.routes if route.matches(details)), self.default)


def severity_label(severity: Any) -> str | None:
    """``LOW`` .. ``CRITICAL`` from a label or a 0-10 number (GuardDuty's scale)."""
    if isinstance(severity, int | float):
        return next((label for floor, label in _SEVERITY_STEPS if severity >= floor), "INFORMATIONAL")
    return str(severity).upper() if severity else None


def routing_table(settings: Settings) -> RoutingTable:
    """The table from the handler config, its default filled from the WSBRIDGE_NOTIFY_* settings."""
    return _load(str(settings.handler_config or ""), settings.notify_sns_topic_arn, settings.notify_webhook_url)


@functools.cache
def _load(config: str, sns_topic_arn: str | None, webhook_url: str | None) -> RoutingTable:
    import tomllib

    table: dict[str, Any] = {}
    if config:
        with Path(config).open("rb") as stream:
            table = dict(tomllib.load(stream).get("notify", {}))
    table.setdefault("default", {"sns_topic_arn": sns_topic_arn, "webhook_url": webhook_url})
    try:
        return RoutingTable.model_validate(table)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise SettingsError(f"invalid [notify] table in the handler config: {where}: {problem['msg']}") from None
