"""aiobotocore and aioboto3 clients: served as botocore's are, and kept in as well.

These need aiobotocore, whose releases pin botocore to a narrow range that
differs from the main suite's pin, so CI runs this module in environments of
its own (see CONTRIBUTING.md); in the main environment it is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

aiobotocore_session: Any = pytest.importorskip("aiobotocore.session")

import aiobotocore.credentials  # noqa: E402
import aiobotocore.httpsession  # noqa: E402
import botocore  # noqa: E402
import botocore.exceptions  # noqa: E402
from botocore.config import Config  # noqa: E402

from kms_mock import KmsMockError, mock_kms  # noqa: E402
from kms_mock._interceptor import HANDLERS  # noqa: E402
from tests._helpers import run_in_a_fresh_interpreter  # noqa: E402

REGION = "us-east-1"
KEY_ID, SECRET = "AKIDEXAMPLE", "secret"


class Sent(Exception):
    """Raised by the recording network layer: the request would have gone out."""


@pytest.fixture(autouse=True)
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Requests that reach aiobotocore's network layer: recorded and refused."""
    urls: list[str] = []

    async def record(self: Any, request: Any) -> Any:
        urls.append(request.url)
        raise Sent(request.url)

    monkeypatch.setattr(aiobotocore.httpsession.AIOHTTPSession, "send", record)
    return urls


def run(coroutine: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(coroutine())  # type: ignore[arg-type]


async def _key_ids(client: Any) -> list[str]:
    return [key["KeyId"] for key in (await client.list_keys())["Keys"]]


def test_an_async_client_made_inside_the_mock_is_served(sent: list[str]) -> None:
    async def scenario() -> tuple[str, list[str]]:
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name=REGION) as client:
            key_id = (await client.create_key())["KeyMetadata"]["KeyId"]
            return key_id, await _key_ids(client)

    with mock_kms():
        key_id, listed = run(scenario)
    assert listed == [key_id]
    assert sent == []


def test_an_async_client_made_inside_the_mock_asks_no_instance_metadata(
    monkeypatch: pytest.MonkeyPatch, sent: list[str]
) -> None:
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    asked: list[str] = []

    async def ask(self: Any) -> None:
        asked.append("imds")

    monkeypatch.setattr(aiobotocore.credentials.AioInstanceMetadataProvider, "load", ask)

    async def scenario() -> tuple[Any, Any]:
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name=REGION) as client:
            await client.list_keys()
            return client._request_signer._credentials, session

    with mock_kms():
        credentials, session = run(scenario)
    assert asked == []
    assert credentials.method == "kms-mock"
    # The session keeps none: its other clients search as aiobotocore does.
    assert session._credentials is None
    assert sent == []


def test_placeholder_credentials_are_lent_to_the_async_kms_client_being_made_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another task makes clients of the same session while the first KMS client
    # is being made: its S3 client keeps the configured credentials, and the
    # session holds no placeholder afterwards.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)

    async def scenario() -> tuple[list[str], str]:
        session = aiobotocore_session.get_session()
        first_inside, other_inside, first_made = (asyncio.Event() for _ in range(3))

        async def meanwhile(**_: Any) -> None:  # while a KMS client of ``session`` is made
            if not first_inside.is_set():
                first_inside.set()
                await other_inside.wait()
            else:
                other_inside.set()
                await first_made.wait()

        async def method_of(service: str) -> str:
            async with session.create_client(service, region_name=REGION) as client:
                method: str = client._request_signer._credentials.method
                return method

        async def others() -> list[str]:
            await first_inside.wait()
            return [await method_of("s3"), await method_of("kms")]

        session.register("creating-client-class.kms", meanwhile)
        other = asyncio.create_task(others())  # its own context, copied before any lending
        first = await method_of("kms")
        first_made.set()
        return [first, *await other], (await session.get_credentials()).method

    with mock_kms():
        methods, held = run(scenario)
    assert methods == ["kms-mock", "env", "kms-mock"]
    assert held == "env"


def test_an_async_client_is_useless_after_its_mock(sent: list[str]) -> None:
    async def scenario() -> None:
        session = aiobotocore_session.get_session()
        with mock_kms():
            client = await session.create_client("kms", region_name=REGION).__aenter__()
        try:
            with pytest.raises(botocore.exceptions.NoCredentialsError):
                await client.list_keys()
        finally:
            await client.__aexit__(None, None, None)

    run(scenario)
    assert sent == []


def _session_without_the_hooks() -> Any:
    session = aiobotocore_session.get_session()
    for event, handler, _ in HANDLERS:
        session.unregister(event, handler)
    return session


@pytest.mark.parametrize(
    "credentials",
    [{"aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET}, {}],
    ids=["configured credentials", "no credentials"],
)
def test_an_async_session_without_the_hooks_is_refused(
    sent: list[str], credentials: dict[str, str]
) -> None:
    async def scenario() -> str:
        session = _session_without_the_hooks()
        async with session.create_client("kms", region_name="eu-west-1", **credentials) as client:
            with pytest.raises(KmsMockError) as excinfo:
                await client.list_keys()
        return str(excinfo.value)

    with mock_kms():
        message = run(scenario)
    assert message.startswith(
        "a KMS request to https://kms.eu-west-1.amazonaws.com/ was about to leave the process "
        "while kms_mock is active"
    )
    assert sent == []


def test_an_async_session_without_the_hooks_that_does_not_sign_is_refused_before_sending(
    sent: list[str],
) -> None:
    async def scenario() -> str:
        session = _session_without_the_hooks()
        unsigned = Config(signature_version=botocore.UNSIGNED)
        async with session.create_client("kms", region_name=REGION, config=unsigned) as client:
            with pytest.raises(KmsMockError) as excinfo:
                await client.list_keys()
        return str(excinfo.value)

    with mock_kms():
        message = run(scenario)
    assert message.startswith(f"a KMS request to https://kms.{REGION}.amazonaws.com/ was about")
    assert sent == []


# A process where an async session is made before kms_mock is imported, and its
# client (made inside a mock) is used there.
_MADE_BEFORE_THE_IMPORT = """
import asyncio
import sys

import aiobotocore.httpsession

sent = []


async def record(self, request):
    sent.append(request.url)
    raise RuntimeError(request.url)


aiobotocore.httpsession.AIOHTTPSession.send = record
if sys.argv[1] == "aioboto3":
    import aioboto3

    EARLY = aioboto3.Session()
    client_of = EARLY.client
else:
    import aiobotocore.session

    EARLY = aiobotocore.session.get_session()
    client_of = EARLY.create_client

from kms_mock import KmsMockError, mock_kms


async def list_keys():
    async with client_of("kms", region_name="eu-west-1") as client:
        try:
            await client.list_keys()
        except KmsMockError as error:
            print(error)


with mock_kms():
    asyncio.run(list_keys())
print(sent)
"""


@pytest.mark.parametrize("library", ["aiobotocore", "aioboto3"])
@pytest.mark.parametrize("configured", [True, False], ids=["credentials", "no credentials"])
def test_an_async_session_made_before_kms_mock_was_imported_is_refused(
    library: str, configured: bool
) -> None:
    pytest.importorskip(library)
    printed = run_in_a_fresh_interpreter(
        _MADE_BEFORE_THE_IMPORT, library, credentials=(KEY_ID, SECRET) if configured else None
    )
    refusal, sent = printed.splitlines()
    assert refusal.startswith(
        "a KMS request to https://kms.eu-west-1.amazonaws.com/ was about to leave the process "
        "while kms_mock is active"
    )
    assert sent == "[]"


def test_an_async_client_of_another_service_behaves_as_without_the_mock(sent: list[str]) -> None:
    async def put(session: Any) -> None:
        async with session.create_client("s3", region_name=REGION) as s3:
            await s3.put_object(Bucket="bucket", Key="key", Body=b"x")

    async def scenario() -> None:
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name=REGION) as client:
            await client.list_keys()
        with pytest.raises(botocore.exceptions.NoCredentialsError):
            await put(session)

    with mock_kms():
        run(scenario)
    assert sent == []


def test_gathered_async_clients_in_their_own_mocks_keep_apart() -> None:
    @mock_kms
    async def make_keys(count: int) -> list[str]:
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name=REGION) as client:
            for _ in range(count):
                await client.create_key()
                await asyncio.sleep(0)
            return await _key_ids(client)

    async def both() -> list[list[str]]:
        return list(await asyncio.gather(make_keys(1), make_keys(2)))

    one, two = asyncio.run(both())
    assert (len(one), len(two)) == (1, 2)


def test_aioboto3_is_served(sent: list[str]) -> None:
    aioboto3: Any = pytest.importorskip("aioboto3")

    async def scenario() -> tuple[str, bytes]:
        async with aioboto3.Session().client("kms", region_name=REGION) as client:
            key_id = (await client.create_key())["KeyMetadata"]["KeyId"]
            blob = (await client.encrypt(KeyId=key_id, Plaintext=b"async"))["CiphertextBlob"]
            return key_id, (await client.decrypt(CiphertextBlob=blob))["Plaintext"]

    with mock_kms() as kms:
        key_id, plaintext = run(scenario)
        assert [event["eventName"] for event in kms.audit_log] == [
            "CreateKey",
            "Encrypt",
            "Decrypt",
        ]
    assert plaintext == b"async"
    assert key_id
    assert sent == []


def test_an_async_client_with_registered_credentials_calls_as_their_principal(
    sent: list[str],
) -> None:
    bob = "arn:aws:iam::111122223333:user/Bob"

    async def scenario(credentials: Any) -> tuple[str, list[str]]:
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name=REGION, **credentials) as client:
            key_arn = (await client.create_key())["KeyMetadata"]["Arn"]
            return key_arn, await _key_ids(client)

    # Bob's IAM policy lets him create and list keys (the key policy delegates to IAM).
    allowed = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["kms:CreateKey", "kms:ListKeys"], "Resource": "*"}
        ],
    }
    with mock_kms(identity_policies={bob: [allowed]}) as kms:
        key_arn, listed = run(lambda: scenario(kms.principals.register(bob)))
        identity = kms.audit_log[-1]["userIdentity"]
    assert key_arn.startswith("arn:aws:kms:us-east-1:111122223333:key/")
    assert listed == [key_arn.rsplit("/", 1)[1]]
    assert identity["arn"] == bob
    assert sent == []


def test_an_async_client_retries_an_injected_fault_as_botocore_does(
    sent: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Faulted calls are answered at before-send, inside aiobotocore's own retry loop.
    monkeypatch.setattr("asyncio.sleep", _no_backoff)

    async def scenario() -> dict[str, Any]:
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name=REGION) as client:
            created: dict[str, Any] = await client.create_key()
            return created

    with mock_kms() as kms:
        throttled = kms.faults.error("ThrottlingException", operation="CreateKey", times=2)
        created = run(scenario)
        events = [(e["eventName"], e.get("errorCode")) for e in kms.audit_log]
    assert created["ResponseMetadata"]["RetryAttempts"] == throttled.fired == 2
    assert events == [
        ("CreateKey", "ThrottlingException"),
        ("CreateKey", "ThrottlingException"),
        ("CreateKey", None),
    ]
    assert sent == []


async def _no_backoff(delay: float, *_: Any) -> None:
    """aiobotocore's backoff, not waited."""


def test_the_audit_log_records_an_async_clients_user_agent(
    sent: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # On both paths: answered at before-call, and at before-send (a fault rule screens it).
    monkeypatch.setattr("asyncio.sleep", _no_backoff)
    headers: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        headers.append(params["headers"]["User-Agent"])

    async def scenario() -> None:
        session = aiobotocore_session.get_session()
        async with session.create_client("kms", region_name=REGION) as client:
            # The operations' own events: called before kms_mock's (for all of kms).
            client.meta.events.register("before-call.kms.ListKeys", record)
            client.meta.events.register("before-call.kms.CreateKey", record)
            await client.list_keys()
            await client.create_key()

    with mock_kms() as kms:
        kms.faults.error("ThrottlingException", operation="CreateKey", times=1)
        run(scenario)
        agents = [event["userAgent"] for event in kms.audit_log]
    [first, second] = headers
    assert first.startswith("aiobotocore/")
    assert agents == [first, second, second]
    assert sent == []
