"""What the server tests share: a network guard that lets botocore reach the loopback
servers the tests start, boto3 clients for them, and plain HTTP requests."""

from __future__ import annotations

import functools
import http.client
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import botocore.httpsession
import pytest
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

LOOPBACK = "127.0.0.1"
# Any credentials will do: the server reads the access key id, and checks no signature.
ACCESS_KEY_ID = "AKIDKMSMOCKTEST"
SIGNED = f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20250101/{{region}}/kms/aws4_request, "
SIGNED += "SignedHeaders=host;x-amz-target, Signature=00"


@pytest.fixture(name="_no_network")
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The suite's network guard, for modules that import it: 127.0.0.1 only.

    botocore may reach the servers the tests start, and nothing else. Yields the
    URLs it let through, so a test can prove that a server (not the in-process
    hook) answered.
    """
    sent: list[str] = []
    refused: list[str] = []
    send = botocore.httpsession.URLLib3Session.send

    def loopback_send(self: Any, request: Any) -> Any:
        if urlsplit(request.url).hostname != LOOPBACK:
            refused.append(request.url)
            raise AssertionError(f"a request reached the network layer: {request.url}")
        sent.append(request.url)
        return send(self, request)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", loopback_send)
    yield sent
    assert not refused, f"requests reached the network layer: {refused}"


def http_client(url: str, region: str = "us-east-1", **config: Any) -> KMSClient:
    """A boto3 KMS client of ``url``, with credentials of its own, never retrying unless
    ``config`` gives ``retries``."""
    retries = Config(**({"retries": {"max_attempts": 1}} | config))
    return _session().client(
        "kms",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key="not-a-secret",
        config=retries,
    )


@functools.cache
def _session() -> boto3.session.Session:
    # One for the module: a session costs about 50 ms, a client from it a few.
    return boto3.session.Session()


def exchange(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP request: status, headers (lowercase names) and body of the answer."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or LOOPBACK, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, answer_headers, response.read()
    finally:
        connection.close()


def kms_request(
    url: str, operation: str, members: dict[str, Any] | None = None, *, region: str = "us-east-1"
) -> tuple[int, Any]:
    """A KMS request as a non-Python client makes it (signed header, JSON 1.1): status, JSON."""
    headers = {
        "X-Amz-Target": f"TrentService.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": SIGNED.format(region=region),
    }
    status, _, body = exchange(url, "POST", "/", json.dumps(members or {}).encode(), headers)
    return status, json.loads(body)


def control(url: str, method: str, route: str, document: object = None) -> tuple[int, Any]:
    """A control route's status and JSON answer (``route`` after ``/_kms_mock/``)."""
    body = None if document is None else json.dumps(document).encode()
    status, _, answer = exchange(url, method, f"/_kms_mock/{route}", body)
    return status, json.loads(answer)


def start_server(
    *options: str, first_line: re.Pattern[str]
) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """``python -m kms_mock serve --port 0 <options>``, and its first line, parsed with
    ``first_line`` (the test fails, with the server's stderr, if it does not match)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kms_mock", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = first_line.fullmatch(process.stdout.readline().rstrip("\n"))
    if first is None:
        process.kill()
        pytest.fail(f"no first line; stderr: {process.communicate()[1]}")
    return process, first
