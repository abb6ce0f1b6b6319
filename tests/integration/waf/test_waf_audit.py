"""The WAF coverage audit against moto and the WS sandbox: the demo topology, dry run, apply once, lock retries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
from conftest import REGION, WestDoors, audit, web_acl

from devstack.waf_demo import scheduled_event
from wsbridge.consumer.aws import AwsClients
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import load_settings
from wsbridge.handlers.waf_audit.apply import WafAddRuleGroup

CMS = {"vendor": "Trend Micro", "name": "TrendMicro-CMS"}


def by_kind(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    doors: dict[str, list[dict[str, Any]]] = {}
    for line in lines[:-1]:
        doors.setdefault(line["kind"], []).append(line)
    return doors


def groups_in(acl: dict[str, Any]) -> list[tuple[str, str]]:
    statements = [rule["Statement"].get("ManagedRuleGroupStatement") for rule in acl["WebACL"]["Rules"]]
    return [(item["VendorName"], item["Name"]) for item in statements if item]


def test_the_demo_front_doors_are_reported_with_their_web_acls_instances_and_policies() -> None:
    demo = json.loads(os.environ["WSBRIDGE_DEMO_INSTANCES"])
    web = sorted([demo["demo-web-1"], demo["demo-web-2"]])

    code, lines = audit("--dry-run")

    assert code == 0, lines[-1]
    doors = by_kind(lines)
    (alb,) = [door for door in doors["alb"] if door["front_door"].split("/")[2] == "wsbridge-demo-alb"]
    assert "/webacl/wsbridge-demo-acl/" in alb["web_acl"]
    assert alb["instances"] == web
    assert {(item["name"], item["policy"]) for item in alb["computers"]} == {
        ("demo-web-1", "Web Servers"),
        ("demo-web-2", "Web Servers"),
    }
    assert (alb["classification"], alb["recommended_rule_group"]) == ("web_application", CMS)
    assert (alb["status"], alb["applied"]) == ("rule_group_missing", False)
    (distribution,) = [door for door in doors["cloudfront"] if door["front_door"] == alb["fronted_by"]]
    assert (distribution["web_acl"], distribution["status"], distribution["instances"]) == (None, "no_web_acl", web)
    (legacy,) = [door for door in doors["elb"] if door["front_door"].endswith("/wsbridge-demo-legacy")]
    assert (legacy["web_acl"], legacy["status"]) == (None, "waf_unsupported")
    assert legacy["instances"] == [demo["demo-legacy-1"]]
    summary = lines[-1]
    assert {distribution["front_door"], legacy["front_door"]} <= set(summary["gaps"])
    assert summary["dry_run"] is True and summary["unreadable"] == []


def test_a_firing_of_the_audit_schedule_plans_the_report_and_other_schedules_are_skipped(tmp_path: Path) -> None:
    audit_firing = scheduled_event("123456789012", "us-east-1")
    other = scheduled_event("123456789012", "us-east-1", "nightly")
    events = tmp_path / "schedules.json"
    events.write_text(json.dumps([audit_firing, other]))
    command = [str(Path(sys.executable).parent / "wsbridge"), "replay", "--dry-run", str(events)]
    environment = {**os.environ, "WSBRIDGE_WAF_AUDIT_RULE": "wsbridge-waf-audit"}

    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=240, check=False)

    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert (first["decision"], first["outcome"]) == ("handle", "success"), result.stderr
    assert [action["action"] for action in first["actions"]] == ["notify"]
    assert first["actions"][0]["details"]["front_doors"] >= 3
    assert (second["decision"], second["outcome"]) == ("skip", "skipped")
    assert "is not the WAF audit schedule wsbridge-waf-audit" in second["reason"]


def test_without_apply_nothing_changes(west: WestDoors) -> None:
    before = west.acl()

    code, lines = audit("--dry-run", "--apply", WSBRIDGE_WAF_AUDIT_REGIONS=REGION)

    assert code == 0
    (alb,) = [door for door in lines[:-1] if door["front_door"] == west.alb_arn]
    assert alb["instances"] == [west.instance_id], "the IP target maps to its instance"
    assert (alb["classification"], alb["status"], alb["applied"]) == ("web_application", "rule_group_missing", False)
    assert west.acl()["LockToken"] == before["LockToken"]


def test_apply_adds_the_rule_group_once_and_a_second_run_changes_nothing(west: WestDoors) -> None:
    code, lines = audit("--apply", WSBRIDGE_WAF_AUDIT_REGIONS=REGION)

    assert code == 0, lines[-1]
    (alb,) = [door for door in lines[:-1] if door["front_door"] == west.alb_arn]
    assert (alb["status"], alb["applied"]) == ("rule_group_added", True)
    after = west.acl()
    assert groups_in(after) == [("Trend Micro", "TrendMicro-CMS")]
    assert after["WebACL"]["DefaultAction"] == {"Allow": {}}

    code, lines = audit("--apply", WSBRIDGE_WAF_AUDIT_REGIONS=REGION)

    assert code == 0
    (alb,) = [door for door in lines[:-1] if door["front_door"] == west.alb_arn]
    assert (alb["status"], alb["applied"]) == ("rule_group_present", True)
    assert lines[-1]["rule_groups_added"] == 0
    assert west.acl()["LockToken"] == after["LockToken"]


def test_an_account_that_cannot_be_read_is_reported_and_the_rest_completes(west: WestDoors) -> None:
    code, lines = audit(WSBRIDGE_WAF_AUDIT_REGIONS=REGION, WSBRIDGE_WAF_AUDIT_ACCOUNTS="222222222222")

    assert code == 1
    (unreadable,) = lines[-1]["unreadable"]
    assert unreadable["account"] == "222222222222"
    assert "no member role is configured" in unreadable["reason"]
    assert any(door["front_door"] == west.alb_arn for door in lines[:-1])


class _Interloper:
    """A wafv2 client whose first UpdateWebACL is preceded by another writer's update of the same web ACL."""

    def __init__(self, client: Any, name: str, acl_id: str) -> None:
        self._client, self._name, self._id = client, name, acl_id
        self.updates = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def update_web_acl(self, **params: Any) -> Any:
        self.updates += 1
        if self.updates == 1:
            other = boto3.client("wafv2", region_name=REGION)
            current = other.get_web_acl(Name=self._name, Scope="REGIONAL", Id=self._id)
            other.update_web_acl(
                Name=self._name,
                Scope="REGIONAL",
                Id=self._id,
                DefaultAction={"Block": {}},
                Rules=current["WebACL"]["Rules"],
                VisibilityConfig=current["WebACL"]["VisibilityConfig"],
                LockToken=current["LockToken"],
            )
        return await self._client.update_web_acl(**params)


class _Clients(AwsClients):
    interloper: _Interloper | None = None

    async def client(self, service: str, *, account: str | None = None, region: str | None = None) -> Any:
        real = await super().client(service, account=account, region=region)
        return self.interloper if service == "wafv2" and self.interloper is not None else real


async def test_a_web_acl_changed_meanwhile_is_read_again_and_the_group_added_once() -> None:
    name = f"waf-lock-{os.urandom(4).hex()}"
    arn, acl_id = web_acl(name)
    settings = load_settings(queue_url="unused")
    async with _Clients(settings) as clients:
        clients.interloper = _Interloper(await clients.client("wafv2", region=REGION), name, acl_id)

        await WafAddRuleGroup(arn, "Trend Micro", "TrendMicro-WebServer").run(Services(aws=clients))

        assert clients.interloper.updates == 2
    acl = boto3.client("wafv2", region_name=REGION).get_web_acl(Name=name, Scope="REGIONAL", Id=acl_id)
    assert groups_in(acl) == [("Trend Micro", "TrendMicro-WebServer")]
    assert acl["WebACL"]["DefaultAction"] == {"Block": {}}, "the other writer's change is kept"
