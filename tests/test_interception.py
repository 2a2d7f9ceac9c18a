"""The interception contract: which requests kms_mock answers, and how.

* Every ``kms`` request is answered while a mock is active, whichever client
  makes it and whenever that client was created; none reaches the network.
* Nothing else is touched: other services, and KMS itself once the mock has
  stopped, behave as plain botocore (they reach the network layer).
* Answers are what botocore makes of a real answer: modeled exceptions,
  ResponseMetadata, and botocore's own retries on the before-send path.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

import boto3
import botocore
import botocore.auth
import botocore.credentials
import botocore.exceptions
import botocore.httpsession
import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config
from botocore.exceptions import ClientError

import kms_mock._interceptor
from kms_mock import KmsMockError, MockKMS, _active, _dispatch, _errors, mock_kms
from kms_mock._shapes import service_model as service_model_of_kms
from kms_mock._wire import handle
from tests._helpers import (
    backend_of,
    before_send_client,
    error_of,
    listed_key_ids,
    run_in_a_fresh_interpreter,
    stored_key_ids,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
# For clients created outside a mock: with none configured, botocore would
# look for credentials on the instance-metadata service, over the network.
KEY_ID, SECRET = "AKIDEXAMPLE", "secret"
# botocore-stubs type these as returning None; kms_mock's return answers.
BEFORE_CALL: Any = kms_mock._interceptor._before_call


class Sent(Exception):
    """Raised by the recording network layer: the request would have gone out."""


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[AWSPreparedRequest]:
    """Requests that reach botocore's network layer, recorded and refused.

    It replaces the conftest guard's refusal for the test that asks for it, so
    that reaching the network is the expected outcome there (the guard's own
    record stays empty and its teardown check still passes).
    """
    requests: list[AWSPreparedRequest] = []

    def record(self: Any, request: AWSPreparedRequest) -> Any:
        requests.append(request)
        raise Sent(request.url)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", record)
    return requests


def _session_without_the_hooks() -> boto3.session.Session:
    """A session whose clients carry none of kms_mock's handlers."""
    core = botocore.session.get_session()
    handlers: Any = kms_mock._interceptor.HANDLERS
    for event, handler, _ in handlers:
        core.unregister(event, handler)
    return boto3.session.Session(botocore_session=core)


def _header(request: AWSPreparedRequest, name: str) -> bytes:
    # Header values of a prepared request are bytes, whatever the stubs say.
    value: Any = request.headers[name]
    assert isinstance(value, bytes)
    return value


# -- which clients are served -------------------------------------------------


def test_client_created_before_the_mock_is_served() -> None:
    client = boto3.client(
        "kms", region_name="us-east-1", aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
    )
    with mock_kms() as first:
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        assert stored_key_ids(first) == [key_id]
        assert listed_key_ids(client) == [key_id]
    with mock_kms():
        # The same client sees the new (empty) state of the next activation.
        assert listed_key_ids(client) == []


def test_client_after_its_mock_stopped_is_plain_botocore(
    sent: list[AWSPreparedRequest],
) -> None:
    with mock_kms():
        client = boto3.client(
            "kms", region_name="us-east-1", aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
        )
        client.create_key()
    with pytest.raises(Sent):
        client.list_keys()
    assert [request.url for request in sent] == ["https://kms.us-east-1.amazonaws.com/"]
    # Signed as botocore signs any request: kms_mock chose no signer.
    assert _header(sent[0], "Authorization").startswith(b"AWS4-HMAC-SHA256 Credential=")


def _refusal(url: str) -> str:
    return (
        f"a KMS request to {url} was about to leave the process while kms_mock is active: "
        "its client comes from a botocore session created before kms_mock was imported "
        "(boto3's default session too, once used), so kms_mock cannot serve it. Import "
        "kms_mock (or load its pytest plugin) before creating any boto3 client or session."
    )


@pytest.mark.parametrize(
    "credentials",
    [{"aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET}, {}],
    ids=["configured credentials", "no credentials"],
)
def test_client_of_a_session_without_the_hooks_is_refused(
    sent: list[AWSPreparedRequest], credentials: dict[str, str]
) -> None:
    # What a client created before kms_mock was imported looks like. With no
    # credentials it must be refused all the same, before botocore signs (and
    # raises NoCredentialsError, which would not say why).
    session = _session_without_the_hooks()
    with mock_kms():
        client = session.client("kms", region_name="eu-west-1", **credentials)  # type: ignore[call-overload]
        with pytest.raises(KmsMockError) as excinfo:
            client.list_keys()
    assert str(excinfo.value) == _refusal("https://kms.eu-west-1.amazonaws.com/")
    assert sent == []


def test_unhooked_client_that_does_not_sign_is_refused_before_sending(
    sent: list[AWSPreparedRequest],
) -> None:
    session = _session_without_the_hooks()
    client = session.client(
        "kms", region_name="us-east-1", config=Config(signature_version=botocore.UNSIGNED)
    )
    with mock_kms(), pytest.raises(KmsMockError) as excinfo:
        client.list_keys()
    assert str(excinfo.value) == _refusal("https://kms.us-east-1.amazonaws.com/")
    assert sent == []


def test_unhooked_client_with_a_custom_endpoint_is_refused(
    sent: list[AWSPreparedRequest],
) -> None:
    session = _session_without_the_hooks()
    client = session.client(
        "kms",
        region_name="us-east-1",
        endpoint_url="http://localhost:4566",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    with mock_kms(), pytest.raises(KmsMockError) as excinfo:
        client.list_keys()
    assert str(excinfo.value) == _refusal("http://localhost:4566/")
    assert sent == []


# A process where boto3 makes a KMS client (of the default session, or of a
# session of its own) before kms_mock is imported, then uses it inside a mock.
_MADE_BEFORE_THE_IMPORT = """
import sys

import boto3
import botocore.httpsession

sent = []


def record(self, request):
    sent.append(request.url)
    raise RuntimeError(request.url)


botocore.httpsession.URLLib3Session.send = record
session = boto3 if sys.argv[1] == "default session" else boto3.session.Session()
EARLY = session.client("kms", region_name="eu-west-1")

from kms_mock import KmsMockError, mock_kms

with mock_kms():
    try:
        EARLY.list_keys()
    except KmsMockError as error:
        print(error)
print(sent)
"""


@pytest.mark.parametrize("session", ["default session", "own session"])
@pytest.mark.parametrize("configured", [True, False], ids=["credentials", "no credentials"])
def test_a_client_made_before_kms_mock_was_imported_is_refused(
    session: str, configured: bool
) -> None:
    # The same refusal whether or not credentials are configured (without them,
    # botocore would raise NoCredentialsError, which says nothing of kms_mock).
    printed = run_in_a_fresh_interpreter(
        _MADE_BEFORE_THE_IMPORT, session, credentials=(KEY_ID, SECRET) if configured else None
    )
    assert printed == _refusal("https://kms.eu-west-1.amazonaws.com/") + "\n[]\n"


# -- other services are untouched ---------------------------------------------


def _sts_call(session: boto3.session.Session) -> object:
    return session.client("sts", region_name="us-east-1").get_caller_identity()


def _s3_call(session: boto3.session.Session) -> object:
    s3: Any = session.client("s3", region_name="us-east-1")
    return s3.put_object(Bucket="bucket", Key="key", Body=b"x")


OTHER_SERVICES = pytest.mark.parametrize(
    ("call", "url"),
    [
        (_sts_call, "https://sts.us-east-1.amazonaws.com/"),
        (_s3_call, "https://bucket.s3.amazonaws.com/key"),
    ],
    ids=["sts", "s3"],
)


@OTHER_SERVICES
def test_other_services_reach_the_network(
    sent: list[AWSPreparedRequest],
    monkeypatch: pytest.MonkeyPatch,
    call: Callable[[boto3.session.Session], object],
    url: str,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    with mock_kms():
        with pytest.raises(Sent):
            call(boto3.session.Session())
        assert _active.depth() == 1
    assert [request.url for request in sent] == [url]


@OTHER_SERVICES
def test_other_services_without_credentials_behave_as_without_the_mock(
    sent: list[AWSPreparedRequest], call: Callable[[boto3.session.Session], object], url: str
) -> None:
    # The same session makes a KMS client first: the placeholder credentials
    # that client gets must not become the session's.
    session = boto3.session.Session()
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        call(session)
    with mock_kms():
        assert listed_key_ids(session.client("kms", region_name="us-east-1")) == []
        with pytest.raises(botocore.exceptions.NoCredentialsError):
            call(session)
        with pytest.raises(botocore.exceptions.NoCredentialsError):
            call(boto3.session.Session())
    assert sent == []


def test_other_services_keep_configured_credentials(
    sent: list[AWSPreparedRequest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    with mock_kms():
        session = boto3.session.Session()
        credentials = session.get_credentials()
        assert credentials is not None
        assert credentials.method == "env"
        sts: Any = session.client("sts", region_name="us-east-1")
        with pytest.raises(Sent):
            sts.get_caller_identity()
        # KMS is still served, credentials or not.
        assert listed_key_ids(session.client("kms", region_name="us-east-1")) == []
    authorization = _header(sent[0], "Authorization")
    assert b"Credential=AKIAIOSFODNN7EXAMPLE/" in authorization


# -- no AWS configuration needed ----------------------------------------------


def test_no_aws_configuration_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the instance-metadata service allowed, as on a machine in EC2: a KMS
    # client made inside a mock must not ask it (it would find the instance's
    # role), and the environment stays as it was.
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    asked: list[str] = []
    monkeypatch.setattr(
        botocore.credentials.InstanceMetadataProvider, "load", lambda self: asked.append("imds")
    )
    environ_before = dict(os.environ)
    with mock_kms():
        session = boto3.session.Session()
        client = session.client("kms", region_name="us-east-1")
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        assert listed_key_ids(client) == [key_id]
        signer: Any = client._request_signer  # type: ignore[attr-defined]
        placeholder = signer._credentials
        assert placeholder.method == "kms-mock"
        assert dict(os.environ) == environ_before
    assert asked == []
    # The session keeps none: asked again, it searches as botocore does.
    assert session.get_credentials() is None
    assert asked == ["imds"]


def test_a_kms_client_made_inside_a_mock_never_uses_real_credentials(
    monkeypatch: pytest.MonkeyPatch, sent: list[AWSPreparedRequest]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    session = boto3.session.Session()
    assert session.get_credentials() is not None  # resolved and kept by the session
    with mock_kms():
        client = session.client("kms", region_name="us-east-1")
        assert listed_key_ids(client) == []
    # Used after its mock, it cannot reach AWS; the session's credentials are intact.
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        client.list_keys()
    assert sent == []
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.method == "env"


def test_placeholder_credentials_are_lent_to_the_kms_client_being_made_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another thread makes clients of the same session while the first KMS
    # client is being made: its S3 client keeps the configured credentials, and
    # the session holds no placeholder once both are made (it used to keep one
    # for good: every later client of it, after the mock too, had none).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    session = boto3.session.Session()
    first = threading.current_thread()
    other_inside, first_made = threading.Event(), threading.Event()
    made: dict[str, Any] = {}

    def make_others() -> None:
        made["s3"] = session.client("s3", region_name="us-east-1")
        made["kms"] = session.client("kms", region_name="us-east-1")

    def meanwhile(**_: Any) -> None:  # while a KMS client of ``session`` is being made
        if threading.current_thread() is first:
            made["thread"] = threading.Thread(target=make_others)
            made["thread"].start()
            other_inside.wait(timeout=10)
        else:
            other_inside.set()
            first_made.wait(timeout=10)

    session._session.register("creating-client-class.kms", meanwhile)
    with mock_kms():
        session.client("kms", region_name="us-east-1")
        first_made.set()
        made["thread"].join(timeout=30)
    assert made["s3"]._request_signer._credentials.method == "env"
    assert made["kms"]._request_signer._credentials.method == "kms-mock"
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.method == "env"


def test_fast_path_is_unsigned(monkeypatch: pytest.MonkeyPatch) -> None:
    signed: list[str] = []
    monkeypatch.setattr(
        botocore.auth.SigV4Auth, "add_auth", lambda self, request: signed.append(request.url)
    )
    with mock_kms():
        client = boto3.client("kms", region_name="us-east-1")
        client.create_key()
        before_send_client().list_keys()
    assert signed == []


# -- the before-send path -----------------------------------------------------


def test_before_send_path_gives_the_same_answers(kms: MockKMS) -> None:
    fast = boto3.client("kms", region_name="us-east-1")
    slow = before_send_client()
    seen: list[AWSPreparedRequest] = []
    # Registered after kms_mock's own before-send handler, so it sees the
    # request that handler answered.
    slow.meta.events.register("before-send.kms", lambda request, **_: seen.append(request))

    key_id = slow.create_key(Description="via before-send")["KeyMetadata"]["KeyId"]
    assert len(seen) == 1
    assert seen[0].url == "kms-mock+https://kms.us-east-1.amazonaws.com/"
    assert "Authorization" not in seen[0].headers

    via_slow = slow.describe_key(KeyId=key_id)
    via_fast = fast.describe_key(KeyId=key_id)
    assert via_slow["KeyMetadata"] == via_fast["KeyMetadata"]
    assert via_slow["KeyMetadata"]["Description"] == "via before-send"
    assert via_slow["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert via_slow["ResponseMetadata"]["RetryAttempts"] == 0
    assert via_slow["ResponseMetadata"]["RequestId"] != via_fast["ResponseMetadata"]["RequestId"]
    assert stored_key_ids(kms) == [key_id]

    with pytest.raises(slow.exceptions.NotFoundException) as excinfo:
        slow.describe_key(KeyId="fake-key-id")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'fake-key-id'", 400)
    assert excinfo.value.response["message"] == "Invalid keyId 'fake-key-id'"  # type: ignore[typeddict-item]


def test_before_send_path_serves_the_region_of_the_url(kms: MockKMS) -> None:
    slow = before_send_client("eu-west-1")
    arn = slow.create_key()["KeyMetadata"]["Arn"]
    assert arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")


@pytest.mark.parametrize("mode", ["legacy", "standard"])
def test_botocore_retries_on_the_before_send_path(
    kms: MockKMS, monkeypatch: pytest.MonkeyPatch, mode: Literal["legacy", "standard"]
) -> None:
    describe = _dispatch.OPERATIONS["DescribeKey"]
    calls: list[str] = []

    def flaky(request: _dispatch.Request, params: dict[str, Any]) -> dict[str, Any]:
        calls.append(request.request_id)
        if len(calls) <= 2:
            raise _errors.KMSInternalException("boom")
        return describe(request, params)

    monkeypatch.setitem(_dispatch.OPERATIONS, "DescribeKey", flaky)
    # botocore backs off between attempts; the test need not wait.
    delays: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", delays.append)

    slow = boto3.client(
        "kms", region_name="us-east-1", config=Config(retries={"mode": mode, "max_attempts": 3})
    )
    slow.meta.events.unregister("before-call.kms", BEFORE_CALL)
    key_id = slow.create_key()["KeyMetadata"]["KeyId"]
    response = slow.describe_key(KeyId=key_id)

    assert response["KeyMetadata"]["KeyId"] == key_id
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(calls) == 3
    assert len(set(calls)) == 3  # one request id per attempt
    assert len(delays) == 2
    assert all(delay >= 0 for delay in delays)


def test_retries_give_up_with_the_last_error(kms: MockKMS, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(request: _dispatch.Request, params: dict[str, Any]) -> dict[str, Any]:
        raise _errors.KMSInternalException("still broken")

    monkeypatch.setitem(_dispatch.OPERATIONS, "DescribeKey", broken)
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda seconds: None)
    slow = before_send_client()
    with pytest.raises(slow.exceptions.KMSInternalException) as excinfo:
        slow.describe_key(KeyId="anything")
    assert error_of(excinfo) == ("KMSInternalException", "still broken", 500)
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 4


def test_server_fault_on_the_fast_path(client: KMSClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(request: _dispatch.Request, params: dict[str, Any]) -> dict[str, Any]:
        raise _errors.KMSInternalException("boom")

    monkeypatch.setitem(_dispatch.OPERATIONS, "DescribeKey", broken)
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda seconds: None)
    with pytest.raises(client.exceptions.KMSInternalException) as excinfo:
        client.describe_key(KeyId="anything")
    assert error_of(excinfo) == ("KMSInternalException", "boom", 500)


# -- errors and response metadata --------------------------------------------


def test_modeled_error_has_its_message_member(client: KMSClient) -> None:
    with pytest.raises(client.exceptions.NotFoundException) as excinfo:
        client.describe_key(KeyId="fake-key-id")
    response: dict[str, Any] = dict(excinfo.value.response)
    assert response["Error"] == {
        "Code": "NotFoundException",
        "Message": "Invalid keyId 'fake-key-id'",
    }
    assert response["message"] == "Invalid keyId 'fake-key-id'"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(response["ResponseMetadata"]["RequestId"]) == 36


def test_unmodeled_validation_error_has_no_message_member(client: KMSClient) -> None:
    with pytest.raises(ClientError) as excinfo:
        client.list_keys(Limit=1001)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
        400,
    )
    # Not in KMS's model: botocore's second parsing pass adds no members.
    assert "message" not in excinfo.value.response


def test_response_metadata(client: KMSClient) -> None:
    created = client.create_key()
    metadata = created["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == 200
    assert metadata["RetryAttempts"] == 0
    assert metadata["RequestId"] == metadata["HTTPHeaders"]["x-amzn-requestid"]
    assert metadata["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    request_ids = {metadata["RequestId"], client.list_keys()["ResponseMetadata"]["RequestId"]}
    assert len(request_ids) == 2


def test_operation_without_output(client: KMSClient) -> None:
    key_id = client.create_key()["KeyMetadata"]["KeyId"]
    response: dict[str, Any] = dict(client.disable_key(KeyId=key_id))
    assert list(response) == ["ResponseMetadata"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_operation_not_served_is_an_error_not_a_network_call(
    client: KMSClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(_dispatch.OPERATIONS, "DescribeKey")
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId="fake-key-id")
    code, message, status = error_of(excinfo)
    assert code == "NotImplementedByKmsMock"
    assert status == 501
    assert message.startswith("not implemented by kms_mock: DescribeKey.")


def test_every_unserved_model_operation_answers_not_implemented(
    kms: MockKMS, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At least one, whatever the project serves by now.
    monkeypatch.delitem(_dispatch.OPERATIONS, "ListKeys")
    service_model = service_model_of_kms()
    unserved = sorted(set(service_model.operation_names) - set(_dispatch.OPERATIONS))
    assert "ListKeys" in unserved
    for name in unserved:
        answer = handle(backend_of(kms), f"TrentService.{name}", b"{}", None)
        assert answer.status == 501, name
        assert json.loads(answer.body) == {
            "__type": "NotImplementedByKmsMock",
            "message": f"not implemented by kms_mock: {name}. kms_mock does not serve this yet; "
            "see the README's list of supported operations.",
        }


def test_every_model_operation_is_served(kms: MockKMS) -> None:
    refused = set()
    for name in service_model_of_kms().operation_names:
        answer = handle(backend_of(kms), f"TrentService.{name}", b"{}", None)
        if json.loads(answer.body or b"{}").get("__type") == "NotImplementedByKmsMock":
            refused.add(name)
    assert refused == set()


@pytest.mark.parametrize(
    "target", [None, "TrentService.NoSuchOperation", "Other.DescribeKey", b"Nope"]
)
def test_unknown_target_is_unknown_operation(kms: MockKMS, target: str | bytes | None) -> None:
    answer = handle(backend_of(kms), target, b"{}", None)
    assert (answer.status, answer.body) == (400, b'{"__type": "UnknownOperationException"}')


def test_bytes_target_as_on_a_prepared_request(kms: MockKMS) -> None:
    answer = handle(backend_of(kms), b"TrentService.ListKeys", b"{}", "us-east-1")
    assert answer.status == 200
    assert answer.body.startswith(b'{"Keys":[]')


# -- moto coexistence ---------------------------------------------------------


@pytest.fixture
def moto_and_kms_mock(request: pytest.FixtureRequest) -> Iterator[MockKMS]:
    moto = pytest.importorskip("moto")
    if request.param == "moto-outside":
        with moto.mock_aws(), mock_kms() as kms:
            yield kms
    else:
        with mock_kms() as kms, moto.mock_aws():
            yield kms


@pytest.mark.parametrize("moto_and_kms_mock", ["moto-outside", "moto-inside"], indirect=True)
def test_moto_serves_s3_and_kms_mock_serves_kms(moto_and_kms_mock: MockKMS) -> None:
    import moto.backends

    s3: Any = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="coexistence")
    s3.put_object(Bucket="coexistence", Key="k", Body=b"answered by moto")
    assert s3.get_object(Bucket="coexistence", Key="k")["Body"].read() == b"answered by moto"

    kms_client = boto3.client("kms", region_name="us-east-1")
    key_id = kms_client.create_key()["KeyMetadata"]["KeyId"]
    assert kms_client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
    # kms_mock's message (moto's has no quotes), and kms_mock's backend.
    with pytest.raises(kms_client.exceptions.NotFoundException) as excinfo:
        kms_client.describe_key(KeyId="fake-key-id")
    assert error_of(excinfo)[1] == "Invalid keyId 'fake-key-id'"

    # The before-send path too: moto's handler comes after kms_mock's and
    # must not serve the answered request as well.
    slow = before_send_client()
    slow_key_id = slow.create_key()["KeyMetadata"]["KeyId"]
    assert slow.describe_key(KeyId=slow_key_id)["KeyMetadata"]["KeyId"] == slow_key_id

    assert stored_key_ids(moto_and_kms_mock) == [key_id, slow_key_id]
    assert moto.backends.get_backend("kms")[ACCOUNT]["us-east-1"].keys == {}


# -- threads ------------------------------------------------------------------


def test_threads_share_one_client_and_backend(kms: MockKMS, client: KMSClient) -> None:
    per_thread = 5
    created: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                key_id = client.create_key()["KeyMetadata"]["KeyId"]
                described = client.describe_key(KeyId=key_id)["KeyMetadata"]
                assert described["KeyId"] == key_id
                with lock:
                    created.append(key_id)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(created) == 8 * per_thread
    assert len(set(created)) == len(created)
    listed = client.list_keys(Limit=1000)["Keys"]
    assert sorted(key["KeyId"] for key in listed) == sorted(created)
    assert sorted(stored_key_ids(kms)) == sorted(created)


def test_a_client_created_inside_a_mock_without_a_region_uses_the_mocks_region() -> None:
    with mock_kms(region="eu-west-2"):
        client = boto3.client("kms")
        arn = client.create_key()["KeyMetadata"]["Arn"]
    assert client.meta.region_name == "eu-west-2"
    assert arn.startswith("arn:aws:kms:eu-west-2:123456789012:key/")


def test_an_explicit_region_wins_over_the_mocks_region() -> None:
    with mock_kms(region="eu-west-2"):
        client = boto3.client("kms", region_name="ap-south-1")
        arn = client.create_key()["KeyMetadata"]["Arn"]
    assert arn.startswith("arn:aws:kms:ap-south-1:")


def test_outside_a_mock_a_client_without_a_region_is_refused_as_botocore_does() -> None:
    with pytest.raises(botocore.exceptions.NoRegionError):
        boto3.client("kms")


def test_placeholder_credentials_do_not_outlive_the_mock() -> None:
    # boto3's default session keeps what it resolved first; after the mock,
    # its clients behave as botocore without credentials: nothing is sent.
    session = boto3.session.Session()
    with mock_kms():
        client = session.client("kms", region_name="us-east-1")
        sts = session.client("sts", region_name="us-east-1")
        assert listed_key_ids(client) == []
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        client.list_keys()
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        sts.get_caller_identity()
