"""config/handlers.example.toml lists every policy setting with its default; the demo file loads."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from support.handler_samples import handler_classes, registry

from wsbridge.handlers._shared.policy import Policy, load_policy

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = tomllib.loads((ROOT / "config" / "handlers.example.toml").read_text())["handlers"]
DEMO = tomllib.loads((ROOT / "config" / "handlers.demo.toml").read_text())["handlers"]


def policy_model(name: str) -> type[Policy]:
    model = type(vars(handler_classes()[name]({}))["options"])
    assert issubclass(model, Policy)
    return model


def assert_complete(model: type[Policy], table: dict[str, Any], where: str) -> None:
    inherited = {
        key
        for key, field in model.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, Policy)
    }
    listed = set(model.model_fields) - inherited
    assert set(table) == listed, f"{where} must list exactly the settings of {model.__name__} it does not inherit"


@pytest.mark.parametrize("name", sorted(handler_classes()))
def test_the_example_shows_every_setting_with_its_default(name: str) -> None:
    model = policy_model(name)
    table = EXAMPLE[name]

    assert_complete(model, table, f"[handlers.{name}]")
    assert load_policy(model, table) == load_policy(model, {})


def test_the_demo_policies_load() -> None:
    handlers = {handler.name: handler for handler in registry(DEMO).values()}

    assert set(DEMO) <= set(handlers)
