"""Notifications to people: the SNS topic and/or webhook of each notice's route, or the log when none is configured."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import structlog

from wsbridge.consumer.aws import AwsClients
from wsbridge.consumer.notice_formats import chat_message
from wsbridge.consumer.routing import RoutingTable, routing_table, severity_label
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.settlement import TransientError

_SNS_SUBJECT_MAX = 100


class LogNotifier:
    """Writes each notification to the log as a warning (no SNS topic or webhook is configured)."""

    def __init__(self) -> None:
        """Log under ``wsbridge.notices``."""
        self._log = structlog.get_logger("wsbridge.notices")

    async def send(self, topic: str, subject: str, details: dict[str, Any]) -> None:
        """Write the notice."""
        self._log.warning("notice", topic=topic, subject=subject, details=details)


class ChannelNotifier:
    """Sends each notification to the channels of its route; a failing channel makes the action retry."""

    def __init__(self, aws: AwsClients, routing: RoutingTable) -> None:
        """``routing`` picks each notice's SNS topic and/or webhook."""
        self._aws = aws
        self._routing = routing
        self._session: aiohttp.ClientSession | None = None
        self._log = structlog.get_logger("wsbridge.notices")

    @classmethod
    def from_settings(cls, settings: Settings, aws: AwsClients) -> ChannelNotifier | None:
        """A notifier, or ``None`` when no route and no default has a channel."""
        routing = routing_table(settings)
        return cls(aws, routing) if routing.has_channel else None

    async def send(self, topic: str, subject: str, details: dict[str, Any]) -> None:
        """Publish ``{"topic", "subject", "details"}`` to the route's SNS topic and POST it to its webhook.

        SNS message attributes carry topic, account, region, severity and route, for subscription filters.
        """
        route = self._routing.pick(details)
        document = {"source": "wsbridge", "topic": topic, "subject": subject, "route": route.name, "details": details}
        if not route.has_channel:
            self._log.warning("notice", **document)
            return
        if route.sns_topic_arn:
            sns = await self._aws.client("sns")
            await sns.publish(
                TopicArn=route.sns_topic_arn,
                Subject=subject[:_SNS_SUBJECT_MAX],
                Message=orjson.dumps(document).decode(),
                MessageAttributes=_attributes(topic, route.name, details),
            )
        if route.webhook_url:
            body = chat_message(subject, details) if route.webhook_format == "slack" else document
            await self._post(route.webhook_url, body)

    async def _post(self, url: str, document: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.post(
                url, data=orjson.dumps(document), headers={"Content-Type": "application/json"}
            ) as response:
                if response.status >= 300:
                    raise TransientError(f"webhook answered HTTP {response.status}")
        except aiohttp.ClientError as error:
            raise TransientError(f"webhook unreachable: {type(error).__name__}") from None

    async def close(self) -> None:
        """Close the webhook session."""
        if self._session is not None:
            await self._session.close()


def _attributes(topic: str, route: str, details: dict[str, Any]) -> dict[str, Any]:
    values = {
        "topic": topic,
        "route": route,
        "account": details.get("account"),
        "region": details.get("region"),
        "severity": severity_label(details.get("severity")),
    }
    return {name: {"DataType": "String", "StringValue": str(value)} for name, value in values.items() if value}
