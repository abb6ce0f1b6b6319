"""Sandbox internals without HTTP: search filters, the seed, inheritance, fault knobs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from wsbridge_sandbox import faults as faults_module
from wsbridge_sandbox.core import Keys, Sandbox, default_seed
from wsbridge_sandbox.faults import Faults, RateWindow
from wsbridge_sandbox.http import ApiError
from wsbridge_sandbox.search import search
from wsbridge_sandbox.seeding import SeedError
from wsbridge_sandbox.state import World

OBJECTS = [
    {"ID": 3, "name": "Web Servers", "CVE": ["CVE-2022-40982"], "score": 6.5, "nested": {"id": "i-1"}},
    {"ID": 1, "name": "Base Policy", "CVE": ["CVE-2022-4098"], "score": 9.8, "nested": None},
    {"ID": 2, "name": "web_edge", "CVE": [], "score": 1.0, "nested": {"id": "i-2"}},
]


def ids(body: dict[str, object]) -> list[object]:
    return [obj["ID"] for obj in search(OBJECTS, body)]


def test_results_are_in_id_order_and_cut_at_max_items() -> None:
    assert ids({}) == [1, 2, 3]
    assert ids({"maxItems": 2}) == [1, 2]


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ({"fieldName": "name", "stringValue": "base policy"}, [1]),
        ({"fieldName": "name", "stringValue": "web%"}, [2, 3]),
        ({"fieldName": "name", "stringValue": "web_edge", "stringWildcards": False}, [2]),
        ({"fieldName": "name", "stringValue": "web%", "stringWildcards": False}, []),
        ({"fieldName": "name", "stringValue": "web%", "stringTest": "not-equal"}, [1]),
        ({"fieldName": "CVE", "stringValue": "%CVE-2022-4098%"}, [1, 3]),
        ({"fieldName": "CVE", "stringValue": "CVE-2022-4098"}, [1]),
        ({"fieldName": "nested/id", "stringValue": "i-2"}, [2]),
        ({"fieldName": "nested/id", "nullTest": True}, [1]),
        ({"fieldName": "score", "numericTest": "greater-than", "numericValue": 5}, [1, 3]),
        ({"idTest": "less-than-or-equal", "idValue": 2}, [1, 2]),
    ],
)
def test_criteria(criterion: dict[str, object], expected: list[int]) -> None:
    assert ids({"searchCriteria": [criterion]}) == expected


@pytest.mark.parametrize(
    "body",
    [
        {"maxItems": -1},
        {"searchCriteria": "x"},
        {"searchCriteria": [{"stringValue": "no field"}]},
        {"searchCriteria": [{"idTest": "about", "idValue": 1}]},
        {"searchCriteria": [{"fieldName": "score", "numericValue": "high"}]},
    ],
)
def test_bad_filters_are_400(body: dict[str, object]) -> None:
    with pytest.raises(ApiError) as raised:
        search(OBJECTS, body)
    assert raised.value.status == 400


def test_the_default_seed_has_three_protected_computers_and_one_unprotected() -> None:
    seed = default_seed()
    names = [c["hostName"] for c in seed["computers"]]
    assert names == ["demo-web-1", "demo-web-2", "demo-db-1", "demo-legacy-1"]
    cves = {cve for rule in seed["intrusionPreventionRules"] for cve in rule["CVE"]}
    assert {"CVE-2022-40982", "CVE-2024-29069", "CVE-2021-44228"} <= cves
    assert any(rule["dependsOnRuleIDs"] for rule in seed["intrusionPreventionRules"])
    states = {p["name"]: p["intrusionPrevention"]["state"] for p in seed["policies"]}
    assert {"prevent", "detect"} <= set(states.values())


def test_rules_and_settings_inherit_from_parent_policies() -> None:
    world = Sandbox(default_seed(), Keys()).world
    assert world.policy_rules(2) == {1001, 1002}
    assert world.policy_rules(2, overrides=True) == {1002}
    assert world.computer_rules(1) == {1001, 1002}
    assert world.computer_settings(3)["intrusionPreventionSettingAutoApplyRecommendationsEnabled"] == "Yes"
    assert world.with_dependencies({4211}) == {4211, 1003, 1001}


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ([], "JSON object"),
        ({"hosts": []}, "unknown seed sections"),
        ({"computers": [{"ID": 1}, {"ID": 1}]}, "duplicate IDs"),
        ({"computers": [{"ID": "one"}]}, "positive integer ID"),
        ({"policies": [{"ID": 1, "parentID": 8}]}, "unknown parent 8"),
        ({"rules": [{"ID": 1, "dependsOnRuleIDs": [2]}]}, "depends on unknown rules"),
    ],
)
def test_bad_seeds_are_refused(seed: object, message: str) -> None:
    with pytest.raises(SeedError, match=message):
        World().load(seed)


def test_counted_faults_hit_exactly_the_next_calls() -> None:
    faults = Faults(latency_ms=10, slow_next=2, slow_ms=500, throttle_next=1)
    assert [faults.next_delay_ms() for _ in range(3)] == [510, 510, 10]
    assert [faults.take_throttle() for _ in range(3)] == [True, False, False]
    assert (faults.slow_next, faults.throttle_next) == (0, 0)


def test_the_rate_window_counts_only_admitted_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SimpleNamespace(now=0.0)
    monkeypatch.setattr(faults_module, "time", SimpleNamespace(monotonic=lambda: clock.now))
    window = RateWindow()
    assert [window.admit("key", 2, 10) for _ in range(3)] == [True, True, False]
    assert window.admit("other", 2, 10), "limits are per key"
    clock.now = 5
    assert not window.admit("key", 2, 10)
    clock.now = 10.5
    assert [window.admit("key", 2, 10) for _ in range(3)] == [True, True, False], "refused calls were not counted"
