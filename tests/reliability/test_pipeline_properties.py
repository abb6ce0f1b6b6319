"""Whatever arrives on the queue, the pipeline gives a verdict and an outcome; it never raises.

Bodies are arbitrary bytes and JSON, envelopes with arbitrary details, and the real samples of
tests/fixtures/events with values replaced anywhere. ``assess`` (parse + dispatch + triage) must end
in handle, skip or reject; ``Pipeline.process`` (plus de-duplication, planning against a WS sandbox
served in-process, AWS reads on the local stack's moto with a member role for the samples' other
accounts, and a dry-run executor) in one of the five outcomes, consistent with the verdict.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from harness import SEED, full_scale
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from wsbridge_sandbox.app import create_app
from wsbridge_sandbox.core import Keys
from wsbridge_sandbox.core import Sandbox as SandboxState

from wsbridge.consumer.aws import AwsClients
from wsbridge.consumer.dispatch import Registry
from wsbridge.consumer.executor import Executor
from wsbridge.consumer.handler import Decision
from wsbridge.consumer.pipeline import Outcome, OutcomeKind, Pipeline, assess
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings, UnknownDetailTypePolicy
from wsbridge.consumer.state import MemoryDedupeStore
from wsbridge.consumer.workload_security import WorkloadSecurityClient

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
SAMPLES = {path.name: path.read_bytes() for path in sorted(EVENTS.glob("*.json"))}
EXAMPLES = 3000 if full_scale() else 300
PERMISSIVE: dict[str, dict[str, Any]] = {
    "guardduty": {"include_samples": True, "include_archived": True},
    "macie": {"include_samples": True, "include_archived": True},
}
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


def own_handlers() -> frozenset[str]:
    """wsbridge's registered handlers (not the test plugins installed beside them)."""
    return frozenset(
        point.name
        for point in entry_points(group="wsbridge.handlers")
        if point.dist is not None and point.dist.name == "wsbridge"
    )


REGISTRY = Registry.from_entry_points(PERMISSIVE, enabled=own_handlers())
DETAIL_TYPES = sorted(entry.detail_type for entry in REGISTRY.registrations())

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16)
    | st.sampled_from(["", "i-0123456789abcdef0", "Instance", "AWS::EC2::Instance", "CVE-2021-44228", "ACTIVE"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
envelopes = st.fixed_dictionaries(
    {
        "id": st.text(max_size=12) | json_values,
        "detail-type": st.sampled_from(DETAIL_TYPES) | json_values,
        "source": st.sampled_from(["aws.guardduty", "aws.securityhub", "aws.inspector2", "aws.macie"]) | json_values,
        "detail": st.dictionaries(st.text(max_size=10), json_values, max_size=5) | json_values,
    },
    optional={"account": json_values, "region": json_values, "time": json_values, "resources": json_values},
)


def dumps(value: Any) -> bytes:
    """JSON of any generated value (big integers included, which orjson refuses to write)."""
    return json.dumps(value).encode()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    found: list[tuple[Any, ...]] = []
    for key, child in items:
        found += [(*prefix, key), *paths(child, (*prefix, key))]
    return found


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    """A real sample with one to three values replaced (deep ones as likely as shallow ones), or cut short."""
    raw = SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))]
    document = copy.deepcopy(json.loads(raw))
    inside_detail = isinstance(document.get("detail"), dict) and draw(st.booleans())
    for _ in range(draw(st.integers(1, 3))):
        candidates = [path for path in paths(document) if not inside_detail or path[:1] == ("detail",)]
        if not candidates:
            break
        depth = draw(st.sampled_from(sorted({len(path) for path in candidates})))
        path = draw(st.sampled_from([path for path in candidates if len(path) == depth]))
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = draw(json_values | st.sampled_from(["", None, [], {}]))
    body = dumps(document)
    if draw(st.integers(0, 9)) == 0:
        body = body[: draw(st.integers(0, len(body)))]
    return body


bodies = (
    st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | json_values.map(dumps)
    | envelopes.map(dumps)
    | mutated_samples()
)


@HYPOTHESIS
@given(body=bodies)
def test_assess_gives_every_body_a_verdict(body: bytes) -> None:
    for unknown in UnknownDetailTypePolicy:
        verdict = assess(body, REGISTRY, unknown).triage
        assert verdict.decision in set(Decision)
        assert verdict.reason and "\n" not in verdict.reason


# --- Pipeline.process against a WS sandbox served in this process -----------------------------------


def sample_instances() -> list[str]:
    ids = {match for raw in SAMPLES.values() for match in re.findall(rb'"(i-[0-9a-f]{8,17})"', raw)}
    return sorted(item.decode() for item in ids)


def seed() -> dict[str, Any]:
    """The default seed plus a protected computer for every instance the samples name."""
    document: dict[str, Any] = json.loads(SEED.read_text())
    template = next(c for c in document["computers"] if c["hostName"] == "demo-web-1")
    for index, instance in enumerate(sample_instances()):
        computer = copy.deepcopy(template)
        computer.update({"ID": 100 + index, "hostName": f"sample-{index}", "displayName": f"sample-{index}"})
        computer["ec2VirtualMachineSummary"]["instanceID"] = instance
        document["computers"].append(computer)
    return document


class PipelineUnderTest:
    """A pipeline planning against an in-process WS sandbox and the stack's AWS, executing nothing (dry run)."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.state = SandboxState(seed(), Keys(), rate_limit_per_minute=None)
        self.site_runner = web.AppRunner(create_app(self.state))
        self.runner.run(self.site_runner.setup())
        site = web.TCPSite(self.site_runner, "127.0.0.1", 0)
        self.runner.run(site.start())
        port = self.site_runner.addresses[0][1]
        self.settings = Settings(
            queue_url="property-test",
            ws_url=f"http://127.0.0.1:{port}/api",
            ws_api_key="sandbox-key",
            ws_max_attempts=1,
            ws_timeout_seconds=5,
            ws_rate_limit_per_minute=1_000_000,
            ws_breaker_failures=1_000,
            ws_cache_ttl_seconds=0,
            dry_run=True,
            aws_role_name="wsbridge-member",
        )
        self.ws = WorkloadSecurityClient.from_settings(self.settings, api_key="sandbox-key")
        self.aws = AwsClients(self.settings)
        self.services = Services(ws=self.ws, aws=self.aws)

    def process(self, body: bytes, store: MemoryDedupeStore | None = None) -> Outcome:
        store = MemoryDedupeStore() if store is None else store
        executor = Executor(self.services, store, self.settings.coalesce_window_seconds, dry_run=True)
        pipeline = Pipeline(self.settings, REGISTRY, store, self.services, executor)
        outcome: Outcome = self.runner.run(asyncio.wait_for(pipeline.process(body), 30))
        return outcome

    def close(self) -> None:
        self.runner.run(self.ws.close())
        self.runner.run(self.aws.close())
        self.runner.run(self.site_runner.cleanup())
        self.runner.close()


@pytest.fixture(scope="module")
def pipeline() -> Iterator[PipelineUnderTest]:
    under_test = PipelineUnderTest()
    yield under_test
    under_test.close()


EXPECTED = {
    Decision.REJECT: {OutcomeKind.DEAD_LETTER},
    Decision.SKIP: {OutcomeKind.SKIPPED},
    Decision.HANDLE: {OutcomeKind.SUCCESS, OutcomeKind.RETRY, OutcomeKind.DEAD_LETTER},
}


def check(outcome: Outcome) -> None:
    event(f"{outcome.assessment.triage.decision.value} -> {outcome.kind.value}")
    assert outcome.kind in EXPECTED[outcome.assessment.triage.decision]
    assert outcome.reason and "\n" not in outcome.reason
    for executed in outcome.actions:
        executed.as_json()


@HYPOTHESIS
@given(body=bodies)
def test_process_ends_every_body_in_one_of_the_five_outcomes(pipeline: PipelineUnderTest, body: bytes) -> None:
    check(pipeline.process(body))


@HYPOTHESIS
@given(body=mutated_samples(), failing=st.sampled_from([None, None, None, 400, 401, 404, 429, 500, 503]))
def test_process_ends_every_mutated_sample_in_one_of_the_five_outcomes_even_when_ws_fails(
    pipeline: PipelineUnderTest, body: bytes, failing: int | None
) -> None:
    pipeline.state.set_faults({"error_rate": 1.0 if failing else 0.0, "error_status": failing or 500})
    try:
        check(pipeline.process(body))
    finally:
        pipeline.state.set_faults({"error_rate": 0.0})


def test_every_sample_as_it_is_succeeds_once_then_is_a_duplicate(pipeline: PipelineUnderTest) -> None:
    store = MemoryDedupeStore()
    for name, raw in SAMPLES.items():
        first, again = pipeline.process(raw, store), pipeline.process(raw, store)
        assert first.kind in EXPECTED[first.assessment.triage.decision], name
        if first.assessment.triage.decision is Decision.HANDLE:
            assert (first.kind, again.kind) == (OutcomeKind.SUCCESS, OutcomeKind.DUPLICATE), (name, first.reason)
