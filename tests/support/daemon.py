"""A wsbridge daemon as a real subprocess, and the SQS/EventBridge helpers the tests drive it with."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from prometheus_client.parser import text_string_to_metric_families

from support.processes import free_port, wait_for

__all__ = ["Daemon", "QueueUnderTest", "free_port", "make_queue", "probe_event", "start_daemon", "wait_for"]

WSBRIDGE = str(Path(sys.executable).with_name("wsbridge"))


@dataclass
class QueueUnderTest:
    """A fresh findings queue + DLQ pair, isolated per test."""

    url: str
    dlq_url: str
    arn: str
    sqs: Any

    def send(self, body: str) -> str:
        return str(self.sqs.send_message(QueueUrl=self.url, MessageBody=body)["MessageId"])

    def depth(self, url: str | None = None) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def drain_dlq(self, expected: int, timeout: float = 20) -> list[dict[str, Any]]:
        messages: dict[str, dict[str, Any]] = {}

        def collect() -> bool:
            response = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
            )
            for message in response.get("Messages", []):
                messages[message["MessageId"]] = message
                self.sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])
            return len(messages) >= expected

        wait_for(collect, timeout, interval=0, what=f"{expected} messages in the DLQ")
        return list(messages.values())


def make_queue(max_receive_count: int = 5, visibility_timeout: int = 30) -> QueueUnderTest:
    sqs = boto3.client("sqs")
    name = f"wsbridge-test-{uuid.uuid4().hex[:10]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "MaximumMessageSize": "1048576",
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return QueueUnderTest(url, dlq_url, arn, sqs)


def probe_event(run_id: str, **detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "wsbridge Probe",
        "source": "wsbridge.test",
        "account": "000000000000",
        "region": "us-east-1",
        "time": "2026-11-27T00:00:00Z",
        "resources": [],
        "detail": {"run": run_id, **detail},
    }


@dataclass
class Daemon:
    """A running ``wsbridge run`` process."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    probe_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()
        except OSError:
            return 0, ""

    def metric(self, name: str, **labels: str) -> float:
        _, text = self.get("/metrics")
        total = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    total += sample.value
        return total

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
        return lines

    def message_lines(self) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if line.get("event") == "message"]

    def probe_records(self, event_id: str) -> list[str]:
        path = self.probe_dir / f"{event_id}.log"
        if not path.exists():
            return []
        return [json.loads(line)["what"] for line in path.read_text().splitlines()]

    def close_output(self) -> None:
        """Close the reading end of a piped daemon's output, as when its terminal or log reader goes."""
        if self.process.stdout is not None:
            self.process.stdout.close()

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_daemon(
    queue: QueueUnderTest, workdir: Path, probe_dir: Path, *, piped: bool = False, **settings: Any
) -> Daemon:
    """``wsbridge run`` on ``queue``, its output to a log file, or (``piped``) to a pipe the test holds."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "WSBRIDGE_QUEUE_URL": queue.url,
            "WSBRIDGE_DLQ_URL": queue.dlq_url,
            "WSBRIDGE_METRICS_PORT": str(port),
            "WSBRIDGE_METRICS_HOST": "127.0.0.1",
            "WSBRIDGE_LOG_FORMAT": "json",
            "WSBRIDGE_PROBE_DIR": str(probe_dir),
            "WSBRIDGE_WAIT_TIME_SECONDS": "2",
            "WSBRIDGE_RETRY_BASE_SECONDS": "1",
        }
    )
    env.update({f"WSBRIDGE_{key.upper()}": str(value) for key, value in settings.items()})
    log_path = workdir / f"daemon-{port}.log"
    if piped:
        process = subprocess.Popen([WSBRIDGE, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    else:
        with log_path.open("wb") as log:
            process = subprocess.Popen([WSBRIDGE, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    daemon = Daemon(process, port, log_path, probe_dir, env)
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200 or process.poll() is not None, 30, what="daemon /healthz")
    except AssertionError:
        daemon.stop()
        raise
    if process.poll() is not None:
        raise AssertionError(f"daemon exited with {process.returncode}: {log_path.read_text()[-2000:]}")
    return daemon
