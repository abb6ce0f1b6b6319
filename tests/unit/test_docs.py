from prometheus_client import REGISTRY
from support.settings_table import README, current_section, render

import wsbridge.consumer.metrics  # noqa: F401  (registers the metrics)


def test_readme_settings_table_matches_the_settings_class() -> None:
    assert current_section(README.read_text()) == render(), "run `make docs` to refresh the README table"


def test_readme_lists_every_metric_the_daemon_exposes() -> None:
    text = README.read_text()
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("wsbridge_"):
            suffix = "_total" if family.type == "counter" else "_info" if family.type == "info" else ""
            names.add(family.name + suffix)
    assert names
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"README.md does not document {missing}"
