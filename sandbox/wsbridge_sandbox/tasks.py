"""Scheduled tasks: stored as given; ``runNow`` runs the task's effect on its computers.

- recommendation scan: the computer's recommendation status becomes ``valid`` with a new
  ``lastRecommendationScanDate``, its found rules (to assign and to unassign, for intrusion prevention,
  integrity monitoring and log inspection) are what its seed recommends, and for each module whose
  effective ``<module>SettingAutoApplyRecommendationsEnabled`` is ``Yes`` they get applied to it;
- integrity scan: ``integrityMonitoring.lastIntegrityScan`` (module on);
- malware scan: ``antiMalware.lastManualScan`` (module on).
Scans only reach computers whose agent is activated and online (there are no smart folders, so that
filter reaches none). ``scan_delay_ms`` defers the effect; with ``task_auto_delete`` (on, as on a
manager) a run-once task (``recurrenceCount`` 1) is deleted when its run ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from wsbridge_sandbox.faults import Faults
from wsbridge_sandbox.http import bad_request, not_found
from wsbridge_sandbox.schema import schema
from wsbridge_sandbox.state import AUTO_APPLY, RULE_MODULES, ScanState, World

SCAN_PARAMETERS = {
    "scan-for-recommendations": "scanForRecommendationsTaskParameters",
    "scan-for-integrity-changes": "scanForIntegrityChangesTaskParameters",
    "scan-for-malware": "scanForMalwareTaskParameters",
}


class TaskRunner:
    """Creates, changes, deletes and runs scheduled tasks of one world."""

    def __init__(self, world: World, faults: Callable[[], Faults]) -> None:
        self.world = world
        self._faults = faults

    def create(self, body: Any) -> dict[str, Any]:
        """``POST /scheduledtasks``."""
        if not isinstance(body, dict):
            raise bad_request("The scheduled task must be a JSON object.")
        name, task_type = body.get("name"), body.get("type")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("The scheduled task needs a name.")
        if name in self.world.task_names:
            raise bad_request("A scheduled task with this name already exists.")
        if task_type not in schema()["models"]["ScheduledTask"]["enums"]["type"]:
            raise bad_request(f"Invalid scheduled task type: {task_type}")
        if not isinstance(body.get("scheduleDetails", {}), dict):
            raise bad_request("scheduleDetails must be a JSON object.")
        if task_type in SCAN_PARAMETERS:
            self._targets({**body, "ID": 0})
        task = {key: value for key, value in body.items() if key != "runNow"}
        task["ID"] = self.world.next_task_id
        self.world.next_task_id += 1
        task.setdefault("enabled", True)
        task["scheduleDetails"] = {"recurrenceType": "none", "timeZone": "UTC", **task.get("scheduleDetails", {})}
        task["nextRunTime"] = 0
        self.world.tasks[task["ID"]] = task
        self.world.task_names[name] = task["ID"]
        if body.get("runNow"):
            self.run(task)
        return task

    def task(self, task_id: int) -> dict[str, Any]:
        """The stored task, or 404."""
        if task_id not in self.world.tasks:
            raise not_found("scheduled task")
        return self.world.tasks[task_id]

    def modify(self, task_id: int, body: Any) -> dict[str, Any]:
        """``POST /scheduledtasks/{id}``: change fields; ``runNow: true`` runs it again."""
        task = self.task(task_id)
        if not isinstance(body, dict):
            raise bad_request("The scheduled task must be a JSON object.")
        name = body.get("name", task["name"])
        if not isinstance(name, str) or not name.strip() or self.world.task_names.get(name, task_id) != task_id:
            raise bad_request("The scheduled task needs a unique name.")
        del self.world.task_names[task["name"]]
        task.update({key: value for key, value in body.items() if key not in ("runNow", "ID")})
        self.world.task_names[name] = task_id
        if body.get("runNow"):
            self.run(task)
        return task

    def delete(self, task_id: int) -> None:
        """``DELETE /scheduledtasks/{id}``."""
        self.world.task_names.pop(self.task(task_id)["name"], None)
        del self.world.tasks[task_id]

    def run(self, task: dict[str, Any]) -> None:
        """Run now, or after ``scan_delay_ms``; a run-once task is deleted when its run ends."""
        task["lastRunTime"] = self.world.now_ms()
        computers = self._targets(task) if task.get("type") in SCAN_PARAMETERS else []
        faults = self._faults()
        run_once = faults.task_auto_delete and (task.get("scheduleDetails") or {}).get("recurrenceCount") == 1
        if faults.scan_delay_ms > 0:
            later = asyncio.get_running_loop().call_later
            later(faults.scan_delay_ms / 1000, self._finish, task, computers, run_once)
        else:
            self._finish(task, computers, run_once)

    def _finish(self, task: dict[str, Any], computers: list[int], run_once: bool) -> None:
        self._effect(task["type"], computers)
        if run_once and self.world.tasks.get(task["ID"]) is task:
            del self.world.tasks[task["ID"]]
            self.world.task_names.pop(task["name"], None)

    def _targets(self, task: dict[str, Any]) -> list[int]:
        parameters = task.get(SCAN_PARAMETERS[task["type"]])
        chosen = (parameters or {}).get("computerFilter") if isinstance(parameters, dict) else None
        if not isinstance(chosen, dict):
            raise bad_request(f"{SCAN_PARAMETERS[task['type']]}.computerFilter is required.")
        kind, computers = chosen.get("type"), self.world.computers
        if kind == "computer":
            if chosen.get("computerID") not in computers:
                raise bad_request("The computer does not exist.")
            return [chosen["computerID"]]
        if kind == "all-computers":
            return sorted(computers)
        if kind in ("computers-using-policy", "computers-using-policy-or-subpolicy"):
            deep = kind.endswith("subpolicy")
            return sorted(cid for cid, c in computers.items() if self._uses(c, chosen.get("policyID"), deep))
        if kind in ("computers-in-group", "computers-in-group-or-subgroup"):
            return sorted(cid for cid, c in computers.items() if c.get("groupID") == chosen.get("computerGroupID"))
        if kind == "computers-in-smart-folder":
            return []
        raise bad_request(f"Invalid computerFilter type: {kind}")

    def _uses(self, computer: dict[str, Any], policy_id: Any, deep: bool) -> bool:
        chain = self.world.policy_chain(computer.get("policyID"))
        return any(policy["ID"] == policy_id for policy in (chain if deep else chain[:1]))

    def _effect(self, task_type: str, computer_ids: list[int]) -> None:
        world = self.world
        for computer_id in computer_ids:
            computer = world.computers.get(computer_id)
            if computer is None or not world.agent_online(computer):
                continue
            world.scans.setdefault(computer_id, ScanState()).runs[task_type] += 1
            if task_type == "scan-for-recommendations":
                self._recommend(computer)
            elif task_type == "scan-for-integrity-changes":
                _stamp(computer, "integrityMonitoring", "lastIntegrityScan", world.now_ms())
            elif task_type == "scan-for-malware":
                _stamp(computer, "antiMalware", "lastManualScan", world.now_ms())

    def _recommend(self, computer: dict[str, Any]) -> None:
        world = self.world
        scan = world.scans.setdefault(computer["ID"], ScanState())
        scan.status, scan.last_scan = "valid", world.now_ms()
        settings = world.computer_settings(computer["ID"])
        for module in RULE_MODULES:
            found, unassign = set(scan.recommended.get(module, ())), set(scan.unassign.get(module, ()))
            scan.found[module], scan.found_unassign[module] = found, unassign
            if settings.get(AUTO_APPLY[module], "").lower() == "yes":
                own = world.own_rules(computer, module) - unassign
                world.set_own_rules(computer, own | world.with_dependencies(found, module), module)


def _stamp(computer: dict[str, Any], section: str, field: str, value: int) -> None:
    module = computer.get(section)
    if isinstance(module, dict) and module.get("state") not in (None, "off"):
        module[field] = value
