"""A small reading of the Dockerfile (stages and instructions) and of .dockerignore, for the deploy checks."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from deploy_tools import ROOT

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    """One instruction: upper-case keyword and its arguments (continuations joined)."""

    keyword: str
    arguments: str

    def words(self) -> list[str]:
        """Exec-form (JSON array) arguments as a list, shell-form split like a shell would."""
        text = self.arguments.strip()
        if text.startswith("["):
            words: list[str] = json.loads(text)
            return words
        return shlex.split(text)


@dataclass
class Stage:
    """A ``FROM`` and the instructions after it."""

    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        (*_, item) = self.all(keyword)
        return item


def instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """The instructions of a Dockerfile, without comments and with continuation lines joined."""
    logical: list[str] = []
    pending = ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if pending and line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    parsed = []
    for text in logical:
        keyword, _, arguments = text.strip().partition(" ")
        parsed.append(Instruction(keyword.upper(), re.sub(r"\s+", " ", arguments).strip()))
    return parsed


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    """The build stages in order."""
    found: list[Stage] = []
    for item in instructions(path):
        if item.keyword == "FROM":
            words = item.arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(found))
            found.append(Stage(words[0], name))
        elif found:
            found[-1].instructions.append(item)
    return found


def stage(name: str) -> Stage:
    (match,) = [item for item in stages() if item.name == name]
    return match


def context_sources(item: Instruction) -> list[str]:
    """Build-context sources of a ``COPY``/``ADD`` (none when it copies from another stage)."""
    words = item.words()
    if any(word.startswith("--from=") for word in words):
        return []
    paths = [word for word in words if not word.startswith("--")]
    return paths[:-1]


def ignored(relative: str, path: Path = DOCKERIGNORE) -> bool:
    """Whether .dockerignore keeps ``relative`` (or a parent directory of it) out of the build context.

    Patterns apply in order and the last one that matches a path or one of its parents wins; ``!``
    re-includes. Enough of Docker's rules for an allow-list file.
    """
    patterns = [line.strip() for line in path.read_text().splitlines()]
    patterns = [line for line in patterns if line and not line.startswith("#")]
    parts = Path(relative).parts
    candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.lstrip("!").strip("/")
        if any(_matches(body, candidate) for candidate in candidates):
            verdict = not negated
    return verdict


def _matches(pattern: str, candidate: str) -> bool:
    if pattern.startswith("**/"):
        return any(fnmatch.fnmatchcase(part, pattern[3:]) for part in candidate.split("/"))
    return fnmatch.fnmatchcase(candidate, pattern) and candidate.count("/") == pattern.count("/")
