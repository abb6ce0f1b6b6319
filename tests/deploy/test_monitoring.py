"""config/prometheus and config/grafana: valid for their tools, and built on the metrics the daemon exposes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from deploy_tools import ROOT, Tools
from promql_names import PROMETHEUS_SERIES, daemon_series, unknown_names

PROMETHEUS = ROOT / "config" / "prometheus"
GRAFANA = ROOT / "config" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "wsbridge.json"
RULES_TEST = Path(__file__).with_name("alerts-test.yml")
REQUIRED_ALERTS = {
    "WsbridgeDown": "up",
    "WsbridgeNoSuccessfulPoll": "wsbridge_last_poll_timestamp_seconds",
    "WsbridgeDeadLettersGrowing": 'wsbridge_messages_processed_total{outcome="dead_letter"}',
    "WsbridgeHandlerFailureRatioHigh": "wsbridge_messages_processed_total",
    "WsbridgeWsCircuitOpen": "wsbridge_ws_circuit_open",
}

LoadYaml = Callable[[Path], Any]


@pytest.fixture(scope="module")
def known_series() -> dict[str, set[str]]:
    return {**daemon_series(), **PROMETHEUS_SERIES}


@pytest.fixture(scope="module")
def alert_rules(load_yaml: LoadYaml) -> list[dict[str, Any]]:
    document = load_yaml(PROMETHEUS / "alerts.yml")
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_targets() -> list[tuple[str, dict[str, Any]]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target) for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_promtool_accepts_the_prometheus_config_and_its_rule_files(tools: Tools) -> None:
    result = tools.run([*tools.promtool, "check", "config", str(PROMETHEUS / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_promtool_accepts_the_alert_rules(tools: Tools) -> None:
    result = tools.run([*tools.promtool, "check", "rules", str(PROMETHEUS / "alerts.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_fire_on_the_failures_they_describe_and_only_then(tools: Tools) -> None:
    result = tools.run([*tools.promtool, "test", "rules", str(RULES_TEST)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_required_alerts_exist_on_the_required_metrics(alert_rules: list[dict[str, Any]]) -> None:
    expressions = {rule["alert"]: rule["expr"] for rule in alert_rules}
    for alert, metric in REQUIRED_ALERTS.items():
        assert metric in expressions[alert], alert
    assert "rate(" in expressions["WsbridgeDeadLettersGrowing"]
    for rule in alert_rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_alert_expressions_use_only_metrics_and_labels_the_daemon_exposes(
    alert_rules: list[dict[str, Any]], known_series: dict[str, set[str]]
) -> None:
    problems = {rule["alert"]: unknown_names(rule["expr"], known_series) for rule in alert_rules}
    assert {alert: found for alert, found in problems.items() if found} == {}


def test_dashboard_queries_use_only_metrics_and_labels_the_daemon_exposes(known_series: dict[str, set[str]]) -> None:
    targets = dashboard_targets()
    assert len(targets) >= 10
    problems = {f"{title} {target['refId']}": unknown_names(target["expr"], known_series) for title, target in targets}
    assert {query: found for query, found in problems.items() if found} == {}


def test_dashboard_covers_every_daemon_metric(known_series: dict[str, set[str]]) -> None:
    used = " ".join(target["expr"] for _, target in dashboard_targets())
    families = {name.removesuffix("_total").removesuffix("_bucket") for name in known_series if name != "up"}
    families = {name for name in families if not name.endswith(("_created", "_sum", "_count"))}
    assert {name for name in families if name not in used} == set()


def test_dashboard_queries_the_provisioned_datasource(load_yaml: LoadYaml) -> None:
    (datasource,) = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    dashboard = json.loads(DASHBOARD.read_text())
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": datasource["uid"]}, panel["title"]
        assert all(target["datasource"]["uid"] == datasource["uid"] for target in panel["targets"])
    assert dashboard["uid"] == "wsbridge"


def test_dashboard_provider_reads_the_directory_compose_mounts(load_yaml: LoadYaml, compose: dict[str, Any]) -> None:
    (provider,) = load_yaml(GRAFANA / "provisioning" / "dashboards" / "wsbridge.yml")["providers"]
    mounts = {Path(mount["source"]): mount["target"] for mount in compose["services"]["grafana"]["volumes"]}
    assert mounts[DASHBOARD.parent] == provider["options"]["path"]
    home = compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/{DASHBOARD.name}"


def test_prometheus_scrapes_the_compose_daemon_on_its_metrics_port(
    load_yaml: LoadYaml, compose: dict[str, Any]
) -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    (job,) = config["scrape_configs"]
    port = compose["services"]["wsbridge"]["environment"]["WSBRIDGE_METRICS_PORT"]
    assert job["job_name"] == "wsbridge" and job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [{"targets": [f"wsbridge:{port}"]}]
    assert config["rule_files"] == ["alerts.yml"]
