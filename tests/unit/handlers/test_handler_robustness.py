"""Triage never raises: sample events with values of the wrong type anywhere give a verdict."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.handler_samples import SAMPLE_FILES, event_from, registry, sample_document, sample_event

from wsbridge.consumer.envelope import MalformedMessage
from wsbridge.consumer.handler import Decision, Handler, Triage

Path = tuple[str | int, ...]

PERMISSIVE: dict[str, dict[str, Any]] = {
    "guardduty": {"include_samples": True, "include_archived": True},
    "inspector": {"network_reachability": "recommendation-scan"},
    "inspector_classic": {"classic_lookups": True},
    "macie": {"include_samples": True, "include_archived": True},
    "securityhub": {"guardduty": {"include_samples": True}},
}
HANDLER_SETS = [registry(), registry(PERMISSIVE)]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "i-", "arn:aws:ec2:x:1:instance/", "AWS::EC2::Instance", "Instance", "ACTIVE"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value inside ``value`` (object members and array elements)."""
    found: list[Path] = []
    items: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def replace(document: Any, path: Path, new: Any) -> None:
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new


def mutated(data: st.DataObject, document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        candidates = paths(document)
        if not candidates:
            break
        depth = data.draw(st.sampled_from(sorted({len(path) for path in candidates})), label="depth")
        path = data.draw(st.sampled_from([path for path in candidates if len(path) == depth]), label="path")
        replace(document, path, data.draw(json_values, label="value"))
    return document


def verdicts(event: Any) -> list[Triage]:
    results = []
    for handlers in HANDLER_SETS:
        handler: Handler | None = handlers.get(event.detail_type)
        if handler is not None:
            results.append(handler.triage(event))
    return results


def check(verdict: Triage) -> None:
    assert isinstance(verdict.decision, Decision)
    assert verdict.reason and "\n" not in verdict.reason
    verdict.targets.as_json()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(SAMPLE_FILES), data=st.data())
def test_wrong_types_inside_detail_never_raise(name: str, data: st.DataObject) -> None:
    event = sample_event(name)
    event = dataclasses.replace(event, detail=mutated(data, event.detail))

    for verdict in verdicts(event):
        check(verdict)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(SAMPLE_FILES), data=st.data())
def test_wrong_types_anywhere_in_the_body_never_raise(name: str, data: st.DataObject) -> None:
    try:
        event = event_from(mutated(data, sample_document(name)))
    except MalformedMessage:
        return

    for verdict in verdicts(event):
        check(verdict)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(SAMPLE_FILES), detail=st.dictionaries(st.text(max_size=12), json_values, max_size=4))
def test_an_arbitrary_detail_never_raises(name: str, detail: dict[str, Any]) -> None:
    event = dataclasses.replace(sample_event(name), detail=detail)

    for verdict in verdicts(event):
        check(verdict)
