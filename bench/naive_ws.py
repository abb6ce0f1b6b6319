"""The response to a GuardDuty finding as a plain synchronous script makes it (the baselines' work).

The same Workload Security calls as wsbridge's GuardDuty plan for a protected instance, in the same
shapes: look the computer up by instance id, run a recommendation scan through a run-now scheduled
task and assign what it recommends, then run an integrity scan task. An Inspector2 package finding
gets the IPS rules that list its CVE assigned to the computer (the rules it does not have yet), as
Trend's ``AutoAssign.py`` sample does. No cache, no coalescing; 429 "Too many API requests" is retried
as Trend's rate-limit sample does (sleep ``2**(retries+3)`` ms, up to 12 retries), other failures
only by urllib3's defaults (connection errors); a task delete answered 404 (the manager removed the
run-once task itself) is accepted; any other failure leaves the message for redelivery.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import urllib3

COMPUTER_EXPAND = (
    "computerStatus",
    "ec2VirtualMachineSummary",
    "noConnectorVirtualMachineSummary",
    "antiMalware",
    "webReputation",
    "firewall",
    "intrusionPrevention",
    "integrityMonitoring",
    "logInspection",
)
SCAN_TASKS = {
    "recommendation": ("scan-for-recommendations", "scanForRecommendationsTaskParameters"),
    "integrity": ("scan-for-integrity-changes", "scanForIntegrityChangesTaskParameters"),
}
SCAN_POLL_SECONDS = 1.0
SCAN_POLLS = 10
THROTTLE_RETRIES = 12


class ApiFailed(Exception):
    pass


class NaiveClient:
    """urllib3 with a keep-alive pool; one per process, shared by its threads."""

    def __init__(self, base_url: str, api_key: str, pool_size: int = 1) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = urllib3.PoolManager(maxsize=pool_size, timeout=urllib3.Timeout(connect=5, read=30))
        self.headers = {
            "Authorization": f"ApiKey {api_key}",
            "api-version": "v1",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        fields: list[tuple[str, str]] | None = None,
        accept: frozenset[int] = frozenset(),
    ) -> Any:
        url = self.base_url + path
        if fields:
            url += "?" + "&".join(f"{name}={value}" for name, value in fields)
        data = None if body is None else json.dumps(body)
        response = self.http.request(method, url, body=data, headers=self.headers)
        for retries in range(THROTTLE_RETRIES):
            if response.status != 429:
                break
            time.sleep(2 ** (retries + 3) / 1000)
            response = self.http.request(method, url, body=data, headers=self.headers)
        if response.status >= 400 and response.status not in accept:
            raise ApiFailed(f"{method} {path}: HTTP {response.status}")
        return json.loads(response.data) if response.data and response.status < 400 else None

    def computer_for(self, instance_id: str) -> dict[str, Any] | None:
        criteria = [
            {
                "fieldName": "ec2VirtualMachineSummary/instanceID",
                "stringTest": "equal",
                "stringValue": instance_id,
                "stringWildcards": False,
            }
        ]
        answer = self.call(
            "POST",
            "/computers/search",
            {"maxItems": 25, "searchCriteria": criteria},
            [("expand", section) for section in COMPUTER_EXPAND],
        )
        computers: list[dict[str, Any]] = answer.get("computers") or []
        return computers[0] if computers else None

    def scan(self, kind: str, computer_id: int) -> None:
        task_type, parameters = SCAN_TASKS[kind]
        task = {
            "name": f"naive {kind} scan computer {computer_id} {uuid.uuid4().hex[:8]}",
            "type": task_type,
            "runNow": True,
            "scheduleDetails": {
                "recurrenceType": "none",
                "recurrenceCount": 1,
                "onceOnlyScheduleParameters": {"startTime": 0},
            },
            parameters: {"computerFilter": {"type": "computer", "computerID": computer_id}},
        }
        created = self.call("POST", "/scheduledtasks", task)
        self.call("DELETE", f"/scheduledtasks/{created['ID']}", accept=frozenset({404}))

    def assignments(self, computer_id: int) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("GET", f"/computers/{computer_id}/intrusionprevention/assignments")
        return answer

    def recommendation_scan(self, computer_id: int) -> None:
        before = self.assignments(computer_id).get("lastRecommendationScanDate") or 0
        self.scan("recommendation", computer_id)
        for _ in range(SCAN_POLLS):
            after = self.assignments(computer_id)
            if (after.get("lastRecommendationScanDate") or 0) > before:
                rules = after.get("recommendedToAssignRuleIDs") or []
                if rules:
                    self.call(
                        "POST", f"/computers/{computer_id}/intrusionprevention/assignments", {"ruleIDs": sorted(rules)}
                    )
                return
            time.sleep(SCAN_POLL_SECONDS)
        raise ApiFailed(f"no recommendation scan result for computer {computer_id}")

    def shield(self, detail: dict[str, Any]) -> None:
        """Assign the IPS rules that list an Inspector2 finding's CVE to the instance's computer."""
        cve = detail["packageVulnerabilityDetails"]["vulnerabilityId"]
        computer = self.computer_for(detail["resources"][0]["id"])
        if computer is None:
            return
        criteria = [{"fieldName": "CVE", "stringTest": "equal", "stringValue": f"%{cve}%", "stringWildcards": True}]
        answer = self.call("POST", "/intrusionpreventionrules/search", {"maxItems": 5000, "searchCriteria": criteria})
        assigned = set((computer.get("intrusionPrevention") or {}).get("ruleIDs") or [])
        rules = sorted({int(rule["ID"]) for rule in answer.get("intrusionPreventionRules") or []} - assigned)
        if rules:
            self.call("POST", f"/computers/{computer['ID']}/intrusionprevention/assignments", {"ruleIDs": rules})

    def respond(self, body: str) -> None:
        """Act on one SQS message body (an EventBridge envelope of a GuardDuty or Inspector2 finding)."""
        event = json.loads(body)
        if event.get("source") == "aws.inspector2":
            self.shield(event["detail"])
            return
        resource = event["detail"]["resource"]
        if resource.get("resourceType") != "Instance":
            return
        computer = self.computer_for(resource["instanceDetails"]["instanceId"])
        if computer is None:
            return
        self.recommendation_scan(int(computer["ID"]))
        self.scan("integrity", int(computer["ID"]))
