"""Notifications to people: an SNS topic and/or a generic JSON webhook, or the log when neither is configured."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import structlog

from wsbridge.consumer.aws import AwsClients
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
    """Sends each notification to every configured channel; a failing channel makes the action retry."""

    def __init__(self, aws: AwsClients, topic_arn: str | None, webhook_url: str | None) -> None:
        """At least one of ``topic_arn`` and ``webhook_url`` should be set."""
        self._aws = aws
        self._topic_arn = topic_arn
        self._webhook_url = webhook_url
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings, aws: AwsClients) -> ChannelNotifier | None:
        """A notifier, or ``None`` when no channel is configured."""
        if not (settings.notify_sns_topic_arn or settings.notify_webhook_url):
            return None
        return cls(aws, settings.notify_sns_topic_arn, settings.notify_webhook_url)

    async def send(self, topic: str, subject: str, details: dict[str, Any]) -> None:
        """Publish ``{"topic", "subject", "details"}`` to SNS and POST it to the webhook."""
        document = {"source": "wsbridge", "topic": topic, "subject": subject, "details": details}
        if self._topic_arn:
            sns = await self._aws.client("sns")
            await sns.publish(
                TopicArn=self._topic_arn,
                Subject=subject[:_SNS_SUBJECT_MAX],
                Message=orjson.dumps(document).decode(),
                MessageAttributes={"topic": {"DataType": "String", "StringValue": topic}},
            )
        if self._webhook_url:
            await self._post(document)

    async def _post(self, document: dict[str, Any]) -> None:
        assert self._webhook_url is not None
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.post(
                self._webhook_url, data=orjson.dumps(document), headers={"Content-Type": "application/json"}
            ) as response:
                if response.status >= 300:
                    raise TransientError(f"webhook answered HTTP {response.status}")
        except aiohttp.ClientError as error:
            raise TransientError(f"webhook unreachable: {type(error).__name__}") from None

    async def close(self) -> None:
        """Close the webhook session."""
        if self._session is not None:
            await self._session.close()
