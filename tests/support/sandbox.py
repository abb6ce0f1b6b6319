"""The WS sandbox as a process of the tests' own: started on a free port, driven through its admin API."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from support.processes import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "sandbox" / "wsbridge_sandbox" / "seed" / "default.json"
API_KEY = "sandbox-key"
SANDBOX = str(Path(sys.executable).with_name("wsbridge-sandbox"))


def admin(url: str, method: str, path: str, body: Any = None) -> Any:
    """One call to the sandbox's ``/_sandbox/`` admin API at ``url``; the decoded JSON answer."""
    data = json.dumps(body).encode() if body is not None else b"" if method == "POST" else None
    request = urllib.request.Request(
        f"{url}/_sandbox/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


class SandboxProcess:
    """A ``wsbridge-sandbox`` subprocess on 127.0.0.1 with its rate limit off; faults never reach other tests."""

    def __init__(self, seed_file: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/api"
        command = [SANDBOX, "--host", "127.0.0.1", "--port", str(self.port), "--rate-limit-per-minute", "0"]
        if seed_file is not None:
            command += ["--seed", str(seed_file)]
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, stdout=self._output, stderr=subprocess.STDOUT)
        try:
            wait_for(self._up, 20, interval=0.05, what="the WS sandbox")
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _up(self) -> bool:
        if self.process.poll() is not None:
            self._output.seek(0)
            output = self._output.read().decode(errors="replace")
            raise RuntimeError(f"the sandbox exited with {self.process.returncode}: {output[-2000:]}")
        try:
            self.admin("GET", "health")
        except OSError:
            return False
        return True

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return admin(self.url, method, path, body)

    def faults(self, **knobs: Any) -> None:
        self.admin("POST", "faults", knobs)

    def calls(self, since: int = 0) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self.admin("GET", f"calls?since={since}")["calls"]
        return calls

    def last_seq(self) -> int:
        return int(self.admin("GET", "calls?since=999999999")["last_seq"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._output.close()
