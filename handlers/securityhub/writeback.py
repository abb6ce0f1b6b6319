"""Write-back to AWS Security Hub: a note and a workflow status on the finding wsbridge acted on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from wsbridge.consumer.actions import Action
from wsbridge.consumer.settlement import PermanentError

if TYPE_CHECKING:
    from wsbridge.consumer.services import Services

NOTE_AUTHOR = "wsbridge"
NOTE_MAX = 512


@dataclass(frozen=True, slots=True)
class UpdateSecurityHubFinding(Action):
    """``BatchUpdateFindings`` on one finding: ``note`` as its note, ``workflow_status`` unless ``None``."""

    kind: ClassVar[str] = "securityhub_update"
    finding_id: str
    product_arn: str
    note: str
    workflow_status: str | None = None

    async def run(self, services: Services) -> None:
        """Update the finding; a finding Security Hub refuses to update is a permanent failure."""
        client = await services.aws_clients().client("securityhub")
        request: dict[str, object] = {
            "FindingIdentifiers": [{"Id": self.finding_id, "ProductArn": self.product_arn}],
            "Note": {"Text": self.note[:NOTE_MAX], "UpdatedBy": NOTE_AUTHOR},
        }
        if self.workflow_status:
            request["Workflow"] = {"Status": self.workflow_status}
        response = await client.batch_update_findings(**request)
        refused = response.get("UnprocessedFindings") or []
        if refused:
            first = refused[0]
            raise PermanentError(
                f"Security Hub did not update finding {self.finding_id}: "
                f"{first.get('ErrorCode', 'unknown error')}: {first.get('ErrorMessage', '')}".rstrip(": ")
            )
