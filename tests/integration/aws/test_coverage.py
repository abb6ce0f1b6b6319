"""``wsbridge coverage`` over a member account on moto against the stack's WS sandbox: one instance of each state."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from member_accounts import EXTERNAL_ID, MEMBER_ROLE, MemberAccount, launch

WSBRIDGE = str(Path(sys.executable).with_name("wsbridge"))
PROTECTED_TEMPLATE, PARTLY_TEMPLATE = 1, 4


def sandbox(path: str, body: dict[str, Any] | None = None) -> Any:
    url = os.environ["WSBRIDGE_SANDBOX_URL"] + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def seeded_computers() -> Iterator[list[dict[str, Any]]]:
    """The sandbox's computers; tests may reseed, and the seed is put back afterwards."""
    original = sandbox("/_sandbox/state")["computers"]
    yield original
    sandbox("/_sandbox/seed", {"computers": original})


def computer_for(template: dict[str, Any], computer_id: int, instance_id: str, **changes: Any) -> dict[str, Any]:
    computer = copy.deepcopy(template)
    computer.update(ID=computer_id, hostName=f"coverage-{computer_id}", displayName=f"coverage-{computer_id}")
    computer["ec2VirtualMachineSummary"]["instanceID"] = instance_id
    computer.update(changes)
    return computer


def test_coverage_reports_each_running_instance_once_with_its_state(
    member: MemberAccount, seeded_computers: list[dict[str, Any]]
) -> None:
    ids = {name: launch(member.session, name) for name in ("guarded", "partial", "offline", "stranger", "stopped")}
    member.session.client("ec2").stop_instances(InstanceIds=[ids["stopped"]])
    by_id = {computer["ID"]: computer for computer in seeded_computers}
    first = max(by_id) + 1
    offline_status = {"agentStatus": "inactive", "agentStatusMessages": ["Managed (Offline)"]}
    added = [
        computer_for(by_id[PROTECTED_TEMPLATE], first, ids["guarded"]),
        computer_for(by_id[PARTLY_TEMPLATE], first + 1, ids["partial"]),
        computer_for(by_id[PROTECTED_TEMPLATE], first + 2, ids["offline"], computerStatus=offline_status),
    ]
    sandbox("/_sandbox/seed", {"computers": [*seeded_computers, *added]})
    before = sandbox("/_sandbox/calls")["last_seq"]

    env = {key: value for key, value in os.environ.items() if not key.startswith("WSBRIDGE_")}
    env.update(
        WSBRIDGE_WS_URL=os.environ["WSBRIDGE_WS_URL"],
        WSBRIDGE_WS_API_KEY=os.environ["WSBRIDGE_WS_API_KEY"],
        WSBRIDGE_AWS_ROLE_NAME=MEMBER_ROLE,
        WSBRIDGE_AWS_EXTERNAL_ID=EXTERNAL_ID,
    )
    result = subprocess.run(
        [WSBRIDGE, "coverage", "--accounts", member.account, "--regions", "us-east-1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = {line["instance_id"]: line for line in map(json.loads, result.stdout.splitlines())}

    assert set(lines) == {ids[name] for name in ("guarded", "partial", "offline", "stranger")}
    assert {line["account"] for line in lines.values()} == {member.account}
    assert lines[ids["guarded"]]["coverage"] == "protected"
    assert lines[ids["partial"]]["coverage"] == "partly_protected"
    assert lines[ids["partial"]]["missing_modules"] == ["anti_malware", "intrusion_prevention", "integrity_monitoring"]
    assert lines[ids["offline"]]["coverage"] == "unmanaged"
    assert any("inactive" in reason for reason in lines[ids["offline"]]["reasons"])
    assert lines[ids["stranger"]]["coverage"] == "unknown"
    assert lines[ids["stranger"]]["computer_id"] is None
    assert lines[ids["guarded"]]["name"] == "guarded"
    calls = sandbox(f"/_sandbox/calls?since={before}")["calls"]
    assert len(calls) <= 2 * len(lines) + 2, "one search per instance (two when unknown) and one read per policy"


def test_coverage_names_an_account_whose_role_cannot_be_assumed() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WSBRIDGE_")}
    env.update(WSBRIDGE_WS_URL=os.environ["WSBRIDGE_WS_URL"], WSBRIDGE_WS_API_KEY=os.environ["WSBRIDGE_WS_API_KEY"])
    result = subprocess.run(
        [WSBRIDGE, "coverage", "--accounts", "210987654321"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1
    [line] = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["account"] == "210987654321"
    assert "WSBRIDGE_AWS_ROLE_NAME" in line["error"]
