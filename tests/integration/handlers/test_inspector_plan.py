"""Inspector2 planning against the WS sandbox: the IPS rules that list the CVE, where assign_to says."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from support.handler_samples import registry, sample_event, with_detail
from support.planning import brief

from wsbridge.consumer.actions import AssignIpsRules, Notify, RunRecommendationScan
from wsbridge.consumer.envelope import Event
from wsbridge.consumer.handler import Decision, HandlerContext
from wsbridge.consumer.report_actions import RecordUncoveredCve
from wsbridge.consumer.services import Services

SAMPLE = "inspector2-package-ec2-2.json"
WEB_2 = "i-07b035550fa86717d"
LEGACY = "i-05746eb48123455e0"


def vulnerability(cve: str = "CVE-2022-40982", instance_id: str = WEB_2) -> Event:
    """The Inspector2 sample with another CVE, on another instance."""

    def edit(detail: dict[str, Any]) -> None:
        detail["packageVulnerabilityDetails"]["vulnerabilityId"] = cve
        detail["resources"][0]["id"] = instance_id

    return with_detail(sample_event(SAMPLE), edit)


def uncovered() -> float:
    return REGISTRY.get_sample_value("wsbridge_uncovered_cves_total") or 0.0


async def plan(event: Event, planning: HandlerContext, **policy: Any) -> list[Any]:
    handler = registry({"inspector": policy})["Inspector2 Finding"]
    verdict = handler.triage(event)
    assert verdict.decision is Decision.HANDLE, verdict.reason
    return list((await handler.plan(event, verdict, planning)).actions)


async def test_the_covering_rule_goes_to_the_instances_policy(planning: HandlerContext) -> None:
    assert await plan(vulnerability(), planning) == [AssignIpsRules((4305,), policy_id=2, cve="CVE-2022-40982")]


async def test_assign_to_computer_overrides_on_the_computer_only(planning: HandlerContext) -> None:
    actions = await plan(vulnerability(), planning, assign_to="computer")

    assert actions == [AssignIpsRules((4305,), computer_id=2, cve="CVE-2022-40982")]


async def test_rules_the_covering_rule_depends_on_come_along_unless_already_assigned(planning: HandlerContext) -> None:
    # 4211 lists CVE-2021-44228 and depends on 1003, which depends on 1001 (assigned by the parent policy).
    actions = await plan(vulnerability("CVE-2021-44228"), planning)

    assert actions == [AssignIpsRules((1003, 4211), policy_id=2, cve="CVE-2021-44228")]


async def test_the_cve_must_be_listed_exactly(planning: HandlerContext) -> None:
    # Rule 4306 lists CVE-2022-4098, a prefix of CVE-2022-40982; only 4305 covers it.
    [assignment] = await plan(vulnerability(), planning)

    assert assignment.rule_ids == (4305,)


async def test_rules_already_assigned_are_skipped(planning: HandlerContext, services: Services) -> None:
    await services.workload_security().assign_ips_rules_to_policy(2, [4305])

    assert await plan(vulnerability(), planning) == []


async def test_detect_only_ips_is_said_in_the_plan(planning: HandlerContext) -> None:
    actions = await plan(vulnerability(instance_id=LEGACY), planning)

    assert [brief(action) for action in actions] == [
        "assign_ips_rules:policy:4:4305",
        "notify:ips-not-preventing:policy 4",
    ]
    notice = actions[1]
    assert isinstance(notice, Notify)
    assert notice.details["intrusion_prevention"] == "detect"
    assert notice.subject == (
        "Intrusion Prevention is detect on policy 4: rules for CVE-2022-40982 will not block attacks"
    )


async def test_an_uncovered_cve_is_counted_and_reported(planning: HandlerContext, services: Services) -> None:
    actions = await plan(vulnerability("CVE-2099-0001"), planning)

    assert [brief(action) for action in actions] == [
        f"uncovered_cve:{sample_event(SAMPLE).detail['findingArn']}:{WEB_2}:CVE-2099-0001",
        "notify:uncovered-cve:CVE-2099-0001",
    ]
    before = uncovered()
    await actions[0].run(services)
    assert uncovered() == before + 1
    assert isinstance(actions[0], RecordUncoveredCve)
    assert actions[1].details["cve"] == "CVE-2099-0001"


async def test_an_unknown_instance_gets_a_notice(planning: HandlerContext) -> None:
    [notice] = await plan(vulnerability(instance_id="i-0123456789abcdef0"), planning)

    assert notice.dedupe_key == "unprotected-instance:i-0123456789abcdef0"
    assert notice.details["finding_type"] == "PACKAGE_VULNERABILITY"
    assert notice.details["severity"] == "MEDIUM"


async def test_network_reachability_is_a_recommendation_scan_when_the_policy_says_so(
    planning: HandlerContext,
) -> None:
    event = sample_event("inspector2-network-reachability-1.json")

    actions = await plan(event, planning, network_reachability="recommendation-scan")

    assert actions == [RunRecommendationScan(1, apply=True)]


def test_a_vulnerability_id_that_is_not_a_cve_is_skipped() -> None:
    verdict = registry()["Inspector2 Finding"].triage(vulnerability("GHSA-jfh8-c2jp-5v3q"))

    assert verdict.decision is Decision.SKIP
    assert "is not a CVE id" in verdict.reason


@pytest.mark.parametrize("cve", ["cve-2022-40982", "CVE-2022-40982"])
async def test_cve_case_does_not_matter(cve: str, planning: HandlerContext) -> None:
    [assignment] = await plan(vulnerability(cve), planning)

    assert assignment.cve == "CVE-2022-40982"


async def test_a_ghsa_finding_is_answered_through_its_related_cves(planning: HandlerContext) -> None:
    def ghsa(detail: dict[str, Any]) -> None:
        detail["packageVulnerabilityDetails"]["vulnerabilityId"] = "GHSA-jfh8-c2jp-5v3q"
        detail["packageVulnerabilityDetails"]["relatedVulnerabilities"] = ["CVE-2021-44228", "RHSA-2021:5138"]

    event = with_detail(sample_event(SAMPLE), ghsa)

    assert await plan(event, planning) == [AssignIpsRules((1003, 4211), policy_id=2, cve="CVE-2021-44228")]


def test_a_ghsa_finding_without_related_cves_is_skipped() -> None:
    event = with_detail(
        sample_event(SAMPLE),
        lambda detail: detail["packageVulnerabilityDetails"].update(
            vulnerabilityId="GHSA-xxxx", relatedVulnerabilities=[]
        ),
    )

    verdict = registry()["Inspector2 Finding"].triage(event)

    assert verdict.decision is Decision.SKIP
    assert "GHSA-xxxx is not a CVE id" in verdict.reason


def local_only(cve: str) -> Event:
    def edit(detail: dict[str, Any]) -> None:
        detail["packageVulnerabilityDetails"]["vulnerabilityId"] = cve
        detail["packageVulnerabilityDetails"]["cvss"] = [
            {"baseScore": 5.5, "scoringVector": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "version": "3.1"}
        ]
        detail.pop("inspectorScoreDetails", None)

    return with_detail(sample_event(SAMPLE), edit)


async def test_uncovered_local_only_cves_are_counted_but_not_noticed_when_only_network_vectors_notify(
    planning: HandlerContext,
) -> None:
    before = uncovered()

    actions = await plan(local_only("CVE-2099-0002"), planning, uncovered_notice_vectors=["network", "adjacent"])

    assert [action.kind for action in actions] == ["uncovered_cve"]
    assert uncovered() == before
    notified = await plan(local_only("CVE-2099-0002"), planning)
    assert [action.kind for action in notified] == ["uncovered_cve", "notify"]


async def test_a_protected_policy_is_never_modified_its_computer_gets_the_rules(planning: HandlerContext) -> None:
    for named in (["Web Servers"], ["2"]):
        actions = await plan(vulnerability(), planning, protected_policies=named)

        assert actions == [AssignIpsRules((4305,), computer_id=2, cve="CVE-2022-40982")]
