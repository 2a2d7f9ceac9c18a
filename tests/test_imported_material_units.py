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
    PENDING_ROTATION,
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


def _complete(materials: MaterialSet) -> bool:
    return materials.complete


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


def test_a_set_is_complete_when_every_version_kept_for_good_has_its_secret() -> None:
    materials = MaterialSet()
    assert not _complete(materials)  # no material at all
    materials.add_current(_version("a"))
    materials.add_pending(_version("b"))
    materials.by_id["b"].delete_secret()
    assert _complete(materials)  # a pending version does not count
    materials.by_id["a"].delete_secret()
    assert not _complete(materials)
    assert materials.by_id["a"].import_state == MATERIAL_PENDING_IMPORT
    with pytest.raises(TypeError, match=exactly("material a holds no secret")):
        _ = materials.by_id["a"].aes_key


def test_reimport_restores_the_secret_and_keeps_a_description_unless_given() -> None:
    kept = KeyMaterial("a", None, START, None, description="first")
    kept.reimport(
        KeyMaterial("a", bytes(32), START + DAY, None, expiration_model=KEY_MATERIAL_EXPIRES)
    )
    assert (kept.secret, kept.import_state, kept.description) == (bytes(32), IMPORTED, "first")
    assert kept.expiration_model == KEY_MATERIAL_EXPIRES
    kept.reimport(KeyMaterial("a", bytes(32), START, None, description="second"))
    assert (kept.description, kept.valid_to) == ("second", None)


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


def _imported(
    backend: Backend, key: Key, secret: bytes, valid_to: _dt.datetime | None
) -> KeyMaterial:
    return imported_material(
        backend,
        key,
        secret,
        secret,
        START,
        expiration_model=KEY_MATERIAL_EXPIRES,
        valid_to=valid_to,
        description=None,
    )


def test_imported_material_enables_the_key_and_expires_on_the_clock(
    backend: Backend, key: Key, clock: FrozenClock
) -> None:
    material = _imported(backend, key, bytes(32), START + DAY)
    key.materials.add_current(material)
    _lifecycle.material_imported(backend, key, material, START)
    assert key.state == ENABLED
    assert len(backend.schedule) == 1
    clock.advance(days=1)
    backend.catch_up()
    assert (key.state, material.secret, material.expiry_event) == (PENDING_IMPORT, None, None)
    [event] = backend.audit.events()
    assert (event["eventName"], event["eventTime"]) == (
        "DeleteExpiredKeyMaterial",
        "2025-01-02T00:00:00Z",
    )


def test_the_same_material_imported_again_replaces_its_expiry(backend: Backend, key: Key) -> None:
    material = _imported(backend, key, bytes(32), START + DAY)
    key.materials.add_current(material)
    _lifecycle.material_imported(backend, key, material, START)
    first = material.expiry_event
    material.reimport(_imported(backend, key, bytes(32), None))
    _lifecycle.material_imported(backend, key, material, START)
    assert first is not None
    assert first.cancelled
    assert (material.expiry_event, len(backend.schedule)) == (None, 0)


def test_deleting_material_of_a_disabled_key_makes_it_wait_for_the_import(
    backend: Backend, key: Key
) -> None:
    material = _imported(backend, key, bytes(32), None)
    key.materials.add_current(material)
    _lifecycle.material_imported(backend, key, material, START)
    _lifecycle.set_state(backend, key, DISABLED, START)
    _lifecycle.delete_material(backend, key, material, START)
    assert key.state == PENDING_IMPORT
    material.reimport(_imported(backend, key, bytes(32), None))
    _lifecycle.material_imported(backend, key, material, START)
    assert key.state == ENABLED  # the key was PendingImport: all its material is back


def test_deleting_pending_material_changes_no_state(backend: Backend, key: Key) -> None:
    current = _imported(backend, key, bytes(32), None)
    key.materials.add_current(current)
    _lifecycle.material_imported(backend, key, current, START)
    pending = _imported(backend, key, bytes(range(32)), START + DAY)
    key.materials.add_pending(pending)
    _lifecycle.material_imported(backend, key, pending, START)
    _lifecycle.delete_material(backend, key, pending, START)
    assert (key.state, list(key.materials.by_id), len(backend.schedule)) == (
        ENABLED,
        [current.material_id],
        0,
    )


def test_a_key_pending_deletion_stays_so_when_its_material_goes(backend: Backend, key: Key) -> None:
    material = _imported(backend, key, bytes(32), START + DAY)
    key.materials.add_current(material)
    _lifecycle.material_imported(backend, key, material, START)
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
