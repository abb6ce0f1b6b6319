"""Typed views of the WS API v1 objects the daemon reads. Unknown fields are ignored.

Field names follow the API with Python spelling: ``policy_id`` is ``policyID``, ``cve`` is ``CVE``,
``depends_on_rule_ids`` is ``dependsOnRuleIDs``. Models accept either spelling when built.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ACRONYMS = {"id": "ID", "ids": "IDs", "cve": "CVE", "cvss": "CVSS", "dns": "DNS", "ip": "IP"}


def ws_alias(name: str) -> str:
    """The API spelling of a snake_case field name (``last_ip_used`` -> ``lastIPUsed``)."""
    first, *rest = name.split("_")
    return _ACRONYMS.get(first, first) + "".join(_ACRONYMS.get(word, word.capitalize()) for word in rest)


class WsModel(BaseModel):
    """Base of the WS models: API aliases, unknown fields ignored, immutable (safe to cache)."""

    model_config = ConfigDict(alias_generator=ws_alias, populate_by_name=True, extra="ignore", frozen=True)


class SettingValue(WsModel):
    """One entry of ``policySettings`` / ``computerSettings``."""

    value: str | None = None


class ModuleStatus(WsModel):
    """The status light of one protection module on the agent (and appliance)."""

    agent_status: str | None = None
    agent_status_message: str | None = None
    appliance_status: str | None = None
    appliance_status_message: str | None = None


class SecurityModule(WsModel):
    """A protection module section (``webReputation``, ``firewall``, ``logInspection``, ...)."""

    state: str | None = None
    module_status: ModuleStatus | None = None


class AntiMalware(SecurityModule):
    """``antiMalware``: state on/off; real-time scanning has a configuration id above 0."""

    real_time_scan_configuration_id: int | None = None
    last_manual_scan: int | None = None
    last_scheduled_scan: int | None = None


class IntrusionPrevention(SecurityModule):
    """``intrusionPrevention``: state prevent/detect/off and the assigned rules."""

    rule_ids: list[int] = Field(default_factory=list)
    application_type_ids: list[int] = Field(default_factory=list)


class IntegrityMonitoring(SecurityModule):
    """``integrityMonitoring``: state real-time/on/off and the last scan time (ms)."""

    rule_ids: list[int] = Field(default_factory=list)
    last_integrity_scan: int | None = None
    last_baseline_created: int | None = None


class ComputerStatus(WsModel):
    """``computerStatus``: the agent's status light and its messages (the API's warnings view)."""

    agent_status: str | None = None
    agent_status_messages: list[str] = Field(default_factory=list)
    appliance_status: str | None = None
    appliance_status_messages: list[str] = Field(default_factory=list)


class Ec2VirtualMachineSummary(WsModel):
    """Filled for computers synchronised from an AWS connector. No region: see ``availability_zone``."""

    cloud_provider: str | None = None
    account_id: str | None = None
    instance_id: str | None = None
    availability_zone: str | None = None
    private_ip_address: str | None = None
    public_ip_address: str | None = None
    state: str | None = None
    ami_id: str | None = None


class NoConnectorVirtualMachineSummary(WsModel):
    """Reported by an agent on EC2 without an AWS connector."""

    account_id: str | None = None
    instance_id: str | None = None
    region: str | None = None


def with_ips_rules(section: IntrusionPrevention | None, rule_ids: Iterable[int]) -> IntrusionPrevention | None:
    """``section`` with ``rule_ids`` added to its assigned rules (``None`` stays ``None``: not read)."""
    if section is None:
        return None
    return section.model_copy(update={"rule_ids": sorted({*section.rule_ids, *rule_ids})})


class Computer(WsModel):
    """A computer as returned by ``/computers`` (with the sections the client expands)."""

    id: int
    host_name: str | None = None
    display_name: str | None = None
    description: str | None = None
    platform: str | None = None
    policy_id: int | None = None
    group_id: int | None = None
    agent_finger_print: str | None = None
    agent_version: str | None = None
    last_agent_communication: int | None = None
    last_ip_used: str | None = None
    computer_status: ComputerStatus | None = None
    ec2_virtual_machine_summary: Ec2VirtualMachineSummary | None = None
    no_connector_virtual_machine_summary: NoConnectorVirtualMachineSummary | None = None
    anti_malware: AntiMalware | None = None
    web_reputation: SecurityModule | None = None
    firewall: SecurityModule | None = None
    intrusion_prevention: IntrusionPrevention | None = None
    integrity_monitoring: IntegrityMonitoring | None = None
    log_inspection: SecurityModule | None = None
    computer_settings: dict[str, SettingValue] = Field(default_factory=dict)

    @property
    def instance_id(self) -> str | None:
        """The EC2 instance id from the connector summary, else from the agent-reported one."""
        for summary in (self.ec2_virtual_machine_summary, self.no_connector_virtual_machine_summary):
            if summary is not None and summary.instance_id:
                return summary.instance_id
        return None

    @property
    def has_policy(self) -> bool:
        """A policy is assigned (``policyID`` 0 or absent means none)."""
        return bool(self.policy_id)

    def setting(self, name: str) -> str | None:
        """Value of a computer setting when ``computerSettings`` was expanded."""
        entry = self.computer_settings.get(name)
        return entry.value if entry is not None else None


class Policy(WsModel):
    """A policy from ``/policies/{id}``."""

    id: int
    name: str | None = None
    parent_id: int | None = None
    description: str | None = None
    recommendation_scan_mode: str | None = None
    policy_settings: dict[str, SettingValue] = Field(default_factory=dict)
    anti_malware: AntiMalware | None = None
    web_reputation: SecurityModule | None = None
    firewall: SecurityModule | None = None
    intrusion_prevention: IntrusionPrevention | None = None
    integrity_monitoring: IntegrityMonitoring | None = None
    log_inspection: SecurityModule | None = None

    def setting(self, name: str) -> str | None:
        """Value of a policy setting, ``None`` when the policy does not carry it."""
        entry = self.policy_settings.get(name)
        return entry.value if entry is not None else None


class IpsRule(WsModel):
    """An Intrusion Prevention rule."""

    id: int
    name: str | None = None
    identifier: str | None = None
    cve: list[str] = Field(default_factory=list)
    cvss_score: str | None = None
    severity: str | None = None
    priority: str | None = None
    type: str | None = None
    application_type_id: int | None = None
    detect_only: bool | None = None
    recommendations_mode: str | None = None
    can_be_assigned_alone: bool | None = None
    depends_on_rule_ids: list[int] = Field(default_factory=list)
    last_updated: int | None = None

    @field_validator("cvss_score", mode="before")
    @classmethod
    def _score_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @field_validator("cve", mode="before")
    @classmethod
    def _no_null_list(cls, value: Any) -> Any:
        return [] if value is None else value

    def covers(self, cve: str) -> bool:
        """Exact (case-insensitive) membership of ``cve`` in the rule's CVE list."""
        wanted = cve.strip().upper()
        return any(entry.strip().upper() == wanted for entry in self.cve)


class RuleAssignments(WsModel):
    """``/computers|policies/{id}/integritymonitoring|loginspection/assignments``: assigned and recommended rules."""

    assigned_rule_ids: list[int] = Field(default_factory=list)
    recommendation_scan_status: str | None = None
    last_recommendation_scan_date: int | None = None
    recommended_to_assign_rule_ids: list[int] = Field(default_factory=list)
    recommended_to_unassign_rule_ids: list[int] = Field(default_factory=list)


class IpsAssignments(RuleAssignments):
    """``/computers|policies/{id}/intrusionprevention/assignments``: also the application types."""

    assigned_application_type_ids: list[int] = Field(default_factory=list)


class ApplicationType(WsModel):
    """An IPS application type (``Web Server Common``, ...)."""

    id: int
    name: str | None = None
    description: str | None = None
    direction: str | None = None
    protocol: str | None = None
    port_type: str | None = None
    recommendations_mode: str | None = None


class ScheduledTask(WsModel):
    """A scheduled task; the client creates run-now tasks to start scans."""

    id: int
    name: str | None = None
    type: str | None = None
    enabled: bool | None = None
    last_run_time: int | None = None
    next_run_time: int | None = None
