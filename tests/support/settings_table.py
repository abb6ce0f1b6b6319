"""Renders the README's settings table from the settings class, so the two cannot drift apart."""

from __future__ import annotations

import re
import sys
from enum import Enum
from pathlib import Path

from wsbridge.consumer.settings import Settings

README = Path(__file__).parents[2] / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def render() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if field.is_required():
            shown = "required"
        elif default is None or default == "":
            shown = "unset"
        else:
            value = default.value if isinstance(default, Enum) else default
            shown = f"`{str(value).lower() if isinstance(value, bool) else value}`"
        rows.append(f"| `WSBRIDGE_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


_SECTION = re.compile(re.escape(START) + r"\n(.*?)" + re.escape(END), re.S)


def current_section(text: str) -> str:
    match = _SECTION.search(text)
    return match.group(1).rstrip("\n") if match else ""


def rewrite() -> None:
    text = README.read_text()
    README.write_text(_SECTION.sub(lambda _: f"{START}\n{render()}\n{END}", text, count=1))


if __name__ == "__main__":
    rewrite()
    sys.exit(0)
