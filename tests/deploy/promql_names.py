"""Which metric names and labels a PromQL expression uses, and which ones the daemon exposes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from wsbridge.consumer import metrics

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless"}
KEYWORDS |= {"inf", "nan", "atan2"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
}
TARGET_LABELS = {"job", "instance"}
PROMETHEUS_SERIES = {"up": set[str]()}


@dataclass(frozen=True)
class Selector:
    """A metric name used in an expression and the label names its matchers mention."""

    name: str
    labels: frozenset[str]


def daemon_series() -> dict[str, set[str]]:
    """Every series name the daemon exposes (``consumer/metrics.py``) -> its label names."""
    series: dict[str, set[str]] = {}
    for value in vars(metrics).values():
        if not isinstance(value, MetricWrapperBase):
            continue
        labels = set(getattr(value, "_labelnames", ()))
        for family in value.describe():
            for suffix in SUFFIXES[family.type]:
                extra = {"le"} if suffix == "_bucket" else set()
                series[family.name + suffix] = labels | extra
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name in series:
                series[sample.name] |= set(sample.labels)
    return series


def selectors(expression: str) -> list[Selector]:
    """The metric selectors of ``expression`` (functions, keywords, numbers and durations left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    text = re.sub(r"\$\{?\w+\}?", "5m", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = []
    token = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?\s*(\()?")
    for match in token.finditer(text):
        name, matchers, call = match.groups()
        if call or name in KEYWORDS:
            continue
        labels = frozenset(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers or ""))
        found.append(Selector(name, labels))
    return found


def grouping_labels(expression: str) -> set[str]:
    """Label names in ``by``/``without``/``on``/``ignoring``/``group_*`` clauses."""
    clauses = re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expression)
    return {label.strip() for clause in clauses for label in clause.split(",") if label.strip()}


def unknown_names(expression: str, known: dict[str, set[str]]) -> list[str]:
    """Problems with ``expression``: metric names or labels the daemon (or Prometheus) does not have."""
    problems = []
    used = selectors(expression)
    if not used:
        problems.append("uses no metric")
    available = set(TARGET_LABELS)
    for selector in used:
        if selector.name not in known:
            problems.append(f"unknown metric {selector.name}")
            continue
        labels = known[selector.name] | TARGET_LABELS
        available |= labels
        problems += [f"{selector.name} has no label {label}" for label in sorted(selector.labels - labels)]
    problems += [f"no metric here has label {label}" for label in sorted(grouping_labels(expression) - available)]
    return problems
