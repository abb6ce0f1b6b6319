from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.handler_samples import handler_classes

from wsbridge.handlers._shared.policy import Policy, PolicyError, load_policy
from wsbridge.handlers.guardduty.finding import GuardDutyPolicy
from wsbridge.handlers.securityhub.policy import SecurityHubPolicy

DOCS = Path(__file__).parents[3] / "docs" / "handlers.md"


@pytest.mark.parametrize("name", sorted(handler_classes()))
def test_every_handler_starts_with_an_empty_policy(name: str) -> None:
    handler_classes()[name]({})


@pytest.mark.parametrize(
    ("name", "table", "message"),
    [
        ("guardduty", {"min_severty": 4}, "min_severty: unknown setting (known: min_severity, include_samples"),
        ("guardduty", {"min_severity": 11}, "min_severity: Input should be less than or equal to 10"),
        ("guardduty", {"include_samples": "yes"}, "include_samples: Input should be a valid boolean"),
        ("guardduty", {"malware_scan_families": "Trojan"}, "malware_scan_families: Input should be a valid tuple"),
        ("inspector", {"assign_to": "group"}, "assign_to: Input should be 'policy' or 'computer'"),
        ("inspector", {"min_severity": "medium"}, "min_severity: Input should be 'INFORMATIONAL'"),
        ("inspector", {"network_reachability": True}, "network_reachability: Input should be"),
        ("inspector_classic", {"classic_lookups": 1}, "classic_lookups: Input should be a valid boolean"),
        ("macie", {"include_samples": None}, "include_samples: Input should be a valid boolean"),
        ("config_rules", {"anything": 1}, "anything: unknown setting (known: test_mode, rule_prefix"),
        ("waf_audit", {"cron": "x"}, "cron: unknown setting (known: apply, rule_group_vendor"),
        ("waf_audit", {"web_server_rule_group": "a b"}, "web_server_rule_group: String should match pattern"),
        ("securityhub", {"products": ["guardduty", "waf"]}, "products.1: Input should be 'guardduty'"),
        ("securityhub", {"guardduty": {"min_severity": -1}}, "guardduty.min_severity: Input should be greater"),
    ],
)
def test_invalid_policies_fail_at_start_with_one_line(name: str, table: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as error:
        handler_classes()[name](table)

    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_several_mistakes_are_reported_on_the_same_line() -> None:
    with pytest.raises(PolicyError) as error:
        load_policy(GuardDutyPolicy, {"min_severity": "high", "include_sample": True})

    assert str(error.value).count(";") == 1


def test_a_policy_that_is_not_a_table_is_refused() -> None:
    with pytest.raises(PolicyError, match="must be a table"):
        load_policy(GuardDutyPolicy, ["include_samples"])  # type: ignore[arg-type]


def test_toml_values_are_accepted() -> None:
    policy = load_policy(
        SecurityHubPolicy,
        {"products": ["guardduty"], "guardduty": {"min_severity": 4, "malware_scan_families": ["Trojan"]}},
    )

    assert policy.products == ("guardduty",)
    assert policy.guardduty.min_severity == 4.0
    assert policy.guardduty.malware_scan_families == ("Trojan",)
    assert policy.inspector.assign_to == "policy"


def test_policies_are_frozen() -> None:
    policy = load_policy(GuardDutyPolicy, {})

    with pytest.raises(ValueError, match="frozen"):
        policy.min_severity = 3  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(handler_classes()))
def test_every_policy_setting_is_documented(name: str) -> None:
    model = type(vars(handler_classes()[name]({}))["options"])
    assert issubclass(model, Policy)
    sections = [part for part in DOCS.read_text().split("\n### ") if part.startswith(f"`[handlers.{name}]`")]

    assert len(sections) == 1, f"docs/handlers.md needs one section for [handlers.{name}]"
    for field in model.model_fields:
        assert f"| `{field}` | " in sections[0], f"{name}.{field} is not documented"
    if not model.model_fields:
        assert "No settings" in sections[0]
