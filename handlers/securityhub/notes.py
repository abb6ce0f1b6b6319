"""The note wsbridge writes on a Security Hub finding: one line saying what its plan did."""

from __future__ import annotations

from collections.abc import Sequence

from wsbridge.consumer.actions import Action
from wsbridge.handlers.securityhub.writeback import NOTE_MAX

PREFIX = "wsbridge: "


def describe_action(action: Action) -> str:
    """``recommendation scan (recommendations applied) on computer 1``, ``notified: ...``..."""
    data = action.describe()
    computer = f"computer {data.get('computer_id')}"
    if action.kind == "recommendation_scan":
        return f"recommendation scan{' (recommendations applied)' if data.get('apply') else ''} on {computer}"
    if action.kind == "integrity_scan":
        return f"integrity scan on {computer}"
    if action.kind == "malware_scan":
        return f"malware scan on {computer}"
    if action.kind == "assign_ips_rules":
        owner = f"policy {data['policy_id']}" if data.get("policy_id") is not None else computer
        rules = ", ".join(str(rule) for rule in data.get("rule_ids", ()))
        return f"IPS rules {rules} assigned to {owner}" + (f" for {data['cve']}" if data.get("cve") else "")
    if action.kind == "notify":
        return f"notified: {data.get('subject')}"
    if action.kind == "uncovered_cve":
        return f"no IPS rule covers {data.get('cve')}"
    return action.kind.replace("_", " ")


def note_for(actions: Sequence[Action]) -> str:
    """The note for a finding planned as ``actions`` (at most Security Hub's 512 characters)."""
    parts = [describe_action(action) for action in actions]
    text = PREFIX + ("; ".join(parts) if parts else "no action needed, the protection is already in place")
    return text if len(text) <= NOTE_MAX else text[: NOTE_MAX - 3] + "..."
