"""Emulator virtualenvs, built once per set of pins and cached outside the checkout.

A venv lives in ``<cache>/<name>-<hash>``, where the hash covers the interpreter version and every
pin, so a fresh clone reuses it. Creation holds a file lock and happens in a temporary directory that
is renamed into place only once ``pip install`` succeeded: an interrupted build leaves no venv. The
venvs are only ever run as ``<venv>/bin/python -m ...``, so the rename does not matter to them.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.errors import StackError


@dataclass(frozen=True, slots=True)
class VenvSpec:
    """What to install into an emulator's venv."""

    name: str
    requirements: tuple[str, ...]
    constraints: Path | None = None


@functools.cache
def find_python313() -> str:
    """Return a Python 3.13 interpreter: ``python3.13`` on PATH, else one installed by pyenv."""
    on_path = shutil.which("python3.13")
    candidates = [on_path] if on_path else []
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        found = Path(root).glob("versions/3.13*/bin/python")
        candidates += sorted((str(path) for path in found), key=_version_key, reverse=True)
    for candidate in candidates:
        if _is_python313(candidate):
            return candidate
    raise StackError(
        "LocalStack and moto run on Python 3.13, and none was found: install python3.13 on PATH "
        "(or with pyenv), or use Docker"
    )


def _version_key(path: str) -> list[int]:
    return [int(part) for part in re.findall(r"\d+", Path(path).parent.parent.name)]


def _is_python313(python: str) -> bool:
    probe = "import sys; sys.exit(sys.version_info[:2] != (3, 13))"
    return subprocess.run([python, "-c", probe], capture_output=True, check=False).returncode == 0


@functools.cache
def _interpreter_id(python: str) -> str:
    probe = "import platform, sys; print(sys.version.split()[0], platform.machine(), sys.abiflags)"
    return subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout


def venv_path(spec: VenvSpec, python: str, cache_dir: Path) -> Path:
    """Where the venv for ``spec`` built with ``python`` lives (it may not exist yet)."""
    digest = hashlib.sha256(_interpreter_id(python).encode())
    digest.update("\n".join(spec.requirements).encode())
    if spec.constraints is not None:
        digest.update(spec.constraints.read_bytes())
    return cache_dir / f"{spec.name}-{digest.hexdigest()[:12]}"


def ensure_venv(spec: VenvSpec, cache_dir: Path, log_file: Path) -> Path:
    """Return the cached venv for ``spec``, building it first when missing (pip output goes to ``log_file``)."""
    python = find_python313()
    target = venv_path(spec, python, cache_dir)
    if _complete(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / f"{target.name}.lock"):
        if _complete(target):
            return target
        for stale in [target, *cache_dir.glob(f".{target.name}-*")]:
            shutil.rmtree(stale, ignore_errors=True)
        print(f"devstack: installing {spec.name} into {target} (once; about a minute)", flush=True)
        started = time.monotonic()
        building = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache_dir))
        try:
            _build(spec, python, building, log_file)
            building.rename(target)
        finally:
            shutil.rmtree(building, ignore_errors=True)
        print(f"devstack: {spec.name} installed in {time.monotonic() - started:.0f} s", flush=True)
    return target


def _complete(venv: Path) -> bool:
    return (venv / "pyvenv.cfg").is_file() and (venv / ".complete").is_file()


def _build(spec: VenvSpec, python: str, directory: Path, log_file: Path) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pip = [str(directory / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    if spec.constraints is not None:
        pip += ["-c", str(spec.constraints)]
    with log_file.open("w") as log:
        for command in ([python, "-m", "venv", str(directory)], [*pip, *spec.requirements]):
            log.write(f"$ {' '.join(command)}\n")
            log.flush()
            result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
            if result.returncode != 0:
                raise StackError(f"installing {spec.name} failed; see {log_file}")
    (directory / ".complete").write_text(" ".join(spec.requirements) + "\n")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"devstack: waiting for another install holding {path}", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def python_in(venv: Path) -> str:
    """The interpreter of a venv built by :func:`ensure_venv`."""
    return os.fspath(venv / "bin" / "python")
