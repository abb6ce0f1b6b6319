"""Each handler names the sources that may carry its detail-types; the pipeline refuses the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wsbridge.consumer.dispatch import Registry, RegistryError
from wsbridge.consumer.envelope import Event
from wsbridge.consumer.handler import Decision, Handler, HandlerContext, Plan, Triage
from wsbridge.consumer.pipeline import assess
from wsbridge.consumer.settings import UnknownDetailTypePolicy

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"


def body(name: str, **changes: str) -> str:
    return json.dumps({**json.loads((EVENTS / name).read_text()), **changes})


def registry() -> Registry:
    return Registry.from_entry_points(enabled=frozenset({"guardduty", "securityhub", "inspector", "waf_audit"}))


def test_every_registered_detail_type_names_its_aws_sources() -> None:
    sources = {entry.detail_type: entry.sources for entry in Registry.from_entry_points().registrations()}

    assert sources["GuardDuty Finding"] == ("aws.guardduty",)
    assert sources["Inspector2 Finding"] == ("aws.inspector2",)
    assert sources["Security Hub Findings - Imported"] == ("aws.securityhub",)
    assert sources["Scheduled Event"] == ("aws.events", "aws.scheduler")
    assert all(
        source.startswith("aws.") for found in sources.values() for source in found if found != ("wsbridge.test",)
    )


def test_a_forged_guardduty_finding_is_rejected_before_the_handler_reads_it() -> None:
    verdict = assess(body("guardduty-canary-ec2-1.json", source="evil.corp"), registry(), UnknownDetailTypePolicy.SKIP)

    assert verdict.source_refused
    assert verdict.triage.decision is Decision.REJECT
    assert (
        verdict.triage.reason == "'GuardDuty Finding' from source 'evil.corp' refused: only aws.guardduty may send it"
    )
    assert verdict.triage.targets.instance_ids == ()


def test_the_genuine_finding_is_handled_with_the_finding_read_once() -> None:
    verdict = assess(body("guardduty-runtime-dockersocket-1.json"), registry(), UnknownDetailTypePolicy.SKIP)

    assert not verdict.source_refused
    assert verdict.triage.decision is Decision.HANDLE
    assert verdict.triage.finding is not None


def test_a_handler_that_names_no_source_for_a_detail_type_is_refused_at_start() -> None:
    class Careless(Handler):
        name = "careless"
        detail_types = ("Careless Event",)
        sources = {}

        def triage(self, event: Event) -> Triage:
            return Triage.skip("never")

        async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
            return Plan.nothing("never")

    with pytest.raises(RegistryError, match="names no source that may send detail-type 'Careless Event'"):
        Registry([Careless()])
