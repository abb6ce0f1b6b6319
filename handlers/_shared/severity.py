"""Severity labels and their order."""

from __future__ import annotations

SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
"""Severity labels from lowest to highest (Inspector2, Security Hub, upper-cased Macie)."""


def severity_rank(label: str | None) -> int | None:
    """Position of a severity label in :data:`SEVERITY_LABELS`; ``None`` when unknown or untriaged."""
    if label is None:
        return None
    upper = label.strip().upper()
    return SEVERITY_LABELS.index(upper) if upper in SEVERITY_LABELS else None


def below_label(label: str | None, minimum: str) -> bool:
    """Whether a known severity label ranks below ``minimum`` (unknown severities never do)."""
    rank = severity_rank(label)
    floor = severity_rank(minimum)
    return rank is not None and floor is not None and rank < floor
