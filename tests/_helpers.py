"""Helpers the tests share: boto3 calls and errors, and the mock's state read past its handle.

Test files import from here, never from ``conftest.py`` (which keeps fixtures and
guards only). This is the one test module that reaches into a mock's backend: a
change to the store changes the lookups below, not the tests that use them.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kms_mock import MockKMS, _active, _interceptor
from kms_mock._audit import AuditLog
from kms_mock._grants import retirable_position
from kms_mock._keypairs import KeyPair, LazySecret, ReadySecret
from kms_mock._models import Key, RelatedKeys
from kms_mock._schedule import Schedule, ScheduledEvent
from kms_mock._store import Backend

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

START = "2025-01-01T00:00:00Z"
ACCOUNT = "123456789012"
REGION = "us-east-1"
# The other Regions of the multi-Region tests.
EUROPE = "eu-west-1"
ASIA = "ap-southeast-2"


# -- calls through boto3 ----------------------------------------------------------------------


def raises(call: Callable[[], object]) -> pytest.ExceptionInfo[ClientError]:
    """What ``call()`` raised: a botocore ClientError (anything else fails the test)."""
    with pytest.raises(ClientError) as excinfo:
        call()
    return excinfo


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a botocore ClientError."""
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def exactly(message: str) -> str:
    """A ``pytest.raises(match=...)`` pattern that only ``message`` itself matches.

    ``match`` searches, so a bare message also passes when it is part of a longer
    (or garbled) one.
    """
    return f"^{re.escape(message)}$"


def new_client(region: str = REGION) -> KMSClient:
    """A boto3 KMS client (inside a mock: served by it)."""
    return boto3.client("kms", region_name=region)


def client_as(kms: MockKMS, arn: str, region: str = REGION) -> KMSClient:
    """A boto3 KMS client whose calls ``arn`` makes (credentials registered with ``kms``)."""
    return boto3.client("kms", region_name=region, **kms.principals.register(arn))


def new_key(client: KMSClient, **create_key_kwargs: Any) -> dict[str, Any]:
    """CreateKey's KeyMetadata, as a plain dict."""
    return dict(client.create_key(**create_key_kwargs)["KeyMetadata"])


def wrap_key_material(material: bytes, public_key: bytes, wrapping_algorithm: str) -> bytes:
    """``material`` encrypted with GetParametersForImport's ``public_key``, as a user does it.

    RSAES_OAEP_* encrypt it under the RSA key; RSA_AES_KEY_WRAP_* encrypt a fresh
    AES-256 key under the RSA key and the material under that AES key with AES key
    wrap with padding (RFC 5649), the two concatenated ("Encrypt the key material",
    https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-encrypt-key-material.html).
    """
    wrapping_key = serialization.load_der_public_key(public_key)
    assert isinstance(wrapping_key, rsa.RSAPublicKey)
    digest = hashes.SHA1() if wrapping_algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if wrapping_algorithm.startswith("RSAES_OAEP"):
        return wrapping_key.encrypt(material, oaep)
    aes_key = bytes(range(32))  # any 256-bit key: a test's wrapping need not be secret
    return wrapping_key.encrypt(aes_key, oaep) + keywrap.aes_key_wrap_with_padding(
        aes_key, material
    )


def import_key_material(
    client: KMSClient,
    key_id: str,
    material: bytes,
    *,
    wrapping_algorithm: str = "RSAES_OAEP_SHA_256",
    wrapping_key_spec: str = "RSA_2048",
    **import_kwargs: Any,
) -> dict[str, Any]:
    """GetParametersForImport, wrap ``material``, ImportKeyMaterial: the latter's response.

    Without ``ValidTo`` or ``ExpirationModel``, the material does not expire.
    """
    request: dict[str, Any] = {
        "KeyId": key_id,
        "WrappingAlgorithm": wrapping_algorithm,
        "WrappingKeySpec": wrapping_key_spec,
    }
    parameters = client.get_parameters_for_import(**request)
    if "ValidTo" not in import_kwargs:
        import_kwargs.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return dict(
        client.import_key_material(
            KeyId=key_id,
            ImportToken=parameters["ImportToken"],
            EncryptedKeyMaterial=wrap_key_material(
                material, parameters["PublicKey"], wrapping_algorithm
            ),
            **import_kwargs,
        )
    )


def aws_managed_key(client: KMSClient) -> dict[str, Any]:
    """The KeyMetadata of the AWS managed key of S3 (naming its alias makes it)."""
    return dict(client.describe_key(KeyId="alias/aws/s3")["KeyMetadata"])


def listed_key_ids(client: KMSClient) -> list[str]:
    """The KeyIds ListKeys gives (one page)."""
    return [key["KeyId"] for key in client.list_keys()["Keys"]]


def before_send_client(region: str = REGION) -> KMSClient:
    """A client whose calls skip the before-call fast path (the one botocore retries on)."""
    client = boto3.client("kms", region_name=region)
    before_call: Any = _interceptor._before_call
    client.meta.events.unregister("before-call.kms", before_call)
    return client


# -- the mock's state, past the handle --------------------------------------------------------


def backend_of(kms: MockKMS | None = None) -> Backend:
    """The state behind ``kms`` (its live or last activation), or of the mock serving now."""
    backend = _active.active_backend() if kms is None else kms._backend
    assert backend is not None, "no mock is active"
    return backend


@contextmanager
def served_by(kms: MockKMS) -> Iterator[None]:
    """Let the last activation of a stopped ``kms`` serve KMS again for a while.

    Tests that share expensive keys (RSA_4096 pairs) make them once in a
    module-scoped mock and activate its state again per test, instead of one
    mock per test.
    """
    activation = _active.Activation(backend_of(kms))
    _active.enter(activation)
    try:
        yield
    finally:
        _active.leave(activation)


def stored_key(kms: MockKMS, key_id: str, *, account: str = ACCOUNT, region: str = REGION) -> Key:
    """The stored key (which must exist), as the operations see it."""
    key = backend_of(kms).key(account, region, key_id)
    assert key is not None, f"no key {key_id} in {account}/{region}"
    return key


def stored_key_ids(kms: MockKMS, *, account: str = ACCOUNT, region: str = REGION) -> list[str]:
    """The ids of the keys stored in one account and Region, in order of creation."""
    return list(backend_of(kms).region_store(account, region).keys)


def stores(kms: MockKMS) -> dict[tuple[str, str], list[str]]:
    """Every (account, Region) written to, with the ids of the keys it holds."""
    return {
        (store.account_id, store.region): list(store.keys)
        for store in backend_of(kms).region_stores()
    }


def key_pair_of(kms: MockKMS, key_id: str) -> KeyPair:
    """An asymmetric key's private and public key, derived if need be."""
    pair = lazy_secret_of(kms, key_id).derive()
    assert isinstance(pair, KeyPair), f"{key_id} is an HMAC key"
    return pair


def hmac_secret_of(kms: MockKMS, key_id: str) -> bytes:
    """An HMAC key's secret bytes, derived if need be."""
    secret = lazy_secret_of(kms, key_id).derive()
    assert isinstance(secret, bytes), f"{key_id} is an asymmetric key"
    return secret


def secret_derived(kms: MockKMS, key_id: str) -> bool:
    """Whether an asymmetric or HMAC key's secret has been derived yet."""
    return lazy_secret_of(kms, key_id).peek() is not None


def lazy_secret_of(kms: MockKMS, key_id: str) -> LazySecret:
    """An asymmetric or HMAC key's secret (its seed, and what was derived from it)."""
    secret = stored_key(kms, key_id).materials.key_secret
    assert isinstance(secret, LazySecret), f"{key_id} has AES material or none"
    return secret


def schedule_of(kms: MockKMS) -> Schedule:
    """The time-driven events of ``kms`` (``len()``: the live ones)."""
    return backend_of(kms).schedule


def audit_of(kms: MockKMS | None = None) -> AuditLog:
    """The audit log's records as stored, without catching up on due events (see backend_of)."""
    return backend_of(kms).audit


def retirable_index(kms: MockKMS) -> dict[tuple[str, str], list[str]]:
    """(Region, retiring principal) -> grant ids, as the index ListRetirableGrants reads holds them.

    The state the next call finds (due events applied), like :func:`dump`.
    """
    backend = backend_of(kms)
    with backend.transaction():
        for index in backend._retirable.values():
            for listing in index._by_principal.values():
                assert listing.positions == [retirable_position(g) for g in listing.grants]
        return {
            (region, principal): [grant.grant_id for grant in listing.grants]
            for region, index in backend._retirable.items()
            for principal, listing in index._by_principal.items()
        }


def retirable_by_scan(kms: MockKMS) -> dict[tuple[str, str], list[str]]:
    """What :func:`retirable_index` must hold: every stored key's grants by retiring principal,
    ordered by key ARN, then by creation on the key (ListRetirableGrants' order)."""
    backend = backend_of(kms)
    found: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
    with backend.transaction():
        for store in backend.region_stores():
            for key in store.keys.values():
                for grant in () if key.grants is None else key.grants.by_id.values():
                    if grant.retiring_principal is not None:
                        place = (store.region, grant.retiring_principal)
                        found.setdefault(place, []).append((key.arn, grant.serial, grant.grant_id))
    return {place: [grant_id for *_, grant_id in sorted(of)] for place, of in found.items()}


# -- a canonical dump of the state: equal dumps, equal stores -----------------------------------


def dump(state: MockKMS | Backend) -> bytes:
    """Every store, key, alias, custom key store and live scheduled event of ``state``, as bytes.

    Tests compare a dump taken before a call with one taken after. Every field
    of every key is in it (its materials, a lazy secret by its seed rather than
    by what was derived from it, tags in their order); the schedule's events
    are named by the key that holds them. The state is the one the next call
    finds: events that fell due by the clock's now have happened. Each Region's
    index of grants by retiring principal is left out: it is derived from the
    keys' grants, and :func:`retirable_index` checks it against them.
    """
    backend = state if isinstance(state, Backend) else backend_of(state)
    with backend.transaction():
        return _dump(backend)


def _dump(backend: Backend) -> bytes:
    owners = _event_owners(backend)
    lines = []
    for store in backend.region_stores():
        lines.append(f"store {store.account_id} {store.region}")
        for key in store.keys.values():
            lines.append(f"  key {_canonical(key)}")
        for alias in store.aliases.values():
            lines.append(f"  alias {_canonical(alias)}")
        for key_id in store.keys:  # the per-key index agrees with the aliases
            lines.append(f"  aliases of {key_id} {[a.name for a in store.aliases_of(key_id)]}")
        for key_store in store.key_stores.values():
            lines.append(f"  custom key store {_canonical(key_store)}")
    for event in backend.schedule.pending():
        lines.append(f"event {event.due.isoformat()} {owners.get(id(event), 'owned by no key')}")
    return "\n".join(lines).encode()


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, LazySecret):
        # What the key holds, not when its secret happened to be derived.
        return {"key_spec": value.key_spec, "seed": value.seed.hex()}
    if isinstance(value, RelatedKeys):
        # By ARN: each related key is dumped where it is stored.
        return {"primary": value.primary.arn, "replicas": [k.arn for k in value.replicas.values()]}
    if isinstance(value, ReadySecret):  # imported: the private key or HMAC secret itself
        secret = value.peek()
        material = secret.private_pkcs8() if isinstance(secret, KeyPair) else secret
        return {"key_spec": value.key_spec, "imported": material.hex()}
    if isinstance(value, ScheduledEvent):
        return {"due": value.due.isoformat(), "cancelled": value.cancelled}
    if isinstance(value, dict):
        # Insertion order is kept: listings show it.
        return [[_canonical(k), _canonical(v)] for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, frozenset):  # a grant's operations
        return sorted(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Private fields are caches (ordered views a listing builds): not state.
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _event_owners(backend: Backend) -> dict[int, str]:
    """Which key holds each scheduled event, and as what."""
    owners: dict[int, str] = {}
    for store in backend.region_stores():
        for key in store.keys.values():
            if key.materials.rotation_event is not None:
                owners[id(key.materials.rotation_event)] = f"rotation of {key.arn}"
            if key.deletion_event is not None:
                owners[id(key.deletion_event)] = f"deletion of {key.arn}"
            if key.transition is not None:
                owners[id(key.transition)] = f"end of {key.state} of {key.arn}"
            for material_id, held in key.imports.items():
                if held.expiry_event is not None:
                    owners[id(held.expiry_event)] = f"expiry of {material_id} of {key.arn}"
        for key_store in store.key_stores.values():
            if key_store.transition is not None:
                owners[id(key_store.transition)] = f"connection of {key_store.store_id}"
    return owners


def hidden_resource_message(principal_arn: str, action: str) -> str:
    """AWS's AccessDenied text for another account's key that hides whether it exists."""
    return (
        f"User: {principal_arn} is not authorized to perform: {action} on this resource "
        "because the resource does not exist in this Region, no resource-based policies "
        "allow access, or a resource-based policy explicitly denies access"
    )


def run_in_a_fresh_interpreter(
    script: str, *args: str, credentials: tuple[str, str] | None = None
) -> str:
    """What ``script`` prints, run with ``args`` in a new Python process that must succeed.

    The process gets the suite's environment (no AWS configuration, no
    instance-metadata service), plus ``credentials`` (access key id, secret)
    when given.
    """
    environment = dict(os.environ)
    if credentials is not None:
        environment.update(AWS_ACCESS_KEY_ID=credentials[0], AWS_SECRET_ACCESS_KEY=credentials[1])
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
