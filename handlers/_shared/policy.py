"""Handler policies: a frozen pydantic model per handler, built from its TOML table at start."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError


class Policy(BaseModel):
    """Base of every handler policy: immutable, strictly typed, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class PolicyError(ValueError):
    """A policy table is invalid; ``str()`` is one line naming each bad key."""


PolicyT = TypeVar("PolicyT", bound=Policy)


def load_policy(model: type[PolicyT], table: Mapping[str, Any] | None) -> PolicyT:
    """Validate a handler's TOML table, raising :class:`PolicyError` with a one-line reason."""
    if table is not None and not isinstance(table, Mapping):
        raise PolicyError(f"the policy must be a table, not {type(table).__name__}")
    try:
        return model.model_validate(dict(table or {}))
    except ValidationError as error:
        raise PolicyError(_one_line(model, error)) from None


def _one_line(model: type[Policy], error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "policy"
        if item["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields) or "none"
            parts.append(f"{key}: unknown setting (known: {known})")
        else:
            parts.append(f"{key}: {str(item['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)
