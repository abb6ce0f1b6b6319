"""deploy/wsbridge.yaml, MetricsExport: nothing by default, a collector sidecar writing to AMP, or Cloud Map."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from deploy_tools import ROOT, Tools
from test_cloudformation import ACCEPTED_CHECKOV_SKIPS, container, environment_of, policies_attached_to, statements

DEPLOY_DOC = ROOT / "docs" / "deploy.md"
COMPOSE_PROMETHEUS = ROOT / "config" / "prometheus" / "prometheus.yml"
DASHBOARD = ROOT / "config" / "grafana" / "dashboards" / "wsbridge.json"
MODES = ("none", "amp-sidecar", "cloud-map")
WORKSPACE = "ws-0123abcd-4567-89ef-0123-456789abcdef"
REGION = "eu-west-1"
# What each mode adds to the stack; everything else is the same in every mode.
ADDED_RESOURCES = {
    "none": set(),
    "amp-sidecar": {"CollectorRemoteWritePolicy"},
    "cloud-map": {"CloudMapNamespace", "DiscoveryService"},
}
METRICS_RESOURCES = {"CollectorRemoteWritePolicy", "CloudMapNamespace", "DiscoveryService", "MetricsIngress"}

LoadYaml = Callable[[Path], Any]


def parameters_for(template: dict[str, Any], **values: str) -> dict[str, Any]:
    """The stack's parameters: their defaults, overridden by ``values``."""
    chosen = {name: body.get("Default") for name, body in template["Parameters"].items()}
    return {**chosen, **values}


def mode_parameters(mode: str) -> dict[str, str]:
    return {"MetricsExport": mode, "AmpWorkspaceId": WORKSPACE if mode == "amp-sidecar" else ""}


class Stack:
    """The template as CloudFormation would create it for some parameters (conditions, Fn::If, NoValue)."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any]) -> None:
        self.template = template
        self.parameters = parameters

    def condition(self, name: str) -> bool:
        return self.truth(self.template["Conditions"][name])

    def truth(self, node: Any) -> bool:
        (function, argument), *_ = node.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Not":
            return not self.truth(argument[0])
        if function == "Fn::And":
            return all(self.truth(item) for item in argument)
        if function == "Fn::Or":
            return any(self.truth(item) for item in argument)
        assert function == "Fn::Equals", node
        left, right = (self.value(item) for item in argument)
        return str(left) == str(right)

    def value(self, node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in self.parameters:
            return self.parameters[node["Ref"]]
        return node

    def resolve(self, node: Any) -> Any:
        """``node`` with every Fn::If decided and every AWS::NoValue dropped."""
        if isinstance(node, dict):
            if "Fn::If" in node:
                name, then, otherwise = node["Fn::If"]
                return self.resolve(then if self.condition(name) else otherwise)
            resolved = {key: self.resolve(item) for key, item in node.items()}
            return {key: item for key, item in resolved.items() if item != {"Ref": "AWS::NoValue"}}
        if isinstance(node, list):
            return [item for item in (self.resolve(item) for item in node) if item != {"Ref": "AWS::NoValue"}]
        return node

    def resources(self) -> dict[str, dict[str, Any]]:
        return {
            name: self.resolve(body)
            for name, body in self.template["Resources"].items()
            if "Condition" not in body or self.condition(body["Condition"])
        }

    def containers(self) -> dict[str, dict[str, Any]]:
        task = self.resources()["TaskDefinition"]["Properties"]
        return {item["Name"]: item for item in task["ContainerDefinitions"]}


def collector_config(template: dict[str, Any], load_yaml: LoadYaml, tmp_path: Path) -> Any:
    """The collector's AOT_CONFIG_CONTENT as ECS would pass it for WORKSPACE in REGION."""
    variables = {item["Name"]: item["Value"] for item in container(template, "metrics-collector")["Environment"]}
    text = variables["AOT_CONFIG_CONTENT"]["Fn::Sub"]
    assert set(re.findall(r"\$\{([^}]+)\}", text)) == {"AWS::Region", "AmpWorkspaceId"}
    path = tmp_path / "collector.yaml"
    path.write_text(text.replace("${AWS::Region}", REGION).replace("${AmpWorkspaceId}", WORKSPACE))
    return load_yaml(path)


def metrics_port(template: dict[str, Any]) -> int:
    return int(environment_of(container(template))["WSBRIDGE_METRICS_PORT"])


@pytest.mark.parametrize("mode", MODES)
def test_cfn_lint_and_checkov_are_clean_with_each_metrics_export(
    mode: str, template: dict[str, Any], tools: Tools, tmp_path: Path
) -> None:
    variant = json.loads(json.dumps(template))
    chosen = {**mode_parameters(mode), "MetricsIngressCidr": "10.0.0.0/16" if mode == "cloud-map" else ""}
    for name, value in chosen.items():
        variant["Parameters"][name]["Default"] = value
    path = tmp_path / f"wsbridge-{mode}.json"
    path.write_text(json.dumps(variant))
    lint = tools.run([*tools.cfn_lint, "--include-checks", "I", "--", str(path)])
    assert lint.returncode == 0 and lint.stdout.strip() == "", lint.stdout + lint.stderr
    command = [*tools.checkov, "--file", str(path), "--framework", "cloudformation"]
    result = tools.run([*command, "--skip-download", "--compact", "--output", "json"])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] == 0 and report["summary"]["parsing_errors"] == 0, report["summary"]
    assert {check["check_id"] for check in report["results"].get("skipped_checks", [])} == ACCEPTED_CHECKOV_SKIPS
    checked = {check["resource"].rsplit(".", 1)[-1] for check in report["results"]["passed_checks"]}
    assert "MetricsIngress" in checked, "checkov scans the conditional resources too"


def test_the_default_exports_nothing_and_opens_no_port(template: dict[str, Any]) -> None:
    assert template["Parameters"]["MetricsExport"]["Default"] == "none"
    assert template["Parameters"]["MetricsIngressCidr"]["Default"] == ""
    stack = Stack(template, parameters_for(template))
    assert set(stack.resources()) & METRICS_RESOURCES == set()
    assert list(stack.containers()) == ["wsbridge"]
    assert "ServiceRegistries" not in stack.resources()["Service"]["Properties"]
    assert "SecurityGroupIngress" not in stack.resources()["TaskSecurityGroup"]["Properties"]


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_adds_only_its_own_resources(mode: str, template: dict[str, Any]) -> None:
    baseline = set(Stack(template, parameters_for(template)).resources())
    created = set(Stack(template, parameters_for(template, **mode_parameters(mode))).resources())
    assert created - baseline == ADDED_RESOURCES[mode]
    assert baseline <= created


def test_the_sidecar_scrapes_the_daemons_metrics_port_every_30_s_and_writes_to_the_workspace(
    template: dict[str, Any], load_yaml: LoadYaml, tmp_path: Path
) -> None:
    containers = Stack(template, parameters_for(template, **mode_parameters("amp-sidecar"))).containers()
    assert list(containers) == ["wsbridge", "metrics-collector"]
    collector, daemon = containers["metrics-collector"], containers["wsbridge"]
    assert collector["Essential"] is False and collector["ReadonlyRootFilesystem"] is True
    assert re.fullmatch(r"public\.ecr\.aws/aws-observability/aws-otel-collector:v\d+\.\d+\.\d+", collector["Image"])
    logs, daemon_logs = collector["LogConfiguration"]["Options"], daemon["LogConfiguration"]["Options"]
    assert logs["awslogs-group"] == daemon_logs["awslogs-group"] == {"Ref": "LogGroup"}
    assert logs["awslogs-stream-prefix"] != daemon_logs["awslogs-stream-prefix"]

    config = collector_config(template, load_yaml, tmp_path)
    scrape = config["receivers"]["prometheus"]["config"]
    (job,) = scrape["scrape_configs"]
    assert scrape["global"]["scrape_interval"] == "30s"
    assert job["static_configs"] == [{"targets": [f"127.0.0.1:{metrics_port(template)}"]}]
    assert job["metrics_path"] == "/metrics"
    (compose_job,) = load_yaml(COMPOSE_PROMETHEUS)["scrape_configs"]
    assert job["job_name"] == compose_job["job_name"], "the alert rules select the job by name"
    exporter = config["exporters"]["prometheusremotewrite"]
    assert exporter["endpoint"] == (
        f"https://aps-workspaces.{REGION}.amazonaws.com/workspaces/{WORKSPACE}/api/v1/remote_write"
    )
    assert exporter["auth"] == {"authenticator": "sigv4auth"}
    assert config["extensions"]["sigv4auth"] == {"region": REGION, "service": "aps"}
    (instance,) = config["processors"]["resource"]["attributes"]
    assert instance == {"key": "service.instance.id", "from_attribute": "aws.ecs.task.id", "action": "upsert"}
    pipeline = config["service"]["pipelines"]["metrics"]
    assert (pipeline["receivers"], pipeline["exporters"]) == (["prometheus"], ["prometheusremotewrite"])
    assert set(pipeline["processors"]) == set(config["processors"])
    assert config["service"]["extensions"] == ["sigv4auth"]


def test_remote_write_is_granted_only_with_the_sidecar_and_only_on_the_workspace(template: dict[str, Any]) -> None:
    assert "aps:" not in json.dumps(template["Resources"]["TaskRole"]), "the daemon's own policy stays its calls"
    (name,) = policies_attached_to(template, "TaskRole")
    policy = template["Resources"][name]
    assert template["Conditions"][policy["Condition"]] == {"Fn::Equals": [{"Ref": "MetricsExport"}, "amp-sidecar"]}
    (statement,) = statements({"Properties": {"Policies": [policy["Properties"]]}})
    assert statement["Effect"] == "Allow" and statement["Action"] == "aps:RemoteWrite"
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:aps:${AWS::Region}:${AWS::AccountId}:workspace/${AmpWorkspaceId}"
    }
    rule = template["Rules"]["AmpSidecarNeedsAWorkspace"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "MetricsExport"}, "amp-sidecar"]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AmpWorkspaceId"}, ""]}]}


@pytest.mark.parametrize("namespace", ["", "ns-abcdefghij012345"])
def test_cloud_map_registers_each_task_by_an_a_record(namespace: str, template: dict[str, Any]) -> None:
    parameters = parameters_for(template, **mode_parameters("cloud-map"), CloudMapNamespaceId=namespace)
    stack = Stack(template, parameters)
    resources = stack.resources()
    discovery = resources["DiscoveryService"]["Properties"]
    assert discovery["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]
    assert discovery["Name"] == {"Ref": "CloudMapServiceName"}
    if namespace:
        assert "CloudMapNamespace" not in resources
        assert stack.value(discovery["NamespaceId"]) == namespace
    else:
        assert resources["CloudMapNamespace"]["Properties"]["Vpc"] == {"Ref": "VpcId"}
        assert discovery["NamespaceId"] == {"Fn::GetAtt": ["CloudMapNamespace", "Id"]}
    registries = resources["Service"]["Properties"]["ServiceRegistries"]
    assert registries == [{"RegistryArn": {"Fn::GetAtt": ["DiscoveryService", "Arn"]}}]
    assert template["Resources"]["TaskDefinition"]["Properties"]["NetworkMode"] == "awsvpc"
    assert list(stack.containers()) == ["wsbridge"]


def test_the_metrics_port_opens_only_to_a_given_network(template: dict[str, Any]) -> None:
    closed = Stack(template, parameters_for(template, **mode_parameters("cloud-map"))).resources()
    assert "MetricsIngress" not in closed
    opened = Stack(template, parameters_for(template, MetricsIngressCidr="10.20.0.0/16")).resources()
    rule = opened["MetricsIngress"]["Properties"]
    port = metrics_port(template)
    assert (rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) == (port, port, "tcp")
    assert rule["CidrIp"] == {"Ref": "MetricsIngressCidr"}
    assert rule["GroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}


def test_the_docs_show_a_dns_scrape_job_the_rules_and_the_dashboard(
    template: dict[str, Any], load_yaml: LoadYaml, tmp_path: Path
) -> None:
    doc = DEPLOY_DOC.read_text()
    for needed in ("MetricsExport=amp-sidecar", "MetricsExport=cloud-map", "create-rule-groups-namespace"):
        assert needed in doc, needed
    assert "fileb://config/prometheus/alerts.yml" in doc
    assert "config/grafana/dashboards/wsbridge.json" in doc
    uids = set(re.findall(r'"datasource":\s*\{[^}]*"uid":\s*"([^"]+)"', DASHBOARD.read_text()))
    assert uids and all(f"`{uid}`" in doc for uid in uids), uids
    (block,) = [item for item in re.findall(r"```yaml\n(.*?)```", doc, re.DOTALL) if "dns_sd_configs" in item]
    path = tmp_path / "scrape.yaml"
    path.write_text(block)
    (job,) = load_yaml(path)["scrape_configs"]
    (compose_job,) = load_yaml(COMPOSE_PROMETHEUS)["scrape_configs"]
    assert job["job_name"] == compose_job["job_name"]
    (lookup,) = job["dns_sd_configs"]
    assert (lookup["type"], lookup["port"]) == ("A", metrics_port(template))
    service, namespace = template["Parameters"]["CloudMapServiceName"], template["Parameters"]["CloudMapNamespaceName"]
    assert lookup["names"] == [f"{service['Default']}.{namespace['Default']}"]
