"""Every GuardDuty, Inspector and Security Hub sample, triaged and planned against the WS sandbox.

The sandbox seed maps the samples' instances to computers: i-99999999 is demo-db-1 (computer 3,
agent-reported id), i-07b035550fa86717d demo-web-2 (2), i-12345678901234567 demo-web-1 (1),
i-05746eb48123455e0 demo-legacy-1 (4, IPS detect-only, no anti-malware: not protected) and
i-0c10c2c7863d1a356 demo-kubectl-1 (5); i-abcd1234 is unknown.
"""

from __future__ import annotations

import tomllib
from typing import Any, NamedTuple

import pytest
from support.handler_samples import SAMPLE_FILES, registry, sample_event
from support.planning import brief
from support.sandbox import ROOT, admin

from wsbridge.consumer.handler import Decision, HandlerContext

RESPONDERS = ("guardduty", "inspector", "inspector_classic", "securityhub")
DEMO = tomllib.loads((ROOT / "config" / "handlers.demo.toml").read_text())["handlers"]
NOTIFY_UNPROTECTED = "notify:unprotected-instance:"


class Plan(NamedTuple):
    decision: str
    instance_ids: list[str]
    actions: list[str]


SCANS_3 = ["recommendation_scan:3", "integrity_scan:3"]
MALWARE_3 = [*SCANS_3, "malware_scan:3"]

DEFAULT: dict[str, Plan] = {
    "guardduty-backdoor-ccactivity-dns-1.json": Plan("skip", ["i-99999999"], []),
    "guardduty-backdoor-dos-tcp-1.json": Plan("skip", ["i-99999999"], []),
    "guardduty-canary-ec2-1.json": Plan("skip", ["i-05746eb48123455e0"], []),
    "guardduty-eks-anonymous-1.json": Plan("skip", [], []),
    "guardduty-iamuser-maliciousip-1.json": Plan("skip", [], []),
    "guardduty-iamuser-torcaller-1.json": Plan("skip", [], []),
    "guardduty-rds-anomalous-login-1.json": Plan("skip", [], []),
    "guardduty-runtime-dockersocket-1.json": Plan("handle", ["i-abcd1234"], [NOTIFY_UNPROTECTED + "i-abcd1234"]),
    "guardduty-ssh-bruteforce-1.json": Plan("skip", ["i-99999999"], []),
    "guardduty-trojan-blackhole-dns-1.json": Plan("skip", ["i-99999999"], []),
    "inspector-classic-sns-finding-1.json": Plan("skip", [], []),
    "inspector2-network-reachability-1.json": Plan("skip", ["i-12345678901234567"], []),
    "inspector2-package-azurevm-1.json": Plan("skip", [], []),
    "inspector2-package-ec2-1.json": Plan("skip", ["i-12345678901234567"], []),
    "inspector2-package-ec2-2.json": Plan("handle", ["i-07b035550fa86717d"], ["assign_ips_rules:policy:2:4305"]),
    "securityhub-imported-cis13-1.json": Plan("skip", [], []),
    "securityhub-imported-control-fsbp-1.json": Plan("skip", [], []),
    "securityhub-imported-guardduty-ec2-1.json": Plan(
        "handle", ["i-0c10c2c7863d1a356"], ["recommendation_scan:5", "integrity_scan:5"]
    ),
    "securityhub-imported-guardduty-iam-1.json": Plan("skip", [], []),
    "securityhub-imported-inspector-classic-1.json": Plan("skip", ["i-0c10c2c7863d1a356"], []),
    "securityhub-imported-inspector2-ecr-1.json": Plan("skip", [], []),
}

DEMO_CHANGES: dict[str, Plan] = {
    "guardduty-backdoor-ccactivity-dns-1.json": Plan(
        "handle", ["i-99999999"], [*MALWARE_3, "notify:scanned-instance:i-99999999"]
    ),
    "guardduty-backdoor-dos-tcp-1.json": Plan(
        "handle", ["i-99999999"], [*MALWARE_3, "notify:scanned-instance:i-99999999"]
    ),
    "guardduty-canary-ec2-1.json": Plan(
        "handle",
        ["i-05746eb48123455e0"],
        ["recommendation_scan:4", "notify:partly-protected-instance:i-05746eb48123455e0"],
    ),
    "guardduty-ssh-bruteforce-1.json": Plan("handle", ["i-99999999"], SCANS_3),
    "guardduty-trojan-blackhole-dns-1.json": Plan(
        "handle", ["i-99999999"], [*MALWARE_3, "notify:scanned-instance:i-99999999"]
    ),
    "inspector2-network-reachability-1.json": Plan("handle", ["i-12345678901234567"], ["recommendation_scan:1"]),
    "securityhub-imported-inspector-classic-1.json": Plan("handle", ["i-0c10c2c7863d1a356"], ["recommendation_scan:5"]),
}

RESPONDER_SAMPLES = sorted(DEFAULT)


def test_the_table_covers_every_sample_of_these_handlers() -> None:
    handled_here = [name for name in SAMPLE_FILES if registry()[sample_event(name).detail_type].name in RESPONDERS]
    assert sorted(handled_here) == RESPONDER_SAMPLES


async def planned(name: str, policies: dict[str, Any], context: HandlerContext) -> Plan:
    event = sample_event(name)
    handler = registry(policies)[event.detail_type]
    verdict = handler.triage(event)
    actions = (await handler.plan(event, verdict, context)).actions if verdict.decision is Decision.HANDLE else ()
    return Plan(verdict.decision.value, list(verdict.targets.instance_ids), [brief(action) for action in actions])


@pytest.mark.parametrize("name", RESPONDER_SAMPLES)
async def test_default_policies(name: str, planning: HandlerContext) -> None:
    assert await planned(name, {}, planning) == DEFAULT[name]


@pytest.mark.parametrize("name", RESPONDER_SAMPLES)
async def test_demo_policies_act_on_the_sample_findings(name: str, planning: HandlerContext) -> None:
    assert await planned(name, DEMO, planning) == DEMO_CHANGES.get(name, DEFAULT[name])


@pytest.mark.parametrize("name", RESPONDER_SAMPLES)
async def test_planning_only_reads(name: str, planning: HandlerContext, sandbox: str) -> None:
    await planned(name, DEMO, planning)

    writes = [call for call in admin(sandbox, "GET", "calls")["calls"] if not is_read(call)]
    assert writes == []


def is_read(call: dict[str, Any]) -> bool:
    return call["method"] == "GET" or (call["method"] == "POST" and call["path"].endswith("/search"))
