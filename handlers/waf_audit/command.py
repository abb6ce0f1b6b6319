"""``wsbridge waf-audit``: the audit on demand, one JSON line per front door and a summary line.

Dry run by default: the missing rule groups are reported, not added. ``--apply`` adds them through
the executor (so ``WSBRIDGE_DRY_RUN`` and ``--dry-run`` still only record them).
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

from wsbridge.consumer.daemon import runtime
from wsbridge.consumer.executor import ActionFailed, ActionResult
from wsbridge.consumer.settings import Settings
from wsbridge.handlers._shared.policy import load_policy
from wsbridge.handlers.waf_audit.apply import WafAddRuleGroup
from wsbridge.handlers.waf_audit.audit import run_audit
from wsbridge.handlers.waf_audit.policy import WafAuditPolicy

_ADDED = (ActionResult.DONE, ActionResult.COALESCED)


async def waf_audit(settings: Settings, *, apply: bool, dry_run: bool) -> int:
    """Audit and print; exit 1 when an account or region could not be read or an addition failed."""
    policy = load_policy(WafAuditPolicy, settings.handler_policies().get("handlers", {}).get("waf_audit"))
    dry_run = dry_run or settings.dry_run or not apply
    async with runtime(settings, dry_run=dry_run) as rt:
        result = await run_audit(rt.services, settings, policy)
        failure = None
        done: set[tuple[str, str, str]] = set()
        if apply:
            try:
                executed = await rt.executor.execute(result.additions)
            except ActionFailed as error:
                executed, failure = error.executed, f"{error}: {error.__cause__}"
            done = {
                item.action.target
                for item in executed
                if isinstance(item.action, WafAddRuleGroup) and item.result in _ADDED
            }
        result = result.with_added(done)
    for door in result.doors:
        _print(door.as_json())
    _print({**result.summary(), "dry_run": dry_run, "failed": failure})
    return 1 if result.unreadable or failure else 0


def _print(document: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
    sys.stdout.flush()
