"""EventBridge pattern matching for the parts of the syntax the findings rule uses.

A pattern is an object: each key names a field of the event and holds either a nested pattern or a
list of allowed values; ``$or`` holds a list of patterns of which one must match. An allowed value
is a literal (string, number, boolean, null) or ``{"prefix": ...}`` / ``{"suffix": ...}``. A field
holding an array matches when one of its elements does. Any other operator raises, so the rule
cannot outgrow what the samples are routed by.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """True when ``event`` (a JSON object) matches ``pattern`` as EventBridge would."""
    for key, wanted in pattern.items():
        if key == "$or":
            if not any(matches(branch, event) for branch in wanted):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(wanted, dict):
            candidates = value if isinstance(value, list) else [value]
            if not any(isinstance(item, dict) and matches(wanted, item) for item in candidates):
                return False
        elif not _allowed(wanted, value):
            return False
    return True


def _allowed(allowed: list[Any], value: Any) -> bool:
    if value is _MISSING:
        return False
    values = value if isinstance(value, list) else [value]
    return any(_accepts(condition, item) for condition in allowed for item in values)


def _accepts(condition: Any, value: Any) -> bool:
    if not isinstance(condition, dict):
        return bool(condition == value and type(condition) is type(value))
    ((operator, operand),) = condition.items()
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    raise ValueError(f"the pattern uses {operator!r}, which devstack does not match")
