"""The ``wsbridge`` command as a user runs it: a real subprocess, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EVENTS = Path(__file__).parents[1] / "fixtures" / "events"
WSBRIDGE = str(Path(sys.executable).with_name("wsbridge"))
CONTRACT_KEYS = {"event_id", "detail_type", "source", "handler", "decision", "reason", "targets"}
TARGET_KEYS = {"account", "region", "finding_id", "severity", "instance_ids", "bucket", "cves", "resource_type"}


def run(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("WSBRIDGE_")}
    environment.update(env or {})
    return subprocess.run([WSBRIDGE, *args], input=stdin, capture_output=True, env=environment, timeout=60)


def lines(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_explain_gives_one_contract_line_per_sample_and_no_traceback() -> None:
    files = sorted(str(path) for path in EVENTS.glob("*.json"))
    result = run("explain", *files)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    output = lines(result)
    assert len(output) == len(files)
    for line in output:
        assert set(line) == CONTRACT_KEYS
        assert set(line["targets"]) == TARGET_KEYS  # type: ignore[arg-type]
        assert line["decision"] in {"handle", "skip", "reject"}
        assert line["reason"]


def test_explain_reads_stdin_arrays_and_json_lines() -> None:
    event = json.loads((EVENTS / "guardduty-canary-ec2-1.json").read_text())
    as_array = run("explain", stdin=json.dumps([event, event]).encode())
    as_lines = run("explain", stdin=(json.dumps(event) + "\n" + json.dumps(event) + "\n").encode())
    assert len(lines(as_array)) == 2
    assert lines(as_array) == lines(as_lines)


def test_explain_rejects_garbage_with_a_reason_instead_of_a_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xff not an event")
    result = run("explain", str(garbage), str(tmp_path / "missing.json"))
    output = lines(result)
    assert [line["decision"] for line in output] == ["reject", "reject"]
    assert "not JSON" in str(output[0]["reason"])
    assert "cannot read" in str(output[1]["reason"])
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr


def test_handlers_lists_every_detail_type_once() -> None:
    result = run("handlers")
    assert result.returncode == 0, result.stderr
    detail_types = [line.split(" -> ")[0] for line in result.stdout.decode().splitlines()]
    assert "GuardDuty Finding" in detail_types
    assert "wsbridge Probe" in detail_types
    assert len(detail_types) == len(set(detail_types))


def test_invalid_settings_exit_2_with_one_line() -> None:
    result = run("run", env={"WSBRIDGE_QUEUE_URL": "http://q", "WSBRIDGE_CONCURRENCY": "zero"})
    assert result.returncode == 2
    message = result.stderr.decode().strip()
    assert message.startswith("wsbridge: invalid settings: WSBRIDGE_CONCURRENCY")
    assert "\n" not in message


def test_unknown_handler_in_handlers_setting_is_refused() -> None:
    result = run("handlers", env={"WSBRIDGE_HANDLERS": "guardduty,nosuch"})
    assert result.returncode == 2
    assert b"nosuch" in result.stderr
