"""The Dockerfile: linted, scanned, and the Python environment it builds, rebuilt here without Docker."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_tools import ROOT, Tools
from dockerfile_model import DOCKERFILE, Stage, context_sources, ignored, stage, stages

from wsbridge.consumer.settings import Settings

BASE_IMAGE = re.compile(r"^python:3\.11\.\d+-slim-bookworm$")
VENV = "/opt/wsbridge"
PIP = f"python -m pip --python {VENV}/bin/python install --no-cache-dir"
RUNTIME_INSTALL = f"{PIP} --only-binary=:all: -r requirements.lock"
PROJECT_INSTALL = f"{PIP} --no-deps ."
DEVSTACK_INSTALL = f"{PIP} --no-deps -r devstack-requirements.txt"
DEVSTACK_PINS = re.compile(r"^(boto3|s3transfer)==")
DEVSTACK_EXTRACT = (
    "awk '/^(boto3|s3transfer)==/ { keep = 1 } keep { print } !/\\\\$/ { keep = 0 }' requirements-dev.lock"
)
LOCKS = ("requirements.lock", "requirements-dev.lock")


def runs(item: Stage) -> str:
    return "\n".join(instruction.arguments for instruction in item.all("RUN"))


def requirements(path: Path) -> list[str]:
    """The lock's requirements, each with its continuation lines (``--hash`` options) joined on."""
    return [entry for entry in re.sub(r"\\\n\s*", " ", path.read_text()).splitlines() if entry and entry[0].isalnum()]


def lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_hadolint_is_clean(tools: Tools) -> None:
    result = tools.run([*tools.hadolint, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_checkov_finds_no_failed_check_and_nothing_skipped(tools: Tools) -> None:
    command = [*tools.checkov, "--file", str(DOCKERFILE), "--framework", "dockerfile"]
    result = tools.run([*command, "--skip-download", "--compact", "--output", "json"])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = json.loads(result.stdout)["summary"]
    assert summary["failed"] == 0 and summary["skipped"] == 0 and summary["parsing_errors"] == 0, summary
    assert summary["passed"] > 0, summary


def test_images_start_from_one_slim_python_pinned_to_a_patch_release() -> None:
    names = {item.name for item in stages()}
    external = {item.base for item in stages() if item.base not in names}
    assert len(external) == 1, external
    assert BASE_IMAGE.match(external.pop())


def test_runtime_is_the_default_target_and_runs_the_daemon_unprivileged() -> None:
    final = stages()[-1]
    assert final.name == "runtime"
    assert final.last("ENTRYPOINT").words() == ["wsbridge"]
    assert final.last("CMD").words() == ["run"]
    assert final.last("STOPSIGNAL").arguments == "SIGTERM"
    user = stage("base").all("USER") + final.all("USER")
    assert user and user[-1].arguments.split(":")[0] not in {"0", "root"}
    port = Settings.model_fields["metrics_port"].default
    assert final.last("EXPOSE").arguments == str(port)
    assert f"WSBRIDGE_METRICS_PORT={port}" in final.last("ENV").arguments
    healthcheck = final.last("HEALTHCHECK").arguments
    assert "/healthz" in healthcheck and "os.environ.get('WSBRIDGE_METRICS_PORT', '9102')" in healthcheck
    assert str(port) == "9102"


def test_final_stages_carry_the_environment_but_no_packaging_tools() -> None:
    base = stage("base")
    assert "pip uninstall --yes --no-cache-dir pip setuptools wheel" in runs(base)
    assert "PYTHONDONTWRITEBYTECODE=1" in base.last("ENV").arguments
    for name, source in (("runtime", "build"), ("devstack", "devstack-build"), ("sandbox", "sandbox-build")):
        final = stage(name)
        assert final.base == "base"
        assert [item.arguments for item in final.all("COPY") if "--from=" in item.arguments] == [
            f"--from={source} {VENV} {VENV}"
        ]
        assert "pip" not in runs(final)


def test_every_file_the_dockerfile_copies_exists_and_is_in_the_build_context() -> None:
    sources = [source for item in stages() for copy in item.all("COPY") for source in context_sources(copy)]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not ignored(source), f"{source} is excluded by .dockerignore"
    for outside in ("tests/unit", ".venv", ".git", "bench", "deploy", "consumer/__pycache__"):
        assert ignored(outside), f"{outside} should stay out of the build context"


@pytest.fixture(scope="module")
def image_environment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build stage's virtual environment, made the Dockerfile's way from a copy of its build context."""
    build = stage("build")
    assert "python -m venv --without-pip /opt/wsbridge" in runs(build)
    assert RUNTIME_INSTALL in runs(build) and PROJECT_INSTALL in runs(build)
    context = tmp_path_factory.mktemp("context")
    for copy in build.all("COPY"):
        for source in context_sources(copy):
            copied = context / source
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, copied, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            else:
                shutil.copy2(ROOT / source, copied)
    venv = tmp_path_factory.mktemp("image") / "wsbridge"
    local = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-cache-dir"]
    steps = [
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        [*local, "--only-binary=:all:", "-r", "requirements.lock"],
        [*local, "--no-deps", "."],
    ]
    for step in steps:
        result = subprocess.run(step, cwd=context, capture_output=True, text=True, check=False, timeout=600)
        assert result.returncode == 0, f"{step}\n{result.stdout}{result.stderr}"
    return venv


def installed(venv: Path) -> dict[str, str]:
    code = "import importlib.metadata as m, json; print(json.dumps({d.name: d.version for d in m.distributions()}))"
    result = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    return {canonical(name): version for name, version in json.loads(result.stdout).items()}


def test_image_environment_is_exactly_the_runtime_lock_and_the_project(image_environment: Path) -> None:
    expected = {**lock_pins(ROOT / "requirements.lock"), "wsbridge": installed(image_environment)["wsbridge"]}
    assert installed(image_environment) == expected
    check = [sys.executable, "-m", "pip", "--python", str(image_environment / "bin" / "python"), "check"]
    result = subprocess.run(check, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_requirement_carries_its_hashes_so_pip_checks_them(lock: str) -> None:
    entries = requirements(ROOT / lock)
    assert len(entries) == len(lock_pins(ROOT / lock)) > 20
    assert [entry for entry in entries if not re.search(r"--hash=sha256:[0-9a-f]{64}", entry)] == []
    compile_command = re.compile(rf"uv pip compile .*--generate-hashes .*-o {re.escape(lock)}$", re.MULTILINE)
    assert compile_command.search((ROOT / "Makefile").read_text()), "make lock keeps the hashes"


def test_the_installed_distribution_declares_its_license_as_an_spdx_expression(image_environment: Path) -> None:
    [metadata] = image_environment.glob("lib/python*/site-packages/wsbridge-*.dist-info/METADATA")
    headers = metadata.read_text().split("\n\n", 1)[0].splitlines()
    assert "License-Expression: Apache-2.0" in headers
    assert not any(line.startswith("License:") for line in headers)


def test_image_entrypoints_run(image_environment: Path) -> None:
    for command in (["wsbridge", "--help"], ["wsbridge", "run", "--help"], ["python", "-m", "wsbridge", "--help"]):
        executable = image_environment / "bin" / command[0]
        result = subprocess.run([str(executable), *command[1:]], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        assert "usage" in result.stdout.lower()


def test_the_runtime_wheel_installs_one_import_package_and_no_sandbox(image_environment: Path) -> None:
    [record] = image_environment.glob("lib/python*/site-packages/wsbridge-*.dist-info/RECORD")
    top_level = {line.split("/")[0].split(",")[0] for line in record.read_text().splitlines()}
    assert top_level - {"..", record.parent.name} == {"wsbridge"}, top_level
    assert not (image_environment / "bin" / "wsbridge-sandbox").exists()
    found = subprocess.run(
        [
            str(image_environment / "bin" / "python"),
            "-I",
            "-c",
            "import importlib.util as u; print(u.find_spec('consumer'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=image_environment,
    )
    assert found.stdout.strip() == "None"


def test_sandbox_image_adds_the_sandbox_distribution(image_environment: Path, tmp_path: Path) -> None:
    sandbox_build = stage("sandbox-build")
    assert f"{PIP} --no-deps ./sandbox" in runs(sandbox_build)
    venv = tmp_path / "wsbridge"
    shutil.copytree(image_environment, venv, symlinks=True)
    context = tmp_path / "context"
    for copy in sandbox_build.all("COPY"):
        for source in context_sources(copy):
            shutil.copytree(ROOT / source, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    install = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-cache-dir"]
    result = subprocess.run([*install, "--no-deps", "./sandbox"], cwd=context, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    entrypoint = stage("sandbox").last("ENTRYPOINT").words()
    assert entrypoint == ["wsbridge-sandbox"]
    result = subprocess.run([str(venv / "bin" / entrypoint[0]), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "usage" in result.stdout.lower(), result.stdout + result.stderr


def test_devstack_image_adds_only_the_dev_lock_boto3_and_runs_devstack(image_environment: Path, tmp_path: Path) -> None:
    devstack_build = stage("devstack-build")
    assert DEVSTACK_INSTALL in runs(devstack_build)
    assert DEVSTACK_EXTRACT in runs(devstack_build) and "> devstack-requirements.txt" in runs(devstack_build)
    extracted = subprocess.run(
        ["sh", "-c", DEVSTACK_EXTRACT], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    pins = [entry for entry in requirements(ROOT / "requirements-dev.lock") if DEVSTACK_PINS.match(entry)]
    assert len(pins) == 2, pins
    assert re.sub(r"\\\n\s*", " ", extracted).split("\n")[:2] == pins
    requirements_file = tmp_path / "devstack-requirements.txt"
    requirements_file.write_text(extracted)
    venv = tmp_path / "wsbridge"
    shutil.copytree(image_environment, venv, symlinks=True)
    local = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    for step in ([*local, "install", "--no-cache-dir", "--no-deps", "-r", str(requirements_file)], [*local, "check"]):
        result = subprocess.run(step, capture_output=True, text=True, check=False, timeout=600)
        assert result.returncode == 0, f"{step}\n{result.stdout}{result.stderr}"
    app = tmp_path / "app"
    app.mkdir()
    for copy in stage("devstack").all("COPY"):
        for source in context_sources(copy):
            shutil.copytree(ROOT / source, app / source, ignore=shutil.ignore_patterns("__pycache__"))
    for module in (["devstack", "--help"], ["devstack.bootstrap", "--help"]):
        result = subprocess.run(
            [str(venv / "bin" / "python"), "-m", *module], cwd=app, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{module}: {result.stdout}{result.stderr}"
