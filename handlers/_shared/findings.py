"""What every integration's finding model has: where it is, which finding it is, how severe, when updated."""

from __future__ import annotations

from typing import Any, Protocol

from wsbridge.consumer.handler import Targets
from wsbridge.handlers._shared.identifiers import finding_key
from wsbridge.handlers._shared.times import canonical_time


class Finding(Protocol):
    """The fields the explain targets and the de-duplication key are made of."""

    @property
    def finding_id(self) -> str:
        """The native finding id."""

    @property
    def account(self) -> str:
        """The affected account."""

    @property
    def region(self) -> str:
        """The finding's region."""

    @property
    def severity(self) -> str | float | None:
        """The native severity (a number or a label)."""

    @property
    def updated_at(self) -> str:
        """When the finding was last updated."""


def targets_of(finding: Finding, **specific: Any) -> Targets:
    """The explain targets: the finding's place, id and severity, plus what is ``specific`` to it."""
    return Targets(
        account=finding.account or None,
        region=finding.region or None,
        finding_id=finding.finding_id,
        severity=finding.severity,
        **specific,
    )


def version_key(service: str, finding: Finding) -> str:
    """``<service>:<account>:<region>:<finding id>:<updatedAt>``: one version of one finding."""
    return finding_key(service, finding.account, finding.region, finding.finding_id, canonical_time(finding.updated_at))
