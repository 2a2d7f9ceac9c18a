"""kms_mock.responses_transport: ``requests`` calls to KMS endpoints, answered through
``responses`` by the same mock (and wire layer) as the test's boto3 clients."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests
import responses
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from requests_aws4auth import AWS4Auth

from kms_mock import KmsMockError, MockKMS, UsageError, mock_kms
from kms_mock.responses_transport import add_kms_callback
from tests._helpers import exactly

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

US_EAST = "https://kms.us-east-1.amazonaws.com/"
ACCESS_KEY_ID = "AKIAKMSMOCKREQUESTS"
SECRET = "not-a-secret"


def kms_call(operation: str, members: dict[str, Any]) -> tuple[str, bytes, dict[str, str]]:
    """The body and headers of a KMS request, as AWS's JSON 1.1 protocol sends it (unsigned)."""
    headers = {
        "X-Amz-Target": f"TrentService.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    return operation, json.dumps(members).encode(), headers


def botocore_signed(
    url: str, operation: str, members: dict[str, Any], region: str = "us-east-1"
) -> requests.Response:
    """POST a KMS request to ``url``, signed with botocore's SigV4Auth for ``region``."""
    _, body, headers = kms_call(operation, members)
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET), "kms", region).add_auth(request)
    return requests.post(url, data=body, headers=dict(request.headers.items()), timeout=5)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """The test's own RequestsMock, as a suite that already uses responses has one."""
    with responses.RequestsMock() as requests_mock:
        yield requests_mock


def test_botocore_signed_calls_share_state_with_boto3_clients(
    kms: MockKMS, client: KMSClient, rsps: responses.RequestsMock
) -> None:
    add_kms_callback(rsps)
    key_id = client.create_key(Description="made by boto3")["KeyMetadata"]["KeyId"]

    described = botocore_signed(US_EAST, "DescribeKey", {"KeyId": key_id})
    assert described.status_code == 200
    assert described.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert described.json()["KeyMetadata"]["Description"] == "made by boto3"

    plaintext = base64.b64encode(b"over requests").decode()
    encrypted = botocore_signed(US_EAST, "Encrypt", {"KeyId": key_id, "Plaintext": plaintext})
    blob = base64.b64decode(encrypted.json()["CiphertextBlob"])
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"over requests"

    record = kms.audit_log[-2]
    user_agent = requests.utils.default_user_agent()
    assert (record["eventName"], record["userAgent"]) == ("Encrypt", user_agent)


def test_a_third_party_signer_names_the_region_and_the_caller(
    kms: MockKMS, rsps: responses.RequestsMock
) -> None:
    add_kms_callback(rsps)
    root = "arn:aws:iam::123456789012:root"
    kms.principals.register(root, access_key_id=ACCESS_KEY_ID)
    _, body, headers = kms_call("CreateKey", {"Description": "signed by requests-aws4auth"})
    auth = AWS4Auth(ACCESS_KEY_ID, SECRET, "eu-west-1", "kms")

    answer = requests.post(
        "https://kms.eu-west-1.amazonaws.com/", data=body, headers=headers, auth=auth, timeout=5
    )

    assert answer.status_code == 200
    arn = answer.json()["KeyMetadata"]["Arn"]
    assert arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    identity = kms.audit_log[-1]["userIdentity"]
    assert (identity["arn"], identity["accessKeyId"]) == (root, ACCESS_KEY_ID)


@pytest.mark.parametrize(
    ("url", "arn_prefix"),
    [
        ("https://kms.cn-north-1.amazonaws.com.cn/", "arn:aws-cn:kms:cn-north-1:"),
        ("https://kms-fips.us-gov-west-1.amazonaws.com/", "arn:aws-us-gov:kms:us-gov-west-1:"),
        ("https://kms.eu-central-1.api.aws/", "arn:aws:kms:eu-central-1:"),
    ],
)
def test_any_partition_and_fips_host_names_the_region(
    kms: MockKMS, rsps: responses.RequestsMock, url: str, arn_prefix: str
) -> None:
    add_kms_callback(rsps)
    _, body, headers = kms_call("CreateKey", {})
    # A SigV4a credential scope names no Region: the host's is used.
    headers["Authorization"] = (
        f"AWS4-ECDSA-P256-SHA256 Credential={ACCESS_KEY_ID}/20250101/kms/aws4_request"
    )

    answer = requests.post(url, data=body, headers=headers, timeout=5)

    assert answer.json()["KeyMetadata"]["Arn"].startswith(arn_prefix)


def test_an_unsigned_call_gets_missing_authentication_token(
    kms: MockKMS, rsps: responses.RequestsMock
) -> None:
    add_kms_callback(rsps)
    _, body, headers = kms_call("ListKeys", {})

    answer = requests.post(US_EAST, data=body, headers=headers, timeout=5)

    assert answer.status_code == 400
    assert answer.json() == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token",
    }
    assert answer.headers["x-amzn-RequestId"]
    assert kms.audit_log == []


def test_other_urls_keep_the_tests_own_registrations(
    kms: MockKMS, rsps: responses.RequestsMock
) -> None:
    rsps.post("https://example.com/", json={"from": "the test"})
    add_kms_callback(rsps)
    rsps.post("https://kms.example.com/", json={"also": "the test"})

    assert requests.post("https://example.com/", timeout=5).json() == {"from": "the test"}
    # kms.example.com names no Region: not a KMS endpoint, so the test's answer stands.
    assert requests.post("https://kms.example.com/", timeout=5).json() == {"also": "the test"}
    with pytest.raises(
        requests.exceptions.ConnectionError, match="Connection refused by Responses"
    ):
        requests.post("https://example.org/", timeout=5)
    assert botocore_signed(US_EAST, "ListKeys", {}).json()["Keys"] == []


def test_faults_fail_the_socket_as_requests_would_see_it(
    kms: MockKMS, rsps: responses.RequestsMock
) -> None:
    add_kms_callback(rsps)
    kms.faults.connection_error(operation="ListKeys", times=1)
    kms.faults.read_timeout(operation="ListKeys", times=1)
    kms.faults.error("ThrottlingException", operation="ListKeys", times=1)

    with pytest.raises(requests.exceptions.ConnectionError, match="Connection reset by peer"):
        botocore_signed(US_EAST, "ListKeys", {})
    with pytest.raises(requests.exceptions.ReadTimeout, match="Read timed out"):
        botocore_signed(US_EAST, "ListKeys", {})
    throttled = botocore_signed(US_EAST, "ListKeys", {})
    assert (throttled.status_code, throttled.json()["__type"]) == (400, "ThrottlingException")
    assert botocore_signed(US_EAST, "ListKeys", {}).status_code == 200


def test_a_given_mock_serves_even_when_it_does_not_intercept(
    rsps: responses.RequestsMock,
) -> None:
    served = mock_kms().start(intercept=False)
    try:
        add_kms_callback(rsps, served)
        botocore_signed(US_EAST, "CreateKey", {})
        assert [record["eventName"] for record in served.audit_log] == ["CreateKey"]
    finally:
        served.stop()
    with pytest.raises(UsageError, match="which is not running: start\\(\\) it"):
        botocore_signed(US_EAST, "ListKeys", {})


def test_without_an_active_mock_the_call_is_refused(rsps: responses.RequestsMock) -> None:
    add_kms_callback(rsps)
    with pytest.raises(
        KmsMockError,
        match=exactly(
            "a KMS request was made through responses while no kms_mock is active: make it "
            "inside mock_kms(), or pass the mock: add_kms_callback(requests_mock, kms)."
        ),
    ):
        botocore_signed(US_EAST, "ListKeys", {})


def test_the_kms_responses_fixture(
    kms_responses: responses.RequestsMock, kms_client: KMSClient
) -> None:
    kms_responses.get("https://example.com/health", json={"ok": True})
    key_id = kms_client.create_key()["KeyMetadata"]["KeyId"]

    described = botocore_signed(US_EAST, "DescribeKey", {"KeyId": key_id})

    assert described.json()["KeyMetadata"]["KeyId"] == key_id
    assert requests.get("https://example.com/health", timeout=5).json() == {"ok": True}


def test_the_plugin_imports_responses_only_for_its_fixture() -> None:
    code = "import sys, kms_mock.plugin; print('responses' in sys.modules)"
    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert imported.stdout == "False\n"
