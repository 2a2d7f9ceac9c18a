"""Fast backend tests of imported material: the material set's pending versions, the
lifecycle of imported material on a bare backend, and ``_wrapping`` (tokens, unwrapping,
what material fits a key spec). The operations are tested through boto3 in ``test_import.py``.
"""

from __future__ import annotations

import datetime as _dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kms_mock import FrozenClock, _lifecycle, _wrapping
from kms_mock._keyfactory import imported_material, new_key
from kms_mock._keypairs import KeyPair, derive_secret
from kms_mock._materials import (
    CURRENT,
    IMPORTED,
    KEY_MATERIAL_EXPIRES,
    MATERIAL_PENDING_IMPORT,
    NON_CURRENT,
    ON_DEMAND,
    PENDING_MULTI_REGION_IMPORT_AND_ROTATION,
    PENDING_ROTATION,
    Import,
    KeyMaterial,
    MaterialSet,
)
from kms_mock._models import DISABLED, ENABLED, PENDING_DELETION, PENDING_IMPORT, Key
from kms_mock._store import Backend
from tests._helpers import ACCOUNT, REGION, exactly

START = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
DAY = _dt.timedelta(days=1)
ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _version(material_id: str) -> KeyMaterial:
    return KeyMaterial(material_id, bytes(32), START, None, origin="EXTERNAL")


def _pending_id(materials: MaterialSet) -> str | None:
    pending = materials.pending
    return None if pending is None else pending.material_id


# --- the material set's pending versions -------------------------------------------------------


def test_a_pending_version_waits_behind_the_current_one() -> None:
    materials = MaterialSet()
    materials.add_current(_version("a"))
    assert _pending_id(materials) is None
    materials.add_pending(_version("b"))
    assert (materials.current_id, _pending_id(materials)) == ("a", "b")
    assert materials.by_id["b"].state == PENDING_ROTATION
    materials.promote_pending(ON_DEMAND, START + DAY)
    promoted = materials.by_id["b"]
    assert (materials.current_id, promoted.state) == ("b", CURRENT)
    assert (promoted.rotation_type, promoted.rotated_at) == (ON_DEMAND, START + DAY)
    assert materials.by_id["a"].state == NON_CURRENT
    assert _pending_id(materials) is None


def test_promoting_or_discarding_needs_a_pending_version() -> None:
    materials = MaterialSet()
    materials.add_current(_version("a"))
    with pytest.raises(ValueError, match=exactly("no key material is pending rotation")):
        materials.promote_pending(ON_DEMAND, START)
    with pytest.raises(ValueError, match=exactly("material a is CURRENT, not pending")):
        materials.discard("a")
    materials.add_pending(_version("b"))
    materials.discard("b")
    assert list(materials.by_id) == ["a"]


def test_a_version_waiting_for_a_replicas_import_is_not_promoted() -> None:
    materials = MaterialSet()
    materials.add_current(_version("a"))
    materials.add_pending(_version("b"))
    materials.mark_pending(imported_everywhere=False)
    assert materials.by_id["b"].state == PENDING_MULTI_REGION_IMPORT_AND_ROTATION
    assert _pending_id(materials) == "b"
    with pytest.raises(ValueError, match=exactly("no key material is pending rotation")):
        materials.promote_pending(ON_DEMAND, START)
    materials.mark_pending(imported_everywhere=True)
    assert materials.by_id["b"].state == PENDING_ROTATION


def test_a_version_keeps_its_secret_when_imported_again_and_loses_it_when_forgotten() -> None:
    kept = _version("a")
    kept.forget_secret()
    with pytest.raises(TypeError, match=exactly("material a holds no secret")):
        _ = kept.aes_key
    kept.reimport(KeyMaterial("a", bytes(range(32)), START + DAY, None))
    assert kept.secret == bytes(range(32))
    kept.reimport(KeyMaterial("a", bytes(32), START + DAY, None))
    assert (kept.secret, kept.created_at) == (bytes(range(32)), START)


# --- the lifecycle of imported material on a bare backend --------------------------------------


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def backend(clock: FrozenClock) -> Backend:
    return Backend(clock=clock, default_region=REGION, account_id=ACCOUNT, seed=4)


@pytest.fixture
def key(backend: Backend) -> Key:
    made = new_key(
        backend,
        ACCOUNT,
        REGION,
        START,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin="EXTERNAL",
        policy=None,
    )
    store = backend.region_store(ACCOUNT, REGION)
    store.add_key(made)
    backend.keep(store)
    return made


def _import(
    backend: Backend,
    key: Key,
    secret: bytes,
    valid_to: _dt.datetime | None,
    *,
    pending: bool = False,
) -> KeyMaterial:
    """``secret`` imported into ``key`` as current (or pending) material, as ImportKeyMaterial."""
    material = imported_material(backend, key, secret, secret, START)
    if pending:
        key.materials.add_pending(material)
    else:
        key.materials.add_current(material)
    _lifecycle.material_imported(
        backend, key, material, Import(KEY_MATERIAL_EXPIRES, valid_to, None), START
    )
    return material


def test_imported_material_enables_the_key_and_expires_on_the_clock(
    backend: Backend, key: Key, clock: FrozenClock
) -> None:
    material = _import(backend, key, bytes(32), START + DAY)
    assert (key.state, key.import_state(material.material_id)) == (ENABLED, IMPORTED)
    assert key.import_state("never imported") == MATERIAL_PENDING_IMPORT
    assert len(backend.schedule) == 1
    clock.advance(days=1)
    backend.catch_up()
    held = key.imports[material.material_id]
    assert (key.state, held.present, held.expiry_event) == (PENDING_IMPORT, False, None)
    assert key.import_state(material.material_id) == MATERIAL_PENDING_IMPORT
    assert material.secret is None  # no key holds it imported any more
    [event] = backend.audit.events()
    assert (event["eventName"], event["eventTime"]) == (
        "DeleteExpiredKeyMaterial",
        "2025-01-02T00:00:00Z",
    )


def test_the_same_material_imported_again_replaces_its_expiry_and_keeps_its_description(
    backend: Backend, key: Key
) -> None:
    material = _import(backend, key, bytes(32), START + DAY)
    first = key.imports[material.material_id]
    first.description = "first"
    expiry = first.expiry_event
    again = Import(KEY_MATERIAL_EXPIRES, None, None)
    _lifecycle.material_imported(backend, key, material, again, START)
    assert expiry is not None
    assert expiry.cancelled
    assert key.imports[material.material_id] is again
    assert (again.expiry_event, again.description, len(backend.schedule)) == (None, "first", 0)


def test_deleting_material_of_a_disabled_key_makes_it_wait_for_the_import(
    backend: Backend, key: Key
) -> None:
    material = _import(backend, key, bytes(32), None)
    _lifecycle.set_state(backend, key, DISABLED, START)
    _lifecycle.delete_material(backend, key, material, START)
    assert key.state == PENDING_IMPORT
    material.reimport(imported_material(backend, key, bytes(32), bytes(32), START))
    _lifecycle.material_imported(
        backend, key, material, Import(KEY_MATERIAL_EXPIRES, None, None), START
    )
    assert key.state == ENABLED  # the key was PendingImport: all its material is back
    assert material.secret == bytes(32)


def test_deleting_pending_material_changes_no_state(backend: Backend, key: Key) -> None:
    current = _import(backend, key, bytes(32), None)
    pending = _import(backend, key, bytes(range(32)), START + DAY, pending=True)
    assert pending.state == PENDING_ROTATION  # a single-Region key is its only holder
    _lifecycle.delete_material(backend, key, pending, START)
    assert (key.state, list(key.materials.by_id), list(key.imports), len(backend.schedule)) == (
        ENABLED,
        [current.material_id],
        [current.material_id],
        0,
    )


def test_a_key_pending_deletion_stays_so_when_its_material_goes(backend: Backend, key: Key) -> None:
    material = _import(backend, key, bytes(32), START + DAY)
    _lifecycle.schedule_deletion(backend, key, 7, START)
    _lifecycle.delete_material(backend, key, material, START)
    assert key.state == PENDING_DELETION
    _lifecycle.cancel_deletion(backend, key, START)
    assert key.state == PENDING_IMPORT


# --- _wrapping ---------------------------------------------------------------------------------

SEALING_KEY = _wrapping.token_key(bytes(32))
WRAPPING_KEY = derive_secret("RSA_2048", bytes(32), reproducible=False)
NONCE = bytes(12)


def _token(valid_to: _dt.datetime | None = START + DAY) -> bytes:
    assert isinstance(WRAPPING_KEY, KeyPair)
    return _wrapping.new_token(
        SEALING_KEY, ARN, "RSA_AES_KEY_WRAP_SHA_1", WRAPPING_KEY, valid_to, NONCE
    )


@pytest.mark.parametrize("valid_to", [START + DAY, None], ids=["dated", "never"])
def test_a_token_says_its_expiry_algorithm_and_wrapping_key(valid_to: _dt.datetime | None) -> None:
    parameters = _wrapping.open_token(SEALING_KEY, ARN, _token(valid_to))
    assert (parameters.valid_to, parameters.wrapping_algorithm) == (
        valid_to,
        "RSA_AES_KEY_WRAP_SHA_1",
    )
    assert isinstance(WRAPPING_KEY, KeyPair)
    assert parameters.wrapping_key.private_numbers() == WRAPPING_KEY.private_key.private_numbers()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "token",
    [b"", b"\x01", b"\x02" + _token()[1:], _token()[:-1], _token()[:13]],
    ids=["empty", "version-only", "other-version", "tampered", "no-payload"],
)
def test_what_is_not_this_keys_token_is_invalid(token: bytes) -> None:
    with pytest.raises(_wrapping.InvalidToken):
        _wrapping.open_token(SEALING_KEY, ARN, token)


def test_a_token_is_bound_to_its_key_and_its_mock() -> None:
    with pytest.raises(_wrapping.InvalidToken):
        _wrapping.open_token(SEALING_KEY, ARN.replace("1234abcd", "5678abcd"), _token())
    with pytest.raises(_wrapping.InvalidToken):
        _wrapping.open_token(_wrapping.token_key(bytes(range(32))), ARN, _token())


def _pkcs8(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_traditional_private_key_encodings_are_not_pkcs8() -> None:
    rsa_key = rsa.generate_private_key(65537, 2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    for private_key in (rsa_key, ec_key):
        traditional = private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        assert not _wrapping._is_pkcs8(traditional)
        assert _wrapping._is_pkcs8(_pkcs8(private_key))
    with pytest.raises(_wrapping.MaterialMismatch):
        _wrapping.imported_secret(
            "ECC_NIST_P256",
            ec_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ),
        )
    for garbage in (b"", b"\x30", b"\x30\x82\x01", b"\x30\x03\x02\x01"):
        assert not _wrapping._is_pkcs8(garbage)


def test_an_imported_private_key_is_kept_canonical() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    secret, canonical = _wrapping.imported_secret("ECC_NIST_P256", _pkcs8(ec_key))
    assert isinstance(secret, KeyPair)
    assert canonical == secret.private_pkcs8() == _pkcs8(ec_key)
    assert _wrapping.imported_secret("HMAC_512", bytes(128)) == (bytes(128), bytes(128))


def test_wrapping_refusals_name_the_combinations_the_model_rules_out() -> None:
    refusal = _wrapping.wrapping_refusal
    assert refusal("RSA_2048", "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048") is None
    assert refusal("RSA_2048", "RSAES_OAEP_SHA_256", "RSA_4096") is not None
    assert refusal("ECC_NIST_P521", "RSAES_OAEP_SHA_1", "RSA_2048") is not None
    assert refusal("ECC_NIST_P521", "RSAES_OAEP_SHA_1", "RSA_3072") is None
    assert refusal("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSA_2048") is None
