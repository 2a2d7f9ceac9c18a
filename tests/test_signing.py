"""Sign, Verify, GetPublicKey through boto3, checked against `cryptography`.

Every key spec and signing algorithm AWS allows: the mock's signatures verify
outside with the DER public key from GetPublicKey, and signatures made
outside with the same private key (read from the backend) verify inside.
Generating RSA_4096 keys is slow, so one key per spec is made once for the
module (in a backend that each test activates and deactivates) and the tests
that change key states use keys of their own.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import (
    ec,
    ed25519,
    mldsa,
    padding,
    rsa,
    utils,
)

from kms_mock import FrozenClock, MockKMS, mock_kms
from kms_mock._ed25519ph import ed25519ph_sign, ed25519ph_verify
from kms_mock._keypairs import KeyPair
from tests._helpers import (
    START,
    error_of,
    key_pair_of,
    new_key,
    raises,
    secret_derived,
    served_by,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
DRY_RUN = "The request would have succeeded, but the DryRun option is set."

RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]
# Key spec -> signing algorithms, written out rather than imported.
SIGNING: dict[str, list[str]] = {
    "RSA_2048": RSA_SIGNING,
    "RSA_3072": RSA_SIGNING,
    "RSA_4096": RSA_SIGNING,
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
    "ECC_NIST_EDWARDS25519": ["ED25519_SHA_512", "ED25519_PH_SHA_512"],
    "ML_DSA_44": ["ML_DSA_SHAKE_256"],
    "ML_DSA_65": ["ML_DSA_SHAKE_256"],
    "ML_DSA_87": ["ML_DSA_SHAKE_256"],
}
CASES = [(spec, algorithm) for spec, algorithms in SIGNING.items() for algorithm in algorithms]
HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
MESSAGE = b"a message signed by kms_mock"


def message_types(algorithm: str) -> list[str]:
    """The MessageTypes AWS allows for ``algorithm`` (EXTERNAL_MU: tested apart)."""
    if algorithm == "ED25519_SHA_512":
        return ["RAW"]
    if algorithm == "ED25519_PH_SHA_512":
        return ["DIGEST"]
    if algorithm == "ML_DSA_SHAKE_256":
        return ["RAW"]
    return ["RAW", "DIGEST"]


def digest_hash(algorithm: str) -> type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]:
    return HASHES[algorithm[-3:]]


def message_for(algorithm: str, message_type: str) -> bytes:
    if message_type == "RAW":
        return MESSAGE
    return hashlib.new(digest_hash(algorithm).name, MESSAGE).digest()


def verify_outside(
    public_der: bytes, algorithm: str, message_type: str, message: bytes, signature: bytes
) -> None:
    """Verify with `cryptography` alone (Ed25519ph, which it lacks: kms_mock's RFC 8032 code)."""
    public = serialization.load_der_public_key(public_der)
    if algorithm.startswith(("RSASSA", "ECDSA")):
        chosen = digest_hash(algorithm)()
        hashing: Any = utils.Prehashed(chosen) if message_type == "DIGEST" else chosen
        if algorithm.startswith("RSASSA_PSS"):
            assert isinstance(public, rsa.RSAPublicKey)
            pss = padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size)
            public.verify(signature, message, pss, hashing)
        elif algorithm.startswith("RSASSA_PKCS1"):
            assert isinstance(public, rsa.RSAPublicKey)
            public.verify(signature, message, padding.PKCS1v15(), hashing)
        else:
            assert isinstance(public, ec.EllipticCurvePublicKey)
            public.verify(signature, message, ec.ECDSA(hashing))
    elif algorithm == "ED25519_SHA_512":
        assert isinstance(public, ed25519.Ed25519PublicKey)
        public.verify(signature, message)
    elif algorithm == "ED25519_PH_SHA_512":
        assert isinstance(public, ed25519.Ed25519PublicKey)
        assert ed25519ph_verify(public.public_bytes_raw(), signature, message)
    else:
        assert isinstance(
            public, mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey
        )
        public.verify(signature, message)


def sign_outside(pair: KeyPair, algorithm: str, message_type: str, message: bytes) -> bytes:
    """A signature made with `cryptography` from the private key kms_mock holds."""
    private = pair.private_key
    if algorithm.startswith(("RSASSA", "ECDSA")):
        chosen = digest_hash(algorithm)()
        hashing: Any = utils.Prehashed(chosen) if message_type == "DIGEST" else chosen
        if algorithm.startswith("RSASSA_PSS"):
            assert isinstance(private, rsa.RSAPrivateKey)
            pss = padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size)
            return private.sign(message, pss, hashing)
        if algorithm.startswith("RSASSA_PKCS1"):
            assert isinstance(private, rsa.RSAPrivateKey)
            return private.sign(message, padding.PKCS1v15(), hashing)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        return private.sign(message, ec.ECDSA(hashing))
    assert not isinstance(private, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    if algorithm == "ED25519_PH_SHA_512":
        assert isinstance(private, ed25519.Ed25519PrivateKey)
        return ed25519ph_sign(private.private_bytes_raw(), message)
    return private.sign(message)


@dataclass
class SharedKeys:
    """One SIGN_VERIFY key per spec, in a stopped mock every test may serve again."""

    mock: MockKMS
    key_ids: dict[str, str]

    def pair(self, spec: str) -> KeyPair:
        return key_pair_of(self.mock, self.key_ids[spec])


@pytest.fixture(scope="module")
def shared_keys() -> SharedKeys:
    mock = mock_kms(clock=FrozenClock(START))
    with mock:
        client = boto3.client("kms", region_name=REGION)
        key_ids = {
            spec: client.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]  # type: ignore[arg-type]
            for spec in SIGNING
        }
    return SharedKeys(mock, key_ids)


@pytest.fixture
def shared(shared_keys: SharedKeys) -> Iterator[KMSClient]:
    """A client served by the module's mock (active again for this test only)."""
    with served_by(shared_keys.mock):
        yield boto3.client("kms", region_name=REGION)


def call(client: KMSClient, operation: str, **params: Any) -> dict[str, Any]:
    """Call ``operation`` (by its AWS name) with ``params``, as a plain dict."""
    return dict(getattr(client, xform_name(operation))(**params))


def fails(client: KMSClient, operation: str, **params: Any) -> pytest.ExceptionInfo[ClientError]:
    with pytest.raises(ClientError) as excinfo:
        call(client, operation, **params)
    return excinfo


def top_level_message(excinfo: pytest.ExceptionInfo[ClientError]) -> object:
    """botocore's top-level ``message``: there only when AWS sent a message member."""
    return dict(excinfo.value.response).get("message")


def sign(client: KMSClient, key_id: str, algorithm: str, **params: Any) -> bytes:
    params.setdefault("Message", MESSAGE)
    signature: bytes = call(client, "Sign", KeyId=key_id, SigningAlgorithm=algorithm, **params)[
        "Signature"
    ]
    return signature


# --- Every spec and algorithm, both ways --------------------------------------------------


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_mock_signatures_verify_with_cryptography(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    key_id = shared_keys.key_ids[spec]
    public_der = shared.get_public_key(KeyId=key_id)["PublicKey"]
    for message_type in message_types(algorithm):
        message = message_for(algorithm, message_type)
        response = call(
            shared,
            "Sign",
            KeyId=key_id,
            Message=message,
            MessageType=message_type,
            SigningAlgorithm=algorithm,
        )
        assert response["KeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
        assert response["SigningAlgorithm"] == algorithm
        verify_outside(public_der, algorithm, message_type, message, response["Signature"])
        verified = call(
            shared,
            "Verify",
            KeyId=key_id,
            Message=message,
            MessageType=message_type,
            Signature=response["Signature"],
            SigningAlgorithm=algorithm,
        )
        assert (verified["SignatureValid"], verified["SigningAlgorithm"]) == (True, algorithm)
        assert verified["KeyId"] == response["KeyId"]


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_signatures_made_outside_verify_inside(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    pair = shared_keys.pair(spec)
    for message_type in message_types(algorithm):
        message = message_for(algorithm, message_type)
        signature = sign_outside(pair, algorithm, message_type, message)
        verified = call(
            shared,
            "Verify",
            KeyId=shared_keys.key_ids[spec],
            Message=message,
            MessageType=message_type,
            Signature=signature,
            SigningAlgorithm=algorithm,
        )
        assert verified["SignatureValid"] is True


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_a_wrong_signature_is_invalid_without_a_message(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    message_type = message_types(algorithm)[0]
    message = message_for(algorithm, message_type)
    signature = bytearray(sign_outside(shared_keys.pair(spec), algorithm, message_type, message))
    signature[len(signature) // 2] ^= 1
    good = sign_outside(shared_keys.pair(spec), algorithm, message_type, message)
    for wrong_message, wrong_signature in (
        (message, bytes(signature)),
        (b"x" * len(message), good),
    ):
        excinfo = fails(
            shared,
            "Verify",
            KeyId=shared_keys.key_ids[spec],
            Message=wrong_message,
            MessageType=message_type,
            Signature=wrong_signature,
            SigningAlgorithm=algorithm,
        )
        assert error_of(excinfo) == ("KMSInvalidSignatureException", "", 400)
        assert top_level_message(excinfo) is None  # AWS sends none (recorded)


def test_garbage_signature_is_invalid(shared: KMSClient, shared_keys: SharedKeys) -> None:
    for spec, algorithm in CASES:
        message_type = message_types(algorithm)[0]
        excinfo = fails(
            shared,
            "Verify",
            KeyId=shared_keys.key_ids[spec],
            Message=message_for(algorithm, message_type),
            MessageType=message_type,
            Signature=b"\x30\x03garbage",
            SigningAlgorithm=algorithm,
        )
        assert error_of(excinfo)[0] == "KMSInvalidSignatureException"


@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [case for case in CASES if case[1].startswith(("RSASSA", "ECDSA"))],
)
def test_digest_message_type_signs_the_message_the_digest_is_of(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    # DIGEST skips hashing: the signature is one of the original message.
    signature = sign(
        shared,
        shared_keys.key_ids[spec],
        algorithm,
        Message=message_for(algorithm, "DIGEST"),
        MessageType="DIGEST",
    )
    verify_outside(shared_keys.pair(spec).public_der, algorithm, "RAW", MESSAGE, signature)


def test_ed25519ph_hashes_the_digest_again(shared: KMSClient, shared_keys: SharedKeys) -> None:
    # AWS: with ED25519_PH_SHA_512 and DIGEST, KMS still performs the SHA-512
    # prehash, so the input is hashed twice: Ed25519ph over the 64-byte digest.
    key_id = shared_keys.key_ids["ECC_NIST_EDWARDS25519"]
    digest = hashlib.sha512(MESSAGE).digest()
    signature = sign(shared, key_id, "ED25519_PH_SHA_512", Message=digest, MessageType="DIGEST")
    private = shared_keys.pair("ECC_NIST_EDWARDS25519").private_key
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    assert signature == ed25519ph_sign(private.private_bytes_raw(), digest)


def test_raw_messages_up_to_4096_bytes(shared: KMSClient, shared_keys: SharedKeys) -> None:
    key_id = shared_keys.key_ids["ECC_NIST_P256"]
    message = b"m" * 4096
    signature = sign(shared, key_id, "ECDSA_SHA_256", Message=message)
    verify_outside(
        shared_keys.pair("ECC_NIST_P256").public_der, "ECDSA_SHA_256", "RAW", message, signature
    )
    excinfo = raises(lambda: sign(shared, key_id, "ECDSA_SHA_256", Message=b"m" * 4097))
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value at 'message' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096",
        400,
    )


# --- Message types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "algorithm"), [case for case in CASES if "DIGEST" in message_types(case[1])]
)
def test_digest_of_the_wrong_length(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    # Recorded for RSASSA_PSS_*, RSASSA_PKCS1_V1_5_SHA_256/512, ECDSA_SHA_256/384.
    size = digest_hash(algorithm).digest_size
    for wrong in (size - 1, size + 1, 20):
        for operation, extra in (("Sign", {}), ("Verify", {"Signature": b"s"})):
            excinfo = fails(
                shared,
                operation,
                KeyId=shared_keys.key_ids[spec],
                Message=b"d" * wrong,
                MessageType="DIGEST",
                SigningAlgorithm=algorithm,
                **extra,
            )
            message = f"Digest is invalid length for algorithm {algorithm}."
            assert error_of(excinfo) == ("ValidationException", message, 400)
            assert top_level_message(excinfo) is None


@pytest.mark.parametrize(
    ("spec", "algorithm", "message_type"),
    [
        ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "DIGEST"),
        ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", "RAW"),
        ("ML_DSA_44", "ML_DSA_SHAKE_256", "DIGEST"),
        ("ECC_NIST_P256", "ECDSA_SHA_256", "EXTERNAL_MU"),
        ("RSA_2048", "RSASSA_PSS_SHA_256", "EXTERNAL_MU"),
        ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "EXTERNAL_MU"),
    ],
)
def test_message_type_the_algorithm_does_not_take(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str, message_type: str
) -> None:
    excinfo = raises(
        lambda: sign(
            shared,
            shared_keys.key_ids[spec],
            algorithm,
            Message=b"d" * 64,
            MessageType=message_type,
        )
    )
    # Not recorded from AWS (the API reference states the rule only).
    message = f"MessageType {message_type} is not supported with signing algorithm {algorithm}."
    assert error_of(excinfo) == ("ValidationException", message, 400)


@pytest.mark.parametrize("operation", ["Sign", "Verify"])
def test_external_mu_on_ml_dsa(shared: KMSClient, shared_keys: SharedKeys, operation: str) -> None:
    key_id = shared_keys.key_ids["ML_DSA_65"]
    extra = {} if operation == "Sign" else {"Signature": b"s" * 3309}
    params: dict[str, Any] = {
        "KeyId": key_id,
        "MessageType": "EXTERNAL_MU",
        "SigningAlgorithm": "ML_DSA_SHAKE_256",
        **extra,
    }
    wrong = fails(shared, operation, Message=b"m" * 32, **params)
    assert error_of(wrong) == (
        "ValidationException",
        "Digest is invalid length for algorithm ML_DSA_SHAKE_256.",
        400,
    )
    dry = fails(shared, operation, Message=b"m" * 64, DryRun=True, **params)
    assert error_of(dry) == ("DryRunOperationException", DRY_RUN, 400)
    # The cryptography package cannot sign from a given mu: a clear refusal.
    excinfo = fails(shared, operation, Message=b"m" * 64, **params)
    assert error_of(excinfo) == (
        "NotImplementedByKmsMock",
        f"not implemented by kms_mock: {operation} with MessageType EXTERNAL_MU: the "
        "cryptography package cannot sign or verify from a precomputed ML-DSA mu. kms_mock "
        "does not serve this yet; see the README's list of supported operations.",
        501,
    )


# --- Key usage, algorithms, key states -------------------------------------------------


@pytest.mark.parametrize(
    ("create", "operation"),
    [
        ({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}, "Sign"),
        ({}, "Verify"),
        ({}, "Sign"),
        ({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}, "Sign"),
        ({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"}, "Verify"),
    ],
)
def test_key_usage_must_be_sign_verify(
    client: KMSClient, create: dict[str, str], operation: str
) -> None:
    key = new_key(client, **create)
    params: dict[str, Any] = {
        "KeyId": key["KeyId"],
        "Message": MESSAGE,
        "SigningAlgorithm": "RSASSA_PSS_SHA_256",
    }
    if operation == "Verify":
        params["Signature"] = b"s"
    excinfo = fails(client, operation, **params)
    # Recorded: "... GENERATE_VERIFY_MAC which is not valid for Sign." and
    # "... ENCRYPT_DECRYPT which is not valid for Verify."
    message = f"{key['Arn']} key usage is {key['KeyUsage']} which is not valid for {operation}."
    assert error_of(excinfo) == ("InvalidKeyUsageException", message, 400)
    assert top_level_message(excinfo) == message  # modeled: a top-level message


@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_384"),
        ("ECC_NIST_P521", "ECDSA_SHA_256"),
        ("ECC_SECG_P256K1", "ECDSA_SHA_512"),
        ("RSA_2048", "ECDSA_SHA_256"),
        ("ECC_NIST_P384", "RSASSA_PSS_SHA_384"),
        ("ECC_NIST_EDWARDS25519", "ECDSA_SHA_512"),
        ("ML_DSA_44", "ED25519_SHA_512"),
        ("RSA_4096", "ML_DSA_SHAKE_256"),
        ("RSA_3072", "SM2DSA"),
    ],
)
def test_algorithm_must_suit_the_key_spec(
    shared: KMSClient, shared_keys: SharedKeys, spec: str, algorithm: str
) -> None:
    for operation, extra in (("Sign", {}), ("Verify", {"Signature": b"s"})):
        excinfo = fails(
            shared,
            operation,
            KeyId=shared_keys.key_ids[spec],
            Message=MESSAGE,
            SigningAlgorithm=algorithm,
            **extra,
        )
        message = f"Algorithm {algorithm} is incompatible with key spec {spec}."
        assert error_of(excinfo) == ("InvalidKeyUsageException", message, 400)


def test_bad_signing_algorithm_enum(client: KMSClient) -> None:
    key = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    excinfo = fails(client, "Sign", KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="INVALID")
    code, message, _ = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'INVALID' at 'signingAlgorithm' failed to satisfy "
        "constraint: Member must satisfy enum value set: [RSASSA_PSS_SHA_256, "
    )


USING_A_SIGNING_KEY: dict[str, Callable[[KMSClient, str], object]] = {
    "Sign": lambda c, k: c.sign(KeyId=k, Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256"),
    "Verify": lambda c, k: c.verify(
        KeyId=k, Message=MESSAGE, Signature=b"s", SigningAlgorithm="ECDSA_SHA_256"
    ),
    "GetPublicKey": lambda c, k: c.get_public_key(KeyId=k),
}


@pytest.mark.parametrize("operation", list(USING_A_SIGNING_KEY))
def test_key_states(client: KMSClient, operation: str) -> None:
    use = USING_A_SIGNING_KEY[operation]
    key = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    client.disable_key(KeyId=key["KeyId"])
    disabled = raises(lambda: use(client, key["KeyId"]))
    assert error_of(disabled) == ("DisabledException", f"{key['Arn']} is disabled.", 400)
    client.schedule_key_deletion(KeyId=key["KeyId"])
    pending = raises(lambda: use(client, key["KeyId"]))
    message = f"{key['Arn']} is pending deletion."
    assert error_of(pending) == ("KMSInvalidStateException", message, 400)

    external = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")
    importing = raises(lambda: use(client, external["KeyId"]))
    message = f"{external['Arn']} is pending import."
    assert error_of(importing) == ("KMSInvalidStateException", message, 400)


def test_missing_key(client: KMSClient) -> None:
    for use in USING_A_SIGNING_KEY.values():
        excinfo = raises(functools.partial(use, client, "key_id"))
        assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'key_id'", 400)


def test_aliases_name_signing_keys(client: KMSClient) -> None:
    key = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    client.create_alias(AliasName="alias/signer", TargetKeyId=key["KeyId"])
    signature = sign(client, "alias/signer", "ECDSA_SHA_256")
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/signer"
    verified = client.verify(
        KeyId=alias_arn, Message=MESSAGE, Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    )
    assert verified["KeyId"] == key["Arn"]
    assert client.get_public_key(KeyId="alias/signer")["KeyId"] == key["Arn"]


# --- GetPublicKey --------------------------------------------------------------------------

LEGACY = {"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384"}
LEGACY |= {"ECC_NIST_P521", "ECC_SECG_P256K1"}


@pytest.mark.parametrize("spec", list(SIGNING))
def test_get_public_key_of_a_signing_key(
    shared: KMSClient, shared_keys: SharedKeys, spec: str
) -> None:
    key_id = shared_keys.key_ids[spec]
    response = dict(shared.get_public_key(KeyId=key_id))
    del response["ResponseMetadata"]
    public_der = response.pop("PublicKey")
    expected: dict[str, Any] = {
        "KeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}",
        "KeySpec": spec,
        "KeyUsage": "SIGN_VERIFY",
        "SigningAlgorithms": SIGNING[spec],
    }
    if spec in LEGACY:  # the deprecated name exists only for the pre-2023 specs
        expected["CustomerMasterKeySpec"] = spec
    assert response == expected
    assert public_der == shared_keys.pair(spec).public_der
    public = serialization.load_der_public_key(public_der)
    if spec.startswith("RSA"):
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == int(spec[4:])
        assert public.public_numbers().e == 65537
    elif spec.startswith("ECC_NIST_P") or spec == "ECC_SECG_P256K1":
        assert isinstance(public, ec.EllipticCurvePublicKey)
        curves = {"P256": "secp256r1", "P384": "secp384r1", "P521": "secp521r1"}
        assert public.curve.name == curves.get(spec[-4:], "secp256k1")
    elif spec == "ECC_NIST_EDWARDS25519":
        assert isinstance(public, ed25519.Ed25519PublicKey)
    else:
        kinds = {
            "ML_DSA_44": mldsa.MLDSA44PublicKey,
            "ML_DSA_65": mldsa.MLDSA65PublicKey,
            "ML_DSA_87": mldsa.MLDSA87PublicKey,
        }
        assert isinstance(public, kinds[spec])


@pytest.mark.parametrize(
    ("create", "member", "algorithms"),
    [
        (
            {"KeySpec": "ECC_NIST_P384", "KeyUsage": "KEY_AGREEMENT"},
            "KeyAgreementAlgorithms",
            ["ECDH"],
        ),
        (
            {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
            "EncryptionAlgorithms",
            ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
        ),
    ],
)
def test_get_public_key_lists_the_algorithms_of_the_usage(
    client: KMSClient, create: dict[str, str], member: str, algorithms: list[str]
) -> None:
    key = new_key(client, **create)
    response = client.get_public_key(KeyId=key["KeyId"])
    members = {"EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms"}
    assert [name for name in members if name in response] == [member]
    assert response[member] == algorithms  # type: ignore[literal-required]
    assert response["KeyUsage"] == create["KeyUsage"]


@pytest.mark.parametrize("create", [{}, {"KeySpec": "HMAC_512", "KeyUsage": "GENERATE_VERIFY_MAC"}])
def test_get_public_key_of_a_key_without_one(client: KMSClient, create: dict[str, str]) -> None:
    key = new_key(client, **create)
    excinfo = raises(lambda: client.get_public_key(KeyId=key["KeyId"]))
    # Not recorded from AWS (⚠): worded like the mock's other key-spec refusals.
    message = f"{key['Arn']} key KeySpec is {key['KeySpec']} which is not valid for GetPublicKey."
    assert error_of(excinfo) == ("UnsupportedOperationException", message, 400)


# --- DryRun, usage tracking, audit ------------------------------------------------------


def test_dry_run_checks_everything_and_derives_nothing(client: KMSClient, kms: MockKMS) -> None:
    key = new_key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    for operation, extra in (("Sign", {}), ("Verify", {"Signature": b"s"})):
        excinfo = fails(
            client,
            operation,
            KeyId=key["KeyId"],
            Message=MESSAGE,
            SigningAlgorithm="RSASSA_PSS_SHA_256",
            DryRun=True,
            **extra,
        )
        assert error_of(excinfo) == ("DryRunOperationException", DRY_RUN, 400)
        assert top_level_message(excinfo) == DRY_RUN
    bad_digest = raises(
        lambda: client.sign(
            KeyId=key["KeyId"],
            Message=b"short",
            MessageType="DIGEST",
            SigningAlgorithm="RSASSA_PSS_SHA_256",
            DryRun=True,
        )
    )
    assert error_of(bad_digest)[0] == "ValidationException"
    assert not secret_derived(kms, key["KeyId"])  # no pair was generated for a dry run
    assert client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"] == {}


def test_sign_and_verify_are_tracked_get_public_key_is_not(
    client: KMSClient, clock: FrozenClock
) -> None:
    key = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    clock.advance(hours=1)
    signature = sign(client, key["KeyId"], "ECDSA_SHA_256")
    usage = client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
    assert (usage["Operation"], usage["Timestamp"]) == ("Sign", clock.now())
    clock.advance(hours=1)
    client.get_public_key(KeyId=key["KeyId"])
    assert client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Sign"
    client.verify(
        KeyId=key["KeyId"], Message=MESSAGE, Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    )
    usage = client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
    assert (usage["Operation"], usage["Timestamp"]) == ("Verify", clock.now())
    clock.advance(hours=1)
    raises(
        lambda: client.verify(
            KeyId=key["KeyId"], Message=b"x", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
        )
    )
    assert client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Verify"
    usage = client.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]
    assert usage["Timestamp"] < clock.now()  # the failed Verify was not tracked


def test_audit_log_records_signing_calls_without_a_key_material_id(
    client: KMSClient, kms: MockKMS
) -> None:
    key = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    sign(client, key["KeyId"], "ECDSA_SHA_256")
    raises(lambda: sign(client, key["KeyId"], "ECDSA_SHA_384"))
    sign_events = [event for event in kms.audit_log if event["eventName"] == "Sign"]
    assert [event.get("errorCode") for event in sign_events] == [None, "InvalidKeyUsageException"]
    for event in sign_events:
        assert event["resources"][0]["ARN"] == key["Arn"]
        assert "additionalEventData" not in event  # asymmetric keys have no key material id


# --- Seeded mocks -----------------------------------------------------------------------

DETERMINISTIC = {
    "RSA_2048": "RSASSA_PKCS1_V1_5_SHA_256",
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "ECC_NIST_P521": "ECDSA_SHA_512",
    "ECC_SECG_P256K1": "ECDSA_SHA_256",
    "ECC_NIST_EDWARDS25519": "ED25519_SHA_512",
}
RANDOMIZED = {"ML_DSA_44": "ML_DSA_SHAKE_256", "RSA_2048": "RSASSA_PSS_SHA_256"}


def _seeded_session(seed: int) -> dict[str, tuple[bytes, bytes, bytes]]:
    """Per spec: (public key, deterministic signature, randomized signature or b"")."""
    results: dict[str, tuple[bytes, bytes, bytes]] = {}
    with mock_kms(clock=FrozenClock(START), seed=seed):
        client = boto3.client("kms", region_name=REGION)
        specs = sorted(set(DETERMINISTIC) | set(RANDOMIZED))
        key_ids = [new_key(client, KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyId"] for spec in specs]
        # First use in reverse creation order: the pairs do not depend on it.
        for spec, key_id in reversed(list(zip(specs, key_ids, strict=True))):
            public = client.get_public_key(KeyId=key_id)["PublicKey"]
            fixed = sign(client, key_id, DETERMINISTIC[spec]) if spec in DETERMINISTIC else b""
            varying = sign(client, key_id, RANDOMIZED[spec]) if spec in RANDOMIZED else b""
            results[spec] = (public, fixed, varying)
    return results


def test_seeded_mocks_repeat_public_keys_and_deterministic_signatures() -> None:
    first, second = _seeded_session(7), _seeded_session(7)
    for spec in first:
        assert first[spec][:2] == second[spec][:2], spec
    # RSASSA-PSS and ML-DSA signatures are randomized (cryptography takes no
    # randomness source), like AWS's: equal keys, different valid signatures.
    for spec, algorithm in RANDOMIZED.items():
        assert first[spec][2] != second[spec][2]
        verify_outside(first[spec][0], algorithm, "RAW", MESSAGE, second[spec][2])
    other = _seeded_session(8)
    assert all(other[spec][0] != first[spec][0] for spec in first)


def test_seeded_ecdsa_falls_back_to_randomized_without_rfc_6979(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cryptography.hazmat.backends.openssl.backend import backend as openssl

    monkeypatch.setattr(openssl, "ecdsa_deterministic_supported", lambda: False)
    with mock_kms(clock=FrozenClock(START), seed=7):
        client = boto3.client("kms", region_name=REGION)
        key_id = new_key(client, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
        public_der = client.get_public_key(KeyId=key_id)["PublicKey"]
        first, second = (sign(client, key_id, "ECDSA_SHA_256") for _ in range(2))
    assert first != second
    for signature in (first, second):
        verify_outside(public_der, "ECDSA_SHA_256", "RAW", MESSAGE, signature)
