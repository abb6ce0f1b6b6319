"""Every real sample through ``wsbridge replay --dry-run`` against the local stack: the registry is honest.

A ``handle`` decision either plans at least one action or says why nothing was needed; a handler
that cannot act skips with the reason. An event whose source may not carry its detail-type is
refused before any handler reads it. The samples come from accounts other than the stack's, so a
member role is configured: moto lets it be assumed in any account, where the samples' buckets do not
exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "fixtures" / "events"
WSBRIDGE = str(Path(sys.executable).with_name("wsbridge"))

pytestmark = pytest.mark.integration


def replay(*files: Path) -> tuple[int, list[dict[str, Any]]]:
    environment = {key: value for key, value in os.environ.items() if key != "WSBRIDGE_HANDLER_CONFIG"}
    environment["WSBRIDGE_AWS_ROLE_NAME"] = "wsbridge-member"
    result = subprocess.run(
        [WSBRIDGE, "replay", "--dry-run", *map(str, files)],
        capture_output=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert b"Traceback" not in result.stderr, result.stderr.decode()[-3000:]
    return result.returncode, [json.loads(line) for line in result.stdout.splitlines()]


def test_no_sample_is_handled_without_actions_or_a_reason_for_having_none() -> None:
    samples = sorted(EVENTS.glob("*.json"))

    _, lines = replay(*samples)

    assert len(lines) == len(samples)
    decisions = {line["decision"] for line in lines}
    assert decisions == {"handle", "skip", "reject"} or decisions == {"handle", "skip"}, decisions
    handled = [line for line in lines if line["decision"] == "handle"]
    assert handled, "no sample was handled"
    for line in handled:
        assert line["outcome"] == "success", line
        assert line["actions"] or line["reason"].startswith("nothing to do: "), line
    assert all(action["result"] == "dry_run" for line in handled for action in line["actions"])
    macie = [line for line in handled if line["detail_type"] == "Macie Finding"]
    assert len(macie) == 3
    assert all("does not exist in account" in line["reason"] for line in macie), macie
    skipped = [line for line in lines if line["decision"] == "skip"]
    assert all(line["outcome"] == "skipped" and not line["actions"] for line in skipped)


@pytest.mark.parametrize("source", ["wsbridge.test", "custom.guardduty", "aws.securityhub"])
def test_a_guardduty_finding_from_any_other_source_is_refused(tmp_path: Path, source: str) -> None:
    forged = json.loads((EVENTS / "guardduty-canary-ec2-1.json").read_text())
    forged["source"] = source
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))

    status, [line] = replay(path)

    assert status == 1
    assert (line["decision"], line["outcome"], line["actions"]) == ("reject", "dead_letter", [])
    assert line["reason"] == f"'GuardDuty Finding' from source {source!r} refused: only aws.guardduty may send it"
