"""Notice bodies for chat tools: a Slack-compatible ``text`` with blocks, which Slack incoming webhooks
take as is (and tools that read only ``text``, such as Mattermost, show the subject)."""

from __future__ import annotations

from typing import Any

_SHOWN = ("instance_id", "account", "region", "severity", "finding_type", "reason", "cve", "computer_name")


def chat_message(subject: str, details: dict[str, Any]) -> dict[str, Any]:
    """``{"text", "blocks"}``: the subject, then the details a person acts on, and links."""
    facts = [f"*{key.replace('_', ' ')}*: {details[key]}" for key in _SHOWN if details.get(key) not in (None, "")]
    urls = [key for key in details if key.endswith("_url") and details[key]]
    links = [f"<{details[key]}|{key.removesuffix('_url').replace('_', ' ')}>" for key in urls]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{subject}*"}},
    ]
    if facts:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(facts)}})
    if links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
    return {"text": subject, "blocks": blocks}
