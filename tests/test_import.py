"""Imported key material through boto3: GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial, expiry on the clock and on-demand rotation of imported material.

Material is wrapped on the test side with ``cryptography`` exactly as a user
wraps it (``tests/_helpers.wrap_key_material``), and what the key then does is
checked outside the mock with that same material: MACs with stdlib hmac,
signatures with the imported private key's public half, symmetric ciphertexts
opened with the imported AES key.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from kms_mock import FrozenClock, MockKMS, _ciphertext, mock_kms
from tests._helpers import (
    START,
    audit_of,
    dump,
    error_of,
    import_key_material,
    new_client,
    new_key,
    raises,
    schedule_of,
    wrap_key_material,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

NOW = _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC)
DAY = _dt.timedelta(days=1)
AES_MATERIAL = bytes(range(32))
OTHER_AES_MATERIAL = bytes(range(1, 33))
OAEP = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
RSA_AES = ["RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"]
EVERY_WRAPPING = OAEP + RSA_AES
NEVER_EXPIRES: dict[str, Any] = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}


def _pkcs8(private_key: Any) -> bytes:
    der: bytes = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return der


def _external(client: KMSClient, **create: Any) -> dict[str, Any]:
    return new_key(client, Origin="EXTERNAL", **create)


def _state(client: KMSClient, key_id: str) -> str:
    return client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]


def _rotations(client: KMSClient, key_id: str) -> list[dict[str, Any]]:
    listed = client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    return [dict(entry) for entry in listed["Rotations"]]


def _parameters(
    client: KMSClient,
    key_id: str,
    algorithm: str = "RSAES_OAEP_SHA_256",
    spec: str = "RSA_2048",
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "KeyId": key_id,
        "WrappingAlgorithm": algorithm,
        "WrappingKeySpec": spec,
    }
    return dict(client.get_parameters_for_import(**request))


# --- the round trip, each key family, every wrapping algorithm ---------------------------------


@pytest.mark.parametrize("wrapping_algorithm", EVERY_WRAPPING)
def test_symmetric_material_seals_ciphertexts_in_the_documented_envelope(
    client: KMSClient, wrapping_algorithm: str
) -> None:
    key = _external(client)
    imported = import_key_material(
        client, key["KeyId"], AES_MATERIAL, wrapping_algorithm=wrapping_algorithm
    )
    assert _state(client, key["KeyId"]) == "Enabled"
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"secret", EncryptionContext={"a": "b"})[
        "CiphertextBlob"
    ]
    envelope = _ciphertext.parse(blob)
    assert envelope.material_id == imported["KeyMaterialId"]
    # The imported AES key itself opens it: the material imported is the material used.
    assert _ciphertext.open_sealed(envelope, AES_MATERIAL, {"a": "b"}) == b"secret"
    decrypted = client.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})
    assert (decrypted["Plaintext"], decrypted["KeyMaterialId"]) == (
        b"secret",
        imported["KeyMaterialId"],
    )


@pytest.mark.parametrize("wrapping_key_spec", ["RSA_2048", "RSA_3072", "RSA_4096"])
def test_every_wrapping_key_spec_is_a_real_rsa_key_of_its_size(
    client: KMSClient, wrapping_key_spec: str
) -> None:
    key = _external(client)
    parameters = _parameters(client, key["KeyId"], spec=wrapping_key_spec)
    public_key = serialization.load_der_public_key(parameters["PublicKey"])
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == int(wrapping_key_spec[4:])
    assert parameters["KeyId"] == key["Arn"]
    assert parameters["ParametersValidTo"] == NOW + DAY
    client.import_key_material(
        KeyId=key["KeyId"],
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrap_key_material(
            AES_MATERIAL, parameters["PublicKey"], "RSAES_OAEP_SHA_256"
        ),
        **NEVER_EXPIRES,
    )
    assert _state(client, key["KeyId"]) == "Enabled"


HMAC_SPECS = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}


@pytest.mark.parametrize("key_spec", HMAC_SPECS)
@pytest.mark.parametrize("wrapping_algorithm", EVERY_WRAPPING)
def test_imported_hmac_material_makes_macs_stdlib_hmac_verifies(
    client: KMSClient, key_spec: str, wrapping_algorithm: str
) -> None:
    material = bytes(range(HMAC_SPECS[key_spec]))
    key = _external(client, KeySpec=key_spec, KeyUsage="GENERATE_VERIFY_MAC")
    import_key_material(client, key["KeyId"], material, wrapping_algorithm=wrapping_algorithm)
    algorithm = f"HMAC_SHA_{key_spec[5:]}"
    mac = client.generate_mac(
        KeyId=key["KeyId"],
        Message=b"m",
        MacAlgorithm=algorithm,  # type: ignore[arg-type]
    )["Mac"]
    digest = getattr(hashlib, f"sha{key_spec[5:]}")
    assert mac == hmac.new(material, b"m", digest).digest()


SIGNING_KEYS: dict[str, Any] = {
    "ECC_NIST_P256": (lambda: ec.generate_private_key(ec.SECP256R1()), "ECDSA_SHA_256"),
    "ECC_NIST_P384": (lambda: ec.generate_private_key(ec.SECP384R1()), "ECDSA_SHA_384"),
    "ECC_SECG_P256K1": (lambda: ec.generate_private_key(ec.SECP256K1()), "ECDSA_SHA_256"),
    "ECC_NIST_EDWARDS25519": (ed25519.Ed25519PrivateKey.generate, "ED25519_SHA_512"),
}


def _verify_outside(public_key: Any, signature: bytes, message: bytes, algorithm: str) -> None:
    """Raises InvalidSignature unless ``signature`` verifies with ``public_key``."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(signature, message)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        digest = getattr(hashes, f"SHA{algorithm[-3:]}")()
        public_key.verify(signature, message, ec.ECDSA(digest))
    else:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.parametrize("key_spec", SIGNING_KEYS)
@pytest.mark.parametrize("wrapping_algorithm", EVERY_WRAPPING)
def test_imported_ecc_private_keys_sign_what_their_public_half_verifies(
    client: KMSClient, key_spec: str, wrapping_algorithm: str
) -> None:
    make, algorithm = SIGNING_KEYS[key_spec]
    private_key = make()
    key = _external(client, KeySpec=key_spec, KeyUsage="SIGN_VERIFY")
    import_key_material(
        client, key["KeyId"], _pkcs8(private_key), wrapping_algorithm=wrapping_algorithm
    )
    signature = client.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm=algorithm)
    _verify_outside(private_key.public_key(), signature["Signature"], b"m", algorithm)
    public = client.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    assert public == private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize("wrapping_algorithm", RSA_AES)
def test_an_imported_rsa_private_key_signs_and_decrypts(
    client: KMSClient, wrapping_algorithm: str
) -> None:
    private_key = rsa.generate_private_key(65537, 2048)
    signing = _external(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    import_key_material(
        client, signing["KeyId"], _pkcs8(private_key), wrapping_algorithm=wrapping_algorithm
    )
    signature = client.sign(
        KeyId=signing["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"
    )["Signature"]
    _verify_outside(private_key.public_key(), signature, b"m", "RSASSA_PKCS1_V1_5_SHA_256")
    encrypting = _external(client, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    import_key_material(
        client, encrypting["KeyId"], _pkcs8(private_key), wrapping_algorithm=wrapping_algorithm
    )
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    blob = private_key.public_key().encrypt(b"outside", oaep)
    decrypted = client.decrypt(
        KeyId=encrypting["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    )
    assert decrypted["Plaintext"] == b"outside"


def test_an_imported_key_agreement_key_derives_the_shared_secret_of_its_private_key(
    client: KMSClient,
) -> None:
    ours, theirs = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    key = _external(client, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    import_key_material(client, key["KeyId"], _pkcs8(ours))
    their_public = theirs.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    derived = client.derive_shared_secret(
        KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=their_public
    )
    assert derived["SharedSecret"] == ours.exchange(ec.ECDH(), theirs.public_key())


def test_p521_material_needs_more_than_oaep_under_rsa_2048(client: KMSClient) -> None:
    private_key = ec.generate_private_key(ec.SECP521R1())
    key = _external(client, KeySpec="ECC_NIST_P521", KeyUsage="SIGN_VERIFY")
    excinfo = raises(
        lambda: client.get_parameters_for_import(
            KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="RSA_2048"
        )
    )
    assert error_of(excinfo) == (
        "ValidationException",
        "Wrapping algorithm RSAES_OAEP_SHA_1 with wrapping key spec RSA_2048 cannot wrap "
        "ECC_NIST_P521 key material: use a longer wrapping key or an RSA_AES wrapping algorithm.",
        400,
    )
    import_key_material(
        client,
        key["KeyId"],
        _pkcs8(private_key),
        wrapping_algorithm="RSAES_OAEP_SHA_256",
        wrapping_key_spec="RSA_3072",
    )
    signature = client.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_512")
    private_key.public_key().verify(signature["Signature"], b"m", ec.ECDSA(hashes.SHA512()))


@pytest.mark.parametrize("wrapping_algorithm", OAEP)
def test_rsa_private_keys_need_an_rsa_aes_wrapping_algorithm(
    client: KMSClient, wrapping_algorithm: str
) -> None:
    key = _external(client, KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")
    excinfo = raises(lambda: _parameters(client, key["KeyId"], wrapping_algorithm, "RSA_4096"))
    assert error_of(excinfo) == (
        "ValidationException",
        f"Wrapping algorithm {wrapping_algorithm} cannot wrap RSA_3072 key material: "
        "use an RSA_AES wrapping algorithm.",
        400,
    )


# --- GetParametersForImport --------------------------------------------------------------------


def test_parameters_refuse_keys_that_are_not_external(client: KMSClient) -> None:
    key = new_key(client)
    for call in (
        lambda: client.get_parameters_for_import(
            KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        ),
        lambda: client.delete_imported_key_material(KeyId=key["KeyId"]),
        lambda: client.import_key_material(
            KeyId=key["KeyId"], ImportToken=b"t", EncryptedKeyMaterial=b"m", **NEVER_EXPIRES
        ),
    ):
        assert error_of(raises(call)) == (
            "UnsupportedOperationException",
            f"{key['Arn']} origin is AWS_KMS which is not valid for this operation.",
            400,
        )


def test_rsaes_pkcs1_v1_5_wrapping_is_no_longer_supported(client: KMSClient) -> None:
    key = _external(client)
    excinfo = raises(
        lambda: client.get_parameters_for_import(
            KeyId=key["KeyId"], WrappingAlgorithm="RSAES_PKCS1_V1_5", WrappingKeySpec="RSA_2048"
        )
    )
    assert error_of(excinfo) == (
        "ValidationException",
        "KMS does not support the RSAES_PKCS1_V1_5 wrapping algorithm.",
        400,
    )


@pytest.mark.parametrize(
    ("algorithm", "spec"), [("SM2PKE", "SM2"), ("SM2PKE", "RSA_2048"), ("RSAES_OAEP_SHA_1", "SM2")]
)
def test_sm2_wrapping_exists_only_in_china_regions(
    client: KMSClient, algorithm: str, spec: str
) -> None:
    key = _external(client)
    excinfo = raises(lambda: _parameters(client, key["KeyId"], algorithm, spec))
    assert error_of(excinfo) == (
        "ValidationException",
        "The SM2 wrapping key spec and the SM2PKE wrapping algorithm are supported only in "
        "China Regions.",
        400,
    )


def test_sm2_wrapping_in_a_china_region_is_refused_with_the_reason(kms: MockKMS) -> None:
    client = new_client("cn-north-1")
    key = _external(client)
    excinfo = raises(
        lambda: client.get_parameters_for_import(
            KeyId=key["KeyId"], WrappingAlgorithm="SM2PKE", WrappingKeySpec="SM2"
        )
    )
    assert error_of(excinfo) == (
        "NotImplementedByKmsMock",
        "not implemented by kms_mock: GetParametersForImport with WrappingKeySpec SM2: the "
        "cryptography package has no SM2. kms_mock does not serve this yet; see the README's "
        "list of supported operations.",
        501,
    )
    excinfo = raises(
        lambda: client.get_parameters_for_import(
            KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="SM2"
        )
    )
    assert error_of(excinfo)[:2] == (
        "ValidationException",
        "Wrapping algorithm RSAES_OAEP_SHA_1 is not compatible with wrapping key spec SM2.",
    )


def test_parameters_of_a_key_pending_deletion_are_refused(client: KMSClient) -> None:
    key = _external(client)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    excinfo = raises(
        lambda: client.get_parameters_for_import(
            KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
    )
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is pending deletion.",
        400,
    )


def test_each_request_gets_its_own_wrapping_key(client: KMSClient) -> None:
    key = _external(client)
    first, second = (
        client.get_parameters_for_import(
            KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        for _ in range(2)
    )
    assert first["PublicKey"] != second["PublicKey"]
    assert first["ImportToken"] != second["ImportToken"]
    # Material wrapped for one set does not import with the other's token.
    wrapped = wrap_key_material(AES_MATERIAL, first["PublicKey"], "RSAES_OAEP_SHA_256")
    excinfo = raises(
        lambda: client.import_key_material(
            KeyId=key["KeyId"],
            ImportToken=second["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            **NEVER_EXPIRES,
        )
    )
    assert error_of(excinfo) == ("InvalidCiphertextException", "", 400)


def test_a_seeded_mock_repeats_its_wrapping_keys_and_tokens() -> None:
    answers = []
    for _ in range(2):
        with mock_kms(clock=FrozenClock(START), seed=3):
            client = new_client()
            key = _external(client)
            answers.append(
                client.get_parameters_for_import(
                    KeyId=key["KeyId"],
                    WrappingAlgorithm="RSAES_OAEP_SHA_256",
                    WrappingKeySpec="RSA_2048",
                )
            )
    assert answers[0]["PublicKey"] == answers[1]["PublicKey"]
    assert answers[0]["ImportToken"] == answers[1]["ImportToken"]


# --- the import token --------------------------------------------------------------------------


def _import_with(client: KMSClient, key_id: str, parameters: dict[str, Any], **kwargs: Any) -> Any:
    wrapped = wrap_key_material(
        kwargs.pop("material", AES_MATERIAL), parameters["PublicKey"], "RSAES_OAEP_SHA_256"
    )
    return client.import_key_material(
        KeyId=key_id,
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        **(kwargs or NEVER_EXPIRES),
    )


def test_a_token_is_valid_for_24_hours_of_mock_time(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = _external(client)
    parameters = _parameters(client, key["KeyId"])
    clock.advance(hours=24)
    before = dump(kms)
    excinfo = raises(lambda: _import_with(client, key["KeyId"], parameters))
    assert error_of(excinfo) == (
        "ExpiredImportTokenException",
        "The import token is expired. Use GetParametersForImport to get a new import token "
        "and public key.",
        400,
    )
    assert dump(kms) == before
    fresh = _parameters(client, key["KeyId"])
    assert fresh["ParametersValidTo"] == NOW + DAY + DAY
    clock.advance(hours=24, seconds=-1)
    _import_with(client, key["KeyId"], fresh)
    assert _state(client, key["KeyId"]) == "Enabled"


@pytest.mark.parametrize("token", ["other key", "garbage", "truncated"])
def test_a_token_of_another_key_or_garbage_is_invalid(
    kms: MockKMS, client: KMSClient, token: str
) -> None:
    key, other = _external(client), _external(client)
    parameters = _parameters(client, other["KeyId"])
    if token == "garbage":
        parameters["ImportToken"] = b"\x01" * 200
    elif token == "truncated":
        parameters["ImportToken"] = parameters["ImportToken"][:5]
    before = dump(kms)
    excinfo = raises(lambda: _import_with(client, key["KeyId"], parameters))
    assert error_of(excinfo) == (
        "InvalidImportTokenException",
        "The import token is invalid or is associated with a different KMS key.",
        400,
    )
    assert dump(kms) == before


def test_undecryptable_material_is_an_invalid_ciphertext(kms: MockKMS, client: KMSClient) -> None:
    key = _external(client)
    parameters = _parameters(client, key["KeyId"])
    before = dump(kms)
    excinfo = raises(
        lambda: client.import_key_material(
            KeyId=key["KeyId"],
            ImportToken=parameters["ImportToken"],
            EncryptedKeyMaterial=b"\x00" * 256,
            **NEVER_EXPIRES,
        )
    )
    assert error_of(excinfo) == ("InvalidCiphertextException", "", 400)
    assert dump(kms) == before


# --- ImportKeyMaterial's rules ------------------------------------------------------------------


def test_material_expires_by_default_and_then_needs_valid_to(client: KMSClient) -> None:
    key = _external(client)
    parameters = _parameters(client, key["KeyId"])
    wrapped = wrap_key_material(AES_MATERIAL, parameters["PublicKey"], "RSAES_OAEP_SHA_256")
    for model in ({}, {"ExpirationModel": "KEY_MATERIAL_EXPIRES"}):
        excinfo = raises(
            lambda model=model: client.import_key_material(  # type: ignore[misc]
                KeyId=key["KeyId"],
                ImportToken=parameters["ImportToken"],
                EncryptedKeyMaterial=wrapped,
                **model,
            )
        )
        assert error_of(excinfo) == (
            "ValidationException",
            "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
            400,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ValidTo": NOW + DAY},
            "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
        ),
        ({"ValidTo": NOW}, "The validTo date must be in the future."),
        (
            {"ValidTo": NOW + 365 * DAY + _dt.timedelta(seconds=1)},
            "The validTo date must be no more than 365 days from now.",
        ),
        (
            {"ImportType": "NEW_KEY_MATERIAL", "KeyMaterialId": "a" * 64, **NEVER_EXPIRES},
            "You cannot specify a key material ID with ImportType set to NEW_KEY_MATERIAL.",
        ),
    ],
    ids=["valid-to-without-expiry", "past", "too-far", "new-with-id"],
)
def test_expiration_and_import_type_rules(
    kms: MockKMS, client: KMSClient, kwargs: dict[str, Any], message: str
) -> None:
    key = _external(client)
    parameters = _parameters(client, key["KeyId"])
    before = dump(kms)
    excinfo = raises(lambda: _import_with(client, key["KeyId"], parameters, **kwargs))
    assert error_of(excinfo) == ("ValidationException", message, 400)
    assert dump(kms) == before


def test_valid_to_365_days_ahead_is_accepted(client: KMSClient) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + 365 * DAY)
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (metadata["ExpirationModel"], metadata["ValidTo"]) == (
        "KEY_MATERIAL_EXPIRES",
        NOW + 365 * DAY,
    )


@pytest.mark.parametrize(
    ("create", "material", "message"),
    [
        ({}, bytes(16), "must be 256 bits (32 bytes) of symmetric key material"),
        (
            {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
            bytes(31),
            "must be 32 to 64 bytes of HMAC key material",
        ),
        (
            {"KeySpec": "HMAC_384", "KeyUsage": "GENERATE_VERIFY_MAC"},
            bytes(129),
            "must be 48 to 128 bytes of HMAC key material",
        ),
        (
            {"KeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY"},
            b"not a private key",
            "must be a DER-encoded PKCS #8 private key of key spec ECC_NIST_P384",
        ),
        (
            {"KeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY"},
            _pkcs8(ec.generate_private_key(ec.SECP256R1())),
            "must be a DER-encoded PKCS #8 private key of key spec ECC_NIST_P384",
        ),
    ],
    ids=["short-aes", "short-hmac", "long-hmac", "not-der", "wrong-curve"],
)
def test_material_must_fit_the_key_spec(
    kms: MockKMS, client: KMSClient, create: dict[str, Any], material: bytes, message: str
) -> None:
    key = _external(client, **create)
    before = dump(kms)
    excinfo = raises(lambda: import_key_material(client, key["KeyId"], material))
    spec = create.get("KeySpec", "SYMMETRIC_DEFAULT")
    assert error_of(excinfo) == (
        "IncorrectKeyMaterialException",
        f"The key material does not fit {key['Arn']} ({spec}): it {message}.",
        400,
    )
    assert dump(kms) == before


def test_an_rsa_key_of_another_size_does_not_fit(client: KMSClient) -> None:
    key = _external(client, KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")
    material = _pkcs8(rsa.generate_private_key(65537, 2048))
    excinfo = raises(
        lambda: import_key_material(
            client, key["KeyId"], material, wrapping_algorithm="RSA_AES_KEY_WRAP_SHA_256"
        )
    )
    assert error_of(excinfo)[0] == "IncorrectKeyMaterialException"


@pytest.mark.parametrize(
    "member",
    [
        {"ImportType": "NEW_KEY_MATERIAL"},
        {"KeyMaterialId": "a" * 64},
        {"KeyMaterialDescription": "mine"},
    ],
    ids=["ImportType", "KeyMaterialId", "KeyMaterialDescription"],
)
def test_asymmetric_and_hmac_keys_take_no_symmetric_only_members(
    client: KMSClient, member: dict[str, str]
) -> None:
    key = _external(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    excinfo = raises(lambda: import_key_material(client, key["KeyId"], bytes(32), **member))
    [name] = member
    assert error_of(excinfo) == (
        "ValidationException",
        f"{name} is valid only for symmetric encryption KMS keys.",
        400,
    )


def test_asymmetric_and_hmac_keys_take_one_material_ever(client: KMSClient) -> None:
    key = _external(client, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    import_key_material(client, key["KeyId"], bytes(32))
    excinfo = raises(lambda: import_key_material(client, key["KeyId"], bytes(range(32))))
    assert error_of(excinfo) == (
        "IncorrectKeyMaterialException",
        "The key material being imported is not the same key material that was previously "
        "imported into this KMS key.",
        400,
    )
    client.delete_imported_key_material(KeyId=key["KeyId"])
    assert _state(client, key["KeyId"]) == "PendingImport"
    import_key_material(client, key["KeyId"], bytes(32))  # the same again
    assert _state(client, key["KeyId"]) == "Enabled"


def test_the_first_import_is_new_material_and_later_ones_existing_by_default(
    client: KMSClient,
) -> None:
    key = _external(client)
    first = import_key_material(client, key["KeyId"], AES_MATERIAL, KeyMaterialDescription="v1")
    assert first == {
        "KeyId": key["Arn"],
        "KeyMaterialId": first["KeyMaterialId"],
        "ResponseMetadata": first["ResponseMetadata"],
    }
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["CurrentKeyMaterialId"] == first["KeyMaterialId"]
    # Omitted ImportType after the first import: EXISTING_KEY_MATERIAL, so other material fails.
    excinfo = raises(lambda: import_key_material(client, key["KeyId"], OTHER_AES_MATERIAL))
    assert error_of(excinfo)[0] == "IncorrectKeyMaterialException"
    again = import_key_material(
        client, key["KeyId"], AES_MATERIAL, KeyMaterialId=first["KeyMaterialId"]
    )
    assert again["KeyMaterialId"] == first["KeyMaterialId"]
    [entry] = _rotations(client, key["KeyId"])
    assert entry["KeyMaterialDescription"] == "v1"  # kept: none given on re-import


def test_new_material_already_associated_is_refused(client: KMSClient) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    excinfo = raises(
        lambda: import_key_material(
            client, key["KeyId"], AES_MATERIAL, ImportType="NEW_KEY_MATERIAL"
        )
    )
    assert error_of(excinfo) == (
        "IncorrectKeyMaterialException",
        "KMS expected new key material but the key material being imported is already "
        "associated with the KMS key.",
        400,
    )


def test_existing_material_must_match_the_named_key_material_id(client: KMSClient) -> None:
    key = _external(client)
    imported = import_key_material(client, key["KeyId"], AES_MATERIAL)
    other_id = "b" * 64
    excinfo = raises(
        lambda: import_key_material(client, key["KeyId"], AES_MATERIAL, KeyMaterialId=other_id)
    )
    assert error_of(excinfo) == (
        "IncorrectKeyMaterialException",
        f"The key material being imported does not match key material ID {other_id}.",
        400,
    )
    assert imported["KeyMaterialId"] != other_id


def test_material_ids_are_distinct_per_key_and_stable_per_material(client: KMSClient) -> None:
    first, second = _external(client), _external(client)
    ids = [import_key_material(client, key["KeyId"], AES_MATERIAL) for key in (first, second)]
    assert ids[0]["KeyMaterialId"] != ids[1]["KeyMaterialId"]
    client.delete_imported_key_material(KeyId=first["KeyId"])
    again = import_key_material(client, first["KeyId"], AES_MATERIAL)
    assert again["KeyMaterialId"] == ids[0]["KeyMaterialId"]


def test_import_into_a_key_pending_deletion_is_refused(kms: MockKMS, client: KMSClient) -> None:
    key = _external(client)
    parameters = _parameters(client, key["KeyId"])
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    before = dump(kms)
    excinfo = raises(lambda: _import_with(client, key["KeyId"], parameters))
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is pending deletion.",
        400,
    )
    assert dump(kms) == before


def test_reimporting_into_a_disabled_key_leaves_it_disabled(client: KMSClient) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    client.disable_key(KeyId=key["KeyId"])
    import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + DAY)
    assert _state(client, key["KeyId"]) == "Disabled"


# --- expiry on the clock -----------------------------------------------------------------------


def test_material_expires_at_valid_to_and_comes_back_with_the_same_material(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = _external(client)
    valid_to = NOW + 30 * DAY
    imported = import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=valid_to)
    blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    clock.move_to(valid_to - _dt.timedelta(seconds=1))
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    clock.advance(seconds=1)
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"]) == ("PendingImport", False)
    assert "ValidTo" not in metadata
    assert "ExpirationModel" not in metadata
    assert metadata["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    for call in (
        lambda: client.decrypt(CiphertextBlob=blob),
        lambda: client.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
    ):
        assert error_of(raises(call)) == (
            "KMSInvalidStateException",
            f"{key['Arn']} is pending import.",
            400,
        )
    [entry] = _rotations(client, key["KeyId"])
    assert entry["ImportState"] == "PENDING_IMPORT"
    [expired] = [
        event for event in kms.audit_log if event["eventName"] == "DeleteExpiredKeyMaterial"
    ]
    assert expired["eventTime"] == "2025-01-31T00:00:00Z"
    assert expired["eventType"] == "AwsServiceEvent"
    assert expired["resources"] == [
        {"accountId": "123456789012", "type": "AWS::KMS::Key", "ARN": key["Arn"]}
    ]
    assert expired["serviceEventDetails"] == {
        "keyId": key["KeyId"],
        "keyMaterialId": imported["KeyMaterialId"],
    }
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    assert _state(client, key["KeyId"]) == "Enabled"
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"


def test_reimporting_moves_the_expiry(client: KMSClient, clock: FrozenClock, kms: MockKMS) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + DAY)
    import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + 3 * DAY)
    assert len(schedule_of(kms)) == 1
    clock.advance(days=2)
    assert _state(client, key["KeyId"]) == "Enabled"
    import_key_material(client, key["KeyId"], AES_MATERIAL)  # does not expire any more
    assert len(schedule_of(kms)) == 0
    clock.advance(days=400)
    assert _state(client, key["KeyId"]) == "Enabled"


def test_expiry_of_a_key_pending_deletion_leaves_it_pending_deletion(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + DAY)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    clock.advance(days=2)
    assert _state(client, key["KeyId"]) == "PendingDeletion"
    client.cancel_key_deletion(KeyId=key["KeyId"])
    assert _state(client, key["KeyId"]) == "PendingImport"  # its material is gone


def test_a_deleted_key_takes_its_expiry_with_it(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + 30 * DAY)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    clock.advance(days=60)
    assert len(schedule_of(kms)) == 0
    names = [event["eventName"] for event in kms.audit_log]
    assert "DeleteKey" in names
    assert "DeleteExpiredKeyMaterial" not in names


def test_key_metadata_shows_the_earliest_expiry_of_permanent_material(client: KMSClient) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + 10 * DAY)
    import_key_material(
        client,
        key["KeyId"],
        OTHER_AES_MATERIAL,
        ImportType="NEW_KEY_MATERIAL",
        ValidTo=NOW + 5 * DAY,
    )
    # Pending material is not permanently associated: it does not count yet.
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["ValidTo"] == NOW + 10 * DAY
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    assert client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["ValidTo"] == NOW + 5 * DAY


# --- imported on-demand rotation --------------------------------------------------------------


def test_on_demand_rotation_of_imported_material(
    kms: MockKMS, client: KMSClient, clock: FrozenClock
) -> None:
    key = _external(client)
    first = import_key_material(client, key["KeyId"], AES_MATERIAL)
    old_blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"old")["CiphertextBlob"]
    pending = import_key_material(
        client,
        key["KeyId"],
        OTHER_AES_MATERIAL,
        ImportType="NEW_KEY_MATERIAL",
        KeyMaterialDescription="next",
    )
    assert pending["KeyMaterialId"] != first["KeyMaterialId"]
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["CurrentKeyMaterialId"] == first["KeyMaterialId"]
    assert [entry["KeyMaterialState"] for entry in _rotations(client, key["KeyId"])] == [
        "CURRENT",
        "PENDING_ROTATION",
    ]
    third = bytes(range(2, 34))
    before = dump(kms)
    excinfo = raises(
        lambda: import_key_material(client, key["KeyId"], third, ImportType="NEW_KEY_MATERIAL")
    )
    assert error_of(excinfo)[0] == "KMSInvalidStateException"
    message = error_of(excinfo)[1]
    assert message.startswith("New key material (id: ")
    assert message.endswith(
        f") cannot be imported into KMS key {key['KeyId']}, because another key material "
        f"(id: {pending['KeyMaterialId']}) is pending rotation."
    )
    assert dump(kms) == before
    clock.advance(days=1)
    assert client.rotate_key_on_demand(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["CurrentKeyMaterialId"] == pending["KeyMaterialId"]
    listed = _rotations(client, key["KeyId"])
    assert [entry["KeyMaterialState"] for entry in listed] == ["NON_CURRENT", "CURRENT"]
    assert listed[1]["RotationType"] == "ON_DEMAND"
    assert listed[1]["RotationDate"] == NOW + DAY
    assert listed[1]["KeyMaterialDescription"] == "next"
    new_blob = client.encrypt(KeyId=key["KeyId"], Plaintext=b"new")["CiphertextBlob"]
    assert _ciphertext.open_sealed(_ciphertext.parse(new_blob), OTHER_AES_MATERIAL, None) == b"new"
    assert client.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
    [rotated] = [event for event in kms.audit_log if event["eventName"] == "RotateKey"]
    assert rotated["serviceEventDetails"] == {
        "keyId": key["KeyId"],
        "rotationType": "ON_DEMAND",
        "keyOrigin": "EXTERNAL",
        "previousKeyMaterialId": first["KeyMaterialId"],
        "currentKeyMaterialId": pending["KeyMaterialId"],
    }


def test_on_demand_rotation_without_pending_material_is_refused(
    kms: MockKMS, client: KMSClient
) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    before = dump(kms)
    excinfo = raises(lambda: client.rotate_key_on_demand(KeyId=key["KeyId"]))
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"No available key material pending rotation for the key: {key['Arn']}.",
        400,
    )
    assert dump(kms) == before


def test_on_demand_rotation_of_a_key_pending_import_is_refused(client: KMSClient) -> None:
    key = _external(client)
    excinfo = raises(lambda: client.rotate_key_on_demand(KeyId=key["KeyId"]))
    assert error_of(excinfo) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is pending import.",
        400,
    )


def test_a_key_pending_import_needs_every_permanent_material(client: KMSClient) -> None:
    key = _external(client)
    first = import_key_material(client, key["KeyId"], AES_MATERIAL)
    import_key_material(client, key["KeyId"], OTHER_AES_MATERIAL, ImportType="NEW_KEY_MATERIAL")
    client.rotate_key_on_demand(KeyId=key["KeyId"])
    client.delete_imported_key_material(KeyId=key["KeyId"], KeyMaterialId=first["KeyMaterialId"])
    client.delete_imported_key_material(KeyId=key["KeyId"])
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    assert _state(client, key["KeyId"]) == "PendingImport"  # the current one is still missing
    import_key_material(client, key["KeyId"], OTHER_AES_MATERIAL)
    assert _state(client, key["KeyId"]) == "Enabled"


# --- DeleteImportedKeyMaterial ----------------------------------------------------------------


def test_deleting_the_current_material(kms: MockKMS, client: KMSClient) -> None:
    key = _external(client)
    imported = import_key_material(client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + DAY)
    deleted = client.delete_imported_key_material(KeyId=key["KeyId"])
    assert (deleted["KeyId"], deleted["KeyMaterialId"]) == (key["Arn"], imported["KeyMaterialId"])
    metadata = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (metadata["KeyState"], metadata["CurrentKeyMaterialId"]) == (
        "PendingImport",
        imported["KeyMaterialId"],
    )
    assert "ExpirationModel" not in metadata
    assert len(schedule_of(kms)) == 0  # its expiry went with it
    again = client.delete_imported_key_material(KeyId=key["KeyId"])  # no effect
    assert again["KeyMaterialId"] == imported["KeyMaterialId"]


def test_deleting_pending_material_frees_its_place(client: KMSClient) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    pending = import_key_material(
        client, key["KeyId"], OTHER_AES_MATERIAL, ImportType="NEW_KEY_MATERIAL"
    )
    client.delete_imported_key_material(KeyId=key["KeyId"], KeyMaterialId=pending["KeyMaterialId"])
    assert _state(client, key["KeyId"]) == "Enabled"
    assert [entry["KeyMaterialState"] for entry in _rotations(client, key["KeyId"])] == ["CURRENT"]
    import_key_material(client, key["KeyId"], bytes(range(2, 34)), ImportType="NEW_KEY_MATERIAL")


def test_deleting_from_a_key_never_imported_has_no_effect(client: KMSClient) -> None:
    key = _external(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    deleted = dict(client.delete_imported_key_material(KeyId=key["KeyId"]))
    assert "KeyMaterialId" not in deleted
    assert _state(client, key["KeyId"]) == "PendingImport"


def test_deleting_from_a_key_pending_deletion_keeps_its_state(client: KMSClient) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    client.delete_imported_key_material(KeyId=key["KeyId"])
    assert _state(client, key["KeyId"]) == "PendingDeletion"


def test_deleting_unknown_material_is_not_found(kms: MockKMS, client: KMSClient) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    before = dump(kms)
    excinfo = raises(
        lambda: client.delete_imported_key_material(KeyId=key["KeyId"], KeyMaterialId="c" * 64)
    )
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key material {'c' * 64} is not associated with {key['Arn']}.",
        400,
    )
    assert dump(kms) == before


# --- what the handle and the audit log show ---------------------------------------------------


def test_key_materials_reports_origin_import_state_and_expiry(
    kms: MockKMS, client: KMSClient
) -> None:
    key = _external(client)
    imported = import_key_material(
        client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + DAY, KeyMaterialDescription="v1"
    )
    [info] = kms.key_materials(key["KeyId"])
    assert (info.key_material_id, info.origin, info.import_state) == (
        imported["KeyMaterialId"],
        "EXTERNAL",
        "IMPORTED",
    )
    assert (info.expiration_model, info.valid_to, info.description) == (
        "KEY_MATERIAL_EXPIRES",
        NOW + DAY,
        "v1",
    )
    client.delete_imported_key_material(KeyId=key["KeyId"])
    [info] = kms.key_materials(key["KeyId"])
    assert info.import_state == "PENDING_IMPORT"
    [made] = kms.key_materials(new_key(client)["KeyId"])
    assert (made.origin, made.import_state, made.valid_to) == ("AWS_KMS", None, None)


def test_list_key_rotations_shows_import_members(client: KMSClient) -> None:
    key = _external(client)
    imported = import_key_material(
        client, key["KeyId"], AES_MATERIAL, ValidTo=NOW + DAY, KeyMaterialDescription="v1"
    )
    assert _rotations(client, key["KeyId"]) == [
        {
            "KeyId": key["Arn"],
            "KeyMaterialId": imported["KeyMaterialId"],
            "KeyMaterialDescription": "v1",
            "ImportState": "IMPORTED",
            "KeyMaterialState": "CURRENT",
            "ExpirationModel": "KEY_MATERIAL_EXPIRES",
            "ValidTo": NOW + DAY,
        }
    ]
    assert client.list_key_rotations(KeyId=key["KeyId"])["Rotations"] == []


def test_the_audit_log_keeps_no_token_key_or_material(kms: MockKMS, client: KMSClient) -> None:
    key = _external(client)
    import_key_material(client, key["KeyId"], AES_MATERIAL)
    parameters, imported = (
        event
        for event in kms.audit_log
        if event["eventName"] in ("GetParametersForImport", "ImportKeyMaterial")
    )
    assert parameters["requestParameters"] == {
        "keyId": key["KeyId"],
        "wrappingAlgorithm": "RSAES_OAEP_SHA_256",
        "wrappingKeySpec": "RSA_2048",
    }
    assert parameters["responseElements"] is None  # a Get* call: read-only in CloudTrail
    assert set(imported["requestParameters"]) == {"keyId", "expirationModel"}
    assert set(imported["responseElements"]) == {"keyId", "keyMaterialId"}
    assert [resource["ARN"] for resource in imported["resources"]] == [key["Arn"]]
    assert len(audit_of(kms).records) == 3
