"""What the audit log keeps: only what CloudTrail shows (never a secret, a blob,
or the request and response themselves), and at most ``audit_log_limit`` records."""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import kms_mock._dispatch
from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._audit import AuditLog, AuditRecord
from kms_mock._callers import Principal
from kms_mock._entropy import Entropy
from kms_mock._errors import UsageError
from kms_mock._shapes import operation_model
from kms_mock._wire import handle
from kms_mock.server import make_app
from tests._helpers import audit_of, backend_of, client_as
from tests.test_contract import _exercise_every_operation

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)


def _random() -> bytes:
    return os.urandom(32)


def _containers(value: Any) -> Iterator[dict[str, Any] | list[Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _containers(item)
    elif isinstance(value, list):
        yield value
        for item in value:
            yield from _containers(item)


def _bytes_in(value: Any) -> Iterator[bytes]:
    if isinstance(value, bytes):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _bytes_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _bytes_in(item)


@pytest.fixture
def blobs(client: KMSClient) -> list[bytes]:
    """Every blob the client sends or receives, at any depth, errors included."""
    seen: list[bytes] = []

    def sent(params: dict[str, Any], **_: Any) -> None:
        seen.extend(_bytes_in(params))

    def received(parsed: dict[str, Any], **_: Any) -> None:
        seen.extend(_bytes_in(parsed))

    client.meta.events.register("before-parameter-build.kms", sent)
    client.meta.events.register("after-call.kms", received)
    return seen


_PLAIN = (str, int, float, bool, type(None), _dt.datetime, _dt.timezone)


def retained(kms: MockKMS) -> tuple[set[int], list[str]]:
    """Ids of every object the log's records hold, at any depth, and its strings.

    Fails on any object that is not plain data: a record holds nothing else.
    """
    ids: set[int] = set()
    strings: list[str] = []
    stack: list[Any] = list(audit_of(kms).records)
    while stack:
        item = stack.pop()
        if id(item) in ids:
            continue
        ids.add(id(item))
        if isinstance(item, AuditRecord | Principal):  # a Principal: the caller's strings
            stack.extend(getattr(item, name) for name in type(item).__slots__)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str):
            strings.append(item)
        else:
            assert isinstance(item, _PLAIN), f"a record holds {type(item).__name__}: {item!r}"
    return ids, strings


def _public_key_of_a_peer() -> bytes:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _call_every_cryptographic_operation(client: KMSClient) -> None:
    symmetric = client.create_key()["KeyMetadata"]["KeyId"]
    blob = client.encrypt(KeyId=symmetric, Plaintext=_random(), EncryptionContext={"app": "audit"})[
        "CiphertextBlob"
    ]
    client.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "audit"})
    client.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"app": "audit"},
        DestinationKeyId=symmetric,
    )
    client.generate_data_key(KeyId=symmetric, KeySpec="AES_256")
    client.generate_data_key_without_plaintext(KeyId=symmetric, NumberOfBytes=32)
    client.generate_data_key_pair(KeyId=symmetric, KeyPairSpec="ECC_NIST_P256")
    client.generate_data_key_pair_without_plaintext(KeyId=symmetric, KeyPairSpec="ECC_NIST_P256")
    client.generate_random(NumberOfBytes=32)

    rsa = client.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    client.get_public_key(KeyId=rsa)
    sealed = client.encrypt(
        KeyId=rsa, Plaintext=_random(), EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    )["CiphertextBlob"]
    client.decrypt(CiphertextBlob=sealed, KeyId=rsa, EncryptionAlgorithm="RSAES_OAEP_SHA_256")

    signing = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    message = _random()
    signature = client.sign(
        KeyId=signing["KeyId"], Message=message, SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    client.verify(
        KeyId=signing["KeyId"],
        Message=message,
        Signature=signature,
        SigningAlgorithm="ECDSA_SHA_256",
    )
    client.get_public_key(KeyId=signing["KeyId"])

    hmac = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    mac = client.generate_mac(KeyId=hmac["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256")
    client.verify_mac(
        KeyId=hmac["KeyId"], Message=message, Mac=mac["Mac"], MacAlgorithm="HMAC_SHA_256"
    )

    agreement = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    client.derive_shared_secret(
        KeyId=agreement["KeyMetadata"]["KeyId"],
        KeyAgreementAlgorithm="ECDH",
        PublicKey=_public_key_of_a_peer(),
    )


def _fail_with_secrets(client: KMSClient) -> None:
    """Calls that fail, each carrying secrets: the failure is recorded, the secrets are not."""
    disabled = client.create_key()["KeyMetadata"]["KeyId"]
    client.disable_key(KeyId=disabled)
    hmac = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    failing: list[Callable[[], object]] = [
        lambda: client.encrypt(KeyId=disabled, Plaintext=_random()),
        lambda: client.decrypt(CiphertextBlob=_random() * 4),
        lambda: client.verify_mac(
            KeyId=hmac["KeyId"], Message=_random(), Mac=_random(), MacAlgorithm="HMAC_SHA_256"
        ),
        # Not served by kms_mock, but recorded: blobs and sensitive strings stay out.
        lambda: client.import_key_material(
            KeyId=disabled, ImportToken=_random(), EncryptedKeyMaterial=_random()
        ),
        lambda: client.create_custom_key_store(
            CustomKeyStoreName="store", KeyStorePassword="do-not-log-this-password"
        ),
        lambda: client.update_custom_key_store(
            CustomKeyStoreId="cks-1234567890abcdef0",
            XksProxyAuthenticationCredential={
                "AccessKeyId": "ABCDEFGHIJKLMNOPQRST234567",
                "RawSecretAccessKey": "do-not-log-this-secret-access-key-0123456789abcdef",
            },
        ),
    ]
    for call in failing:
        with pytest.raises(client.exceptions.ClientError):
            call()


def test_no_secret_or_blob_is_retained_by_the_log(
    kms: MockKMS, client: KMSClient, blobs: list[bytes]
) -> None:
    _call_every_cryptographic_operation(client)
    _fail_with_secrets(client)

    names = {event["eventName"] for event in kms.audit_log}
    assert {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateRandom",
        "GetPublicKey",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
        "ImportKeyMaterial",
        "CreateCustomKeyStore",
    } <= names
    assert len(blobs) > 30
    assert all(len(blob) >= 32 for blob in blobs)  # long enough not to match by chance
    _, strings = retained(kms)
    rendered = json.dumps(kms.audit_log)
    for blob in blobs:
        encoded = base64.b64encode(blob).decode()
        assert encoded not in rendered
        assert not [text for text in strings if encoded in text or blob.decode("latin-1") in text]
    for secret in ("do-not-log-this", "ABCDEFGHIJKLMNOPQRST234567"):
        assert secret not in rendered
        assert not [text for text in strings if secret in text]
    [store] = [event for event in kms.audit_log if event["eventName"] == "CreateCustomKeyStore"]
    assert store["requestParameters"] == {"customKeyStoreName": "store"}
    [update] = [event for event in kms.audit_log if event["eventName"] == "UpdateCustomKeyStore"]
    assert update["requestParameters"] == {
        "customKeyStoreId": "cks-1234567890abcdef0",
        "xksProxyAuthenticationCredential": {},  # both members are sensitive
    }


def test_no_request_or_response_is_referenced_by_the_log(
    kms: MockKMS, client: KMSClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []  # every request and response dict, kept alive to compare ids
    dispatch = kms_mock._dispatch.dispatch

    def recording_dispatch(backend: Any, operation: str, params: Any, *args: Any) -> Any:
        served.append(params)
        response = dispatch(backend, operation, params, *args)
        served.append(response)
        return response

    monkeypatch.setattr("kms_mock._wire._dispatcher", lambda: recording_dispatch)
    key = client.create_key(Tags=[{"TagKey": "team", "TagValue": "audit"}])["KeyMetadata"]
    client.encrypt(KeyId=key["KeyId"], Plaintext=_random(), EncryptionContext={"a": "b"})
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(client.exceptions.KMSInvalidStateException):
        client.encrypt(KeyId=key["KeyId"], Plaintext=_random(), EncryptionContext={"a": "b"})

    assert len(served) == 7  # four requests, three responses (the last call failed)
    containers = [item for value in served for item in _containers(value)]
    assert len(containers) > 12
    ids, _ = retained(kms)
    assert not [item for item in containers if id(item) in ids]


def test_what_does_not_fit_the_model_is_left_out(kms: MockKMS) -> None:
    # Only a raw request (not botocore) can send these; the call fails validation.
    body = {
        "KeyId": {"not": "a string"},
        "Plaintext": "c2VjcmV0",
        "EncryptionContext": "not a map",
        "GrantTokens": ["token", {"not": "a string"}],
        "NotInTheModel": "anything",
    }
    answer = handle(backend_of(kms), "TrentService.Encrypt", json.dumps(body).encode(), None)
    assert answer.status == 400
    [event] = kms.audit_log
    assert event["requestParameters"] == {}  # grant tokens are never shown
    assert _parameters_shown(kms, "Encrypt", b"[1, 2]") is None
    grant = b'{"KeyId": "k", "Operations": ["Decrypt", {"not": "a string"}], "Constraints": 7}'
    assert _parameters_shown(kms, "CreateGrant", grant) == {
        "keyId": "k",
        "operations": ["Decrypt"],
    }
    assert _parameters_shown(kms, "Encrypt", b'{"KeyId": "k", "GrantTokens": "t"}') == {
        "keyId": "k"
    }
    for valid_to in (b"1e300", b'"2026-01-01"', b"true"):  # only epoch seconds are timestamps
        request = b'{"KeyId": "k", "ValidTo": %s}' % valid_to
        assert _parameters_shown(kms, "ImportKeyMaterial", request) == {"keyId": "k"}


def _parameters_shown(kms: MockKMS, operation: str, body: bytes) -> Any:
    handle(backend_of(kms), f"TrentService.{operation}", body, None)
    return kms.audit_log[-1]["requestParameters"]


# -- every operation, wherever its records go -----------------------------------------------

# Found through botocore's model here, not kms_mock's: a blob, a member the model
# marks sensitive, or a grant token (which makes its grant take effect at once).
_GRANT_TOKEN = "GrantTokenType"
# Shorter values (a one-byte plaintext) could match a record's text by chance.
_LONG_ENOUGH = 16


def _secrets_of(shape: Shape | None, value: Any) -> Iterator[Any]:
    if shape is None or value is None:
        return
    if shape.type_name == "blob" or shape.metadata.get("sensitive") or shape.name == _GRANT_TOKEN:
        yield value
    elif isinstance(shape, StructureShape) and isinstance(value, dict):
        for name, item in value.items():
            if name in shape.members:
                yield from _secrets_of(shape.members[name], item)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for item in value:
            yield from _secrets_of(shape.member, item)
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for item in value.values():
            yield from _secrets_of(shape.value, item)


def _forms(secret: Any) -> set[str]:
    """How a secret could appear in text: as sent (base64 on the wire), or its bytes."""
    if isinstance(secret, str):
        return {secret}
    assert isinstance(secret, bytes)
    return {base64.b64encode(secret).decode(), secret.decode("latin-1")}


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """Every secret of every request and response served from now on, by operation."""
    found: dict[str, set[str]] = {}
    dispatch = kms_mock._dispatch.dispatch

    def recording_dispatch(backend: Any, operation: str, params: Any, *args: Any) -> Any:
        model = operation_model(operation)
        noted = found.setdefault(operation, set())
        try:
            response = dispatch(backend, operation, params, *args)
        finally:
            noted.update(*map(_forms, _secrets_of(model.input_shape, params)))
        noted.update(*map(_forms, _secrets_of(model.output_shape, response)))
        return response

    monkeypatch.setattr("kms_mock._wire._dispatcher", lambda: recording_dispatch)
    return found


def _fail_with_grant_tokens(client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]["KeyId"]
    role = "arn:aws:iam::123456789012:role/app"
    tokens = [
        client.create_grant(KeyId=key, GranteePrincipal=role, Operations=["Encrypt"])["GrantToken"]
        for _ in range(11)
    ]
    failing: list[Callable[[], object]] = [
        lambda: client.encrypt(KeyId=key, Plaintext=_random(), GrantTokens=tokens),  # > 10
        lambda: client.encrypt(KeyId="fake-key-id", Plaintext=_random(), GrantTokens=tokens[:2]),
        lambda: client.retire_grant(GrantToken="not-a-grant-token-" + "t" * 8192),
    ]
    for call in failing:
        with pytest.raises(client.exceptions.ClientError):
            call()


def _fail_by_fault_and_by_denial(kms: MockKMS, client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]["KeyId"]
    blob = client.encrypt(KeyId=key, Plaintext=_random())["CiphertextBlob"]
    rule = kms.faults.error("KMSInternalException", operation=["Encrypt", "Decrypt"])
    with pytest.raises(client.exceptions.KMSInternalException):
        client.encrypt(KeyId=key, Plaintext=_random())
    with pytest.raises(client.exceptions.KMSInternalException):
        client.decrypt(CiphertextBlob=blob)
    rule.remove()
    stranger = client_as(kms, "arn:aws:iam::123456789012:role/stranger")
    for call in (
        lambda: stranger.encrypt(KeyId=key, Plaintext=_random()),
        lambda: stranger.decrypt(CiphertextBlob=blob),
        lambda: stranger.generate_data_key(KeyId=key, KeySpec="AES_256"),
    ):
        with pytest.raises(stranger.exceptions.ClientError) as excinfo:
            call()
        assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"


def test_no_record_shows_a_grant_token(kms: MockKMS, client: KMSClient) -> None:
    key = client.create_key()["KeyMetadata"]["KeyId"]
    role = "arn:aws:iam::123456789012:role/app"
    tokens = [
        client.create_grant(KeyId=key, GranteePrincipal=role, Operations=["Encrypt"])["GrantToken"]
        for _ in range(11)
    ]
    client.encrypt(KeyId=key, Plaintext=b"x", GrantTokens=tokens[:2])
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.encrypt(KeyId=key, Plaintext=b"x", GrantTokens=tokens)
    # The caller gets AWS's message, which quotes the list; the record does not.
    assert f"Value '[{', '.join(tokens)}]' at 'grantTokens'" in str(excinfo.value)
    *_, encrypted, refused = kms.audit_log
    assert encrypted["requestParameters"] == {"keyId": key}
    assert refused["errorMessage"] == (
        "1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: "
        "Member must have length less than or equal to 10"
    )
    assert not [token for token in tokens if token in json.dumps(kms.audit_log)]


def _served_audit_log(kms: MockKMS) -> str:
    """The server's ``/_kms_mock/audit-log`` route's answer."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/_kms_mock/audit-log",
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(),
    }
    return b"".join(make_app(kms)(environ, lambda *_: None)).decode()  # type: ignore[arg-type]


def _saved_audit_log(path: Any) -> str:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT record FROM audit_log").fetchall()
    connection.close()
    return "\n".join(record for (record,) in rows)


def test_no_record_of_any_operation_holds_a_secret_wherever_the_log_goes(
    tmp_path: Any, secrets: dict[str, set[str]]
) -> None:
    clock = FrozenClock(START)
    path = tmp_path / "state.db"
    with mock_kms(clock=clock, state=path) as kms:
        client = boto3.client("kms", region_name="us-east-1")
        _exercise_every_operation(client, clock)
        _call_every_cryptographic_operation(client)
        _fail_with_secrets(client)
        _fail_with_grant_tokens(client)
        _fail_by_fault_and_by_denial(kms, client)
        served = _served_audit_log(kms)
    _, strings = retained(kms)
    log = kms.audit_log

    calls = {event["eventName"] for event in log if event["eventType"] == "AwsApiCall"}
    assert calls == set(kms_mock._dispatch.OPERATIONS)
    assert {event.get("errorCode") for event in log} >= {"AccessDenied", "ValidationException"}
    assert [event for event in log if event.get("additionalEventData", {}).get("kmsMockInjected")]
    long_secrets = {
        operation: {form for form in forms if len(form) >= _LONG_ENOUGH}
        for operation, forms in secrets.items()
    }
    # Each kind of secret was sent or received, long enough to be found.
    assert {operation for operation, forms in long_secrets.items() if forms} >= {
        "CreateCustomKeyStore",  # KeyStorePassword, XKS credentials
        "CreateGrant",  # GrantToken
        "Decrypt",
        "DeriveSharedSecret",  # SharedSecret
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",  # PrivateKeyPlaintext
        "GenerateMac",
        "GetParametersForImport",  # ImportToken
        "ImportKeyMaterial",  # EncryptedKeyMaterial
        "RetireGrant",  # GrantToken
        "Sign",
        "UpdateCustomKeyStore",
    }
    texts = {
        "kms.audit_log": json.dumps(log),
        "the records' strings": "\n".join(strings),
        "the server's audit-log route": served,
        "the state file": _saved_audit_log(path),
    }
    leaks = {
        (where, operation)
        for operation, forms in long_secrets.items()
        for form in forms
        for where, text in texts.items()
        if form in text
    }
    assert leaks == set()


# -- the cap --------------------------------------------------------------------------------


def test_the_log_keeps_the_newest_records_and_counts_the_dropped(clock: FrozenClock) -> None:
    with mock_kms(clock=clock, audit_log_limit=3) as kms:
        client = boto3.client("kms", region_name="us-east-1")
        arns = []
        for _ in range(5):
            arns.append(client.create_key()["KeyMetadata"]["Arn"])
            clock.advance(minutes=1)
        log = kms.audit_log
        assert [event["resources"][0]["ARN"] for event in log] == arns[2:]
        assert kms.audit_log_dropped == 2

        client.enable_key_rotation(KeyId=arns[4], RotationPeriodInDays=90)
        clock.advance(days=100)  # a RotateKey service event, dated day 90
        client.list_keys()
        assert [event["eventName"] for event in kms.audit_log] == [
            "EnableKeyRotation",
            "RotateKey",
            "ListKeys",
        ]
        assert kms.audit_log_dropped == 5


def _list_keys(backend: Any, times: int) -> None:
    for _ in range(times):
        handle(backend, "TrentService.ListKeys", b"{}", None)


def test_the_default_limit_is_ten_thousand_records(kms: MockKMS) -> None:
    _list_keys(backend_of(kms), 10_001)
    assert (len(kms.audit_log), kms.audit_log_dropped) == (10_000, 1)


def test_no_limit_keeps_every_record(clock: FrozenClock) -> None:
    with mock_kms(clock=clock, audit_log_limit=None) as kms:
        _list_keys(backend_of(kms), 10_001)
        assert (len(kms.audit_log), kms.audit_log_dropped) == (10_001, 0)


def test_decorated_calls_keep_the_limit() -> None:
    @mock_kms(audit_log_limit=1)
    def three_calls() -> tuple[int, int]:
        client = boto3.client("kms", region_name="us-east-1")
        for _ in range(3):
            client.list_keys()
        audit = audit_of()  # the decorated call's activation has no handle
        return len(audit.records), audit.dropped

    assert three_calls() == (1, 2)


@pytest.mark.parametrize("limit", [0, -5, 2.5, "100", True, [10]])
def test_a_limit_that_is_not_a_positive_int_is_a_usage_error(limit: Any) -> None:
    expected = (
        f"audit_log_limit={limit!r} must be an int >= 1 (the number of audit log records "
        "kept; the oldest are dropped), or None to keep every record."
    )
    with pytest.raises(UsageError) as excinfo:
        mock_kms(audit_log_limit=limit)
    assert str(excinfo.value) == expected
    with pytest.raises(UsageError):
        MockKMS(audit_log_limit=limit)


def test_a_state_file_keeps_what_the_capped_log_keeps_when_a_record_arrives_late(
    tmp_path: Any,
) -> None:
    path = tmp_path / "state.db"
    with mock_kms(clock=FrozenClock(START), state=path, audit_log_limit=2) as kms:
        client = boto3.client("kms", region_name="us-east-1")
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        client.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
        # The mock's clock moves 200 days while TagResource is held: two rotations are
        # recorded, then the call, dated when it started, takes its place before them
        # and, the earliest of three, is dropped at once.
        kms.faults.delay(200 * 86400, operation="TagResource", mock_time=True, times=1)
        client.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "audit"}])
        kept = kms.audit_log
    assert [(event["eventName"], event["eventTime"]) for event in kept] == [
        ("RotateKey", "2025-04-01T00:00:00Z"),
        ("RotateKey", "2025-06-30T00:00:00Z"),
    ]
    assert kms.audit_log_dropped == 3
    with mock_kms(clock=FrozenClock(START), state=path, audit_log_limit=2) as restarted:
        assert (restarted.audit_log, restarted.audit_log_dropped) == (kept, 3)


# -- the log itself (no boto3) ----------------------------------------------------------------


def _service_event(log: AuditLog, name: str, minutes: int) -> None:
    log.service_event(
        name,
        START + _dt.timedelta(minutes=minutes),
        region="us-east-1",
        account_id="123456789012",
        key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
    )


def _names(log: AuditLog) -> list[str]:
    return [record.event_name for record in log.records]


def test_records_arriving_late_take_their_place_by_event_time() -> None:
    log = AuditLog(Entropy(7), limit=None)
    for name, minutes in [("A", 1), ("B", 5), ("C", 5), ("D", 2), ("E", 5), ("F", 0), ("G", 9)]:
        _service_event(log, name, minutes)
    # By event time; equal times keep their order of arrival.
    assert _names(log) == ["F", "A", "D", "B", "C", "E", "G"]
    assert log.dropped == 0


def test_the_cap_drops_the_earliest_events_even_when_they_arrive_late() -> None:
    log = AuditLog(Entropy(7), limit=2)
    for name, minutes in [("A", 1), ("B", 5), ("C", 6), ("D", 2), ("E", 3), ("F", 7)]:
        _service_event(log, name, minutes)
    assert _names(log) == ["C", "F"]
    assert log.dropped == 4


def test_strings_shared_between_records_are_kept_in_a_bounded_table(kms: MockKMS) -> None:
    agents = [f"agent/{number}" for number in range(2500)]
    for agent in agents + agents[:3]:
        handle(backend_of(kms), "TrentService.ListKeys", b"{}", None, agent.encode())
    assert [event["userAgent"] for event in kms.audit_log] == agents + agents[:3]
    assert len(audit_of(kms)._strings) <= 1024
