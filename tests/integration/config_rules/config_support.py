"""Config rule invocations about the demo instances, and a PutEvaluations endpoint that checks signatures."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

OWN_ACCOUNT = "123456789012"


def invocation(
    resource_id: str,
    *,
    parameters: dict[str, str] | None = None,
    region: str = "us-east-1",
    resource_type: str = "AWS::EC2::Instance",
    periodic: bool = False,
    **top: Any,
) -> dict[str, Any]:
    """A custom-rule invocation as Config sends it to Lambda, with a fresh result token."""
    if periodic:
        invoking: dict[str, Any] = {"awsAccountId": OWN_ACCOUNT, "messageType": "ScheduledNotification"}
    else:
        item = {"resourceType": resource_type, "resourceId": resource_id, "awsRegion": region}
        item.update(awsAccountId=OWN_ACCOUNT, configurationItemStatus="OK")
        item["configurationItemCaptureTime"] = "2026-11-30T10:00:00.000Z"
        invoking = {"configurationItem": item, "messageType": "ConfigurationItemChangeNotification"}
    invoking["notificationCreationTime"] = "2026-11-30T10:00:01.000Z"
    return {
        "invokingEvent": json.dumps(invoking),
        "ruleParameters": json.dumps(parameters or {}),
        "resultToken": f"token-{uuid.uuid4().hex}",
        "eventLeftScope": False,
        "configRuleArn": f"arn:aws:config:{region}:{OWN_ACCOUNT}:config-rule/config-rule-{uuid.uuid4().hex[:6]}",
        "configRuleName": "wsbridge-test",
        "accountId": OWN_ACCOUNT,
        "version": "1.0",
        **top,
    }


@dataclass
class Captured:
    """What the endpoint received: the PutEvaluations bodies, each checked against its SigV4 signature."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    unsigned: list[str] = field(default_factory=list)

    def by_token(self) -> dict[str, list[dict[str, Any]]]:
        """Result token -> its evaluations (every call with that token)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for body in self.requests:
            found.setdefault(body["ResultToken"], []).extend(body["Evaluations"])
        return found


def _signature_matches(path: str, headers: dict[str, str], body: bytes) -> bool:
    """Recompute the SigV4 signature over the received headers and body with the test credentials."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        return False
    parts = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 ") :].split(","))
    scope = parts["Credential"].split("/")
    signed = parts["SignedHeaders"].split(";")
    request = AWSRequest("POST", f"http://{headers['host']}{path}", data=body, headers={h: headers[h] for h in signed})
    request.context["timestamp"] = headers["x-amz-date"]
    credentials = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    signer = SigV4Auth(credentials, scope[3], scope[2])
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return bool(scope[3] == "config" and expected == parts["Signature"])


@contextmanager
def capturing_config_endpoint() -> Iterator[Captured]:
    """An HTTP endpoint answering PutEvaluations with no failures, for ``AWS_ENDPOINT_URL_CONFIG_SERVICE``."""
    captured = Captured(url="")

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            if headers.get("x-amz-target") == "StarlingDoveService.PutEvaluations":
                if _signature_matches(self.path, headers, body):
                    captured.requests.append(json.loads(body))
                else:
                    captured.unsigned.append(body.decode())
            answer = b'{"FailedEvaluations": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    captured.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield captured
    finally:
        server.shutdown()
        server.server_close()
