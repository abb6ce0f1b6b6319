"""The ``[securityhub]`` policy table; its sub-tables are the native handlers' policies."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wsbridge.handlers._shared.policy import Policy
from wsbridge.handlers.guardduty.finding import GuardDutyPolicy
from wsbridge.handlers.inspector.finding import InspectorPolicy
from wsbridge.handlers.macie.finding import MaciePolicy

ProductName = Literal["guardduty", "inspector", "macie"]
WorkflowStatus = Literal["NOTIFIED", "RESOLVED", "SUPPRESSED", "NEW", "unchanged"]


class SecurityHubPolicy(Policy):
    """The ``[securityhub]`` table; the sub-tables mirror the native handlers' policies."""

    products: tuple[ProductName, ...] = Field(
        ("guardduty", "inspector", "macie"), strict=False, description="Products whose ASFF findings are acted on"
    )
    guardduty: GuardDutyPolicy = Field(default_factory=GuardDutyPolicy)
    inspector: InspectorPolicy = Field(default_factory=InspectorPolicy)
    macie: MaciePolicy = Field(default_factory=MaciePolicy)
    write_back: bool = Field(
        False, description="After acting, add a note saying what wsbridge did to the finding (BatchUpdateFindings)"
    )
    write_back_status: WorkflowStatus = Field(
        "NOTIFIED", description="Workflow status set with the note (`unchanged` leaves it alone)"
    )
