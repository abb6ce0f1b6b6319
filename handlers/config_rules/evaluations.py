"""The answer to a Config rule: ``PutEvaluations`` with the invocation's result token, in the rule's account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from wsbridge.consumer.actions import Action
from wsbridge.consumer.settlement import PermanentError

if TYPE_CHECKING:
    from wsbridge.consumer.services import Services

ANNOTATION_MAX = 256
BATCH_MAX = 100
"""``PutEvaluations`` takes at most 100 evaluations per call."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One resource's compliance; ``annotation`` says why (cut to Config's 256 characters)."""

    resource_type: str
    resource_id: str
    compliance: str
    annotation: str
    ordering_timestamp: str

    def __post_init__(self) -> None:
        """Annotations are one line of at most 256 characters."""
        text = " ".join(self.annotation.split())
        if len(text) > ANNOTATION_MAX:
            text = text[: ANNOTATION_MAX - 3] + "..."
        object.__setattr__(self, "annotation", text)

    def request(self) -> dict[str, Any]:
        """The ``Evaluations`` entry."""
        return {
            "ComplianceResourceType": self.resource_type,
            "ComplianceResourceId": self.resource_id,
            "ComplianceType": self.compliance,
            "Annotation": self.annotation,
            "OrderingTimestamp": self.ordering_timestamp,
        }


@dataclass(frozen=True, slots=True)
class ConfigEvaluation(Action):
    """Up to 100 evaluations for one rule invocation, put with its result token in the rule's account."""

    kind: ClassVar[str] = "config_evaluation"
    rule: str
    account: str | None
    region: str | None
    evaluations: tuple[Evaluation, ...]
    result_token: str
    test_mode: bool = False

    def describe(self) -> dict[str, Any]:
        """Rule, account, region and evaluations; the result token is left out of logs."""
        return {
            "action": self.kind,
            "rule": self.rule,
            "account": self.account,
            "region": self.region,
            "test_mode": self.test_mode,
            "evaluations": [
                {
                    "resource_type": item.resource_type,
                    "resource_id": item.resource_id,
                    "compliance": item.compliance,
                    "annotation": item.annotation,
                    "ordering_timestamp": item.ordering_timestamp,
                }
                for item in self.evaluations
            ],
        }

    async def run(self, services: Services) -> None:
        """Put the evaluations; those Config refuses fail the action for good (the token cannot be reused)."""
        client = await services.aws_clients().client("config", account=self.account, region=self.region)
        response = await client.put_evaluations(
            Evaluations=[item.request() for item in self.evaluations],
            ResultToken=self.result_token,
            TestMode=self.test_mode,
        )
        failed = response.get("FailedEvaluations") or []
        if failed:
            ids = ", ".join(str(item.get("ComplianceResourceId")) for item in failed)
            raise PermanentError(f"Config refused the evaluations of rule {self.rule} for {ids}")


def batches(
    evaluations: list[Evaluation], *, rule: str, account: str | None, region: str | None, token: str, test_mode: bool
) -> list[Action]:
    """``evaluations`` as :class:`ConfigEvaluation` actions of at most :data:`BATCH_MAX` each."""
    return [
        ConfigEvaluation(rule, account, region, tuple(evaluations[at : at + BATCH_MAX]), token, test_mode)
        for at in range(0, len(evaluations), BATCH_MAX)
    ]
